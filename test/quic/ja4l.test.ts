// JA4L for QUIC on hand-built packets. Expected values come from the JA4L.md QUIC steps
// (A client Initial, B server Initial, C the server's last Handshake packet before the
// client's, D the client's Handshake packet; JA4L-C = (D − C) / 2 _ client TTL, JA4L-S =
// (B − A) / 2 _ server TTL, integer µs) and from the reference tool's rules for what counts
// (first packet of a datagram, port 443 decides the sender), not from our own output.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  QuicJa4l,
  QuicJa4lPacket,
  QuicJa4lSender,
  quicJa4lPacketKind,
} from "../../src/fingerprint/quic/ja4l-quic.js";
import { SnifferEngine } from "../../src/sniffer/engine.js";
import type { Ja4Record } from "../../src/sniffer/ja4-record.js";
import { ether, frameOf, ipv4, ipv6, udp } from "../decode/build.js";
import { buildClientHello, cryptoFrame, PING, padding, protectInitial, V1, V2 } from "./builder.js";

const DCID = Buffer.from("0011223344556677", "hex");
const SCID = Buffer.from("a1a2a3a4", "hex");

type Kind = "initial" | "zeroRtt" | "handshake" | "retry";

/** Long-header type bits on the wire, per version (RFC 9000 §17.2, RFC 9369 §3.2). */
function typeBits(version: number, kind: Kind): number {
  const v1 = { initial: 0, zeroRtt: 1, handshake: 2, retry: 3 }[kind];
  return version === V2 ? (v1 + 1) & 3 : v1;
}

/** One protected long-header packet of `kind` (only its header matters to JA4L). */
function packet(version: number, kind: Exclude<Kind, "retry">, pn: number, payload: Buffer = PING): Buffer {
  return protectInitial({
    version,
    dcid: DCID,
    scid: SCID,
    pn,
    pnLen: 1,
    payload,
    typeBits: kind === "initial" ? undefined : typeBits(version, kind),
  });
}

/** A Retry packet: type bits, version, CIDs, token, 16-byte integrity tag (RFC 9000 §17.2.5). */
function retry(version: number): Buffer {
  const bits = typeBits(version, "retry");
  const v = Buffer.alloc(4);
  v.writeUInt32BE(version >>> 0);
  return Buffer.concat([
    Buffer.from([0xc0 | (bits << 4)]),
    v,
    Buffer.from([SCID.length]),
    SCID,
    Buffer.from([DCID.length]),
    DCID,
    Buffer.from("746f6b656e", "hex"),
    Buffer.alloc(16, 0x77),
  ]);
}

const kindOf = (d: Buffer) => quicJa4lPacketKind(d, 0, d.length);

describe("QUIC JA4L: packet kinds (header.ts types, v1 and v2)", () => {
  for (const version of [V1, V2]) {
    const name = version === V1 ? "v1" : "v2";
    test(`${name}: Initial, Handshake; 0-RTT and Retry are neither`, () => {
      assert.equal(kindOf(packet(version, "initial", 0)), QuicJa4lPacket.Initial);
      assert.equal(kindOf(packet(version, "handshake", 0)), QuicJa4lPacket.Handshake);
      assert.equal(kindOf(packet(version, "zeroRtt", 0)), QuicJa4lPacket.Other);
      assert.equal(kindOf(retry(version)), QuicJa4lPacket.Other);
    });

    test(`${name}: a datagram counts by its first packet`, () => {
      const ih = Buffer.concat([packet(version, "initial", 1), packet(version, "handshake", 0)]);
      assert.equal(kindOf(ih), QuicJa4lPacket.Initial);
      const hi = Buffer.concat([packet(version, "handshake", 0), packet(version, "initial", 1)]);
      assert.equal(kindOf(hi), QuicJa4lPacket.Handshake);
    });
  }

  test("v2 type bits are not read as v1's (0b01 is Initial in v2, 0-RTT in v1)", () => {
    const v2Initial = packet(V2, "initial", 0);
    assert.equal((v2Initial[0] >> 4) & 3, 1);
    assert.equal(kindOf(v2Initial), QuicJa4lPacket.Initial);
    const v1ZeroRtt = packet(V1, "zeroRtt", 0);
    assert.equal((v1ZeroRtt[0] >> 4) & 3, 1);
    assert.equal(kindOf(v1ZeroRtt), QuicJa4lPacket.Other);
  });

  test("short headers, version negotiation, other versions, junk: Other, never a throw", () => {
    assert.equal(kindOf(Buffer.from("4f0102030405060708090a0b0c0d0e0f", "hex")), QuicJa4lPacket.Other);
    const vn = Buffer.from("c000000000080011223344556677040102030400000001", "hex");
    assert.equal(kindOf(vn), QuicJa4lPacket.Other);
    const draft = packet(V1, "initial", 0);
    draft.writeUInt32BE(0xff00001d, 1);
    assert.equal(kindOf(draft), QuicJa4lPacket.Other);
    assert.equal(kindOf(Buffer.alloc(0)), QuicJa4lPacket.Other);
    assert.equal(kindOf(packet(V1, "initial", 0).subarray(0, 9)), QuicJa4lPacket.Other);
    const b = packet(V1, "handshake", 0);
    assert.equal(quicJa4lPacketKind(b, 5, b.length), QuicJa4lPacket.Other, "bounds past the buffer");
  });
});

