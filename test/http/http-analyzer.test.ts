/**
 * HttpAnalyzer's event fields: `host` of HTTP/2 requests (RFC 9113 §8.3.1: the authority
 * travels in :authority), escapes of non-printable request text, and the size of what
 * a header bomb can put into an event.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HTTP2_PREFACE } from "../../src/fingerprint/http/http2.js";
import { h2Frame, httpAnalyzer } from "./build.js";

function analyzer() {
  const { data, requests } = httpAnalyzer();
  return { send: (b: Buffer): void => data(true, b), requests };
}

const frame = h2Frame;
/** HPACK literal without indexing, indexed name `index` (RFC 7541 §6.2.2), value < 127 octets. */
const literal = (index: number, value: string): Buffer =>
  Buffer.concat([
    Buffer.from(index < 15 ? [index] : [0x0f, index - 15]), // 4-bit prefix integer (§5.1), index < 142
    Buffer.from([value.length]),
    Buffer.from(value, "latin1"),
  ]);
/** h2c with prior knowledge: preface, empty SETTINGS, one HEADERS block on stream 1. */
const h2 = (block: Buffer): Buffer =>
  Buffer.concat([HTTP2_PREFACE, frame(4, 0, 0, Buffer.alloc(0)), frame(1, 0x05, 1, block)]);
// :method GET (2), :scheme http (6), :path / (4); :authority is static index 1, host 38.
const GET = Buffer.from([0x82, 0x86, 0x84]);

describe("HttpAnalyzer: host", () => {
  test("HTTP/2 without a host field: host is :authority", () => {
    const { send, requests } = analyzer();
    send(h2(Buffer.concat([GET, literal(1, "decky.example")])));
    assert.equal(requests().length, 1);
    assert.equal(requests()[0].host, "decky.example");
  });

  test("a host field is still taken first; HTTP/1 without Host has none", () => {
    const both = analyzer();
    both.send(h2(Buffer.concat([GET, literal(1, "a.example"), literal(38, "b.example")])));
    assert.equal(both.requests()[0].host, "b.example");
    const h1 = analyzer();
    h1.send(Buffer.from("GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n"));
    assert.equal(h1.requests()[0].host, "");
  });
});

describe("HttpAnalyzer: non-printable request text", () => {
  test("bytes ≥ 0x80 (U+FFFD, as tshark shows them) escape as \\ufffd, control bytes as \\xHH", () => {
    const { send, requests } = analyzer();
    send(
      Buffer.from("GET /p\xe9 HTTP/1.1\r\nHost: h\xff\r\nUser-Agent: a\x01b\x7f\xc3\xa9\r\n\r\n", "latin1"),
    );
    const f = requests()[0];
    assert.equal(f.path, "/p\\ufffd");
    assert.equal(f.host, "h\\ufffd");
    assert.equal(f.user_agent, "a\\x01b\\x7f\\ufffd\\ufffd");
    // Every escape is well-formed: \x + 2 hex digits or \u + 4 hex digits.
    for (const v of [f.path, f.host, f.user_agent]) {
      assert.match(v, /^(?:[\x20-\x5b\x5d-\x7e]|\\x[0-9a-f]{2}|\\u[0-9a-f]{4})*$/);
    }
  });
});

describe("HttpAnalyzer: a header bomb", () => {
  test("a 20 KB block naming a 4 KB table entry 16,000 times emits no huge event", () => {
    // Literal with incremental indexing, new name "x"*4030 (RFC 7541 §6.2.1), value "v",
    // then 16,000 references to it (index 62).
    const name = Buffer.alloc(4030, 0x78);
    const len = Buffer.from([0x7f, ((4030 - 127) & 0x7f) | 0x80, (4030 - 127) >> 7]);
    const block = Buffer.concat([
      GET,
      Buffer.from([0x40]),
      len,
      name,
      Buffer.from([1, 0x76]),
      Buffer.alloc(16_000, 0xbe),
    ]);
    const { send, requests } = analyzer();
    send(h2(block));
    assert.deepEqual(requests(), []);
  });
});
