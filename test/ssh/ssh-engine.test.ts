/**
 * SSH through the whole engine on hand-scripted connections: the stream readers get the
 * reassembled bytes (reordered segments, identification lines split or preceded by other
 * lines), JA4SSH counts packets as the reference does, from the first one. Expected values
 * come from tshark 4.0.17 (`ssh.protocol`, `ssh.kex.hassh*`, `ssh.encryption_algorithms_*`),
 * from the FoxIO JA4SSH counting applied to tshark's per-frame view of the same pcap, and
 * from the HASSH definition (MD5 of the algorithm string) where tshark's dissector does not
 * reassemble (a reordered or split handshake).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { readCapture } from "../../src/capture/file-source.js";
import { SnifferEngine } from "../../src/sniffer/engine.js";
import type { Ja4Record } from "../../src/sniffer/ja4-record.js";
import type { Observation } from "../../src/sniffer/observation.js";
import {
  ACK,
  FIN_ACK,
  kexinitPacket,
  PSH_ACK,
  ScriptedConnection,
  sshPacket,
  sshString,
} from "./pcap-writer.js";

const CLIENT_LISTS = [
  "curve25519-sha256,ecdh-sha2-nistp256",
  "ssh-ed25519,rsa-sha2-512",
  "aes128-ctr,aes256-gcm@openssh.com",
  "aes256-ctr,chacha20-poly1305@openssh.com",
  "hmac-sha2-256",
  "hmac-sha2-512",
  "none,zlib@openssh.com",
  "none",
  "",
  "",
];
const SERVER_LISTS = [
  "curve25519-sha256",
  "ssh-ed25519",
  "aes256-ctr,aes128-ctr",
  "chacha20-poly1305@openssh.com,aes128-ctr",
  "hmac-sha1",
  "hmac-sha2-512,hmac-sha1",
  "none",
  "none,zlib",
  "",
  "",
];
const md5 = (s: string) => createHash("md5").update(s).digest("hex");
// HASSH = MD5("kex;enc c2s;mac c2s;comp c2s"); tshark gives the same for these KEXINITs in order.
const HASSH = md5(
  "curve25519-sha256,ecdh-sha2-nistp256;aes128-ctr,aes256-gcm@openssh.com;hmac-sha2-256;none,zlib@openssh.com",
);
const HASSH_SERVER = md5(
  "curve25519-sha256;chacha20-poly1305@openssh.com,aes128-ctr;hmac-sha2-512,hmac-sha1;none,zlib",
);
const CLIENT_ID = "SSH-2.0-OpenSSH_9.3";
const SERVER_ID = "SSH-2.0-OpenSSH_9.6";

const dir = mkdtempSync(join(tmpdir(), "ssh-engine-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  records: Ja4Record[];
  obs: Observation[];
  /** Records written before the end of the capture (a flow finalized when it closed). */
  recordsBeforeEnd: number;
}

async function run(c: ScriptedConnection): Promise<Run> {
  const file = join(dir, "s.pcap");
  c.write(file);
  const records: Ja4Record[] = [];
  const obs: Observation[] = [];
  const engine = new SnifferEngine({
    onObservation: (o) => obs.push(o),
    onFlowRecord: (r) => records.push(structuredClone(r)),
  });
  const res = await readCapture(file, (f) => engine.handleFrame(f));
  assert.equal(res.error, undefined);
  const recordsBeforeEnd = records.length;
  engine.finish();
  return { records, obs, recordsBeforeEnd };
}

function one(r: Run): Ja4Record {
  assert.equal(r.records.length, 1);
  return r.records[0];
}

function fingerprint(r: Run): Record<string, string> {
  const fps = r.obs.filter((o) => o.eventType === "ssh_fingerprint");
  assert.equal(fps.length, 1);
  return fps[0].fields;
}

/** Server banner first, then the client's, then both KEXINITs. */
function session(port = 40001): ScriptedConnection {
  return new ScriptedConnection(port, 22).handshake();
}

