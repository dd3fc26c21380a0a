import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { HpackDecoder } from "../../src/fingerprint/http/hpack.js";
import { akamaiFingerprint, HTTP2_PREFACE, Http2ClientReader } from "../../src/fingerprint/http/http2.js";
import { huffmanCode, huffmanDecode } from "../../src/fingerprint/http/huffman.js";
import { ja4h } from "../../src/fingerprint/http/ja4h.js";
import type { HttpRequest } from "../../src/fingerprint/http/request.js";
import { Counters } from "../../src/util/counters.js";
import { ACK, ScriptedConnection } from "../ssh/pcap-writer.js";
import { skipWithoutTshark } from "../ssh/tshark-streams.js";
import { h2Frame } from "./build.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

const frame = h2Frame;
function settingsFrame(pairs: Array<[number, number]>): Buffer {
  const p = Buffer.alloc(6 * pairs.length);
  pairs.forEach(([id, v], i) => {
    p.writeUInt16BE(id, 6 * i);
    p.writeUInt32BE(v, 6 * i + 2);
  });
  return frame(4, 0, 0, p);
}
function windowUpdate(stream: number, inc: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(inc, 0);
  return frame(8, 0, stream, p);
}
function priorityFrame(stream: number, exclusive: boolean, dep: number, wireWeight: number): Buffer {
  const p = Buffer.alloc(5);
  p.writeUInt32BE((exclusive ? 0x80000000 : 0) + dep, 0);
  p[4] = wireWeight;
  return frame(2, 0, stream, p);
}
/** HPACK string literal, optionally Huffman-coded with the RFC 7541 code (lengths < 127). */
function hpackString(s: Buffer | string, huffman = false): Buffer {
  const raw = typeof s === "string" ? Buffer.from(s, "latin1") : s;
  if (!huffman) return Buffer.concat([Buffer.from([raw.length]), raw]);
  const bits: number[] = [];
  for (const b of raw) {
    const { code, bits: n } = huffmanCode(b);
    for (let i = n - 1; i >= 0; i--) bits.push(Math.floor(code / 2 ** i) % 2);
  }
  while (bits.length % 8) bits.push(1); // EOS prefix padding
  const out = Buffer.alloc(bits.length / 8);
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[i >> 3] |= 0x80 >> (i & 7);
  return Buffer.concat([Buffer.from([0x80 | out.length]), out]);
}

describe("HPACK (RFC 7541 Appendix C)", () => {
  test("C.3: requests without Huffman coding, one decoder across three blocks", () => {
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(hex("828684410f7777772e6578616d706c652e636f6d"), 0, 20), [
      { name: ":method", value: "GET" },
      { name: ":scheme", value: "http" },
      { name: ":path", value: "/" },
      { name: ":authority", value: "www.example.com" },
    ]);
    assert.equal(d.dynamicEntries, 1);
    const b2 = hex("828684be58086e6f2d6361636865");
    assert.deepEqual(d.decode(b2, 0, b2.length)?.slice(3), [
      { name: ":authority", value: "www.example.com" },
      { name: "cache-control", value: "no-cache" },
    ]);
    const b3 = hex("828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565");
    assert.deepEqual(d.decode(b3, 0, b3.length), [
      { name: ":method", value: "GET" },
      { name: ":scheme", value: "https" },
      { name: ":path", value: "/index.html" },
      { name: ":authority", value: "www.example.com" },
      { name: "custom-key", value: "custom-value" },
    ]);
    assert.equal(d.dynamicEntries, 3);
  });

  test("C.4: the same requests with Huffman coding", () => {
    const d = new HpackDecoder();
    const b1 = hex("828684418cf1e3c2e5f23a6ba0ab90f4ff");
    assert.equal(d.decode(b1, 0, b1.length)?.[3].value, "www.example.com");
    const b2 = hex("828684be5886a8eb10649cbf");
    assert.equal(d.decode(b2, 0, b2.length)?.[4].value, "no-cache");
    const b3 = hex("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf");
    assert.deepEqual(d.decode(b3, 0, b3.length)?.[4], { name: "custom-key", value: "custom-value" });
  });

  test("Huffman: C.6.1 '302', padding and EOS rules (§5.2)", () => {
    const out = new Uint8Array(16);
    assert.equal(huffmanDecode(hex("6402"), 0, 2, out), 3);
    assert.equal(Buffer.from(out.subarray(0, 3)).toString(), "302");
    assert.equal(huffmanDecode(Buffer.from([0x07]), 0, 1, out), 1); // '0' + 3 one-bits
    assert.equal(huffmanDecode(Buffer.from([0x00]), 0, 1, out), -1); // padding not all ones
    assert.equal(huffmanDecode(Buffer.from([0x07, 0xff]), 0, 2, out), -1); // padding > 7 bits
    assert.equal(huffmanDecode(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, out), -1); // EOS
  });

  test("table size updates evict; indexes past the table are errors", () => {
    const d = new HpackDecoder();
    const add = Buffer.concat([Buffer.from([0x40]), hpackString("x-a"), hpackString("1")]);
    d.decode(add, 0, add.length);
    assert.equal(d.dynamicEntries, 1);
    assert.deepEqual(d.decode(Buffer.from([0x20, 0xbe]), 0, 2), undefined); // size 0, then index 62
    assert.equal(d.broken, true);
  });
});

