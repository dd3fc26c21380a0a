// CRYPTO stream reassembly and the Initial frame walker.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CRYPTO_STREAM_LIMIT,
  CryptoStream,
  MAX_CRYPTO_RANGES,
  PushResult,
} from "../../src/fingerprint/quic/crypto-stream.js";
import { FrameCursor, FrameKind } from "../../src/fingerprint/quic/frames.js";
import { cryptoFrame, varint } from "./builder.js";

/** A handshake message: type, 3-byte length, body of `n` bytes counting 0,1,2,... */
function message(type: number, n: number): Buffer {
  const m = Buffer.alloc(4 + n);
  m[0] = type;
  m.writeUIntBE(n, 1, 3);
  for (let i = 0; i < n; i++) m[4 + i] = i & 0xff;
  return m;
}

function push(s: CryptoStream, msg: Buffer, a: number, b: number): number {
  return s.push(a, msg, a, b - a);
}

describe("CryptoStream", () => {
  test("in order", () => {
    const m = message(1, 1000);
    const s = new CryptoStream();
    assert.equal(push(s, m, 0, 500), PushResult.Ok);
    assert.equal(s.firstMessage(), undefined);
    assert.equal(push(s, m, 500, m.length), PushResult.Ok);
    assert.deepEqual(s.firstMessage(), m);
  });

  test("reverse order, many pieces", () => {
    const m = message(1, 3000);
    const s = new CryptoStream();
    for (let a = m.length - 100; a >= 0; a -= 100) {
      assert.equal(s.firstMessage(), undefined);
      push(s, m, a, Math.min(a + 100, m.length));
    }
    push(s, m, 0, 4); // the loop's last piece started at 4: fill the header
    assert.equal(s.contiguous(), m.length);
    assert.deepEqual(s.firstMessage(), m);
  });

  test("needs the 4-byte header before it knows the length", () => {
    const m = message(1, 10);
    const s = new CryptoStream();
    push(s, m, 3, m.length);
    assert.equal(s.firstMessageLength(), -1);
    push(s, m, 0, 3);
    assert.equal(s.firstMessageLength(), 14);
    assert.deepEqual(s.firstMessage(), m);
  });

  test("duplicates and overlaps; the first copy of a byte wins", () => {
    const m = message(1, 200);
    const evil = Buffer.alloc(m.length, 0xff);
    const s = new CryptoStream();
    push(s, m, 50, 120);
    push(s, m, 50, 120); // exact duplicate
    s.push(40, evil, 40, 100); // overlaps [50,120) and adds [40,50) and [120,140) as 0xff
    push(s, m, 0, 60); // bytes [40,50) were already received (0xff): kept
    push(s, m, 100, m.length);
    const got = s.firstMessage()!;
    assert.ok(got);
    const want = Buffer.from(m);
    want.fill(0xff, 40, 50);
    want.fill(0xff, 120, 140);
    assert.deepEqual(got, want);
  });

  test("a range that bridges several holes merges them", () => {
    const m = message(1, 100);
    const s = new CryptoStream();
    push(s, m, 10, 20);
    push(s, m, 30, 40);
    push(s, m, 50, 60);
    push(s, m, 5, 55);
    push(s, m, 0, 5);
    assert.equal(s.contiguous(), 60);
    assert.equal(s.buffered(), 60);
    push(s, m, 60, m.length);
    assert.deepEqual(s.firstMessage(), m);
  });

  test("data beyond the limit is clipped / dropped", () => {
    const s = new CryptoStream(1000);
    const d = Buffer.alloc(500, 7);
    assert.equal(s.push(1000, d, 0, 10), PushResult.BeyondLimit);
    assert.equal(s.push(800, d, 0, 500), PushResult.BeyondLimit);
    assert.equal(s.buffered(), 200);
    assert.equal(CRYPTO_STREAM_LIMIT, 65536);
  });

  test("too many holes: the frame is dropped", () => {
    const s = new CryptoStream();
    const d = Buffer.alloc(1, 1);
    for (let i = 0; i < MAX_CRYPTO_RANGES; i++) assert.equal(s.push(10 + i * 2, d, 0, 1), PushResult.Ok);
    assert.equal(s.push(1000, d, 0, 1), PushResult.TooManyRanges);
    assert.equal(s.push(11, d, 0, 1), PushResult.Ok, "filling a hole still works");
  });
});