describe("QUIC JA4L: the A, B, C, D state machine", () => {
  const { Client, Server } = QuicJa4lSender;
  const { Initial, Handshake, Other } = QuicJa4lPacket;
  // JA4L.md's example values (11_128, 1759_42) from hand-worked times: B − A = 3518 µs,
  // D − C = 22 µs; client TTL 128 (its Initial), server TTL 42 (its Initial).
  const A = 1_700_000_000_000_000;

  test("JA4L.md steps 1–5: several server Handshake packets, C is the last before D", () => {
    const t = new QuicJa4l();
    assert.equal(t.observe(Client, Initial, A, 128), false);
    assert.equal(t.observe(Server, Initial, A + 3518, 42), false);
    assert.equal(t.observe(Server, Handshake, A + 3600, 42), false);
    assert.equal(t.observe(Server, Handshake, A + 3700, 42), false);
    assert.equal(t.observe(Server, Handshake, A + 3800, 42), false);
    assert.equal(t.client(), undefined, "nothing before D");
    assert.equal(t.server(), undefined, "both values or neither");
    assert.equal(t.observe(Client, Handshake, A + 3822, 128), true);
    assert.equal(t.client(), "11_128");
    assert.equal(t.server(), "1759_42");
    // Later packets change nothing.
    t.observe(Server, Handshake, A + 9000, 1);
    t.observe(Client, Handshake, A + 9100, 1);
    assert.equal(t.client(), "11_128");
    assert.equal(t.server(), "1759_42");
  });

  test("halves are truncated integer microseconds; TTLs from A and B, not C or D", () => {
    const t = new QuicJa4l();
    t.observe(Client, Initial, A, 64);
    t.observe(Server, Initial, A + 8427, 59);
    t.observe(Server, Handshake, A + 9000, 200);
    t.observe(Client, Handshake, A + 9119, 201);
    assert.equal(t.server(), "4213_59");
    assert.equal(t.client(), "59_64");
  });

  test("out-of-order and other packets are ignored", () => {
    const t = new QuicJa4l();
    t.observe(Server, Initial, A - 50, 1); // no client Initial yet
    t.observe(Client, Handshake, A - 40, 1);
    t.observe(Client, Other, A - 30, 1);
    t.observe(Client, Initial, A, 128); // A
    t.observe(Client, Initial, A + 1000, 99); // a second client Initial keeps the first A
    t.observe(Server, Other, A + 1500, 1); // a Retry or 0-RTT is not B
    t.observe(Server, Handshake, A + 1800, 1); // no B yet: not C
    t.observe(Server, Initial, A + 2000, 57); // B
    t.observe(Client, Handshake, A + 2100, 1); // no C yet: not D
    t.observe(Client, Initial, A + 2200, 1);
    t.observe(Server, Initial, A + 2300, 1); // a later server Initial does not move B or C
    assert.equal(t.complete, false);
    t.observe(Server, Handshake, A + 2400, 1); // C
    t.observe(Server, Initial, A + 2450, 1); // still C
    t.observe(Client, Initial, A + 2460, 1); // a client Initial (even coalesced with Handshake) is not D
    assert.equal(t.observe(Client, Handshake, A + 2500, 1), true); // D
    assert.equal(t.server(), "1000_57");
    assert.equal(t.client(), "50_128");
  });

  test("no sender (no port 443): nothing", () => {
    const t = new QuicJa4l();
    t.observe(QuicJa4lSender.None, Initial, A, 64);
    t.observe(QuicJa4lSender.None, Initial, A + 10, 64);
    t.observe(QuicJa4lSender.None, Handshake, A + 20, 64);
    t.observe(QuicJa4lSender.None, Handshake, A + 30, 64);
    assert.equal(t.complete, false);
    assert.equal(t.client(), undefined);
  });
});

