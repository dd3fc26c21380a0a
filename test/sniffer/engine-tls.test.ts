/**
 * The engine end to end on hand-built TCP sessions: handshakes split across segments
 * (out of order, retransmitted) and records must still produce the reference
 * fingerprints.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readCapture } from "../../src/capture/file-source.js";
import { tlsCannotFollow } from "../../src/sniffer/analyzers/tls.js";
import { SnifferEngine } from "../../src/sniffer/engine.js";
import type { Ja4Record } from "../../src/sniffer/ja4-record.js";
import type { Observation } from "../../src/sniffer/observation.js";
import { loadExpected } from "../conformance/corpus.js";
import { ether, frameOf, ipv4, tcp } from "../decode/build.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { runSegments, type Segment } from "../helpers/tcp-session.js";
import {
  alpnExt,
  cat,
  clientHelloBody,
  ext,
  groupsExt,
  handshake,
  pointFormatsExt,
  record,
  sigAlgsExt,
  sniExt,
  supportedVersionsExt,
} from "../tls/build.js";

const CLIENT = "198.51.100.7";
const SERVER = "10.13.0.10";
const CPORT = 40001;
const SPORT = 443;
const CISN = 1_000_000;
const SISN = 4_000_000_000; // server sequence numbers wrap inside the session

type Seg = Segment;

function run(segs: Seg[]): { records: Ja4Record[]; obs: Observation[] } {
  return runSegments(segs, {
    ends: { client: CLIENT, server: SERVER, clientPort: CPORT, serverPort: SPORT },
  });
}

const SYN = 0x02;
const ACK = 0x10;
const PSH_ACK = 0x18;

/** A session whose client and server streams are cut into the given pieces and orders. */
function session(
  clientStream: Buffer,
  clientCuts: number[],
  clientOrder: number[],
  serverStream: Buffer,
  serverCut: number,
): Seg[] {
  const segs: Seg[] = [
    { fromClient: true, flags: SYN, seq: CISN },
    { fromClient: false, flags: SYN | ACK, seq: SISN, ack: CISN + 1 },
    { fromClient: true, flags: ACK, seq: CISN + 1, ack: SISN + 1 },
  ];
  const pieces: [number, number][] = [];
  let prev = 0;
  for (const c of [...clientCuts, clientStream.length]) {
    pieces.push([prev, c]);
    prev = c;
  }
  for (const i of clientOrder) {
    const [a, b] = pieces[i];
    segs.push({
      fromClient: true,
      flags: PSH_ACK,
      seq: (CISN + 1 + a) >>> 0,
      payload: clientStream.subarray(a, b),
    });
  }
  for (let o = 0; o < serverStream.length; o += serverCut) {
    segs.push({
      fromClient: false,
      flags: PSH_ACK,
      seq: (SISN + 1 + o) >>> 0,
      payload: serverStream.subarray(o, Math.min(serverStream.length, o + serverCut)),
    });
  }
  return segs;
}

