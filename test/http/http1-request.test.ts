import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Http1RequestReader } from "../../src/fingerprint/http/http1-request.js";
import { HTTP2_PREFACE } from "../../src/fingerprint/http/http2.js";
import { ja4h } from "../../src/fingerprint/http/ja4h.js";
import type { HttpRequest } from "../../src/fingerprint/http/request.js";
import { Counters } from "../../src/util/counters.js";

function reader(opts: { maxHeadBytes?: number; maxRequests?: number } = {}) {
  const requests: HttpRequest[] = [];
  const counters = new Counters();
  const r = new Http1RequestReader((req) => requests.push(req), { counters, ...opts });
  return { r, requests, counters };
}

/** Pushes `text` in pieces of `size` bytes, each in a fresh buffer. */
function pushText(r: Http1RequestReader, text: string, size = Number.MAX_SAFE_INTEGER): void {
  const data = Buffer.from(text, "latin1");
  for (let i = 0; i < data.length; i += size) {
    const piece = Buffer.from(data.subarray(i, i + size));
    r.push(piece, 0, piece.length);
  }
}

const PIPELINE =
  "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world" +
  "PUT /chunks HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" +
  "4;name=value\r\nwiki\r\nA\r\n0123456789\r\n0\r\nExpires: never\r\n\r\n" +
  "GET /last HTTP/1.0\r\nUser-Agent: x\r\n\r\n";

