// QuicClientHelloExtractor over packets built with the test-side protector (builder.ts):
// multi-packet ClientHellos in any order, coalesced packets, duplicate/overlapping CRYPTO frames,
// Retry, QUIC v2, limits.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { MAX_KEY_DERIVATIONS } from "../../src/fingerprint/quic/initial-keys.js";
import {
  isQuicInitial,
  MAX_CLIENT_DATAGRAMS,
  MAX_PENDING_PACKETS,
  QuicClientHelloExtractor,
} from "../../src/fingerprint/quic/quic-client-hello.js";
import { buildClientHello, cryptoFrame, PING, padding, protectInitial, V1, V2 } from "./builder.js";
import { sniOf } from "./sni.js";

const DCID = Buffer.from("0011223344556677", "hex");
const SERVER_CID = Buffer.from("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4", "hex");
const CLIENT_CID = Buffer.from("c1c2c3c4", "hex");

/** A ClientHello bigger than one packet (like Chrome's with an ML-KEM key share). */
const BIG_CH = buildClientHello("big.example.net", 2200);

/** Zero bytes after the packets make the datagram ≥ 1200 bytes, as clients do (RFC 9000 §14.1). */
function datagram(...packets: Buffer[]): Buffer {
  const d = Buffer.concat(packets);
  return d.length >= 1200 ? d : Buffer.concat([d, padding(1200 - d.length)]);
}

function initial(
  pn: number,
  payload: Buffer,
  opts: { dcid?: Buffer; keyDcid?: Buffer; version?: number; token?: Buffer } = {},
): Buffer {
  return protectInitial({
    version: opts.version ?? V1,
    dcid: opts.dcid ?? DCID,
    keyDcid: opts.keyDcid ?? DCID,
    scid: CLIENT_CID,
    token: opts.token,
    pn,
    pnLen: pn < 256 ? 1 : 2,
    payload,
  });
}

function feed(x: QuicClientHelloExtractor, dgrams: Buffer[]): (Buffer | undefined)[] {
  return dgrams.map((d) => x.pushDatagram(d, 0, d.length, true));
}

/** Exactly one datagram (the last) yields the ClientHello, and it equals `ch`. */
function assertYieldsAtEnd(results: (Buffer | undefined)[], ch: Buffer): void {
  for (let i = 0; i < results.length - 1; i++)
    assert.equal(results[i], undefined, `datagram ${i} yields nothing`);
  assert.deepEqual(results[results.length - 1], ch);
}

describe("multi-packet ClientHello", () => {
  const a = BIG_CH.subarray(0, 1100);
  const b = BIG_CH.subarray(1100);

  test("two Initials in order", () => {
    const x = new QuicClientHelloExtractor();
    const r = feed(x, [datagram(initial(0, cryptoFrame(0, a))), datagram(initial(1, cryptoFrame(1100, b)))]);
    assertYieldsAtEnd(r, BIG_CH);
    assert.equal(sniOf(r[1]!), "big.example.net");
  });

  test("two Initials in reverse order (same DCID)", () => {
    const x = new QuicClientHelloExtractor();
    const r = feed(x, [datagram(initial(1, cryptoFrame(1100, b))), datagram(initial(0, cryptoFrame(0, a)))]);
    assertYieldsAtEnd(r, BIG_CH);
  });

  test("reverse order where the later Initial carries the server's CID (keys stay the first DCID's)", () => {
    const x = new QuicClientHelloExtractor();
    const second = datagram(initial(1, cryptoFrame(1100, b), { dcid: SERVER_CID, keyDcid: DCID }));
    const r = feed(x, [second, datagram(initial(0, cryptoFrame(0, a)))]);
    assertYieldsAtEnd(r, BIG_CH);
    assert.equal(
      x.counters.get("quic.decrypt.aead_failed"),
      1,
      "the early packet failed once, then was retried",
    );
  });

  test("in order, later Initial with the server's CID, server datagrams interleaved and ignored", () => {
    const x = new QuicClientHelloExtractor();
    const serverInitial = protectInitial({
      dcid: CLIENT_CID,
      scid: SERVER_CID,
      pn: 0,
      payload: cryptoFrame(0, Buffer.from([2, 0, 0, 1, 0])),
      keyDcid: DCID,
    });
    assert.equal(x.pushDatagram(datagram(initial(0, cryptoFrame(0, a))), 0, 1200, true), undefined);
    assert.equal(x.pushDatagram(serverInitial, 0, serverInitial.length, false), undefined);
    assert.equal(x.pushDatagram(randomBytes(300), 0, 300, false), undefined);
    const last = datagram(initial(1, cryptoFrame(1100, b), { dcid: SERVER_CID }));
    assert.deepEqual(x.pushDatagram(last, 0, last.length, true), BIG_CH);
    assert.equal(x.counters.get("quic.decrypt.aead_failed"), 0);
  });

  test("three Initials, every order", () => {
    const parts = [BIG_CH.subarray(0, 900), BIG_CH.subarray(900, 1800), BIG_CH.subarray(1800)];
    const offs = [0, 900, 1800];
    const perms = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (const perm of perms) {
      const x = new QuicClientHelloExtractor();
      const r = feed(
        x,
        perm.map((i) => datagram(initial(i, cryptoFrame(offs[i], parts[i])))),
      );
      assertYieldsAtEnd(r, BIG_CH);
    }
  });

  test("a truncated packet number is decoded against the largest one seen (RFC 9000 §17.1)", () => {
    // pn 301 sent in one byte (0x2d) after pn 300: only the full number opens the AEAD.
    const first = protectInitial({ dcid: DCID, pn: 300, pnLen: 2, payload: cryptoFrame(0, a) });
    const second = protectInitial({ dcid: DCID, pn: 301, pnLen: 1, payload: cryptoFrame(1100, b) });
    const x = new QuicClientHelloExtractor();
    assertYieldsAtEnd(feed(x, [datagram(first), datagram(second)]), BIG_CH);
    assert.equal(x.counters.get("quic.decrypt.aead_failed"), 0);
  });

  test("QUIC v2, reverse order", () => {
    const x = new QuicClientHelloExtractor();
    const r = feed(x, [
      datagram(initial(1, cryptoFrame(1100, b), { version: V2 })),
      datagram(initial(0, cryptoFrame(0, a), { version: V2 })),
    ]);
    assertYieldsAtEnd(r, BIG_CH);
  });

  test("the ClientHello returned does not alias the input datagrams", () => {
    const x = new QuicClientHelloExtractor();
    const d = datagram(initial(0, cryptoFrame(0, buildClientHello("alias.test"))));
    const ch = x.pushDatagram(d, 0, d.length, true)!;
    const copy = Buffer.from(ch);
    d.fill(0);
    assert.deepEqual(ch, copy);
    assert.equal(x.clientHello, ch);
  });
});

