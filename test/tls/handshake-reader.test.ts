import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TlsHandshakeReader } from "../../src/fingerprint/tls/handshake-reader.js";
import { Counters } from "../../src/util/counters.js";
import {
  alpnExt,
  cat,
  certificateBody12,
  clientHelloBody,
  ext,
  handshake,
  record,
  records,
  serverHelloBody,
  sniExt,
  u8,
  u16,
} from "./build.js";

interface Msg {
  type: number;
  body: Buffer;
}

function reader(opts: { maxStreamBytes?: number; maxMessageBytes?: number } = {}) {
  const msgs: Msg[] = [];
  const counters = new Counters();
  const r = new TlsHandshakeReader((type, body) => msgs.push({ type, body: Buffer.from(body) }), {
    counters,
    ...opts,
  });
  return { r, msgs, counters };
}

/** Pushes `data` in pieces whose sizes cycle through `sizes`. */
function pushPieces(r: TlsHandshakeReader, data: Buffer, sizes: number[]): void {
  let p = 0;
  for (let i = 0; p < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length], data.length - p);
    // Each piece in its own buffer at a non-zero offset, as a capture chunk would be.
    const chunk = cat(Buffer.alloc(3, 0xee), data.subarray(p, p + n), Buffer.alloc(2, 0xee));
    r.push(chunk, 3, n);
    p += n;
  }
}

const chBody = clientHelloBody({
  ciphers: [0x1301, 0x1302, 0xc02b],
  extensions: [sniExt("decky.example"), alpnExt(["h2", "http/1.1"]), ext(0x0015, Buffer.alloc(300))],
});
const chMsg = handshake(1, chBody);

