/**
 * Property tests (fast-check, fixed seeds): random bytes and mutations of real requests
 * never make the HTTP parsers throw or run away; ≥ 100,000 inputs per parser.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { HpackDecoder, MAX_TABLE_SIZE } from "../../src/fingerprint/http/hpack.js";
import { Http1RequestReader } from "../../src/fingerprint/http/http1-request.js";
import { HTTP2_PREFACE, Http2ClientReader } from "../../src/fingerprint/http/http2.js";
import { huffmanDecode } from "../../src/fingerprint/http/huffman.js";
import { ja4h } from "../../src/fingerprint/http/ja4h.js";
import type { HttpRequest } from "../../src/fingerprint/http/request.js";
import { Counters } from "../../src/util/counters.js";
import { feed } from "../helpers/feed.js";
import { mutated } from "../helpers/mutate.js";

const HTTP1_SAMPLES = [
  "GET /index.html HTTP/1.1\r\nHost: decky\r\nUser-Agent: Mozilla/5.0\r\nAccept-Language: en-US,en;q=0.9\r\nCookie: a=1; b=2\r\nReferer: http://x/\r\n\r\n",
  "POST /login HTTP/1.1\r\nHost: d\r\nContent-Length: 7\r\n\r\nu=a&p=bGET / HTTP/1.0\r\n\r\n",
  "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n0\r\nT: 1\r\n\r\nHEAD / HTTP/1.1\n\n",
  "\r\nCONNECT a:443 HTTP/1.1\r\n\r\n\x16\x03\x01",
].map((s) => Buffer.from(s, "latin1"));

/** A hand-written HTTP/2 client opening: preface, SETTINGS, WINDOW_UPDATE, PRIORITY, HEADERS. */
const HTTP2_SAMPLE = Buffer.concat([
  HTTP2_PREFACE,
  Buffer.from("00000c040000000000000100010000000400600000", "hex"),
  Buffer.from("000004080000000000", "hex"),
  Buffer.from("00ef0001", "hex"),
  Buffer.from("00000502000000000300000000c8", "hex"),
  Buffer.from("00001601250000000180000000ff8241", "hex"),
  Buffer.from("8cf1e3c2e5f23a6ba0ab90f4ff8784", "hex"),
  Buffer.from("00000401050000000382be8784", "hex"),
  Buffer.from("000004000100000001", "hex"),
  Buffer.from("74657374", "hex"),
]);
const HPACK_SAMPLE = Buffer.from(
  "828684418cf1e3c2e5f23a6ba0ab90f4ff828684be5886a8eb10649cbf828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
  "hex",
);

const pieces = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 10 });

describe("HTTP parsers under random and mutated input", () => {
  test("Http1RequestReader + ja4h: 100,000 streams", { timeout: 120_000 }, () => {
    const counters = new Counters();
    const stream = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
      fc
        .uint8Array({ maxLength: 300 })
        .map((a) => Buffer.concat([Buffer.from("GET / HTTP/1.1\r\n"), Buffer.from(a)])),
      fc.constantFrom(...HTTP1_SAMPLES).chain(mutated),
      fc.constantFrom(...HTTP1_SAMPLES).chain(mutated),
    );
    fc.assert(
      fc.property(stream, pieces, (data, sizes) => {
        const r = new Http1RequestReader(
          (req) => {
            const fp = ja4h(req);
            if (fp !== undefined)
              assert.match(
                fp.ja4h,
                /^[a-z]{2}\d{2}[cn][rn]\d{2}.{4}_[0-9a-f]{12}_[0-9a-f]{12}_[0-9a-f]{12}$/u,
              );
          },
          { counters, maxHeadBytes: 2048 },
        );
        feed(data, sizes, (b, off, len) => r.push(b, off, len));
        assert.ok(r.requests <= 100);
      }),
      { seed: 0x4771, numRuns: 100_000 },
    );
    assert.equal(counters.get("http1.handler_threw"), 0);
  });

  test("HpackDecoder + Huffman: 100,000 header blocks", { timeout: 120_000 }, () => {
    const block = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      mutated(HPACK_SAMPLE),
    );
    const out = new Uint8Array(256);
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 3 }), (blocks) => {
        const d = new HpackDecoder(MAX_TABLE_SIZE);
        for (const b of blocks) {
          const fields = d.decode(b, 0, b.length);
          if (fields !== undefined) for (const f of fields) assert.equal(typeof f.name, "string");
          assert.ok(d.dynamicEntries <= MAX_TABLE_SIZE / 32);
          const n = huffmanDecode(b, 0, b.length, out);
          assert.ok(n >= -1 && n <= out.length);
        }
      }),
      { seed: 0x4772, numRuns: 100_000 },
    );
  });

  test("Http2ClientReader: 100,000 streams", { timeout: 120_000 }, () => {
    const counters = new Counters();
    const stream = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.concat([HTTP2_PREFACE, Buffer.from(a)])),
      fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)),
      mutated(HTTP2_SAMPLE),
      mutated(HTTP2_SAMPLE),
    );
    fc.assert(
      fc.property(stream, pieces, (data, sizes) => {
        const got: HttpRequest[] = [];
        const r = new Http2ClientReader((q) => got.push(q), { counters, maxHeaderBlock: 4096 });
        feed(data, sizes, (b, off, len) => r.push(b, off, len));
        if (r.akamai !== undefined) assert.equal(r.akamai.split("|").length, 4);
        for (const q of got) ja4h(q);
      }),
      { seed: 0x4773, numRuns: 100_000 },
    );
  });
});