describe("coalesced packets", () => {
  test("two Initials coalesced in one datagram, then datagram padding", () => {
    const x = new QuicClientHelloExtractor();
    const d = datagram(
      initial(1, cryptoFrame(1100, BIG_CH.subarray(1100))),
      initial(0, cryptoFrame(0, BIG_CH.subarray(0, 1100))),
    );
    assert.ok(d.length > BIG_CH.length, "one datagram holds both packets");
    assert.deepEqual(x.pushDatagram(d, 0, d.length, true), BIG_CH);
  });

  test("Initial followed by 0-RTT and Handshake-typed packets (skipped by Length)", () => {
    const ch = buildClientHello("coalesced.example");
    const zeroRtt = protectInitial({ dcid: DCID, pn: 0, payload: randomBytes(200), typeBits: 1 });
    const handshake = protectInitial({ dcid: DCID, pn: 0, payload: randomBytes(40), typeBits: 2 });
    const x = new QuicClientHelloExtractor();
    // The ClientHello's second half sits in an Initial after the other packets.
    const half = Math.floor(ch.length / 2);
    const d = datagram(
      initial(0, cryptoFrame(0, ch.subarray(0, half))),
      zeroRtt,
      handshake,
      initial(1, cryptoFrame(half, ch.subarray(half))),
    );
    assert.deepEqual(x.pushDatagram(d, 0, d.length, true), ch);
  });

  test("a short-header packet ends the walk", () => {
    const ch = buildClientHello("short.example");
    const short = Buffer.concat([Buffer.from([0x40]), randomBytes(60)]);
    const x = new QuicClientHelloExtractor();
    const d = datagram(short, initial(0, cryptoFrame(0, ch)));
    assert.equal(x.pushDatagram(d, 0, d.length, true), undefined);
    assert.equal(x.counters.get("quic.header.short_header"), 1);
  });
});