describe("SSH through the engine: reassembled handshakes", () => {
  test("a KEXINIT whose second segment is captured before its first", async () => {
    const c = session();
    c.send(false, `${SERVER_ID}\r\n`);
    c.send(true, `${CLIENT_ID}\r\n`);
    c.send(false, kexinitPacket(SERVER_LISTS));
    const k = kexinitPacket(CLIENT_LISTS);
    const s0 = c.seqOf(true);
    c.packet(true, PSH_ACK, k.subarray(60), s0 + 60);
    c.packet(true, PSH_ACK, k.subarray(0, 60), s0);
    const r = await run(c);
    const rec = one(r);
    assert.equal(rec.ssh_extras?.hassh, HASSH);
    assert.equal(rec.ssh_extras?.hassh_server, HASSH_SERVER);
    assert.equal(fingerprint(r).hassh, HASSH);
    // JA4SSH follows tshark's frames: the late first part is a retransmission to it.
    assert.deepEqual(rec.ja4ssh, ["c21s21_c2s2_c1s0"]);
  });

  test("any number of IGNORE packets before the KEXINIT, one of 40000 bytes among them", async () => {
    const c = session();
    c.send(false, `${SERVER_ID}\r\n`);
    c.send(true, `${CLIENT_ID}\r\n`);
    c.send(false, kexinitPacket(SERVER_LISTS));
    const all = Buffer.concat([
      ...Array.from({ length: 40 }, () => sshPacket(2, sshString("x".repeat(9)))),
      sshPacket(2, sshString(Buffer.alloc(40000, 0x5a))),
      kexinitPacket(CLIENT_LISTS),
    ]);
    for (let p = 0; p < all.length; p += 1400) c.send(true, all.subarray(p, Math.min(all.length, p + 1400)));
    const r = await run(c);
    // tshark: hassh in the 36th frame; reference JA4SSH over tshark's frames.
    assert.equal(one(r).ssh_extras?.hassh, HASSH);
    assert.deepEqual(one(r).ja4ssh, ["c21s21_c3s2_c1s0"]);
  });

  test("a 300-byte identification line (tshark, the FoxIO tool and OpenSSH read it)", async () => {
    const c = session();
    const id = `SSH-2.0-${"A".repeat(292)}`;
    c.send(false, `${SERVER_ID}\r\n`);
    c.send(true, `${id}\r\n`);
    c.send(false, kexinitPacket(SERVER_LISTS));
    c.send(true, kexinitPacket(CLIENT_LISTS));
    const r = await run(c);
    assert.equal(one(r).ssh_extras?.ssh_protocol_client, id);
    assert.equal(one(r).ssh_extras?.hassh, HASSH);
    assert.deepEqual(one(r).ja4ssh, ["c256s21_c2s2_c1s0"]);
    assert.equal(r.obs.find((o) => o.eventType === "ssh_client_banner")?.fields.ssh_version, id);
  });
});

