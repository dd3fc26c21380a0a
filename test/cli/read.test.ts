/** `decnet-sensor read` as a user runs it: formats, filters, standard input, errors. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { corpusDir, REPO_ROOT, skipWithoutCorpus } from "../helpers/shared.js";

function cli(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "src/cli/run.ts"), ...args], {
    cwd: REPO_ROOT,
    input,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const lines = (s: string) => s.split("\n").filter((l) => l !== "");

describe("decnet-sensor read", () => {
  test("--help lists the options", () => {
    const r = cli(["read", "--help"]);
    assert.equal(r.code, 0);
    for (const o of ["--format", "--decky", "--dedup-ttl", "--analyzers", "--p0f-db", "--state-file"])
      assert.ok(r.out.includes(o), o);
  });

  test("clear errors: missing file, bad format, bad option values", () => {
    assert.equal(cli(["read", "/nonexistent/x.pcap"]).code, 1);
    assert.match(cli(["read", "/nonexistent/x.pcap"]).err, /cannot open/);
    assert.equal(cli(["read", "--format", "xml", "x"]).code, 2);
    assert.equal(cli(["read", "--decky", "nonsense", "x"]).code, 2);
    assert.equal(cli(["read", "--max-flows", "-3", "x"]).code, 2);
    const notCapture = cli(["read", join(REPO_ROOT, "package.json")]);
    assert.equal(notCapture.code, 1);
    assert.match(notCapture.err, /magic/i);
  });

  test("nothing readable is an error; an empty capture is not", () => {
    // pcapng (draft-ietf-opsawg-pcapng §3.4): one section of major version 2, which a
    // reader must skip; no other section follows.
    const shb = Buffer.alloc(28);
    shb.writeUInt32LE(0x0a0d0d0a, 0);
    shb.writeUInt32LE(28, 4);
    shb.writeUInt32LE(0x1a2b3c4d, 8);
    shb.writeUInt16LE(2, 12);
    shb.writeInt32LE(-1, 16);
    shb.writeInt32LE(-1, 20);
    shb.writeUInt32LE(28, 24);
    const none = cli(["read", "-"], shb);
    assert.equal(none.code, 1);
    assert.match(none.err, /no packet could be read \(skipped: pcapng\.unsupported_section_version 1\)/);
    // Classic pcap header and no record: a valid, empty capture.
    const empty = Buffer.from("d4c3b2a102000400000000000000000000000400" + "01000000", "hex");
    const r = cli(["read", "-"], empty);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "");
  });

  test("--format ja4 prints one reference-shaped record per connection", {
    skip: skipWithoutCorpus(),
  }, () => {
    const r = cli(["read", "--format", "ja4", join(corpusDir()!, "badcurveball.pcap")]);
    assert.equal(r.code, 0);
    const recs = lines(r.out).map((l) => JSON.parse(l));
    const expected = JSON.parse(readFileSync(join(corpusDir()!, "badcurveball.pcap.expected.json"), "utf8"));
    assert.equal(recs.length, 1);
    // The reference's keys come first, in its order, with its values.
    assert.deepEqual(
      Object.keys(recs[0]).slice(0, Object.keys(expected[0]).length),
      Object.keys(expected[0]),
    );
    for (const k of Object.keys(expected[0])) assert.deepEqual(recs[0][k], expected[0][k], k);
    assert.match(r.err, /summary \{.*"packets":12/);
  });

  test("default output: DECNET JSON records; --decky names and filters; stdin", {
    skip: skipWithoutCorpus(),
  }, () => {
    const file = join(corpusDir()!, "badcurveball.pcap");
    const all = lines(cli(["read", file]).out).map((l) => JSON.parse(l));
    const types = all.map((o) => o.event_type);
    assert.ok(
      types.includes("tls_client_hello") &&
        types.includes("tls_session") &&
        types.includes("tls_certificate"),
    );
    for (const o of all) {
      assert.deepEqual(Object.keys(o), [
        "timestamp",
        "decky",
        "service",
        "event_type",
        "attacker_ip",
        "fields",
        "msg",
        "raw_line",
      ]);
      assert.equal(o.attacker_ip, "172.130.128.76");
      assert.match(o.raw_line, /^<1(34|32)>1 2020-01-17T20:43:36\.\d{6}\+00:00 /);
    }
    const named = lines(cli(["read", "--decky", "54.226.182.138=web01", file]).out).map((l) => JSON.parse(l));
    assert.equal(named.length, all.length);
    assert.ok(named.every((o) => o.decky === "web01"));
    assert.equal(lines(cli(["read", "--decky", "10.9.9.9=other", file]).out).length, 0);
    const piped = cli(["read", "-"], readFileSync(file));
    assert.equal(lines(piped.out).length, all.length);
  });

  test("--dedup-ttl suppresses repeats within the window (packet time)", {
    skip: skipWithoutCorpus(),
  }, () => {
    const file = join(corpusDir()!, "tls-handshake.pcapng");
    const plain = lines(cli(["read", "--analyzers", "tls", file]).out).length;
    const dedup = cli(["read", "--analyzers", "tls", "--dedup-ttl", "300", file]);
    assert.ok(lines(dedup.out).length < plain);
    assert.match(dedup.err, /"duplicates_suppressed":[1-9]/);
  });
});