describe("TlsHandshakeReader", () => {
  test("one record, one push: the body is a view over the pushed buffer (no copy)", () => {
    const data = record(22, chMsg, 0x0301);
    let seen: Buffer | undefined;
    const r = new TlsHandshakeReader((type, body) => {
      assert.equal(type, 1);
      seen = body;
    });
    r.push(data, 0, data.length);
    assert.ok(seen);
    assert.deepEqual(seen, chBody);
    assert.equal(seen.buffer, data.buffer, "zero-copy view expected");
    assert.equal(seen.byteOffset, data.byteOffset + 9);
    assert.equal(r.state, "records");
  });

  test("a ClientHello split across three records, pushed 1..7 bytes at a time", () => {
    const third = Math.ceil(chMsg.length / 3);
    const data = cat(
      record(22, chMsg.subarray(0, third)),
      record(22, chMsg.subarray(third, 2 * third)),
      record(22, chMsg.subarray(2 * third)),
    );
    for (const sizes of [[1], [2, 3, 5, 7], [4], [chMsg.length], [13, 1, 1]]) {
      const { r, msgs } = reader();
      pushPieces(r, data, sizes);
      assert.equal(msgs.length, 1, `sizes ${sizes}`);
      assert.equal(msgs[0].type, 1);
      assert.deepEqual(msgs[0].body, chBody);
      assert.equal(r.bytesParsed, data.length);
    }
  });

  test("a handshake header split between records", () => {
    const data = cat(record(22, chMsg.subarray(0, 2)), record(22, chMsg.subarray(2)));
    const { r, msgs } = reader();
    r.push(data, 0, data.length);
    assert.deepEqual(
      msgs.map((m) => m.type),
      [1],
    );
    assert.deepEqual(msgs[0].body, chBody);
  });

  test("ServerHello + certificate chain spanning several records + ServerHelloDone", () => {
    const certs = [Buffer.alloc(9000, 0xa1), Buffer.alloc(7000, 0xb2), Buffer.alloc(3000, 0xc3)];
    const certBody = certificateBody12(certs);
    const shBody = serverHelloBody({ cipher: 0xc02f, extensions: [ext(0xff01, Buffer.from([0]))] });
    const flight = cat(handshake(2, shBody), handshake(11, certBody), handshake(14, Buffer.alloc(0)));
    const data = records(flight, 16384);
    assert.ok(data.length > 16384 + 5, "must span records");
    for (const sizes of [[data.length], [1448], [1, 500, 3]]) {
      const { r, msgs } = reader();
      pushPieces(r, data, sizes);
      assert.deepEqual(
        msgs.map((m) => m.type),
        [2, 11, 14],
      );
      assert.deepEqual(msgs[0].body, shBody);
      assert.deepEqual(msgs[1].body, certBody);
      assert.equal(msgs[2].body.length, 0);
    }
  });

  test("several messages in one record", () => {
    const data = record(
      22,
      cat(handshake(2, Buffer.from([1, 2])), handshake(14, Buffer.alloc(0)), handshake(4, u8(9))),
    );
    const { r, msgs } = reader();
    r.push(data, 0, data.length);
    assert.deepEqual(
      msgs.map((m) => [m.type, [...m.body]]),
      [
        [2, [1, 2]],
        [14, []],
        [4, [9]],
      ],
    );
  });

  test("TLS <= 1.2: after ChangeCipherSpec the Finished handshake record is ciphertext", () => {
    // Encrypted Finished: a handshake record whose bytes look like anything but a ClientHello.
    const data = cat(
      record(22, chMsg),
      record(20, u8(1)),
      record(22, Buffer.alloc(40, 0)),
      record(22, chMsg),
    );
    for (const sizes of [[data.length], [1]]) {
      const { r, msgs } = reader();
      pushPieces(r, data, sizes);
      assert.deepEqual(
        msgs.map((m) => m.type),
        [1],
      );
      assert.equal(r.ccsSeen, true);
      assert.equal(r.state, "encrypted");
    }
  });

  test("TLS 1.3 compatibility mode, server: HelloRetryRequest, CCS, then the real ServerHello", () => {
    const hrr = handshake(2, serverHelloBody({ cipher: 0x1301, extensions: [ext(0x002b, u16(0x0304))] }));
    const sh2 = handshake(2, serverHelloBody({ cipher: 0x1302, extensions: [ext(0x002b, u16(0x0304))] }));
    const data = cat(record(22, hrr), record(20, u8(1)), record(22, sh2), record(23, Buffer.alloc(50, 3)));
    const { r, msgs } = reader();
    pushPieces(r, data, [5]);
    assert.deepEqual(
      msgs.map((m) => m.body),
      [hrr.subarray(4), sh2.subarray(4)],
    );
    assert.equal(r.state, "encrypted");
  });

  test("TLS 1.3 compatibility mode: CCS then the second ClientHello (after HelloRetryRequest) is read", () => {
    const ch2 = handshake(1, clientHelloBody({ ciphers: [0x1301], extensions: [sniExt("second.example")] }));
    const data = cat(record(22, chMsg), record(20, u8(1)), record(22, ch2), record(23, Buffer.alloc(30, 1)));
    for (const sizes of [[data.length], [1], [7, 2]]) {
      const { r, msgs } = reader();
      pushPieces(r, data, sizes);
      assert.deepEqual(
        msgs.map((m) => m.body),
        [chBody, ch2.subarray(4)],
      );
      assert.equal(r.ccsSeen, true);
      assert.equal(r.state, "encrypted");
    }
  });

  test("application data first: encrypted", () => {
    const { r, msgs } = reader();
    const data = record(23, Buffer.alloc(40, 1));
    r.push(data, 0, data.length);
    assert.equal(r.state, "encrypted");
    assert.equal(msgs.length, 0);
  });

  test("an alert record is skipped", () => {
    const data = cat(record(21, Buffer.from([1, 0])), record(22, chMsg));
    const { r, msgs, counters } = reader();
    r.push(data, 0, data.length);
    assert.equal(msgs.length, 1);
    assert.equal(counters.get("tls.reader.alert"), 1);
  });

  test("not TLS is decided on the first byte", () => {
    for (const text of ["GET / HTTP/1.1\r\n", "SSH-2.0-OpenSSH_9.6\r\n", "\x00\x00"]) {
      const { r, counters } = reader();
      const b = Buffer.from(text, "latin1");
      r.push(b, 0, 1);
      assert.equal(r.state, "not_tls", text);
      r.push(b, 1, b.length - 1);
      assert.equal(r.state, "not_tls");
      assert.equal(counters.get("tls.reader.not_tls"), 1);
    }
  });

  test("implausible record headers at the start: not TLS", () => {
    for (const h of [
      [22, 2, 1, 0, 5], // major version 2
      [22, 3, 9, 0, 5], // minor 9
      [22, 3, 1, 0, 0], // empty record
      [22, 3, 1, 0x48, 0x01], // 18433 > 2^14 + 2048
    ]) {
      const { r } = reader();
      r.push(Buffer.from(h), 0, h.length);
      assert.equal(r.state, "not_tls", JSON.stringify(h));
    }
  });

  test("a bad record header after a good start: error", () => {
    const data = cat(record(22, chMsg), Buffer.from([0x47, 0x45, 0x54]));
    const { r, msgs, counters } = reader();
    r.push(data, 0, data.length);
    assert.equal(msgs.length, 1);
    assert.equal(r.state, "error");
    assert.equal(counters.get("tls.reader.bad_record"), 1);
  });

  test("SSLv2-compatible ClientHello is recognised and skipped; TLS records after it are read", () => {
    // SSLv2 CLIENT-HELLO: len(2, high bit) msg_type=1 version=0x0301 cipher_specs_len=3
    // session_id_len=0 challenge_len=16, one cipher spec, 16-byte challenge.
    const v2body = cat(
      u8(1),
      u16(0x0301),
      u16(3),
      u16(0),
      u16(16),
      Buffer.from([0, 0, 0x2f]),
      Buffer.alloc(16, 5),
    );
    const v2 = cat(u16(0x8000 | v2body.length), v2body);
    const after = record(22, handshake(16, Buffer.alloc(70, 1)));
    const { r, msgs } = reader();
    pushPieces(r, cat(v2, after), [3]);
    assert.equal(r.sslv2Seen, true);
    assert.deepEqual(
      msgs.map((m) => m.type),
      [16],
    );
    assert.equal(r.state, "records");
  });

  test("SSLv2-looking bytes that are not a CLIENT-HELLO: not TLS", () => {
    const { r } = reader();
    r.push(Buffer.from([0x80, 0x20, 0x04, 0x00, 0x02]), 0, 5);
    assert.equal(r.state, "not_tls");
    assert.equal(r.sslv2Seen, false);
  });

  test("a handshake message larger than the message bound stops parsing", () => {
    const { r, msgs, counters } = reader({ maxMessageBytes: 1000 });
    const data = record(22, cat(u8(11), Buffer.from([0, 0x03, 0xe9]), Buffer.alloc(100)));
    r.push(data, 0, data.length);
    assert.equal(r.state, "limit");
    assert.equal(msgs.length, 0);
    assert.equal(counters.get("tls.reader.message_too_large"), 1);
  });

  test("the message bound is capped at 128 KiB whatever the option says", () => {
    const { r } = reader({ maxMessageBytes: 10 * 1024 * 1024 });
    const data = record(22, cat(u8(11), Buffer.from([0x02, 0x00, 0x01])));
    r.push(data, 0, data.length);
    assert.equal(r.state, "limit");
  });

  test("the stream byte bound stops parsing; bytes past it are ignored", () => {
    const data = cat(record(22, chMsg), record(22, chMsg));
    const { r, msgs, counters } = reader({ maxStreamBytes: chMsg.length + 5 + 10 });
    pushPieces(r, data, [100]);
    assert.equal(msgs.length, 1);
    assert.equal(r.state, "limit");
    assert.equal(r.bytesParsed, chMsg.length + 15);
    assert.equal(counters.get("tls.reader.stream_limit"), 1);
  });

  test("a throwing handler is counted, parsing continues", () => {
    const counters = new Counters();
    let calls = 0;
    const r = new TlsHandshakeReader(
      () => {
        calls++;
        throw new Error("boom");
      },
      { counters },
    );
    const data = record(22, cat(chMsg, handshake(2, Buffer.alloc(3))));
    assert.doesNotThrow(() => r.push(data, 0, data.length));
    assert.equal(calls, 2);
    assert.equal(counters.get("tls.reader.handler_error"), 2);
  });

  test("stop() from inside the handler ends parsing", () => {
    const types: number[] = [];
    const r: TlsHandshakeReader = new TlsHandshakeReader((t) => {
      types.push(t);
      r.stop();
    });
    const data = record(22, cat(chMsg, handshake(2, Buffer.alloc(3))));
    r.push(data, 0, data.length);
    assert.deepEqual(types, [1]);
    assert.equal(r.state, "stopped");
  });

  test("bad push arguments are ignored", () => {
    const { r } = reader();
    const b = Buffer.from([22, 3, 1]);
    r.push(b, 2, 0);
    r.push(b, -1, 2);
    r.push(b, 1.5, 1);
    r.push(b, 5, 10);
    assert.equal(r.state, "start");
    r.push(b, 0, 100); // clamped to the buffer
    assert.equal(r.bytesParsed, 3);
  });
});