describe("engine: TLS across segments", () => {
  test("hand-built ClientHello in 3 segments, out of order, one retransmitted → JA4 worked out by hand", () => {
    // GREASE 0x0a0a in ciphers, extensions, groups and versions; SNI and ALPN "h2".
    const body = clientHelloBody({
      ciphers: [0x0a0a, 0x1301, 0x1302, 0xc02b],
      extensions: [
        ext(0x0a0a),
        sniExt("decoy.example"),
        alpnExt(["h2", "http/1.1"]),
        groupsExt([0x0a0a, 0x001d, 0x0017]),
        pointFormatsExt([0]),
        sigAlgsExt([0x0403, 0x0804, 0x0401]),
        supportedVersionsExt([0x0a0a, 0x0304, 0x0303]),
      ],
    });
    const stream = record(22, handshake(1, body));
    const { records, obs } = run(session(stream, [40, 90], [2, 0, 1, 0], Buffer.alloc(0), 1));
    // JA4 by hand (FoxIO JA4.md): t, version 13 (highest supported_versions), d (SNI),
    // 03 ciphers, 06 extensions (GREASE dropped; SNI and ALPN counted), ALPN "h2".
    // Ciphers sorted: 1301,1302,c02b. Extensions sorted without SNI (0000) and ALPN (0010):
    // 000a,000b,000d,002b; then signature algorithms in wire order.
    const sha12 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 12);
    const expected = `t13d0306h2_${sha12("1301,1302,c02b")}_${sha12("000a,000b,000d,002b_0403,0804,0401")}`;
    assert.equal(records.length, 1);
    assert.equal(records[0].ja4, expected);
    assert.equal(records[0].tls_server_name, "decoy.example");
    // JA3 by hand: legacy version 771, GREASE stripped from every list.
    const ja3Full = "771,4865-4866-49195,0-16-10-11-13-43,29-23,0";
    assert.equal(records[0].ja3_full, ja3Full);
    const hello = obs.find((o) => o.eventType === "tls_client_hello");
    assert.ok(hello);
    assert.equal(hello.fields.ja3, createHash("md5").update(ja3Full).digest("hex"));
    assert.equal(hello.fields.src_ip, CLIENT);
    assert.equal(hello.fields.alpn, "h2,http/1.1");
    assert.equal(hello.fields.raw_ciphers, "4865-4866-49195");
    assert.equal(hello.fields.ja4l_rtt_ms, "1.0"); // SYN → SYN-ACK = 1000 µs of packet time
    assert.equal(hello.fields.ja4l_client_ttl, "52");
  });

  test("a hole that never fills: the ClientHello behind it is still read when the capture ends", () => {
    const body = clientHelloBody({ ciphers: [0x1301], extensions: [sniExt("behind.example")] });
    // Ten bytes the capture lost, then a whole ClientHello record; no FIN: the flow ends at shutdown.
    const stream = cat(Buffer.alloc(10, 0x41), record(22, handshake(1, body)));
    const { records, obs } = run(session(stream, [10], [1], Buffer.alloc(0), 1));
    assert.equal(records.length, 1);
    assert.equal(records[0].tls_server_name, "behind.example");
    assert.equal(obs.filter((o) => o.eventType === "tls_client_hello").length, 1);
  });

  test("no stream analyzer left: out-of-order data is neither reassembled nor copied", () => {
    const engine = new SnifferEngine({ analyzers: ["tcp"], onObservation: () => {} });
    let ts = 1_700_000_000_000_000;
    const send = (fromClient: boolean, flags: number, seq: number, payload?: Buffer) => {
      const t = tcp({
        sport: fromClient ? CPORT : SPORT,
        dport: fromClient ? SPORT : CPORT,
        seq,
        flags,
        payload,
      });
      const src = fromClient ? CLIENT : SERVER;
      const dst = fromClient ? SERVER : CLIENT;
      ts += 1000;
      engine.handleFrame(frameOf(1, ether(0x0800, ipv4({ src, dst, proto: 6, payload: t })), { tsUs: ts }));
    };
    send(true, SYN, CISN);
    send(false, SYN | ACK, SISN);
    send(true, PSH_ACK, CISN + 1, Buffer.alloc(100, 1));
    send(false, PSH_ACK, SISN + 1, Buffer.alloc(100, 2));
    send(true, PSH_ACK, CISN + 1 + 1000, Buffer.alloc(100, 3)); // behind a hole
    assert.equal(engine.table.budget.used, 0);
    engine.finish();
  });

  test("corpus handshake re-cut: ClientHello out of order, certificate chain over many segments and records", {
    skip: skipWithoutCorpus(),
  }, async () => {
    const dir = corpusDir()!;
    const name = "badcurveball.pcap";
    // Take the two TCP payload streams of the capture as they were sent.
    const client: Buffer[] = [];
    const server: Buffer[] = [];
    const engine = new SnifferEngine({ onObservation: () => {} });
    const p = engine.decoder;
    const { newDecodedPacket } = await import("../../src/decode/packet.js");
    const d = newDecodedPacket();
    await readCapture(join(dir, name), (f) => {
      if (!p.decode(f, d) || d.payloadLen === 0) return;
      (d.dstPort === 443 ? client : server).push(
        Buffer.from(d.buf.subarray(d.payloadOff, d.payloadOff + d.payloadLen)),
      );
    });
    const clientStream = Buffer.concat(client);
    // Server handshake records re-framed: every record's content re-cut into 200-byte records.
    const serverRaw = Buffer.concat(server);
    const reframed: Buffer[] = [];
    for (let o = 0; o + 5 <= serverRaw.length; ) {
      const type = serverRaw[o];
      const len = serverRaw.readUInt16BE(o + 3);
      const frag = serverRaw.subarray(o + 5, o + 5 + len);
      if (type === 22)
        for (let q = 0; q < frag.length; q += 200) reframed.push(record(22, frag.subarray(q, q + 200)));
      else reframed.push(serverRaw.subarray(o, o + 5 + len));
      o += 5 + len;
    }
    const serverStream = cat(...reframed);
    const { records } = run(session(clientStream, [100, 300], [1, 2, 0, 1], serverStream, 97));
    const exp = loadExpected(dir, name)[0];
    assert.equal(records.length, 1);
    assert.equal(records[0].ja4, exp.ja4);
    assert.equal(records[0].ja4s, exp.ja4s);
    assert.equal(records[0].tls_server_name, exp.tls_server_name);
    assert.deepEqual(records[0].tls_certs, exp.tls_certs);
  });
});

