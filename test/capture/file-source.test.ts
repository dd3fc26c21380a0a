import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { readCapture } from "../../src/capture/file-source.js";
import { corpusDir, REPO_ROOT } from "../helpers/shared.js";
import { PCAP_LE_NS, PCAP_LE_US, PCAPNG_TWO_SECTIONS } from "./fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "decnet-capture-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("readCapture on files", () => {
  test("reads a file to its end, reporting progress against the file size", async () => {
    const path = join(tmp, "two-sections.bin");
    writeFileSync(path, PCAPNG_TWO_SECTIONS.bytes);
    const progress: [number, number | undefined][] = [];
    const ts: number[] = [];
    const r = await readCapture(path, (f) => ts.push(f.tsUs), {
      onProgress: (a, b) => progress.push([a, b]),
    });
    assert.equal(r.error, undefined);
    assert.equal(r.format, "pcapng");
    assert.equal(r.frames, PCAPNG_TWO_SECTIONS.frames.length);
    assert.deepEqual(
      ts,
      PCAPNG_TWO_SECTIONS.frames.map((f) => f.tsUs),
    );
    assert.deepEqual(r.malformed, PCAPNG_TWO_SECTIONS.malformed);
    const size = PCAPNG_TWO_SECTIONS.bytes.length;
    assert.deepEqual(progress[progress.length - 1], [size, size]);
  });

  test("progress is reported per chunk, and records straddling reads are whole", async () => {
    // Many copies of the records of PCAP_LE_US behind one header: 24 + 2000 × 39 bytes, read 4 KiB at a time.
    const header = PCAP_LE_US.bytes.subarray(0, 24);
    const records = PCAP_LE_US.bytes.subarray(24);
    const path = join(tmp, "many.pcap");
    writeFileSync(path, Buffer.concat([header, ...Array.from({ length: 1000 }, () => records)]));
    const progress: number[] = [];
    const seen = new Map<string, number>();
    const r = await readCapture(
      path,
      (f) => {
        const k = f.data.toString("hex", f.offset, f.offset + f.length);
        seen.set(k, (seen.get(k) ?? 0) + 1);
      },
      { chunkSize: 4096, onProgress: (n) => progress.push(n) },
    );
    assert.equal(r.error, undefined);
    assert.equal(r.frames, 2000);
    assert.deepEqual(Object.fromEntries(seen), { deadbeef: 1000, "010203": 1000 });
    assert.equal(progress.length, Math.ceil((24 + 1000 * records.length) / 4096));
    assert.deepEqual(progress.slice(0, 3), [4096, 8192, 12288]);
  });

  test("afterChunk is awaited after each chunk's frames, holding the next read back", async () => {
    const header = PCAP_LE_US.bytes.subarray(0, 24);
    const records = PCAP_LE_US.bytes.subarray(24);
    const path = join(tmp, "paced.pcap");
    writeFileSync(path, Buffer.concat([header, ...Array.from({ length: 500 }, () => records)]));
    const events: string[] = [];
    let pending = false;
    const r = await readCapture(
      path,
      () => {
        assert.equal(pending, false, "a frame arrived while afterChunk was still pending");
        if (events[events.length - 1] !== "f") events.push("f");
      },
      {
        chunkSize: 4096,
        afterChunk: async () => {
          events.push("a");
          pending = true;
          await new Promise((resolve) => setTimeout(resolve, 1));
          pending = false;
        },
      },
    );
    assert.equal(r.error, undefined);
    assert.equal(r.frames, 1000);
    const chunks = Math.ceil((24 + 500 * records.length) / 4096);
    assert.equal(events.filter((e) => e === "a").length, chunks);
    assert.equal(events.join(""), "fa".repeat(chunks));
  });

  test("a callback that throws ends the read with an error, not a rejection", async () => {
    const path = join(tmp, "cb.pcap");
    writeFileSync(path, PCAP_LE_US.bytes);
    const r = await readCapture(path, () => {}, {
      afterChunk: () => {
        throw new Error("sink closed");
      },
    });
    assert.ok(r.error?.includes("sink closed"));
    assert.equal(r.frames, 2);
  });

  test("a truncated last record is counted, not fatal", async () => {
    const path = join(tmp, "truncated.pcap");
    writeFileSync(path, PCAP_LE_NS.bytes);
    const r = await readCapture(path, () => {});
    assert.equal(r.error, undefined);
    assert.equal(r.frames, 1);
    assert.deepEqual(r.malformed, { "pcap.truncated_record": 1 });
  });

  test("a missing file or a directory resolves with an error instead of rejecting", async () => {
    const missing = await readCapture(join(tmp, "does-not-exist.pcap"), () => {});
    assert.ok(missing.error?.includes("does-not-exist.pcap"));
    assert.equal(missing.frames, 0);
    const directory = await readCapture(tmp, () => {});
    assert.ok(directory.error !== undefined);
  });

  test("a file that is not a capture stops at once with the reason", async () => {
    const path = join(tmp, "text.txt");
    writeFileSync(path, "hello, this is not a capture file\n".repeat(1000));
    let progressCalls = 0;
    const r = await readCapture(path, () => {}, { chunkSize: 4096, onProgress: () => progressCalls++ });
    assert.ok(r.error?.includes("magic"));
    assert.equal(progressCalls, 1); // reading stopped after the first chunk
  });
});

describe("readCapture on standard input", () => {
  const script = (path: string) => `
    import { readCapture } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, "src/capture/file-source.ts")).href)};
    const ts = [];
    let last;
    const r = await readCapture(${JSON.stringify(path)}, (f) => ts.push(f.tsUs), { onProgress: (a, b) => { last = [a, b]; } });
    process.stdout.write(JSON.stringify({ ...r, ts, last }));
  `;

  function runWithStdin(input: Buffer): {
    frames: number;
    format: string;
    ts: number[];
    last: [number, number | null];
    error?: string;
    malformed: Record<string, number>;
  } {
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script("-")], {
      cwd: REPO_ROOT,
      input,
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(child.status, 0, child.stderr.toString());
    return JSON.parse(child.stdout.toString());
  }

  test('"-" reads a capture piped into standard input', () => {
    const out = runWithStdin(PCAPNG_TWO_SECTIONS.bytes);
    assert.equal(out.error, undefined);
    assert.equal(out.format, "pcapng");
    assert.deepEqual(
      out.ts,
      PCAPNG_TWO_SECTIONS.frames.map((f) => f.tsUs),
    );
    assert.deepEqual(out.last, [PCAPNG_TWO_SECTIONS.bytes.length, null]); // no total size for a pipe
  });

  test('"-" with a larger corpus capture piped in (many pipe chunks)', {
    skip: corpusDir() === undefined,
  }, () => {
    const bytes = readFileSync(join(corpusDir() as string, "http2-with-cookies.pcapng"));
    const out = runWithStdin(bytes);
    assert.equal(out.error, undefined);
    // frame count and first/last time as tshark 4.0.17 reports them for this file
    assert.equal(out.frames, 1607);
    assert.equal(out.ts[0], 1695393093408216);
    assert.equal(out.last[0], bytes.length);
  });

  test('"-" with garbage on standard input reports the bad magic', () => {
    const out = runWithStdin(Buffer.from("not a capture"));
    assert.ok(out.error?.includes("magic"));
  });
});