// ---------------------------------------------------------------------------------------
// Through the engine: UDP datagrams in IPv4/IPv6 frames, the record's ja4l_c / ja4l_s.

const CLIENT4 = "198.51.100.7";
const SERVER4 = "10.13.0.10";
const CLIENT6 = "2001:db8::7";
const SERVER6 = "2001:db8::10";

interface Dgram {
  fromClient: boolean;
  payload: Buffer;
  /** Capture time since the first datagram (µs). */
  atUs: number;
  ttl: number;
}

function runUdp(dgrams: Dgram[], o: { v6?: boolean; cport?: number; sport?: number } = {}): Ja4Record[] {
  const records: Ja4Record[] = [];
  const engine = new SnifferEngine({ onObservation: () => {}, onFlowRecord: (r) => records.push({ ...r }) });
  const cport = o.cport ?? 50280;
  const sport = o.sport ?? 443;
  const t0 = 1_700_000_000_000_000;
  for (const d of dgrams) {
    const u = d.fromClient ? udp(cport, sport, d.payload) : udp(sport, cport, d.payload);
    const src = d.fromClient ? (o.v6 ? CLIENT6 : CLIENT4) : o.v6 ? SERVER6 : SERVER4;
    const dst = d.fromClient ? (o.v6 ? SERVER6 : SERVER4) : o.v6 ? CLIENT6 : CLIENT4;
    const ip = o.v6
      ? ether(0x86dd, ipv6({ src, dst, nh: 17, payload: u, hopLimit: d.ttl }))
      : ether(0x0800, ipv4({ src, dst, proto: 17, payload: u, ttl: d.ttl }));
    engine.handleFrame(frameOf(1, ip, { tsUs: t0 + d.atUs }));
  }
  engine.finish();
  return records;
}

/** A client's first datagram: one Initial carrying a whole ClientHello, padded to 1200 bytes. */
function clientFirst(version: number): Buffer {
  const ch = buildClientHello("ja4l.example", 0);
  const p = protectInitial({ version, dcid: DCID, scid: SCID, pn: 0, pnLen: 1, payload: cryptoFrame(0, ch) });
  return Buffer.concat([p, padding(Math.max(0, 1200 - p.length))]);
}

/** A handshake as JA4L.md describes it, with `version`'s packet types. */
function handshake(version: number): Dgram[] {
  return [
    { fromClient: true, payload: clientFirst(version), atUs: 0, ttl: 128 }, // A
    // B: the server's Initial, its Handshake packets coalesced after it (a datagram counts as Initial).
    {
      fromClient: false,
      payload: Buffer.concat([packet(version, "initial", 0), packet(version, "handshake", 0)]),
      atUs: 3518,
      ttl: 42,
    },
    { fromClient: false, payload: packet(version, "handshake", 1), atUs: 3600, ttl: 42 },
    { fromClient: false, payload: packet(version, "handshake", 2), atUs: 3700, ttl: 42 }, // C
    // The client's Initial ACK coalesced with its Handshake packet: an Initial datagram, not D.
    {
      fromClient: true,
      payload: Buffer.concat([packet(version, "initial", 1), packet(version, "handshake", 0)]),
      atUs: 3710,
      ttl: 128,
    },
    { fromClient: false, payload: packet(version, "handshake", 3), atUs: 3800, ttl: 42 }, // C moves here
    { fromClient: true, payload: packet(version, "handshake", 1), atUs: 3822, ttl: 128 }, // D
    // 1-RTT (short header) traffic afterwards.
    { fromClient: true, payload: Buffer.from("40aabbccddeeff00112233", "hex"), atUs: 4000, ttl: 128 },
    { fromClient: false, payload: Buffer.from("40aabbccddeeff00112233", "hex"), atUs: 4100, ttl: 42 },
  ];
}