describe("engine: where TLS may start later", () => {
  test("tlsCannotFollow: SSH banners and non-CONNECT HTTP requests end the watch; STARTTLS protocols, CONNECT and SOCKS do not", () => {
    const cases: [boolean, string, boolean][] = [
      [true, "SSH-2.0-OpenSSH_9.2p1\r\n", true],
      [false, "SSH-2.0-OpenSSH_9.2p1 Debian\r\n", true],
      [true, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true],
      [true, "POST /login HTTP/1.0\r\n", true],
      [true, "GET http://a.example/ HTTP/1.1\r\n", true], // proxied plain request
      [true, "OPTIONS * HTTP/1.1\r\n", true],
      [true, "CONNECT a.example:443 HTTP/1.1\r\n\r\n", false],
      [true, "EHLO mail.example\r\n", false], // SMTP: STARTTLS may follow
      [true, "A001 STARTTLS\r\n", false], // IMAP
      [true, "AUTH TLS\r\n", false], // FTP
      [true, "GET /a-request-line-cut-before-its-version", false],
      [true, "GET / HTTPS/1.1\r\n", false],
      [false, "HTTP/1.1 200 Connection established\r\n\r\n", false],
      [false, "220 mail.example ESMTP\r\n", false],
      [true, "\x05\x01\x00", false], // SOCKS5
    ];
    for (const [fromClient, text, want] of cases) {
      const b = Buffer.concat([Buffer.from("junk"), Buffer.from(text, "latin1")]);
      assert.equal(
        tlsCannotFollow(fromClient, b, 4, b.length - 4),
        want,
        `${fromClient ? "client" : "server"}: ${JSON.stringify(text)}`,
      );
    }
  });

  // A ClientHello record after a first exchange of another protocol.
  const hello = cat(
    record(22, handshake(1, clientHelloBody({ ciphers: [0x1301], extensions: [sniExt("late.example")] }))),
  );
  function laterTls(first: string, reply: string): Observation[] {
    const c1 = Buffer.from(first, "latin1");
    const s1 = Buffer.from(reply, "latin1");
    const segs: Seg[] = [
      { fromClient: true, flags: SYN, seq: CISN },
      { fromClient: false, flags: SYN | ACK, seq: SISN, ack: CISN + 1 },
      { fromClient: true, flags: ACK, seq: CISN + 1, ack: SISN + 1 },
      { fromClient: true, flags: PSH_ACK, seq: CISN + 1, payload: c1 },
      { fromClient: false, flags: PSH_ACK, seq: SISN + 1, payload: s1 },
      { fromClient: true, flags: PSH_ACK, seq: CISN + 1 + c1.length, payload: hello },
    ];
    return run(segs).obs.filter((o) => o.eventType === "tls_client_hello");
  }

  test("a ClientHello after CONNECT or SMTP STARTTLS is read; after an SSH banner or a GET it is not", () => {
    assert.equal(laterTls("CONNECT late.example:443 HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n").length, 1);
    assert.equal(laterTls("STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n").length, 1);
    assert.equal(laterTls("SSH-2.0-OpenSSH_9.2\r\n", "SSH-2.0-OpenSSH_9.2\r\n").length, 0);
    assert.equal(laterTls("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n").length, 0);
  });
});
