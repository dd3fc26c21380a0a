import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { readCapture } from "../../src/capture/file-source.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { bytewise, parseChunks, randomChunks } from "./collect.js";

const run = promisify(execFile);
const dir = corpusDir();
const captures = dir === undefined ? [] : readdirSync(dir).filter((n) => /\.(pcap|pcapng)$/.test(n));
const haveTshark = spawnSync("tshark", ["--version"], { stdio: "ignore" }).status === 0;
const skipTshark = skipWithoutCorpus() || (haveTshark ? false : "tshark not installed");
if (!haveTshark) process.stderr.write("NOTICE: tshark not found; corpus timestamp checks are skipped\n");

/** tshark's epoch seconds ("1516186786.703072000") to whole microseconds, exactly (string arithmetic). */
function epochToUs(s: string): number {
  const [sec, frac = ""] = s.split(".");
  const us = Number(`${frac}000000`.slice(0, 6));
  return sec.startsWith("-") ? Number(sec) * 1e6 - us : Number(sec) * 1e6 + us;
}

describe("corpus captures against tshark", { skip: skipTshark }, () => {
  for (const name of captures) {
    test(name, async () => {
      const path = join(dir as string, name);
      const { stdout } = await run(
        "tshark",
        [
          "-n",
          "-r",
          path,
          "-T",
          "fields",
          "-E",
          "separator=,",
          "-e",
          "frame.time_epoch",
          "-e",
          "frame.len",
          "-e",
          "frame.cap_len",
        ],
        { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, WIRESHARK_CONFIG_DIR: "/nonexistent" } },
      );
      const want = stdout
        .trim()
        .split("\n")
        .map((line) => {
          const [t, len, cap] = line.split(",");
          return { tsUs: epochToUs(t), origLen: Number(len), length: Number(cap) };
        });
      const got: { tsUs: number; origLen: number; length: number }[] = [];
      const r = await readCapture(path, (f) =>
        got.push({ tsUs: f.tsUs, origLen: f.origLen, length: f.length }),
      );
      assert.equal(r.error, undefined);
      assert.deepEqual(r.malformed, {});
      assert.equal(r.frames, want.length, "frame count");
      assert.equal(got[0].tsUs, want[0].tsUs, "first timestamp");
      assert.equal(got[got.length - 1].tsUs, want[want.length - 1].tsUs, "last timestamp");
      assert.deepEqual(got, want, "every frame's time, length and captured length");
    });
  }
});

describe("corpus captures: format by magic, chunking", { skip: skipWithoutCorpus() }, () => {
  test("http1.pcapng and ipv6.pcapng are classic pcap, detected by magic", async () => {
    for (const name of ["http1.pcapng", "ipv6.pcapng"]) {
      const r = await readCapture(join(dir as string, name), () => {});
      assert.equal(r.format, "pcap", name);
    }
    const r = await readCapture(join(dir as string, "tls3.pcapng"), () => {});
    assert.equal(r.format, "pcapng");
  });

  test("BSD loopback link type where the corpus README says so", async () => {
    for (const name of ["http1-with-cookies.pcapng", "ipv6.pcapng", "tls-alpn-h2.pcap"]) {
      const lts = new Set<number>();
      await readCapture(join(dir as string, name), (f) => lts.add(f.linktype));
      assert.deepEqual([...lts], [0], name);
    }
  });

  for (const name of captures) {
    test(`${name}: random chunkings, small reads and byte by byte agree with one whole read`, async () => {
      const path = join(dir as string, name);
      const bytes = readFileSync(path);
      const whole = parseChunks([bytes]);
      assert.equal(whole.error, undefined);
      for (const [seed, max] of [
        [1, 7],
        [2, 100],
        [3, 5000],
        [4, 70000],
      ]) {
        const r = parseChunks(randomChunks(bytes, seed, max));
        assert.deepEqual(r.frames, whole.frames, `seed ${seed}`);
        assert.deepEqual(r.stats, whole.stats, `seed ${seed}`);
      }
      if (bytes.length <= 400_000) {
        const r = parseChunks(bytewise(bytes));
        assert.deepEqual(r.stats, whole.stats, "byte by byte");
        assert.deepEqual(r.frames, whole.frames, "byte by byte");
      }
      // readCapture with the smallest read size (4 KiB) matches too.
      let n = 0;
      let hexes = "";
      const r = await readCapture(
        path,
        (f) => {
          hexes += f.data.toString("hex", f.offset, f.offset + f.length).slice(0, 16);
          n++;
        },
        { chunkSize: 4096 },
      );
      assert.equal(r.error, undefined);
      assert.equal(n, whole.frames.length);
      assert.equal(hexes, whole.frames.map((f) => f.hex.slice(0, 16)).join(""));
    });
  }
});
