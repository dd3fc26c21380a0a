import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CaptureParser } from "../../src/capture/capture-parser.js";
import {
  canonicalLinktype,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from "../../src/capture/linktype.js";
import { parseChunks } from "./collect.js";
import { ALL_FIXTURES, BAD_INPUTS, PCAP_BE_NS, PCAP_LE_US } from "./fixtures.js";

describe("hand-built captures", () => {
  for (const fx of ALL_FIXTURES) {
    test(fx.name, () => {
      const r = parseChunks([fx.bytes]);
      assert.equal(r.error, undefined);
      assert.equal(r.stats.format, fx.format);
      assert.deepEqual(r.frames, fx.frames);
      assert.equal(r.stats.frames, fx.frames.length);
      assert.equal(
        r.stats.bytes,
        fx.frames.reduce((n, f) => n + f.hex.length / 2, 0),
      );
      assert.deepEqual(r.stats.malformed, fx.malformed);
    });
  }
});

describe("fatal errors", () => {
  for (const bad of BAD_INPUTS) {
    test(bad.name, () => {
      const r = parseChunks([bad.bytes]);
      assert.ok(r.error !== undefined, "error expected");
      for (const s of bad.error)
        assert.ok(r.error.includes(s), `error ${JSON.stringify(r.error)} lacks ${s}`);
      assert.equal(r.frames.length, bad.frames);
    });
  }

  test("nothing is parsed after an error, and finish() keeps it", () => {
    const p = new CaptureParser();
    let n = 0;
    p.push(Buffer.from("GET / HTTP/1.1\r\n"), () => n++);
    const e = p.error;
    assert.ok(e?.includes("magic"));
    p.push(PCAP_LE_US.bytes, () => n++);
    p.finish();
    assert.equal(p.error, e);
    assert.equal(n, 0);
  });
});

describe("frame views", () => {
  test("frames point into the pushed chunk when they do not straddle", () => {
    const p = new CaptureParser();
    const chunk = PCAP_LE_US.bytes;
    const seen: [Buffer, number][] = [];
    p.push(chunk, (f) => seen.push([f.data, f.offset]));
    assert.equal(seen.length, 2);
    assert.equal(seen[0][0], chunk);
    assert.equal(seen[0][1], 24 + 16);
    assert.equal(seen[1][0], chunk);
    assert.equal(seen[1][1], 24 + 16 + 4 + 16);
  });

  test("one CapturedFrame object is reused for every frame", () => {
    const p = new CaptureParser();
    const objs = new Set<object>();
    p.push(PCAP_BE_NS.bytes, (f) => objs.add(f));
    assert.equal(objs.size, 1);
  });

  test("a straddling record is delivered from the carry buffer, the rest from the chunk", () => {
    const p = new CaptureParser();
    const b = PCAP_LE_US.bytes;
    const first = b.subarray(0, 24 + 10);
    const second = b.subarray(24 + 10);
    const datas: Buffer[] = [];
    p.push(first, (f) => datas.push(f.data));
    assert.equal(datas.length, 0);
    assert.equal(p.bufferedBytes, 10);
    p.push(second, (f) => datas.push(f.data));
    assert.equal(datas.length, 2);
    assert.notEqual(datas[0], second); // record 1 straddled: carry copy
    assert.equal(datas[1], second); // record 2 lies wholly in the second chunk
    assert.equal(p.bufferedBytes, 0);
  });

  test("pcap header fields are exposed", () => {
    const p = new CaptureParser();
    p.push(PCAP_LE_US.bytes, () => {});
    assert.deepEqual(p.pcapHeader, { versionMajor: 2, versionMinor: 4, snaplen: 65535, linktype: 1 });
  });
});

describe("robustness", () => {
  test("an exception in the frame handler does not escape push(): it becomes the error", () => {
    const p = new CaptureParser();
    assert.doesNotThrow(() =>
      p.push(PCAP_LE_US.bytes, () => {
        throw new Error("boom");
      }),
    );
    assert.ok(p.error?.includes("boom"));
  });

  test("a pcap record at exactly the 256 KiB limit is accepted and buffered across chunks", () => {
    const caplen = 262144;
    const b = Buffer.alloc(24 + 16 + caplen);
    // header and record header written field by field (little-endian, µs)
    b.set([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0], 0);
    b.set([0x00, 0x00, 0x04, 0x00, 1, 0, 0, 0], 16); // snaplen 262144, Ethernet
    b.set([1, 0, 0, 0, 2, 0, 0, 0, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x00], 24);
    b[b.length - 1] = 0x7e;
    const chunks = [];
    for (let o = 0; o < b.length; o += 1000) chunks.push(b.subarray(o, o + 1000));
    const r = parseChunks(chunks);
    assert.equal(r.error, undefined);
    assert.equal(r.frames.length, 1);
    assert.equal(r.frames[0].tsUs, 1_000_002);
    assert.equal(r.frames[0].hex.length, caplen * 2);
    assert.ok(r.frames[0].hex.endsWith("7e"));
    assert.ok(r.maxCarryCapacity <= 2 * (16 + caplen));
  });

  test("a huge pcapng block length is refused before anything is buffered", () => {
    // SHB, then an EPB header claiming 16 MiB + 4, fed in 8-byte pieces
    const b = Buffer.from(
      `0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c0000000600000004000001${"00".repeat(64)}`,
      "hex",
    );
    const chunks = [];
    for (let o = 0; o < b.length; o += 8) chunks.push(b.subarray(o, o + 8));
    const r = parseChunks(chunks);
    assert.ok(r.error?.includes("16777220"));
    // at most the SHB (28 bytes) or the 12-byte block header were ever buffered
    assert.ok(r.maxBuffered < 28, `buffered ${r.maxBuffered}`);
    assert.ok(r.maxCarryCapacity <= 4096, `carry ${r.maxCarryCapacity}`);
  });
});

describe("link types", () => {
  test("constants", () => {
    assert.deepEqual(
      [
        LINKTYPE_NULL,
        LINKTYPE_ETHERNET,
        LINKTYPE_RAW,
        LINKTYPE_LOOP,
        LINKTYPE_LINUX_SLL,
        LINKTYPE_IPV4,
        LINKTYPE_IPV6,
        LINKTYPE_LINUX_SLL2,
      ],
      [0, 1, 101, 108, 113, 228, 229, 276],
    );
  });
  test("DLT_RAW aliases 12 and 14 map to LINKTYPE_RAW; others unchanged", () => {
    assert.equal(canonicalLinktype(12), 101);
    assert.equal(canonicalLinktype(14), 101);
    for (const lt of [0, 1, 101, 108, 113, 228, 229, 276, 13, 15]) assert.equal(canonicalLinktype(lt), lt);
  });
});
