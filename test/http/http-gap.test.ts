/**
 * TCP gaps in the client stream: bytes on either side of a hole are never joined into one
 * request (tshark, the reference's view, shows no request whose head has a hole). Reading
 * resumes at a segment that starts with a request line, as tshark does, or, when the lost
 * bytes are known to lie inside a body, where the sequence numbers put the next request.
 * HTTP/2 cannot resume (frame boundaries and HPACK state are lost).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import { readCapture } from "../../src/capture/file-source.js";
import { Http1RequestReader } from "../../src/fingerprint/http/http1-request.js";
import { HTTP2_PREFACE } from "../../src/fingerprint/http/http2.js";
import type { HttpRequest } from "../../src/fingerprint/http/request.js";
import { SnifferEngine } from "../../src/sniffer/engine.js";
import type { Observation } from "../../src/sniffer/observation.js";
import { Counters } from "../../src/util/counters.js";
import { runSegments } from "../helpers/tcp-session.js";
import { ACK, PSH_ACK, ScriptedConnection } from "../ssh/pcap-writer.js";
import { skipWithoutTshark } from "../ssh/tshark-streams.js";
import { httpAnalyzer } from "./build.js";

function reader() {
  const requests: HttpRequest[] = [];
  const counters = new Counters();
  const r = new Http1RequestReader((req) => requests.push(req), { counters });
  const push = (text: string): void => {
    const b = Buffer.from(text, "latin1");
    r.push(b, 0, b.length);
  };
  const seen = (): string[] =>
    requests.map((q) => `${q.method} ${q.target} ${q.headers.map((h) => h.name).join(",")}`);
  return { r, requests, counters, push, seen };
}

/** The reviewer's case: a head whose middle segment is lost. */
const HEAD_START = "GET / HTTP/1.1\r\nHost: a\r\nUser-Ag";
const HEAD_LOST = "ent: x\r\nAccept-Language: fr\r\nCook";
const HEAD_END = "ie: a=1\r\n\r\n";