describe("duplicate and overlapping CRYPTO frames", () => {
  test("retransmissions and overlaps across packets, any order", () => {
    const ch = BIG_CH;
    const pkts = [
      initial(0, cryptoFrame(0, ch.subarray(0, 800))),
      initial(
        1,
        Buffer.concat([cryptoFrame(400, ch.subarray(400, 1150)), cryptoFrame(0, ch.subarray(0, 100))]),
      ),
      initial(2, cryptoFrame(0, ch.subarray(0, 800))), // full retransmission
      initial(3, Buffer.concat([cryptoFrame(1100, ch.subarray(1100, 1700)), PING])),
      initial(4, cryptoFrame(1600, ch.subarray(1600))),
    ].map((p) => datagram(p));
    for (const order of [
      [0, 1, 2, 3, 4],
      [4, 3, 2, 1, 0],
      [2, 4, 1, 3, 0],
      [1, 3, 4, 2, 0],
    ]) {
      const x = new QuicClientHelloExtractor();
      const r = order.map((i) => x.pushDatagram(pkts[i], 0, pkts[i].length, true));
      const hit = r.findIndex((v) => v !== undefined);
      assert.ok(hit >= 0, `order ${order}`);
      assert.deepEqual(r[hit], ch);
      assert.ok(r.slice(hit + 1).every((v) => v === undefined));
    }
  });

  test("Chrome-style: fragments shuffled inside one packet with PING and PADDING between them", () => {
    const ch = buildClientHello("chaos.example", 400);
    const cuts = [0, 37, 150, 151, 300, 420, ch.length];
    const frames: Buffer[] = [];
    for (let i = 0; i < cuts.length - 1; i++)
      frames.push(cryptoFrame(cuts[i], ch.subarray(cuts[i], cuts[i + 1])));
    const order = [3, 0, 5, 2, 4, 1];
    const payload = Buffer.concat(order.flatMap((i, k) => [frames[i], k % 2 ? PING : padding(k + 1)]));
    const x = new QuicClientHelloExtractor();
    const d = datagram(initial(0, payload));
    assert.deepEqual(x.pushDatagram(d, 0, d.length, true), ch);
  });

  test("an exact duplicate datagram is harmless", () => {
    const ch = BIG_CH;
    const d0 = datagram(initial(0, cryptoFrame(0, ch.subarray(0, 1000))));
    const d1 = datagram(initial(1, cryptoFrame(1000, ch.subarray(1000))));
    const x = new QuicClientHelloExtractor();
    assertYieldsAtEnd(feed(x, [d0, d0, d0, d1]), ch);
  });
});

describe("Retry and keys", () => {
  test("after a Retry the new Initial (new DCID, its own keys, a token) completes the ClientHello", () => {
    const ch = BIG_CH;
    const retryCid = Buffer.from("feedfacecafebeef00", "hex");
    const x = new QuicClientHelloExtractor();
    assert.equal(
      x.pushDatagram(datagram(initial(0, cryptoFrame(0, ch.subarray(0, 1000)))), 0, 1200, true),
      undefined,
    );
    const afterRetry = datagram(
      initial(1, cryptoFrame(0, ch.subarray(0, 1000)), {
        dcid: retryCid,
        keyDcid: retryCid,
        token: randomBytes(40),
      }),
      initial(2, cryptoFrame(1000, ch.subarray(1000)), {
        dcid: retryCid,
        keyDcid: retryCid,
        token: randomBytes(40),
      }),
    );
    assert.deepEqual(x.pushDatagram(afterRetry, 0, afterRetry.length, true), ch);
  });

  test("packets under unknown keys before any first DCID: queue is bounded", () => {
    const x = new QuicClientHelloExtractor();
    for (let i = 0; i < MAX_PENDING_PACKETS + 3; i++) {
      const d = datagram(
        initial(i + 1, cryptoFrame(0, Buffer.from([1, 0, 0, 0])), {
          dcid: SERVER_CID,
          keyDcid: randomBytes(8),
        }),
      );
      assert.equal(x.pushDatagram(d, 0, d.length, true), undefined);
    }
    assert.equal(x.counters.get("quic.pending.dropped"), 3);
  });
});