const CHROME = Buffer.concat([
  HTTP2_PREFACE,
  settingsFrame([
    [1, 65536],
    [2, 0],
    [4, 6291456],
    [6, 262144],
  ]),
  windowUpdate(0, 15663105),
  // HEADERS, END_STREAM|END_HEADERS|PRIORITY: :method GET, :authority (literal, Huffman),
  // :scheme https, :path /, user-agent, accept-language.
  frame(
    1,
    0x25,
    1,
    Buffer.concat([
      Buffer.from([0x80, 0, 0, 0, 255]),
      Buffer.from([0x82, 0x41]),
      hpackString("decky.example", true),
      Buffer.from([0x87, 0x84, 0x7a]),
      hpackString("Mozilla/5.0", true),
      Buffer.from([0x51]),
      hpackString("en-US,en;q=0.9"),
    ]),
  ),
]);

const FIREFOX = Buffer.concat([
  HTTP2_PREFACE,
  settingsFrame([
    [1, 65536],
    [4, 131072],
    [5, 16384],
  ]),
  windowUpdate(0, 12517377),
  priorityFrame(3, false, 0, 200),
  priorityFrame(5, false, 0, 100),
  priorityFrame(7, false, 0, 0),
  priorityFrame(9, false, 7, 0),
  priorityFrame(11, false, 3, 0),
  // HEADERS split over a padded HEADERS frame and a CONTINUATION: m, p, a, s.
  frame(1, 0x08, 13, Buffer.concat([Buffer.from([3, 0x82, 0x84]), Buffer.alloc(3)])),
  frame(9, 0x04, 13, Buffer.concat([Buffer.from([0x41]), hpackString("decky.example"), Buffer.from([0x87])])),
  // A second request on stream 15 reuses the :authority entry from the dynamic table.
  frame(1, 0x05, 15, Buffer.from([0x82, 0x84, 0xbe, 0x87])),
]);

