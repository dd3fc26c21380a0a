/**
 * HPACK decoding limits, with hand-built header blocks and expectations from RFC 7541 and
 * RFC 9113 (and, where it runs, tshark, whose HPACK view the reference JA4H has):
 * - the decoded header list of one block is bounded (RFC 7541 §7.3, RFC 9113 §10.5.1),
 *   measured as SETTINGS_MAX_HEADER_LIST_SIZE is (RFC 9113 §6.5.2: name + value + 32);
 * - a dynamic table size update must come before the block's first field and must not
 *   exceed SETTINGS_HEADER_TABLE_SIZE, 4,096 unless the decoding side said otherwise
 *   (RFC 7541 §4.2, §6.3).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import { HpackDecoder } from "../../src/fingerprint/http/hpack.js";
import { HTTP2_PREFACE, Http2ClientReader } from "../../src/fingerprint/http/http2.js";
import { ja4h } from "../../src/fingerprint/http/ja4h.js";
import type { HttpRequest } from "../../src/fingerprint/http/request.js";
import { Counters } from "../../src/util/counters.js";
import { ACK, ScriptedConnection } from "../ssh/pcap-writer.js";
import { skipWithoutTshark } from "../ssh/tshark-streams.js";
import { h2Frame } from "./build.js";

/** RFC 7541 §5.1 integer with an N-bit prefix; `first` holds the pattern bits. */
function int(prefixBits: number, first: number, v: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (v < max) return Buffer.from([first | v]);
  const out = [first | max];
  v -= max;
  while (v >= 128) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}
/** §5.2 string literal, no Huffman coding. */
const str = (s: string): Buffer => Buffer.concat([int(7, 0, s.length), Buffer.from(s, "latin1")]);
/** §6.1 indexed field. */
const indexed = (i: number): Buffer => int(7, 0x80, i);
/** §6.2.1 literal with incremental indexing, new name. */
const litIndexed = (name: string, value: string): Buffer =>
  Buffer.concat([Buffer.from([0x40]), str(name), str(value)]);
/** §6.2.2 literal without indexing, new name. */
const litPlain = (name: string, value: string): Buffer =>
  Buffer.concat([Buffer.from([0x00]), str(name), str(value)]);
/** §6.3 dynamic table size update. */
const sizeUpdate = (n: number): Buffer => int(5, 0x20, n);

const frame = h2Frame;
/** HEADERS with END_STREAM | END_HEADERS. */
const headers = (stream: number, block: Buffer): Buffer => frame(1, 0x05, stream, block);
const SETTINGS = frame(4, 0, 0, Buffer.alloc(0));

/** :method GET, :scheme http, :path /, :authority a.example (static name, literal value). */
const REQUEST = Buffer.concat([indexed(2), indexed(6), indexed(4), int(4, 0x00, 1), str("a.example")]);
const REQUEST_FIELDS = [
  { name: ":method", value: "GET" },
  { name: ":scheme", value: "http" },
  { name: ":path", value: "/" },
  { name: ":authority", value: "a.example" },
];

/**
 * The reviewer's amplification: one 4,063-octet table entry (4,030 + 1 + 32, within the
 * default 4,096) named "x…x", then 16,000 one-octet references to it (index 62).
 */
const BIG_NAME = "x".repeat(4030);
const BOMB = Buffer.concat([indexed(2), litIndexed(BIG_NAME, "v"), Buffer.alloc(16_000, 0xbe)]);

// The stated bounds (src/fingerprint/http/hpack.ts), written out so that this file also
// runs against a decoder without them.
const MAX_HEADER_LIST_SIZE = 16 * 1024;
const MAX_HEADER_FIELDS = 256;

