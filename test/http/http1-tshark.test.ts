/**
 * Differential test of Http1RequestReader against tshark, whose HTTP view the reference
 * JA4H is computed from: for hand-written edge cases written as pcaps, the methods,
 * versions, header names (tshark's `http.request.line` up to the first colon), Cookie and
 * Accept-Language values must be the same.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Http1RequestReader } from "../../src/fingerprint/http/http1-request.js";
import type { HttpRequest } from "../../src/fingerprint/http/request.js";
import { Counters } from "../../src/util/counters.js";
import { ACK, ScriptedConnection } from "../ssh/pcap-writer.js";
import { skipWithoutTshark } from "../ssh/tshark-streams.js";

const CASES: Record<string, string> = {
  "plain GET":
    "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
  "a line without colon ends the header list": "GET / HTTP/1.1\r\nHost: a\r\nFoo\r\nX: 1\r\n\r\n",
  "space before the colon stays in the name": "GET / HTTP/1.1\r\nHost : a\r\nX-Y:z\r\nCookie : a=1\r\n\r\n",
  "obs-fold continuation ends the header list":
    "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\nAccept: */*\r\n\r\n",
  "a folded line with a colon is a header named with its blanks":
    "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  cont: x\r\n\tCookie: c=1\r\nUser-Agent: x\r\n\r\n",
  "a first header line starting with a blank": "GET / HTTP/1.1\r\n X-Lead: 1\r\nHost: a\r\n\r\n",
  "LF-only line ends": "GET / HTTP/1.1\nHost: a\nAccept-Language:  en-GB;q=0.9, fr\nCookie: b=2; a=1\n\n",
  "lowercase cookie and referer":
    "GET / HTTP/1.1\r\nhost: a\r\ncookie: z=1; y=2\r\nreferer: x\r\nCOOKIE: w=3\r\n\r\n",
  "two Cookie headers": "GET / HTTP/1.1\r\nCookie: b=1\r\nCookie: a=2\r\nHost: x\r\n\r\n",
  "non-ASCII bytes":
    "GET / HTTP/1.1\r\nX-\xc3\xa9t\xc3\xa9: 1\r\nCookie: n\xc3\xa9=v\xff; k=v\r\nAccept-Language: \xc3\x89S-mx\r\n\r\n",
  "empty values": "GET / HTTP/1.1\r\nUser-Agent:\r\nAccept-Language:\r\nCookie:\r\n\r\n",
  "pipelined after a Content-Length body":
    "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.0\r\nHost: b\r\n\r\n",
  "pipelined after a chunked body":
    "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\nGET /c HTTP/1.1\r\nHost: c\r\n\r\n",
  "no headers": "GET / HTTP/1.0\r\n\r\n",
  "leading empty line": "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
  "tabs around values": "GET / HTTP/1.1\r\nHost:\ta\r\nAccept-Language:\t da-DK , en\r\n\r\n",
  "lowercase method is not HTTP": "get / HTTP/1.1\r\nHost: a\r\n\r\n",
  "HTTP/0.9 request line": "GET /\r\n\r\n",
  "trailing blanks kept":
    "GET / HTTP/1.1\r\nCookie:  a=1; b=2  \r\nAccept-Language: en-US  \r\nHost: x\r\n\r\n",
  "a lone CR ends a line": "GET / HTTP/1.1\r\nX-A: 1\rX-B: 2\r\nHost: x\r\n\r\n",
  "empty header name": "GET / HTTP/1.1\r\n: foo\r\nHost: x\r\n\r\n",
  "absolute target": "GET http://a.b/c?d HTTP/1.1\r\nHost: a.b\r\n\r\n",
  "two spaces in the request line": "GET  /  HTTP/1.1\r\nHost: a\r\n\r\n",
  "semicolons in cookies": "GET / HTTP/1.1\r\nCookie: a=1;b=2; c; =d; e==f;\r\n\r\n",
};

interface View {
  methods: string[];
  versions: string[];
  names: string[];
  cookies: string[];
  languages: string[];
}

function tsharkView(file: string): View {
  const args = ["-n", "-r", file, "-Y", "http.request", "-T", "json"];
  for (const f of [
    "http.request.method",
    "http.request.version",
    "http.request.line",
    "http.cookie",
    "http.accept_language",
  ]) {
    args.push("-e", f);
  }
  const r = spawnSync("tshark", args, { encoding: "utf8" });
  const v: View = { methods: [], versions: [], names: [], cookies: [], languages: [] };
  const packets =
    r.stdout.trim() === ""
      ? []
      : (JSON.parse(r.stdout) as { _source: { layers: Record<string, string[]> } }[]);
  for (const p of packets) {
    const l = p._source.layers;
    v.methods.push(...(l["http.request.method"] ?? []));
    v.versions.push(...(l["http.request.version"] ?? []));
    v.names.push(...(l["http.request.line"] ?? []).map((line) => line.split(":")[0]));
    v.cookies.push(...(l["http.cookie"] ?? []));
    v.languages.push(...(l["http.accept_language"] ?? []));
  }
  return v;
}

function ourView(requests: HttpRequest[]): View {
  const v: View = { methods: [], versions: [], names: [], cookies: [], languages: [] };
  for (const req of requests) {
    v.methods.push(req.method);
    v.versions.push(req.version);
    for (const h of req.headers) {
      v.names.push(h.name);
      if (h.name.toLowerCase() === "cookie") v.cookies.push(h.value);
      if (h.name.toLowerCase() === "accept-language") v.languages.push(h.value);
    }
  }
  return v;
}

const skip = skipWithoutTshark();
const dir = mkdtempSync(join(tmpdir(), "http1-tshark-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("Http1RequestReader against tshark", { skip }, () => {
  let i = 0;
  for (const [name, text] of Object.entries(CASES)) {
    const n = i++;
    test(name, () => {
      const data = Buffer.from(text, "latin1");
      // Sent in three segments, so both sides must reassemble.
      const k = new ScriptedConnection(41000 + n, 80).handshake();
      const a = Math.floor(data.length / 3);
      const b = Math.floor((2 * data.length) / 3);
      k.send(true, data.subarray(0, a))
        .send(true, data.subarray(a, b))
        .send(true, data.subarray(b))
        .packet(false, ACK);
      const file = join(dir, `case-${n}.pcap`);
      k.write(file);
      const requests: HttpRequest[] = [];
      const reader = new Http1RequestReader((req) => requests.push(req), { counters: new Counters() });
      reader.push(data, 0, a);
      reader.push(data, a, b - a);
      reader.push(data, b, data.length - b);
      assert.deepEqual(ourView(requests), tsharkView(file));
    });
  }
});