describe("SSH through the engine: when a flow speaks SSH", () => {
  test("the server sends other lines before its identification, in the same segment (RFC 4253 §4.2)", async () => {
    const c = session();
    c.send(false, `Welcome to host\r\n${SERVER_ID}\r\n`);
    c.send(true, `${CLIENT_ID}\r\n`);
    c.send(false, kexinitPacket(SERVER_LISTS));
    c.send(true, kexinitPacket(CLIENT_LISTS));
    const r = await run(c);
    const rec = one(r);
    // tshark: hasshserver 354d9a8e... in frame 6; reference JA4SSH c21s38_c2s2_c1s0.
    assert.equal(rec.ssh_extras?.hassh_server, HASSH_SERVER);
    assert.equal(rec.ssh_extras?.ssh_protocol_server, SERVER_ID);
    assert.equal(rec.ssh_extras?.hassh, HASSH);
    assert.deepEqual(rec.ja4ssh, ["c21s38_c2s2_c1s0"]);
    assert.equal(fingerprint(r).ssh_server_version, SERVER_ID);
  });

  test("... in segments of their own: packets and ACKs before the decision count for JA4SSH", async () => {
    const c = session();
    c.send(false, "Welcome to host\r\n");
    c.packet(true, ACK);
    c.send(false, "Authorized use only\r\n");
    c.send(false, `${SERVER_ID}\r\n`);
    c.send(true, `${CLIENT_ID}\r\n`);
    c.send(false, kexinitPacket(SERVER_LISTS));
    c.send(true, kexinitPacket(CLIENT_LISTS));
    const r = await run(c);
    const rec = one(r);
    assert.equal(rec.ssh_extras?.hassh_server, HASSH_SERVER);
    assert.equal(rec.ssh_extras?.ssh_protocol_server, SERVER_ID);
    // Server: 4 SSH packets (both lines count), client: 2 bare ACKs.
    assert.deepEqual(rec.ja4ssh, ["c21s21_c2s4_c2s0"]);
  });

  test("an identification line split after 3 bytes", async () => {
    const c = session();
    c.send(true, "SSH");
    c.packet(false, ACK);
    c.send(true, "-2.0-OpenSSH_9.3\r\n");
    c.send(false, `${SERVER_ID}\r\n`);
    c.send(false, kexinitPacket(SERVER_LISTS));
    c.send(true, kexinitPacket(CLIENT_LISTS));
    const r = await run(c);
    const rec = one(r);
    assert.equal(rec.ssh_extras?.ssh_protocol_client, CLIENT_ID);
    assert.equal(rec.ssh_extras?.hassh, HASSH); // (tshark reads neither: it does not join the line)
    assert.equal(rec.ssh_extras?.hassh_server, HASSH_SERVER);
    assert.deepEqual(rec.ja4ssh, ["c3s21_c3s2_c1s1"]);
    assert.equal(r.obs.find((o) => o.eventType === "ssh_client_banner")?.fields.ssh_version, CLIENT_ID);
  });

  test("the other side's first bytes, sent before the decision, reach its reader", async () => {
    const c = session();
    c.send(false, "SS");
    c.send(true, `${CLIENT_ID}\r\n`);
    c.send(false, "H-2.0-OpenSSH_9.6\r\n");
    c.send(false, kexinitPacket(SERVER_LISTS));
    c.send(true, kexinitPacket(CLIENT_LISTS));
    const r = await run(c);
    const rec = one(r);
    assert.equal(rec.ssh_extras?.ssh_protocol_server, SERVER_ID);
    assert.equal(rec.ssh_extras?.hassh_server, HASSH_SERVER);
    assert.deepEqual(rec.ja4ssh, ["c21s2_c2s2_c1s0"]);
  });

  test("a segment starting with SSH- after a line without its end: tshark's identification", async () => {
    const c = session();
    c.send(false, "Welcome");
    c.send(false, `${SERVER_ID}\r\n`);
    c.send(true, `${CLIENT_ID}\r\n`);
    c.send(false, kexinitPacket(SERVER_LISTS));
    c.send(true, kexinitPacket(CLIENT_LISTS));
    const r = await run(c);
    // tshark: ssh.protocol "SSH-2.0-OpenSSH_9.6" in frame 5.
    assert.equal(one(r).ssh_extras?.ssh_protocol_server, SERVER_ID);
    assert.deepEqual(one(r).ja4ssh, ["c21s7_c2s3_c1s0"]);
  });

  test("an identification segment captured before the line it follows decides at once", async () => {
    // tshark dissects the early "SSH-2.0-OpenSSH_9.6" segment as the server's identification
    // (frame 4), so the server's later segment starting with "SSH-" is no identification
    // but a packet header whose length swallows what follows: reference c21s15_c3s3_c1s0.
    const c = session();
    const s0 = c.seqOf(false);
    const pre = Buffer.from("Welcome\r\n");
    c.packet(false, PSH_ACK, Buffer.from(`${SERVER_ID}\r\n`), s0 + pre.length);
    c.packet(false, PSH_ACK, pre, s0);
    c.advance(false, pre.length + SERVER_ID.length + 2);
    c.send(true, `${CLIENT_ID}\r\n`);
    c.send(false, kexinitPacket(SERVER_LISTS));
    c.send(true, kexinitPacket(CLIENT_LISTS));
    c.send(false, "SSH-2.0-again\r\n");
    c.send(false, Buffer.alloc(36, 3));
    c.send(true, Buffer.alloc(52, 4));
    c.send(false, Buffer.alloc(36, 5));
    const rec = one(await run(c));
    assert.equal(rec.ssh_extras?.ssh_protocol_server, SERVER_ID);
    assert.equal(rec.ssh_extras?.hassh_server, HASSH_SERVER);
    assert.deepEqual(rec.ja4ssh, ["c21s15_c3s3_c1s0"]);
  });

  test("a flow found to be SSH late is long-lived: 300 s idle does not split it", async () => {
    const c = session();
    c.send(false, "Welcome to host\r\n");
    c.packet(true, ACK);
    c.send(false, `${SERVER_ID}\r\n`);
    c.send(true, `${CLIENT_ID}\r\n`);
    c.send(false, kexinitPacket(SERVER_LISTS));
    c.send(true, kexinitPacket(CLIENT_LISTS));
    c.pause(300);
    c.send(true, Buffer.alloc(36, 1));
    c.send(false, Buffer.alloc(36, 2));
    c.packet(true, ACK);
    const r = await run(c);
    assert.deepEqual(one(r).ja4ssh, ["c21s17_c3s4_c3s0"]);
  });

  test("many segments before the server's identification still count", async () => {
    const c = session();
    for (let i = 0; i < 60; i++) c.send(true, "hello\r\n");
    c.send(false, `${SERVER_ID}\r\n`);
    c.send(false, kexinitPacket(SERVER_LISTS));
    const r = await run(c);
    assert.equal(one(r).ssh_extras?.hassh_server, HASSH_SERVER);
    assert.deepEqual(one(r).ja4ssh, ["c7s21_c60s2_c1s0"]);
  });

  test("bounded: after 64 segments without an identification the flow is not SSH", async () => {
    const c = session();
    for (let i = 0; i < 70; i++) c.send(true, "hello\r\n");
    c.send(false, `${SERVER_ID}\r\n`);
    c.send(false, kexinitPacket(SERVER_LISTS));
    const r = await run(c);
    assert.equal(r.obs.filter((o) => o.eventType.startsWith("ssh")).length, 0);
  });

  test("not SSH: HTTP, even with an SSH- line deep in the response; finalized at its FINs", async () => {
    const c = new ScriptedConnection(40010, 80).handshake();
    c.send(true, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    c.send(false, `HTTP/1.1 200 OK\r\nContent-Length: 71\r\n\r\n${"a\r\n".repeat(20)}SSH-2.0-x\r\n`);
    c.packet(true, FIN_ACK);
    c.packet(false, FIN_ACK);
    c.packet(true, ACK);
    const r = await run(c);
    assert.equal(r.obs.filter((o) => o.eventType.startsWith("ssh")).length, 0);
    const rec = one(r);
    assert.equal(rec.ja4ssh, undefined);
    assert.equal(rec.ssh_extras, undefined);
    assert.equal(r.recordsBeforeEnd, 1); // no SSH linger after FIN
  });

  test("a flow still undecided at its FINs is finalized then, as any non-SSH flow", async () => {
    const c = new ScriptedConnection(40011, 7000).handshake();
    c.send(true, "hello\r\n");
    c.send(false, "a\r\nb\r\n");
    c.packet(true, FIN_ACK);
    c.packet(false, FIN_ACK);
    c.packet(true, ACK);
    const r = await run(c);
    assert.equal(r.records.length, 1);
    assert.equal(r.recordsBeforeEnd, 1);
    assert.equal(r.records[0].ja4ssh, undefined);
  });
});

describe("SSH through the engine: text as tshark shows it", () => {
  test("lowercase ssh-, control characters, non-ASCII bytes", async () => {
    const c = session();
    c.send(false, "ssh-2.0-lower\r\n");
    c.send(true, Buffer.from("SSH-2.0-Caf\xc3\xa9\tx\r\r\n", "latin1"));
    c.send(false, kexinitPacket(SERVER_LISTS));
    c.send(true, kexinitPacket(CLIENT_LISTS));
    const r = await run(c);
    const rec = one(r);
    // tshark 4.0.17 -T json: ssh.protocol "ssh-2.0-lower" and "SSH-2.0-Caf\ufffd\ufffd\tx\r".
    assert.equal(rec.ssh_extras?.ssh_protocol_server, "ssh-2.0-lower");
    assert.equal(rec.ssh_extras?.ssh_protocol_client, "SSH-2.0-Caf\ufffd\ufffd\tx\r");
    assert.equal(rec.ssh_extras?.hassh, HASSH);
    assert.equal(rec.ssh_extras?.hassh_server, HASSH_SERVER);
    assert.deepEqual(rec.ja4ssh, ["c18s15_c2s2_c1s0"]);
  });

  test("a NUL ends a name-list for the cipher choice, as in tshark's fields", async () => {
    const client = [...CLIENT_LISTS];
    client[2] = "aes128-ctr\u0000hidden,aes256-ctr";
    const server = [...SERVER_LISTS];
    server[3] = "aes256-ctr";
    const c = session();
    c.send(false, `${SERVER_ID}\r\n`);
    c.send(true, `${CLIENT_ID}\r\n`);
    c.send(true, kexinitPacket(client));
    c.send(false, kexinitPacket(server));
    const rec = one(await run(c));
    // tshark: encryption_algorithms_client_to_server "aes128-ctr", hassh a7c089f0...,
    // hasshserver a9eaa57b...; no server s2c name is in the client's list as tshark shows it.
    assert.equal(rec.ssh_extras?.hassh, "a7c089f09d21ad1a6deadd45e397421e");
    assert.equal(rec.ssh_extras?.hassh_server, "a9eaa57bdda7ff763187a45f2528f47d");
    assert.equal(rec.ssh_extras?.encryption_algorithm, null);
  });
});