describe("Http1RequestReader", () => {
  test("an HTTP request split across pushes, pipelined requests, bodies skipped", () => {
    for (const size of [1, 2, 3, 7, 16, 50, 1000]) {
      const { r, requests } = reader();
      pushText(r, PIPELINE, size);
      assert.deepEqual(
        requests.map((q) => `${q.method} ${q.target} ${q.version}`),
        ["POST /upload HTTP/1.1", "PUT /chunks HTTP/1.1", "GET /last HTTP/1.0"],
        `piece size ${size}`,
      );
      assert.deepEqual(requests[2].headers, [{ name: "User-Agent", value: "x" }]);
      assert.equal(r.state, "request");
    }
  });

  test("header names keep their case and order; values lose leading blanks only", () => {
    const { r, requests } = reader();
    pushText(r, "GET / HTTP/1.1\r\nHOST:  a b \r\nx-Lower:\tv\r\nX-Empty:\r\n\r\n");
    assert.deepEqual(requests[0].headers, [
      { name: "HOST", value: "a b " },
      { name: "x-Lower", value: "v" },
      { name: "X-Empty", value: "" },
    ]);
  });

  test("a line starting with SP/HT that has a colon is a header, blanks kept in its name (as tshark)", () => {
    // Expected JA4H raw strings: the reference harness (FoxIO http.rs rules over tshark 4.0).
    const cases: Array<[string, string]> = [
      [
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  cont: x\r\nUser-Agent: x\r\n\r\n",
        "ge11nn040000_Host,X-A,  cont,User-Agent__",
      ],
      [
        "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\tcont: x\r\nUser-Agent: x\r\n\r\n",
        "ge11nn040000_Host,X-A,\tcont,User-Agent__",
      ],
      ["GET / HTTP/1.1\r\n X-Lead: 1\r\nHost: a\r\n\r\n", "ge11nn020000_ X-Lead,Host__"],
      // " Cookie" and "\tAccept-Language" are not Cookie / Accept-Language (tshark sets no
      // http.cookie or http.accept_language for them).
      [
        "GET / HTTP/1.1\r\nHost: a\r\n Cookie: a=1\r\n\tAccept-Language: fr-FR\r\nX: y\r\n\r\n",
        "ge11nn040000_Host, Cookie,\tAccept-Language,X__",
      ],
      // A folded line without a colon still ends the list.
      ["GET / HTTP/1.1\r\nHost: a\r\n  cont: x\r\n  more\r\nX: y\r\n\r\n", "ge11nn020000_Host,  cont__"],
    ];
    for (const [text, raw] of cases) {
      const { r, requests } = reader();
      pushText(r, text);
      assert.equal(requests.length, 1, JSON.stringify(text));
      assert.equal(ja4h(requests[0])?.ja4h_r, raw, JSON.stringify(text));
    }
    const { r, requests } = reader();
    pushText(r, "GET / HTTP/1.1\r\nHost: a\r\n  cont:\t x \r\n\r\n");
    assert.deepEqual(requests[0].headers[1], { name: "  cont", value: "x " });
  });

  test("CONNECT: what follows is tunnelled data, not requests", () => {
    const { r, requests } = reader();
    pushText(r, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01\x02\x00\x01");
    assert.equal(requests.length, 1);
    assert.equal(r.state, "tunnel");
  });

  test("non-HTTP streams are given up on their first bytes", () => {
    for (const text of [
      "\x16\x03\x01\x02\x00\x01\x00",
      "SSH-2.0-OpenSSH_9.6\r\n",
      "HTTP/1.1 200 OK\r\n",
      "get / HTTP/1.1\r\n",
    ]) {
      const { r, requests, counters } = reader();
      pushText(r, text.slice(0, 6));
      assert.equal(r.state, "not_http", JSON.stringify(text));
      assert.equal(requests.length, 0);
      assert.ok(counters.total() > 0);
    }
  });

  test("HTTP/2: the preface hands the stream to the HTTP/2 reader (prior knowledge and h2c)", () => {
    const headers = Buffer.concat([
      HTTP2_PREFACE,
      Buffer.from("000000040000000000", "hex"), // SETTINGS, empty
      Buffer.from("000003010500000001828684", "hex"), // HEADERS, END_STREAM|END_HEADERS: GET, http, /
    ]);
    for (const prefix of [
      "",
      "GET /chat HTTP/1.1\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAA\r\n\r\n",
    ]) {
      for (const size of [1, 5, 1000]) {
        const { r, requests } = reader();
        pushText(r, prefix + headers.toString("latin1"), size);
        assert.equal(r.state, "http2");
        assert.equal(r.http2?.akamai, "|00|0|m,s,p", `size ${size}`);
        assert.deepEqual(
          requests.map((q) => `${q.method} ${q.target} ${q.version}`),
          [...(prefix ? ["GET /chat HTTP/1.1"] : []), "GET / HTTP/2"],
        );
      }
    }
  });

  test("bounds: head size, number of requests, chunk lines", () => {
    const big = reader({ maxHeadBytes: 100 });
    pushText(big.r, `GET / HTTP/1.1\r\nX: ${"a".repeat(200)}\r\n\r\n`, 10);
    assert.equal(big.r.state, "limit");
    assert.equal(big.requests.length, 0);

    const many = reader({ maxRequests: 3 });
    pushText(many.r, "GET / HTTP/1.1\r\n\r\n".repeat(10));
    assert.equal(many.requests.length, 3);
    assert.equal(many.r.state, "limit");

    const chunk = reader();
    pushText(chunk.r, `POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${"f".repeat(20)}\r\n`);
    assert.equal(chunk.r.state, "error");
  });

  test("bad framing after a good start ends in error, not in a throw", () => {
    for (const text of [
      "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET / HTTP/1.1\r\n\r\n\x00\x01garbage",
    ]) {
      const { r, requests } = reader();
      pushText(r, text, 3);
      assert.equal(r.state, "error", JSON.stringify(text));
      assert.equal(requests.length, 1);
    }
  });

  test("a request head ending in a lone CR: the LF in the next push is not body", () => {
    const { r, requests } = reader();
    pushText(r, "GET /a HTTP/1.1\r\nHost: x\r\n\r");
    pushText(r, "\nGET /b HTTP/1.1\r\n\r\n");
    assert.deepEqual(
      requests.map((q) => q.target),
      ["/a", "/b"],
    );
  });

  test("out-of-range pushes are ignored", () => {
    const { r, requests } = reader();
    const b = Buffer.from("GET / HTTP/1.1\r\n\r\n");
    r.push(b, -1, 5);
    r.push(b, 100, 5);
    r.push(b, 0, 1000);
    assert.equal(requests.length, 1);
  });
});