describe("Http2ClientReader and the Akamai fingerprint", () => {
  test("a Chrome-like preface, worked out by hand, in pieces of every size", () => {
    for (const size of [1, 2, 5, 9, 24, 100, CHROME.length]) {
      const requests: HttpRequest[] = [];
      const r = new Http2ClientReader((q) => requests.push(q), { counters: new Counters() });
      for (let i = 0; i < CHROME.length; i += size) {
        const piece = Buffer.from(CHROME.subarray(i, i + size));
        r.push(piece, 0, piece.length);
      }
      // SETTINGS in order; the WINDOW_UPDATE increment; no PRIORITY frames → "0";
      // :method, :authority, :scheme, :path → m,a,s,p (the HEADERS frame's own priority
      // fields are not part of the fingerprint).
      assert.equal(r.akamai, "1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p", `size ${size}`);
      assert.equal(requests.length, 1);
      assert.deepEqual(
        requests[0].headers.map((h) => `${h.name}: ${h.value}`),
        [
          ":method: GET",
          ":authority: decky.example",
          ":scheme: https",
          ":path: /",
          "user-agent: Mozilla/5.0",
          "accept-language: en-US,en;q=0.9",
        ],
      );
      // 6 fields, no cookie/referer, language "en-US" → "enus".
      assert.equal(ja4h(requests[0])?.ja4h_r.split("_")[0], "ge20nn06enus");
    }
  });

  test("a Firefox-like preface with PRIORITY frames and a CONTINUATION", () => {
    const requests: HttpRequest[] = [];
    const r = new Http2ClientReader((q) => requests.push(q), { counters: new Counters() });
    r.push(FIREFOX, 0, FIREFOX.length);
    // Weights are printed as 1-256: wire 200 → 201, 100 → 101, 0 → 1.
    assert.equal(
      r.akamai,
      "1:65536;4:131072;5:16384|12517377|3:0:0:201,5:0:0:101,7:0:0:1,9:0:7:1,11:0:3:1|m,p,a,s",
    );
    assert.equal(requests.length, 2);
    assert.equal(requests[1].headers[2].value, "decky.example");
  });

  test("no WINDOW_UPDATE before the first HEADERS gives 00; later frames do not count", () => {
    const data = Buffer.concat([
      HTTP2_PREFACE,
      settingsFrame([[3, 100]]),
      frame(1, 0x04, 1, Buffer.from([0x82, 0x87, 0x84, 0x41, 0x01, 0x61])),
      windowUpdate(0, 1000),
      priorityFrame(3, true, 1, 15),
    ]);
    const r = new Http2ClientReader(undefined, { counters: new Counters() });
    r.push(data, 0, data.length);
    assert.equal(r.akamai, "3:100|00|0|m,s,p,a");
    assert.equal(
      akamaiFingerprint({ settings: [], windowUpdate: 1, priorities: [], pseudoHeaders: [":protocol"] }),
      "|1|0|",
    );
  });

  test("errors and bounds end in a final state, never a throw", () => {
    const bad = (data: Buffer, state: string, opts = {}) => {
      const r = new Http2ClientReader(undefined, { counters: new Counters(), ...opts });
      r.push(data, 0, data.length);
      assert.equal(r.state, state);
    };
    bad(Buffer.from("GET / HTTP/1.1\r\n\r\n"), "not_http2");
    bad(Buffer.concat([HTTP2_PREFACE, frame(1, 0x04, 1, Buffer.from([0xff, 0xff]))]), "error"); // HPACK index overflow
    bad(Buffer.concat([HTTP2_PREFACE, frame(1, 0, 1, Buffer.from([0x82])), settingsFrame([])]), "error"); // no CONTINUATION
    bad(Buffer.concat([HTTP2_PREFACE, frame(4, 0, 0, Buffer.alloc(5))]), "error"); // SETTINGS not a multiple of 6
    bad(Buffer.concat([HTTP2_PREFACE, frame(1, 0x04, 1, Buffer.alloc(300, 0x82))]), "limit", {
      maxHeaderBlock: 256,
    });
    const done = new Http2ClientReader(undefined, { counters: new Counters(), maxRequests: 1 });
    done.push(CHROME, 0, CHROME.length);
    assert.equal(done.state, "done");
  });
});

