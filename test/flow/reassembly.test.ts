import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type ReassemblyBudget, StreamReassembler, type StreamSink } from "../../src/flow/reassembly.js";

class Collect implements StreamSink {
  chunks: Buffer[] = [];
  gaps: number[] = [];
  onData(buf: Buffer, off: number, len: number): void {
    this.chunks.push(Buffer.from(buf.subarray(off, off + len)));
  }
  onGap(skipped: number): void {
    this.gaps.push(skipped);
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function budget(max = 1 << 30): ReassemblyBudget {
  return { used: 0, max };
}

const data = Buffer.from("The quick brown fox jumps over the lazy dog. 0123456789".repeat(4));

describe("StreamReassembler", () => {
  test("in-order segments are delivered as views, unchanged", () => {
    const r = new StreamReassembler(65536, budget());
    const s = new Collect();
    r.initFromSyn(999);
    r.add(1000, data, 0, 10, s);
    r.add(1010, data, 10, data.length - 10, s);
    assert.deepEqual(s.bytes, data);
    assert.equal(s.chunks.length, 2);
  });

  test("out of order, with a retransmission and an overlap", () => {
    const b = budget();
    const r = new StreamReassembler(65536, b);
    const s = new Collect();
    r.initFromSyn(0xfffffff0); // data starts at 0xfffffff1: the sequence space wraps inside the stream
    const base = 0xfffffff1;
    const seq = (o: number) => (base + o) >>> 0;
    r.add(seq(60), data, 60, data.length - 60, s); // third
    r.add(seq(20), data, 20, 40, s); // second
    assert.equal(s.bytes.length, 0);
    assert.ok(b.used > 0);
    r.add(seq(0), data, 0, 30, s); // first, overlapping the second by 10 bytes
    r.add(seq(0), data, 0, 30, s); // retransmission
    assert.deepEqual(s.bytes, data);
    assert.equal(b.used, 0, "pending copies released");
  });

  test("first copy of a byte wins on conflicting overlap", () => {
    const r = new StreamReassembler(65536, budget());
    const s = new Collect();
    r.initFromSyn(0);
    r.add(1, Buffer.from("AAAA"), 0, 4, s);
    // Stream offsets 2..7; offsets 2..3 were already delivered as "AA" and stay so.
    r.add(3, Buffer.from("XXXXBB"), 0, 6, s);
    assert.equal(s.bytes.toString(), "AAAAXXBB");
  });

  test("stops at the limit", () => {
    const r = new StreamReassembler(16, budget());
    const s = new Collect();
    r.initFromSyn(0);
    r.add(1, data, 0, 40, s);
    assert.equal(s.bytes.length, 16);
    assert.ok(r.done);
    r.add(41, data, 40, 10, s);
    assert.equal(s.bytes.length, 16);
  });

  test("a gap never blocks later data forever: skipGap resumes after it", () => {
    const r = new StreamReassembler(65536, budget());
    const s = new Collect();
    r.initFromSyn(0);
    r.add(1, data, 0, 10, s);
    r.add(21, data, 20, 10, s); // bytes 10..19 lost
    assert.equal(s.bytes.length, 10);
    r.skipGap(s);
    assert.deepEqual(s.gaps, [10]);
    assert.deepEqual(s.bytes, Buffer.concat([data.subarray(0, 10), data.subarray(20, 30)]));
  });

  test("too many pending segments skip the gap by themselves", () => {
    const r = new StreamReassembler(1 << 20, budget());
    const s = new Collect();
    r.initFromSyn(0);
    for (let i = 1; i <= 70; i++) r.add(1 + i * 10, Buffer.alloc(10, i), 0, 10, s);
    assert.ok(s.gaps.length >= 1);
    assert.ok(s.bytes.length > 0);
  });

  test("abandon: pending copies go back to the budget and later data is ignored", () => {
    const b = budget();
    const r = new StreamReassembler(65536, b);
    const s = new Collect();
    r.initFromSyn(0);
    r.add(11, data, 10, 10, s); // out of order: copied
    assert.equal(b.used, 10);
    r.abandon();
    assert.equal(b.used, 0);
    assert.equal(r.done, true);
    r.add(1, data, 0, 10, s);
    assert.equal(s.bytes.length, 0);
  });

  test("the shared budget caps buffered copies", () => {
    const b = budget(25);
    const r = new StreamReassembler(65536, b);
    const s = new Collect();
    r.initFromSyn(0);
    r.add(11, data, 10, 10, s);
    r.add(21, data, 20, 10, s);
    r.add(31, data, 30, 10, s); // would exceed 25 bytes: dropped
    assert.equal(r.dropped, 1);
    assert.ok(b.used <= 25);
  });

  test("property: any segmentation, order and duplication delivers the exact stream", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (bytes, sizes, isn, perm) => {
          const stream = Buffer.from(bytes);
          const segs: [number, number][] = [];
          for (let o = 0, i = 0; o < stream.length; i++) {
            const n = Math.min(sizes[i % sizes.length], stream.length - o);
            segs.push([o, n]);
            o += n;
          }
          // Shuffle deterministically from `perm` and duplicate some segments.
          const order = segs.map((_, i) => i);
          for (let i = 0; i < perm.length && order.length > 1; i++) {
            const a = perm[i] % order.length;
            const b = (perm[i] >>> 8) % order.length;
            [order[a], order[b]] = [order[b], order[a]];
            if (perm[i] % 3 === 0) order.push(order[a]);
          }
          const r = new StreamReassembler(1 << 20, budget());
          const s = new Collect();
          r.initFromSyn(isn);
          for (const i of order) {
            const [o, n] = segs[i];
            r.add((isn + 1 + o) >>> 0, stream, o, n, s);
          }
          // Every segment arrived at least once, so with gaps skipped at the end the
          // whole stream must be there — and with no gap ever skipped, exactly it.
          r.skipGap(s);
          if (s.gaps.length === 0) assert.deepEqual(s.bytes, stream);
          else assert.ok(s.bytes.length <= stream.length + s.gaps.reduce((a, b) => a + b, 0));
        },
      ),
      { seed: 4242, numRuns: 3000 },
    );
  });

  test("fuzz: random sequence numbers and lengths never throw and keep the budget", () => {
    const b = budget(64 * 1024);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 2000 })), {
          maxLength: 50,
        }),
        (segs) => {
          const r = new StreamReassembler(64 * 1024, b);
          const s = new Collect();
          const payload = Buffer.alloc(2000, 7);
          for (const [seq, len] of segs) r.add(seq, payload, 0, len, s);
          r.skipGap(s);
          r.release();
          assert.ok(s.bytes.length <= 64 * 1024);
          assert.equal(b.used, 0);
        },
      ),
      { seed: 7, numRuns: 20000 },
    );
  });
});
