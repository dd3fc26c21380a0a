import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CaptureSummary, generateCapture } from "../../bench/generate-capture.js";

// Expected values below come from the generator's own summary only where tshark independently
// re-counts the same thing in the file; names come from the certificates' subjects
// (bench/fixtures/certs/make-certs.sh), decoded here by tshark.

const PACKETS = 20_000;
const dir = mkdtempSync(join(tmpdir(), "decnet-gencap-"));
const sha256 = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
const hasTshark = spawnSync("tshark", ["--version"], { stdio: "ignore" }).status === 0;

/** tshark field values for the frames matching `filter`, one array of fields per frame. */
function tshark(file: string, filter: string, ...fields: string[]): string[][] {
  const args = ["-r", file, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"];
  if (filter) args.push("-Y", filter);
  for (const f of fields.length ? fields : ["frame.number"]) args.push("-e", f);
  const r = spawnSync("tshark", args, { encoding: "utf8", maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, `tshark ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split("\t"));
}

after(() => rmSync(dir, { recursive: true, force: true }));

describe("generateCapture determinism", () => {
  test("same seed gives the same bytes, another seed other bytes", async () => {
    const a = join(dir, "a.pcap");
    const b = join(dir, "b.pcap");
    const c = join(dir, "c.pcap");
    const sa = await generateCapture({ packets: 5_000, seed: 7, path: a });
    const sb = await generateCapture({ packets: 5_000, seed: 7, path: b });
    await generateCapture({ packets: 5_000, seed: 8, path: c });
    assert.equal(sha256(a), sha256(b));
    assert.notEqual(sha256(a), sha256(c));
    assert.deepEqual(sa, sb);
    assert.equal(sa.packets, 5_000);
    assert.equal(sa.bytes, statSync(a).size);
  });

  test("tiny captures are exact too", async () => {
    const p = join(dir, "small.pcap");
    const s = await generateCapture({ packets: 7, seed: 1, path: p });
    assert.equal(s.packets, 7);
    assert.equal(s.bytes, statSync(p).size);
  });
});

describe("generated capture (20,000 packets)", () => {
  const file = join(dir, "capture.pcap");
  let s: CaptureSummary;
  before(async () => {
    s = await generateCapture({ packets: PACKETS, seed: 42, path: file });
  });

  test("classic pcap header: µs magic, version 2.4, Ethernet", () => {
    const h = readFileSync(file).subarray(0, 24);
    assert.equal(h.readUInt32LE(0), 0xa1b2c3d4);
    assert.equal(h.readUInt16LE(4), 2);
    assert.equal(h.readUInt16LE(6), 4);
    assert.equal(h.readUInt32LE(20), 1);
  });

  test("mix: about 70 % SYN-scan packets and every session kind present", () => {
    assert.equal(s.packets, PACKETS);
    const share = s.scanPackets / s.packets;
    assert.ok(share > 0.65 && share < 0.75, `scan share ${share}`);
    assert.equal(s.scanPackets + s.sessionPackets, s.packets);
    for (const k of [
      "tls12Sessions",
      "tls13Sessions",
      "tls12ThreeCertChains",
      "sshSessions",
      "httpSessions",
    ] as const) {
      assert.ok(s[k] > 10, `${k} = ${s[k]}`);
    }
    assert.ok(s.splitClientHellos > 0);
    assert.ok(s.attackerSources > 200, `${s.attackerSources} sources`);
  });

  test("tshark reads every packet, none malformed", { skip: !hasTshark && "tshark not installed" }, (t) => {
    assert.equal(tshark(file, "").length, PACKETS);
    assert.deepEqual(tshark(file, "_ws.malformed"), []);
    const warnings = tshark(file, "_ws.expert.severity >= warning", "_ws.expert.message");
    const byMessage = new Map<string, number>();
    for (const [m] of warnings) byMessage.set(m, (byMessage.get(m) ?? 0) + 1);
    t.diagnostic(`expert warnings: ${warnings.length} ${JSON.stringify([...byMessage])}`);
  });

  test("TCP: one bare SYN per probe and per session", { skip: !hasTshark && "tshark not installed" }, () => {
    const syns = tshark(file, "tcp.flags.syn == 1 && tcp.flags.ack == 0").length;
    assert.equal(syns, s.scanProbes + s.tls12Sessions + s.tls13Sessions + s.sshSessions + s.httpSessions);
  });

  test("TLS handshakes are recognised", { skip: !hasTshark && "tshark not installed" }, () => {
    const hellos = tshark(file, "tls.handshake.type == 1", "tls.handshake.ja3", "tcp.segment.count");
    assert.equal(hellos.length, s.tls12Sessions + s.tls13Sessions);
    assert.equal(hellos.filter(([, segs]) => Number(segs) >= 2).length, s.splitClientHellos);
    const ja3 = new Set(hellos.map(([j]) => j));
    assert.ok(ja3.size >= 20, `only ${ja3.size} distinct JA3`);
    assert.equal(tshark(file, "tls.handshake.type == 2").length, s.tls12Sessions + s.tls13Sessions);
    assert.equal(
      tshark(file, "tls.handshake.type == 2 && tls.handshake.extensions.supported_version == 0x0304").length,
      s.tls13Sessions,
    );
  });

  test("TLS 1.2 certificate chains decode with our subjects", {
    skip: !hasTshark && "tshark not installed",
  }, () => {
    const certs = tshark(
      file,
      "tls.handshake.type == 11",
      "tls.handshake.certificate_length",
      "x509sat.uTF8String",
      "tcp.segment.count",
    );
    assert.equal(certs.length, s.tls12Sessions);
    const chainLengths = certs.map(([lens]) => lens.split("|").length);
    assert.equal(chainLengths.filter((n) => n === 3).length, s.tls12ThreeCertChains);
    assert.ok(chainLengths.every((n) => n === 2 || n === 3));
    // Every chain arrives in several TCP segments.
    assert.ok(certs.every(([, , segs]) => Number(segs) >= 2));
    const names = new Set(certs.flatMap(([, n]) => n.split(/[|,]/)));
    for (const want of [
      "mail.nordwind-logistik.example",
      "vpn.lonestar-cu.example",
      "nas01.harrowvale.example",
      "portal.havenkraan.example",
      "hmi-gw.hydro-rhone.example",
      "Decnet Bench Issuing CA R2",
      "Decnet Bench Issuing CA E1",
      "Decnet Bench Root CA R1",
      "Harrow & Vale Solicitors",
      "Hydro Rhone Energie",
    ]) {
      assert.ok(names.has(want), `tshark did not decode ${want}`);
    }
  });

  test("SSH KEXINITs are recognised (HASSH)", { skip: !hasTshark && "tshark not installed" }, () => {
    const client = tshark(file, "ssh.kex.hassh", "ssh.kex.hassh");
    const server = tshark(file, "ssh.kex.hasshserver", "ssh.kex.hasshserver");
    assert.equal(client.length, s.sshSessions);
    assert.equal(server.length, s.sshSessions);
    assert.ok(new Set(client.map(([h]) => h)).size >= 5);
    assert.equal(new Set(server.map(([h]) => h)).size, 3);
  });

  test("HTTP requests are recognised", { skip: !hasTshark && "tshark not installed" }, () => {
    const reqs = tshark(file, "http.request", "http.request.method", "http.user_agent");
    assert.equal(reqs.length, s.httpRequests);
    assert.ok(reqs.every(([m]) => m === "GET"));
    assert.ok(new Set(reqs.map(([, ua]) => ua)).size >= 5);
    assert.equal(tshark(file, "http.response").length, s.httpRequests);
  });
});