const skip = skipWithoutTshark();
const dir = mkdtempSync(join(tmpdir(), "http2-tshark-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function tsharkFields(file: string, fields: string[]): string[][] {
  const args = ["-n", "-r", file, "-Y", "http2", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|"];
  for (const f of fields) args.push("-e", f);
  const out = spawnSync("tshark", args, { encoding: "utf8" }).stdout;
  return out
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => l.split("\t"));
}

function writeConnection(name: string, data: Buffer): string {
  const file = join(dir, `${name}.pcap`);
  new ScriptedConnection(40000, 80).handshake().send(true, data).packet(false, ACK).write(file);
  return file;
}

describe("HTTP/2 against tshark", { skip }, () => {
  test("the Akamai ingredients tshark sees in the hand-built prefaces", () => {
    for (const [name, data] of [
      ["chrome", CHROME],
      ["firefox", FIREFOX],
    ] as const) {
      const file = writeConnection(name, data);
      const [row] = tsharkFields(file, [
        "http2.settings.id",
        "http2.window_update.window_size_increment",
        "http2.streamid",
        "http2.type",
        "http2.exclusive",
        "http2.stream_dependency",
        "http2.headers.weight_real",
        "http2.header.name",
      ]);
      const [ids, wu, streams, types, excl, deps, weights, names] = row.map((c) =>
        c === "" ? [] : c.split("|"),
      );
      const r = new Http2ClientReader(undefined, { counters: new Counters() });
      r.push(data, 0, data.length);
      const fp = r.fingerprint!;
      assert.deepEqual(
        fp.settings.map(([id]) => String(id)),
        ids,
      );
      assert.equal(String(fp.windowUpdate), wu[0]);
      // tshark lists the priority fields of PRIORITY frames and of HEADERS frames with the
      // PRIORITY flag; keep the PRIORITY frames (type 2).
      const priorityStreams = streams.filter((_, i) => types[i] === "2");
      assert.deepEqual(
        fp.priorities.map((p) => `${p.streamId}:${p.exclusive ? 1 : 0}:${p.dependsOn}:${p.weight}`),
        priorityStreams.map(
          (s, i) => `${s}:${excl[i] === "1" || excl[i] === "True" ? 1 : 0}:${deps[i]}:${weights[i]}`,
        ),
      );
      assert.deepEqual(
        fp.pseudoHeaders,
        names.filter((n) => n.startsWith(":")).slice(0, fp.pseudoHeaders.length),
      );
    }
  });

  test("Huffman code of every octet: tshark decodes what the RFC code lengths encode", () => {
    // 256 literal fields "x<i>: <octet i three times>", Huffman-coded, never indexed.
    const fields: Buffer[] = [];
    for (let i = 0; i < 256; i++) {
      fields.push(Buffer.from([0x10]), hpackString(`x${i}`), hpackString(Buffer.from([i, i, i]), true));
    }
    const block = Buffer.concat(fields);
    const frames: Buffer[] = [HTTP2_PREFACE, settingsFrame([])];
    // Split the block over HEADERS + CONTINUATION frames of at most 2000 bytes.
    for (let at = 0; at < block.length; at += 2000) {
      const last = at + 2000 >= block.length;
      frames.push(frame(at === 0 ? 1 : 9, last ? 0x05 : 0x01, 1, block.subarray(at, at + 2000)));
    }
    const data = Buffer.concat(frames);
    const file = writeConnection("huffman", data);
    const json = spawnSync(
      "tshark",
      [
        "-n",
        "-r",
        file,
        "-Y",
        "http2.type == 1",
        "-T",
        "json",
        "-e",
        "http2.header.value.length",
        "-e",
        "http2.header.value",
      ],
      { encoding: "utf8" },
    ).stdout;
    const layers = (JSON.parse(json) as { _source: { layers: Record<string, string[]> } }[])[0]._source
      .layers;
    const lengths = layers["http2.header.value.length"];
    assert.equal(lengths.length, 256);
    assert.ok(
      lengths.every((l) => l === "3"),
      "tshark decoded every value to 3 octets",
    );
    const theirs = layers["http2.header.value"];
    const ours = new HpackDecoder().decode(block, 0, block.length)!.map((f) => f.value);
    // Printable ASCII octets come out identical on both sides (tshark escapes the rest).
    for (let i = 0x20; i < 0x7f; i++) assert.equal(ours[i], theirs[i], `octet ${i}`);
    for (let i = 0x80; i < 0x100; i++) assert.equal(ours[i], "\ufffd\ufffd\ufffd");
  });
});