describe("HPACK: decoded header list bounds (RFC 7541 §7.3, RFC 9113 §10.5.1)", () => {
  test("a 20 KB block naming a 4 KB entry 16,000 times is refused, the table stays in step", () => {
    const d = new HpackDecoder();
    assert.equal(d.decode(BOMB, 0, BOMB.length), undefined);
    assert.equal(d.refused, "header_list_too_large");
    assert.equal(d.broken, false);
    // §4.4 / §6.2.1: the literal was added to the table even though the block was refused,
    // so the next block's index 62 is that entry.
    assert.equal(d.dynamicEntries, 1);
    const next = Buffer.concat([indexed(2), indexed(62)]);
    assert.deepEqual(d.decode(next, 0, next.length), [
      { name: ":method", value: "GET" },
      { name: BIG_NAME, value: "v" },
    ]);
    assert.equal(d.refused, undefined);
  });

  test("list size counts name + value + 32 per field: 16,384 accepted, 16,385 refused", () => {
    // One field, name "n": 1 + v + 32 octets.
    const fits = litPlain("n", "v".repeat(MAX_HEADER_LIST_SIZE - 33));
    assert.equal(new HpackDecoder().decode(fits, 0, fits.length)?.length, 1);
    const over = litPlain("n", "v".repeat(MAX_HEADER_LIST_SIZE - 32));
    const d = new HpackDecoder();
    assert.equal(d.decode(over, 0, over.length), undefined);
    assert.equal(d.refused, "header_list_too_large");
    // Two fields that fit alone: the sum counts (8,192 + 8,193).
    const two = Buffer.concat([litPlain("a", "v".repeat(8192 - 33)), litPlain("b", "v".repeat(8193 - 33))]);
    assert.equal(new HpackDecoder().decode(two, 0, two.length), undefined);
  });

  test("256 fields accepted, 257 refused", () => {
    // :method GET costs 7 + 3 + 32 = 42 octets: 257 of them stay under 16 KiB.
    const ok = Buffer.alloc(MAX_HEADER_FIELDS, 0x82);
    assert.equal(new HpackDecoder().decode(ok, 0, ok.length)?.length, 256);
    const d = new HpackDecoder();
    const over = Buffer.alloc(MAX_HEADER_FIELDS + 1, 0x82);
    assert.equal(d.decode(over, 0, over.length), undefined);
    assert.equal(d.refused, "too_many_fields");
    assert.equal(d.broken, false);
  });

  test("Http2ClientReader: the bomb yields no request and is counted; later blocks still decode", () => {
    const counters = new Counters();
    const got: HttpRequest[] = [];
    const r = new Http2ClientReader((q) => got.push(q), { counters });
    const wire = Buffer.concat([
      HTTP2_PREFACE,
      SETTINGS,
      headers(1, BOMB),
      headers(3, Buffer.concat([REQUEST, indexed(62)])),
    ]);
    r.push(wire, 0, wire.length);
    assert.equal(r.state, "frames");
    assert.equal(counters.get("http2.header_list_too_large"), 1);
    assert.equal(counters.get("http2.hpack_error"), 0);
    assert.equal(got.length, 1);
    // Index 62 is still the entry the refused block added (4,030 + 1 + 32 ≤ 4,096): the
    // :authority literal was not indexed, so nothing evicted it.
    assert.deepEqual(got[0].headers, [...REQUEST_FIELDS, { name: BIG_NAME, value: "v" }]);
    const fp = ja4h(got[0]);
    assert.ok(fp !== undefined && fp.ja4h_r.length < 4200, "ja4h_r stays the size of one request");
  });

  test("property: whatever the well-formed blocks, a decoded list stays within the bounds", () => {
    // Blocks of valid representations: references to any index that may exist and
    // literals (indexed or not) with long names and values, so some blocks overflow.
    const rep = fc.oneof(
      fc.integer({ min: 1, max: 70 }).map(indexed),
      fc
        .tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 }))
        .map(([ix, n, v]) => (ix ? litIndexed : litPlain)("n".repeat(n + 1), "v".repeat(v))),
    );
    const block = fc.array(rep, { maxLength: 400 }).map((r) => Buffer.concat(r));
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 4 }), (blocks) => {
        const d = new HpackDecoder();
        for (const b of blocks) {
          const fields = d.decode(b, 0, b.length);
          if (fields === undefined) {
            if (d.broken) return; // an index past the table: a decoding error
            assert.ok(d.refused === "header_list_too_large" || d.refused === "too_many_fields");
            continue;
          }
          assert.ok(fields.length <= MAX_HEADER_FIELDS);
          let size = 0;
          for (const f of fields) size += f.name.length + f.value.length + 32;
          assert.ok(size <= MAX_HEADER_LIST_SIZE);
        }
      }),
      { seed: 0x4791, numRuns: 500 },
    );
  });
});