describe("Http1RequestReader.gap", () => {
  test("a hole inside a head: no request is made up from the bytes around it", () => {
    const { r, push, seen, counters } = reader();
    push(HEAD_START);
    r.gap();
    push(HEAD_END);
    assert.deepEqual(seen(), []);
    assert.equal(r.state, "resync");
    assert.equal(counters.get("http1.gap"), 1);
    // The next segment that starts with a request line is read (tshark reads it too).
    push("GET /next HTTP/1.1\r\nHost: b\r\n\r\n");
    assert.deepEqual(seen(), ["GET /next Host"]);
    assert.equal(r.state, "request");
  });

  test("resumes only at a piece that starts with a whole request line", () => {
    for (const text of [
      `${HEAD_END}GET /mid HTTP/1.1\r\nHost: m\r\n\r\n`, // a request line, but not at the start
      "GET /x\r\nHost: m\r\n\r\n", // no version
      "get / HTTP/1.1\r\n\r\n", // not a method token
      "GET / HTTP/1\r\n\r\n", // no minor version
      "GET  / HTTP/1.1\r\n\r\n", // empty target
      "GET / HTTP/1.1 x\r\n\r\n", // something after the version
      " GET / HTTP/1.1\r\n\r\n",
      "ET /a HTTP/1.1\r\nHost: m\r\n\r\n", // the end of a "GET" whose G was lost
      "PROPFIND /a HTTP/1.1\r\n\r\n", // a method JA4H does not fingerprint
      "GET / HTTP/1.",
    ]) {
      const { r, push, seen } = reader();
      push(HEAD_START);
      r.gap();
      push(text);
      assert.deepEqual(seen(), [], JSON.stringify(text));
      assert.equal(r.state, "resync", JSON.stringify(text));
    }
    // A request line may end with the piece: the rest of the head follows.
    const { r, push, seen } = reader();
    push(HEAD_START);
    r.gap();
    push("PUT /up HTTP/1.0");
    push("\r\nHost: u\r\n\r\n");
    assert.deepEqual(seen(), ["PUT /up Host"]);
  });

  test("a hole between requests, a hole in a body of unknown extent: resync at the next request line", () => {
    const between = reader();
    between.push("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    between.r.gap();
    between.push("GET /next HTTP/1.1\r\nHost: b\r\nUser-Agent: z\r\n\r\n");
    assert.deepEqual(between.seen(), ["GET / Host", "GET /next Host,User-Agent"]);

    const body = reader();
    body.push("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\nhello");
    body.r.gap(); // how much was lost is not known: the body end is not either
    body.push("0123456789GET /b HTTP/1.1\r\nHost: b\r\n\r\n");
    body.push("GET /c HTTP/1.1\r\nHost: c\r\n\r\n");
    assert.deepEqual(body.seen(), ["POST /a Host,Content-Length", "GET /c Host"]);
  });

  test("lost bytes known to lie inside a body are counted off it (tshark finds /b there too)", () => {
    for (const [head, lost, rest] of [
      [
        "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\nhello",
        5,
        "0123456789GET /b HTTP/1.1\r\nHost: b\r\n\r\n",
      ],
      [
        "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello",
        5,
        "GET /b HTTP/1.1\r\nHost: b\r\n\r\n",
      ],
      [
        "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nhel",
        3,
        "lo\r\n0\r\n\r\nGET /b HTTP/1.1\r\nHost: b\r\n\r\n",
      ],
    ] as const) {
      const { r, push, seen } = reader();
      push(head);
      r.gap(lost);
      push(rest);
      assert.equal(seen()[1], "GET /b Host", head);
    }
    // More lost than the body had left: the next head's start went with it.
    const { r, push, seen } = reader();
    push("POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nhello");
    r.gap(8);
    push("/b HTTP/1.1\r\nHost: b\r\n\r\n");
    assert.deepEqual(seen(), ["POST /a Content-Length"]);
    assert.equal(r.state, "resync");
  });

  test("property: with any one piece lost, every request read is one that was sent", () => {
    const method = fc.constantFrom("GET", "POST", "PUT", "OPTIONS");
    const token = fc.stringMatching(/^[A-Za-z][A-Za-z-]{0,12}$/);
    const request = fc
      .record({
        method,
        target: fc.stringMatching(/^\/[a-z0-9/]{0,20}$/),
        headers: fc.array(fc.tuple(token, fc.stringMatching(/^[ -~]{0,30}$/)), { maxLength: 6 }),
        body: fc.stringMatching(/^[a-z]{0,40}$/),
      })
      .map((q) => {
        const lines = q.headers.filter(
          ([n]) => n.toLowerCase() !== "content-length" && n.toLowerCase() !== "transfer-encoding",
        );
        if (q.body !== "") lines.push(["Content-Length", String(q.body.length)]);
        const text = `${q.method} ${q.target} HTTP/1.1\r\n${lines.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n${q.body}`;
        return {
          key: `${q.method} ${q.target} ${lines.map(([n, v]) => `${n}=${v.trimStart()}`).join("|")}`,
          text,
        };
      });
    fc.assert(
      fc.property(
        fc.array(request, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        (reqs, sizes, lostAt) => {
          const data = Buffer.from(reqs.map((q) => q.text).join(""), "latin1");
          const pieces: Buffer[] = [];
          for (let o = 0, i = 0; o < data.length; o += sizes[i++ % sizes.length]) {
            pieces.push(data.subarray(o, o + sizes[i % sizes.length]));
          }
          const lost = lostAt % pieces.length;
          const got: string[] = [];
          const r = new Http1RequestReader(
            (q) =>
              got.push(`${q.method} ${q.target} ${q.headers.map((h) => `${h.name}=${h.value}`).join("|")}`),
            { counters: new Counters() },
          );
          pieces.forEach((b, i) => {
            if (i === lost) r.gap();
            else r.push(b, 0, b.length);
          });
          // In order, each one of the requests sent (none made of bytes from both sides).
          let k = 0;
          for (const g of got) {
            while (k < reqs.length && reqs[k].key !== g) k++;
            assert.ok(k < reqs.length, `made-up request ${JSON.stringify(g)}`);
            k++;
          }
        },
      ),
      { seed: 0x4792, numRuns: 3000 },
    );
  });

  test("HTTP/2: a gap stops the reader (frames and HPACK state are lost)", () => {
    const { r, requests, counters } = reader();
    const headers = Buffer.from("000003010500000001828684", "hex"); // HEADERS: GET, http, /
    const start = Buffer.concat([HTTP2_PREFACE, Buffer.from("000000040000000000", "hex")]);
    r.push(start, 0, start.length);
    r.gap();
    r.push(headers, 0, headers.length);
    assert.equal(requests.length, 0);
    assert.equal(r.http2?.state, "error");
    assert.equal(r.http2?.error, "http2.gap");
    assert.equal(counters.get("http2.gap"), 1);
  });
});

describe("HttpAnalyzer.onGap", () => {
  const analyzer = httpAnalyzer;

  test("a client gap inside a head: no JA4H (the reviewer's case)", () => {
    const { a, events, data } = analyzer();
    data(true, HEAD_START);
    a.onGap(true);
    data(true, HEAD_END);
    assert.deepEqual(events, []);
  });

  test("a server-side gap does not touch the client stream", () => {
    const { a, events, data } = analyzer();
    data(true, HEAD_START);
    a.onGap(false);
    data(true, `${HEAD_LOST}${HEAD_END}`);
    assert.equal(events.length, 1);
  });

  test("HTTP/2: after a client gap the analyzer is finished", () => {
    const { a, events, data } = analyzer();
    data(true, Buffer.concat([HTTP2_PREFACE, Buffer.from("000000040000000000", "hex")]));
    assert.equal(a.finished, false);
    a.onGap(true);
    assert.equal(a.finished, true);
    data(true, Buffer.from("000003010500000001828684", "hex"));
    assert.deepEqual(events, []);
  });
});

const skip = skipWithoutTshark();
const dir = mkdtempSync(join(tmpdir(), "http-gap-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A client stream of segments, the `lost` ones left out of the capture. */
function lossyCapture(name: string, port: number, segments: Array<[text: string, lost?: boolean]>): string {
  const k = new ScriptedConnection(port, 80).handshake();
  let seq = k.seqOf(true);
  for (const [text, lost] of segments) {
    if (!lost) k.packet(true, PSH_ACK, Buffer.from(text, "latin1"), seq);
    seq += text.length;
  }
  k.packet(false, ACK);
  const file = join(dir, `${name}.pcap`);
  k.write(file);
  return file;
}

/** "METHOD URI name,name" per request tshark dissects (no Cookie/Referer in these cases). */
function tsharkRequests(file: string): string[] {
  const out = spawnSync(
    "tshark",
    [
      "-n",
      "-r",
      file,
      "-Y",
      "http.request",
      "-T",
      "fields",
      "-E",
      "occurrence=a",
      "-E",
      "aggregator=|",
      "-e",
      "http.request.method",
      "-e",
      "http.request.uri",
      "-e",
      "http.request.line",
    ],
    { encoding: "utf8" },
  ).stdout;
  return out
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const [method, uri, lines] = l.split("\t");
      const names = lines === "" ? [] : lines.split("|").map((h) => h.split(":")[0]);
      return `${method} ${uri} ${names.join(",")}`;
    });
}

/** The same per http_request_fingerprint event of the engine (names from ja4h_r). */
async function engineRequests(file: string): Promise<string[]> {
  const obs: Observation[] = [];
  const engine = new SnifferEngine({ onObservation: (o) => obs.push(o) });
  await readCapture(file, (f) => engine.handleFrame(f));
  engine.finish();
  return obs
    .filter((o) => o.eventType === "http_request_fingerprint")
    .map((o) => `${o.fields.method} ${o.fields.path} ${o.fields.ja4h_r.split("_")[1]}`);
}

describe("a lost client segment, end to end, against tshark", { skip }, () => {
  const cases: Record<string, Array<[string, boolean?]>> = {
    "inside a head": [[HEAD_START], [HEAD_LOST, true], [HEAD_END], ["GET /next HTTP/1.1\r\nHost: b\r\n\r\n"]],
    "inside a head, a request line later in the same segment": [
      [HEAD_START],
      [HEAD_LOST, true],
      [`${HEAD_END}GET /mid HTTP/1.1\r\nHost: m\r\n\r\n`],
      ["GET /next HTTP/1.1\r\nHost: b\r\n\r\n"],
    ],
    "a whole request": [
      ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"],
      ["GET /lost HTTP/1.1\r\nHost: l\r\n\r\n", true],
      ["GET /next HTTP/1.1\r\nHost: b\r\nUser-Agent: z\r\n\r\n"],
    ],
  };
  let port = 42000;
  for (const [name, segments] of Object.entries(cases)) {
    const p = port++;
    test(name, async () => {
      const file = lossyCapture(`case-${p}`, p, segments);
      const theirs = tsharkRequests(file);
      assert.ok(theirs.length > 0, "tshark read a request (the case is not vacuous)");
      assert.deepEqual(await engineRequests(file), theirs);
    });
  }
});

describe("engine: bytes lost inside a request body", () => {
  test("the engine hands the lost byte count on, so the next request in the same segment is read", () => {
    // Content-Length 20: 10 body bytes, 5 lost, then 5 more and a GET in one segment.
    const head = Buffer.from("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n0123456789");
    const lostLen = 5;
    const tail = Buffer.from("FGHIJGET /x HTTP/1.1\r\nHost: b\r\n\r\n");
    const C = 1000;
    const S = 5000;
    const { obs } = runSegments(
      [
        { fromClient: true, flags: 0x02, seq: C },
        { fromClient: false, flags: 0x12, seq: S },
        { fromClient: true, flags: 0x10, seq: C + 1 },
        { fromClient: true, flags: 0x18, seq: C + 1, payload: head },
        { fromClient: true, flags: 0x18, seq: C + 1 + head.length + lostLen, payload: tail },
        { fromClient: true, flags: 0x11, seq: C + 1 + head.length + lostLen + tail.length },
        { fromClient: false, flags: 0x11, seq: S + 1 },
      ],
      { ends: { serverPort: 80 } },
    );
    // JA4H by hand (FoxIO JA4H.md): method, version, no cookie/referer, header count, no
    // Accept-Language; then sha256/12 of the header names in order.
    const sha12 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 12);
    assert.deepEqual(
      obs.filter((o) => o.eventType === "http_request_fingerprint").map((o) => o.fields.ja4h),
      [
        `po11nn020000_${sha12("Host,Content-Length")}_000000000000_000000000000`,
        `ge11nn010000_${sha12("Host")}_000000000000_000000000000`,
      ],
    );
  });
});