describe("FrameCursor", () => {
  function kinds(payload: Buffer): number[] {
    const c = new FrameCursor();
    c.reset(payload, 0, payload.length);
    const out: number[] = [];
    for (let k = c.next(); k !== FrameKind.End; k = c.next()) out.push(k);
    return out;
  }

  test("PADDING, PING, ACK, ACK_ECN, CRYPTO, CONNECTION_CLOSE", () => {
    const ack = Buffer.concat([
      Buffer.from([0x02]),
      varint(1000),
      varint(5),
      varint(2),
      varint(3),
      varint(1),
      varint(2),
      varint(4),
      varint(1),
    ]);
    const ackEcn = Buffer.concat([
      Buffer.from([0x03]),
      varint(7),
      varint(0),
      varint(0),
      varint(7),
      varint(1),
      varint(2),
      varint(3),
    ]);
    const close = Buffer.concat([
      Buffer.from([0x1c]),
      varint(0x0a),
      varint(0x06),
      varint(3),
      Buffer.from("bad"),
    ]);
    const close1d = Buffer.concat([Buffer.from([0x1d]), varint(0), varint(2), Buffer.from("ok")]);
    const crypto = cryptoFrame(300, Buffer.from("hello"));
    const payload = Buffer.concat([
      Buffer.alloc(5),
      Buffer.from([0x01]),
      ack,
      crypto,
      ackEcn,
      close,
      close1d,
      Buffer.alloc(3),
    ]);
    assert.deepEqual(kinds(payload), [
      FrameKind.Padding,
      FrameKind.Ping,
      FrameKind.Ack,
      FrameKind.Crypto,
      FrameKind.Ack,
      FrameKind.ConnectionClose,
      FrameKind.ConnectionClose,
      FrameKind.Padding,
    ]);
    const c = new FrameCursor();
    c.reset(payload, 0, payload.length);
    while (c.next() !== FrameKind.Crypto) {}
    assert.equal(c.cryptoOffset, 300);
    assert.equal(payload.toString("latin1", c.dataOff, c.dataOff + c.dataLen), "hello");
  });

  test("unknown frame type stops the walk", () => {
    const payload = Buffer.concat([
      cryptoFrame(0, Buffer.from("a")),
      Buffer.from([0x08, 0x00]),
      cryptoFrame(1, Buffer.from("b")),
    ]);
    assert.deepEqual(kinds(payload), [FrameKind.Crypto, FrameKind.Unknown]);
  });

  test("truncated frames are malformed and stop the walk", () => {
    const crypto = cryptoFrame(0, Buffer.from("abcdef"));
    assert.deepEqual(kinds(crypto.subarray(0, crypto.length - 1)), [FrameKind.Malformed]);
    assert.deepEqual(kinds(Buffer.from([0x02, 0x01, 0x00, 0x05])), [FrameKind.Malformed]);
    assert.deepEqual(kinds(Buffer.from([0x1c, 0x00, 0x00, 0x09, 0x61])), [FrameKind.Malformed]);
    assert.deepEqual(kinds(Buffer.from([0x40])), [FrameKind.Malformed], "truncated type varint");
  });

  test("a huge ACK range count ends at the payload end", () => {
    const ack = Buffer.concat([
      Buffer.from([0x02, 0, 0]),
      varint(2 ** 40),
      Buffer.from([0]),
      Buffer.alloc(100),
    ]);
    assert.deepEqual(kinds(ack), [FrameKind.Malformed]);
  });
});