describe("HPACK: dynamic table size updates (RFC 7541 §4.2, §6.3)", () => {
  test("above SETTINGS_HEADER_TABLE_SIZE (4,096 by default) is a decoding error", () => {
    const ok = Buffer.concat([sizeUpdate(4096), indexed(2)]);
    assert.deepEqual(new HpackDecoder().decode(ok, 0, ok.length), [{ name: ":method", value: "GET" }]);
    const d = new HpackDecoder();
    const big = Buffer.concat([sizeUpdate(4097), indexed(2)]);
    assert.equal(d.decode(big, 0, big.length), undefined);
    assert.equal(d.broken, true);
    // A decoder told the peer's larger setting accepts up to it.
    const told = Buffer.concat([sizeUpdate(8192), indexed(2)]);
    assert.equal(new HpackDecoder(8192).decode(told, 0, told.length)?.length, 1);
  });

  test("an update after the block's first field is a decoding error; two at the start are fine", () => {
    const d = new HpackDecoder();
    const late = Buffer.concat([indexed(2), sizeUpdate(0), indexed(4)]);
    assert.equal(d.decode(late, 0, late.length), undefined);
    assert.equal(d.broken, true);
    // §4.2: a smaller then a larger size may both be signalled at the start of a block.
    const e = new HpackDecoder();
    const add = litIndexed("x-a", "1");
    e.decode(add, 0, add.length);
    const two = Buffer.concat([sizeUpdate(0), sizeUpdate(4096), indexed(2)]);
    assert.deepEqual(e.decode(two, 0, two.length), [{ name: ":method", value: "GET" }]);
    assert.equal(e.dynamicEntries, 0, "the size-0 update emptied the table");
  });

  test("Http2ClientReader stops at either error (no request, no fingerprint)", () => {
    for (const block of [
      Buffer.concat([sizeUpdate(8192), REQUEST]),
      Buffer.concat([REQUEST, sizeUpdate(0), litIndexed("x-a", "1")]),
    ]) {
      const counters = new Counters();
      const got: HttpRequest[] = [];
      const r = new Http2ClientReader((q) => got.push(q), { counters });
      const wire = Buffer.concat([HTTP2_PREFACE, SETTINGS, headers(1, block)]);
      r.push(wire, 0, wire.length);
      assert.equal(r.state, "error");
      assert.equal(counters.get("http2.hpack_error"), 1);
      assert.equal(got.length, 0);
      assert.equal(r.akamai, undefined);
    }
  });
});

const skip = skipWithoutTshark();
const dir = mkdtempSync(join(tmpdir(), "hpack-bounds-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Header names of the first HEADERS frame as tshark decodes `wire`, and as we do. */
function bothViews(name: string, port: number, wire: Buffer): [string, string] {
  const file = join(dir, `${name}.pcap`);
  new ScriptedConnection(port, 80).handshake().send(true, wire).packet(false, ACK).write(file);
  const theirs = spawnSync(
    "tshark",
    [
      "-n",
      "-r",
      file,
      "-d",
      "tcp.port==80,http2",
      "-Y",
      "http2.type == 1",
      "-T",
      "fields",
      "-e",
      "http2.header.name",
    ],
    { encoding: "utf8" },
  ).stdout.trim();
  const got: HttpRequest[] = [];
  new Http2ClientReader((q) => got.push(q), { counters: new Counters() }).push(wire, 0, wire.length);
  return [theirs, got.map((q) => q.headers.map((h) => h.name).join(",")).join("|")];
}

describe("HPACK size updates against tshark", { skip }, () => {
  test("an update above 4,096 without SETTINGS: tshark decodes no field, nor do we", () => {
    const bad = headers(1, Buffer.concat([sizeUpdate(8192), REQUEST]));
    assert.deepEqual(bothViews("update-too-big", 40000, Buffer.concat([HTTP2_PREFACE, SETTINGS, bad])), [
      "",
      "",
    ]);
    // The same block with an allowed update decodes on both sides (the test is not vacuous).
    const good = headers(1, Buffer.concat([sizeUpdate(4096), REQUEST]));
    const names = ":method,:scheme,:path,:authority";
    assert.deepEqual(bothViews("update-ok", 40001, Buffer.concat([HTTP2_PREFACE, SETTINGS, good])), [
      names,
      names,
    ]);
  });
});