describe("QUIC JA4L through the engine", () => {
  for (const version of [V1, V2]) {
    const name = version === V1 ? "v1" : "v2";
    test(`${name}: ja4l_c and ja4l_s on the connection record, after the ClientHello`, () => {
      const records = runUdp(handshake(version));
      assert.equal(records.length, 1);
      const r = records[0];
      assert.equal(r.transport, "udp");
      assert.ok(r.ja4?.startsWith("q"), "the ClientHello was read too");
      assert.equal(r.ja4l_c, "11_128");
      assert.equal(r.ja4l_s, "1759_42");
    });
  }

  test("IPv6: the hop limit is the TTL part", () => {
    const d = handshake(V1).map((x) => ({ ...x, ttl: x.fromClient ? 64 : 56 }));
    const [r] = runUdp(d, { v6: true });
    assert.equal(r.ja4l_c, "11_64");
    assert.equal(r.ja4l_s, "1759_56");
  });

  test("a handshake without the client's Handshake packet has no JA4L", () => {
    const d = handshake(V1).filter((x) => !(x.fromClient && x.atUs === 3822));
    const [r] = runUdp(d);
    assert.ok(r.ja4 !== undefined);
    assert.equal(r.ja4l_c, undefined);
    assert.equal(r.ja4l_s, undefined);
  });

  test("a server on another port than 443 is timed by the flow's orientation (the reference goes by port 443)", () => {
    const [r] = runUdp(handshake(V1), { sport: 8443 });
    assert.ok(r.ja4 !== undefined);
    assert.equal(r.ja4l_c, "11_128");
    assert.equal(r.ja4l_s, "1759_42");
  });

  test("a ClientHello that cannot be read still leaves a record with JA4L", () => {
    // The first Initial carries no CRYPTO frame (PINGs only); the extractor waits, timing goes on.
    const d = handshake(V1);
    const p = protectInitial({ version: V1, dcid: DCID, scid: SCID, pn: 0, pnLen: 1, payload: PING });
    d[0] = { ...d[0], payload: Buffer.concat([p, padding(1200 - p.length)]) };
    const [r] = runUdp(d);
    assert.equal(r.ja4, undefined);
    assert.equal(r.ja4l_c, "11_128");
    assert.equal(r.ja4l_s, "1759_42");
  });
});

describe("QUIC after a Version Negotiation (RFC 9000 §6)", () => {
  test("the client's retry on the same socket is fingerprinted; a flow of non-QUIC datagrams is given up", () => {
    // An Initial-shaped datagram of a version the server does not speak, its Version
    // Negotiation, then the client's v1 Initial from the same ports.
    const unknown = Buffer.alloc(1200);
    unknown[0] = 0xc0;
    unknown.writeUInt32BE(0x1a2a3a4a, 1);
    unknown[5] = 8;
    DCID.copy(unknown, 6);
    const vn = Buffer.concat([
      Buffer.from([0x80, 0, 0, 0, 0, 8]),
      DCID,
      Buffer.from([0]),
      Buffer.from([0, 0, 0, 1]),
    ]);
    const records = runUdp([
      { fromClient: true, payload: unknown, atUs: 0, ttl: 64 },
      { fromClient: false, payload: vn, atUs: 500, ttl: 64 },
      { fromClient: true, payload: clientFirst(V1), atUs: 1000, ttl: 64 },
    ]);
    assert.equal(records.length, 1);
    assert.match(records[0].ja4 ?? "", /^q13d/);
    assert.equal(records[0].tls_server_name, "ja4l.example");
    // Four client datagrams that are not QUIC: the fifth, an Initial, is no longer looked at.
    const junk = (i: number) => ({ fromClient: true, payload: Buffer.from([0x40, i]), atUs: i, ttl: 64 });
    const late = runUdp([
      junk(1),
      junk(2),
      junk(3),
      junk(4),
      { fromClient: true, payload: clientFirst(V1), atUs: 9, ttl: 64 },
    ]);
    assert.equal(late.length, 0);
  });
});