describe("limits and give-up", () => {
  test(`gives up after ${MAX_CLIENT_DATAGRAMS} client datagrams`, () => {
    const x = new QuicClientHelloExtractor();
    const junk = datagram(initial(0, cryptoFrame(0, Buffer.from([1, 0, 0, 0])), { keyDcid: randomBytes(8) }));
    for (let i = 0; i < MAX_CLIENT_DATAGRAMS; i++) x.pushDatagram(junk, 0, junk.length, true);
    assert.equal(x.done, false);
    const good = datagram(initial(0, cryptoFrame(0, buildClientHello("late.example"))));
    assert.equal(x.pushDatagram(good, 0, good.length, true), undefined);
    assert.equal(x.done, true);
    assert.equal(x.counters.get("quic.gave_up.datagram_limit"), 1);
  });

  test(`at most ${MAX_KEY_DERIVATIONS} key derivations per connection`, () => {
    const x = new QuicClientHelloExtractor();
    for (let i = 0; i < MAX_KEY_DERIVATIONS; i++) {
      const d = datagram(initial(0, PING, { dcid: randomBytes(8), keyDcid: randomBytes(8) }));
      x.pushDatagram(d, 0, d.length, true);
    }
    assert.equal(x.counters.get("quic.keys.budget_spent"), 0);
    const good = datagram(
      initial(0, cryptoFrame(0, buildClientHello("budget.example")), { dcid: randomBytes(8) }),
    );
    assert.equal(x.pushDatagram(good, 0, good.length, true), undefined);
    assert.equal(x.counters.get("quic.keys.budget_spent"), 1);
    assert.equal(x.counters.get("quic.decrypt.aead_failed"), MAX_KEY_DERIVATIONS);
  });

  test("server datagrams are not counted and never yield", () => {
    const x = new QuicClientHelloExtractor();
    const d = datagram(initial(0, cryptoFrame(0, buildClientHello("dir.example"))));
    for (let i = 0; i < MAX_CLIENT_DATAGRAMS + 5; i++)
      assert.equal(x.pushDatagram(d, 0, d.length, false), undefined);
    assert.equal(x.done, false);
    assert.ok(x.pushDatagram(d, 0, d.length, true));
  });

  test("a first handshake message that is not a ClientHello gives up", () => {
    const x = new QuicClientHelloExtractor();
    const d = datagram(initial(0, cryptoFrame(0, Buffer.from([2, 0, 0, 2, 3, 3]))));
    assert.equal(x.pushDatagram(d, 0, d.length, true), undefined);
    assert.equal(x.done, true);
    assert.equal(x.counters.get("quic.gave_up.not_client_hello"), 1);
  });

  test("a ClientHello announcing more than 64 KiB gives up", () => {
    const x = new QuicClientHelloExtractor();
    const d = datagram(initial(0, cryptoFrame(0, Buffer.from([1, 0x01, 0x00, 0x00, 3, 3]))));
    assert.equal(x.pushDatagram(d, 0, d.length, true), undefined);
    assert.equal(x.counters.get("quic.gave_up.client_hello_too_large"), 1);
  });

  test("bad bounds and empty datagrams do not throw", () => {
    const x = new QuicClientHelloExtractor();
    const b = Buffer.alloc(10);
    assert.equal(x.pushDatagram(b, 5, 10, true), undefined);
    assert.equal(x.pushDatagram(b, -1, 3, true), undefined);
    assert.equal(x.pushDatagram(b, 0, 0, true), undefined);
    assert.equal(x.pushDatagram(b, Number.NaN, 3, true), undefined);
    assert.equal(x.counters.get("quic.datagram.bad_bounds"), 3);
  });
});

describe("isQuicInitial", () => {
  const good = initial(0, cryptoFrame(0, buildClientHello("x.example")));
  test("accepts v1 and v2 Initials", () => {
    assert.equal(isQuicInitial(good, 0, good.length), true);
    const v2 = initial(0, PING, { version: V2 });
    assert.equal(isQuicInitial(v2, 0, v2.length), true);
  });
  test("rejects other packets", () => {
    const hs = protectInitial({ dcid: DCID, pn: 0, payload: PING, typeBits: 2 });
    assert.equal(isQuicInitial(hs, 0, hs.length), false, "Handshake");
    const v2AsV1Type = protectInitial({ version: V2, dcid: DCID, pn: 0, payload: PING, typeBits: 0 });
    assert.equal(isQuicInitial(v2AsV1Type, 0, v2AsV1Type.length), false, "v2 type 0b00 is Retry");
    const vn = Buffer.from(good);
    vn.writeUInt32BE(0, 1);
    assert.equal(isQuicInitial(vn, 0, vn.length), false, "version negotiation");
    const other = Buffer.from(good);
    other.writeUInt32BE(0xff00001d, 1);
    assert.equal(isQuicInitial(other, 0, other.length), false, "draft version");
    const short = Buffer.from(good);
    short[0] = 0x40;
    assert.equal(isQuicInitial(short, 0, short.length), false, "short header");
    const longCid = Buffer.from(good);
    longCid[5] = 21;
    assert.equal(isQuicInitial(longCid, 0, longCid.length), false, "DCID > 20 bytes");
    assert.equal(isQuicInitial(good, 0, good.length - 1), false, "Length beyond the payload");
    assert.equal(isQuicInitial(good, 0, 6), false, "truncated");
    assert.equal(isQuicInitial(good, 0, good.length + 10), false, "len past the buffer");
    assert.equal(isQuicInitial(Buffer.alloc(0), 0, 0), false);
  });
});

describe("memory", () => {
  test("buffers are released once the ClientHello is found", () => {
    const x = new QuicClientHelloExtractor();
    const d0 = datagram(initial(0, cryptoFrame(0, BIG_CH.subarray(0, 1100))));
    x.pushDatagram(d0, 0, d0.length, true);
    assert.ok(x.memoryBytes >= 1100);
    const d1 = datagram(initial(1, cryptoFrame(1100, BIG_CH.subarray(1100))));
    assert.ok(x.pushDatagram(d1, 0, d1.length, true));
    assert.ok(x.memoryBytes <= 1024, `${x.memoryBytes}`);
  });
});
