import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  classifySequence,
  IPID_MAX_STEP,
  ISN_MAX_STEP,
  SequenceTracker,
} from "../../src/fingerprint/tcp/sequence-class.js";

const IPID = (s: number[]) => classifySequence(s, s.length, 0x10000, IPID_MAX_STEP);
const ISN = (s: number[]) => classifySequence(s, s.length, 2 ** 32, ISN_MAX_STEP);

// Classes as DECNET's seq_class.py defines them (zero / constant / incremental / random,
// unknown below 4 samples), with the two documented changes (modular steps, ISN step bound).
describe("classifySequence", () => {
  test("unknown below 4 samples", () => {
    assert.equal(IPID([]), "unknown");
    assert.equal(IPID([0, 0, 0]), "unknown");
    assert.equal(IPID([1, 2, 3]), "unknown");
  });

  test("zero, constant, incremental, random", () => {
    assert.equal(IPID([0, 0, 0, 0]), "zero");
    assert.equal(IPID([7, 7, 7, 7, 7]), "constant");
    assert.equal(IPID([100, 101, 105, 300]), "incremental");
    assert.equal(IPID([100, 101, 105, 100 + 5 + IPID_MAX_STEP]), "incremental", "step at the bound");
    assert.equal(IPID([100, 101, 105, 106 + IPID_MAX_STEP]), "random", "step past the bound");
    assert.equal(IPID([100, 101, 101, 102]), "random", "a repeated value is not a step forward");
    assert.equal(IPID([500, 400, 300, 200]), "random");
    assert.equal(IPID([0x1a2b, 0xf00d, 0x0042, 0x9999]), "random");
    assert.equal(IPID([0, 0, 0, 1]), "random", "not all zero, and 0→0 is no step forward");
  });

  test("IP-ID counters wrap at 2^16, ISN counters at 2^32", () => {
    assert.equal(IPID([65530, 65534, 2, 40]), "incremental");
    assert.equal(ISN([0xffffff00, 0x00000100, 0x0000fb00, 0x0001f400]), "incremental");
  });

  test("ISN: clock-driven counters (+64000 per connection) are incremental, random ISNs are not", () => {
    const start = 123_456_789;
    assert.equal(ISN([0, 1, 2, 3].map((i) => start + i * 64000)), "incremental");
    assert.equal(ISN([start, start + 128000 * 30, start + 128000 * 60, start + 128000 * 90]), "incremental");
    assert.equal(ISN([0x8f3a1b22, 0x1c0ffee1, 0xdeadbeef, 0x42424242]), "random");
    assert.equal(
      ISN([start, start + ISN_MAX_STEP + 1, start + 2 * ISN_MAX_STEP + 2, start + 3 * ISN_MAX_STEP + 3]),
      "random",
    );
  });

  test("ring-buffer view: start offset and wrap-around of the buffer", () => {
    const ring = Uint32Array.from([3, 4, 0, 1, 2]); // oldest at index 2
    assert.equal(classifySequence(ring, 5, 0x10000, IPID_MAX_STEP, 2), "incremental");
    assert.equal(classifySequence(ring, 5, 0x10000, IPID_MAX_STEP, 0), "random");
  });
});

describe("classifySequence: integer steps", () => {
  // The classes written out from the definition above, steps by the mathematical modulo.
  function reference(samples: number[], modulus: number, maxStep: number): string {
    if (samples.length < 4) return "unknown";
    if (samples.every((v) => v === 0)) return "zero";
    if (samples.every((v) => v === samples[0])) return "constant";
    for (let i = 1; i < samples.length; i++) {
      const step = (((samples[i] - samples[i - 1]) % modulus) + modulus) % modulus;
      if (step === 0 || step > maxStep) return "random";
    }
    return "incremental";
  }

  test("property: equals the definition for IP-ID and ISN samples, read from any ring position", () => {
    const near = (max: number) =>
      fc.integer({ min: 0, max }).chain((base) =>
        fc.array(fc.integer({ min: -3, max: 5000 }), { minLength: 0, maxLength: 7 }).map((steps) => {
          const out = [base];
          for (const st of steps) out.push((((out[out.length - 1] + st) % (max + 1)) + max + 1) % (max + 1));
          return out;
        }),
      );
    for (const [modulus, maxStep, gen] of [
      [
        0x10000,
        IPID_MAX_STEP,
        fc.oneof(near(0xffff), fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 8 })),
      ],
      [
        2 ** 32,
        ISN_MAX_STEP,
        fc.oneof(near(2 ** 32 - 1), fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 8 })),
      ],
    ] as const) {
      fc.assert(
        fc.property(gen, fc.nat(7), (samples, rot) => {
          // Stored in an 8-slot ring starting at `rot`, as the tracker keeps them.
          const ring = new Uint32Array(8);
          for (let i = 0; i < samples.length; i++) ring[(rot + i) % 8] = samples[i];
          assert.equal(
            classifySequence(ring, samples.length, modulus, maxStep, rot),
            reference(samples, modulus, maxStep),
          );
        }),
        { seed: 0x5e9, numRuns: 20_000 },
      );
    }
  });
});

// The model: a window of the last n samples per source as plain arrays, classified from
// scratch; a full tracker drops the first source in insertion order that was not seen
// since it was queued, re-queueing the others it passes.
class Model {
  private readonly m = new Map<string, { ipid: number[]; isn: number[]; seen: number; queued: number }>();
  private clock = 0;
  constructor(
    private readonly max: number,
    private readonly n: number,
  ) {}
  observe(src: string, ipid: number, isn: number) {
    const now = ++this.clock;
    let e = this.m.get(src);
    if (e === undefined) {
      while (this.m.size >= this.max) {
        const [k, v] = this.m.entries().next().value as [string, { seen: number; queued: number }];
        this.m.delete(k);
        if (v.seen <= v.queued) break;
        v.queued = ++this.clock;
        this.m.set(k, v as never);
      }
      e = { ipid: [], isn: [], seen: 0, queued: now };
      this.m.set(src, e);
    }
    e.seen = now;
    if (ipid >= 0) e.ipid.push(ipid & 0xffff);
    e.isn.push(isn >>> 0);
    if (e.ipid.length > this.n) e.ipid.shift();
    if (e.isn.length > this.n) e.isn.shift();
    return {
      ipid_class: classifySequence(e.ipid, e.ipid.length, 0x10000, IPID_MAX_STEP),
      ipid_samples: String(e.ipid.length),
      isn_class: classifySequence(e.isn, e.isn.length, 2 ** 32, ISN_MAX_STEP),
      isn_samples: String(e.isn.length),
    };
  }
  get size() {
    return this.m.size;
  }
}

describe("SequenceTracker", () => {
  test("classes and sample counts per source, DECNET field names", () => {
    const tr = new SequenceTracker();
    let r = tr.observe("198.51.100.7", 1000, 5_000_000);
    assert.deepEqual(r, { ipid_class: "unknown", ipid_samples: "1", isn_class: "unknown", isn_samples: "1" });
    tr.observe("198.51.100.7", 1001, 5_064_000);
    tr.observe("198.51.100.7", 1002, 5_128_000);
    r = tr.observe("198.51.100.7", 1003, 5_192_000);
    assert.deepEqual(r, {
      ipid_class: "incremental",
      ipid_samples: "4",
      isn_class: "incremental",
      isn_samples: "4",
    });
    // Another source is independent.
    assert.equal(tr.observe("203.0.113.9", 0, 0).ipid_samples, "1");
    assert.deepEqual(tr.peek("198.51.100.7"), r);
    assert.equal(tr.peek("192.0.2.200"), undefined);
  });

  test("a window of 8 samples: old ones roll off", () => {
    const tr = new SequenceTracker();
    let r = tr.observe("a", 0, 0);
    for (let i = 0; i < 7; i++) r = tr.observe("a", 0, 0);
    assert.deepEqual([r.ipid_class, r.ipid_samples, r.isn_class], ["zero", "8", "zero"]);
    r = tr.observe("a", 9, 0x31337);
    assert.deepEqual([r.ipid_class, r.ipid_samples], ["random", "8"]);
    for (let i = 0; i < 7; i++) r = tr.observe("a", 9, 0x31337);
    assert.deepEqual([r.ipid_class, r.isn_class], ["constant", "constant"], "the zeros have rolled off");
  });

  test("IPv6 SYNs (no IP-ID) add ISN samples only", () => {
    const tr = new SequenceTracker();
    let r = tr.observe("2001:db8::1", -1, 1);
    for (let i = 2; i <= 4; i++) r = tr.observe("2001:db8::1", -1, i);
    assert.deepEqual(r, {
      ipid_class: "unknown",
      ipid_samples: "0",
      isn_class: "incremental",
      isn_samples: "4",
    });
  });

  test("memory bound: at most maxSources, least recently seen evicted", () => {
    const tr = new SequenceTracker({ maxSources: 3 });
    tr.observe("a", 1, 1);
    tr.observe("b", 1, 1);
    tr.observe("c", 1, 1);
    tr.observe("a", 2, 2); // a is now the most recent
    tr.observe("d", 1, 1); // evicts b
    assert.equal(tr.size, 3);
    assert.equal(tr.peek("b"), undefined);
    assert.equal(tr.peek("a")?.ipid_samples, "2");
    assert.ok(tr.peek("c"));
    assert.ok(tr.peek("d"));
  });

  test("a flood of sources never grows past the bound (fuzz)", () => {
    const tr = new SequenceTracker({ maxSources: 50, samplesPerSource: 8 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: -1, max: 70000 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (src, ipid, isn) => {
          const r = tr.observe(`s${src}`, ipid, isn);
          assert.ok(tr.size <= 50);
          assert.ok(Number(r.isn_samples) >= 1 && Number(r.isn_samples) <= 8);
          assert.ok(Number(r.ipid_samples) <= 8);
        },
      ),
      { seed: 0x5e9, numRuns: 20_000 },
    );
  });

  test("equals a plain model (arrays per source, second-chance eviction) over random SYN sequences", () => {
    // Counters that step by little (incremental), stand still (constant, zero) or jump (random).
    const syn = fc.record({
      src: fc.integer({ min: 0, max: 40 }),
      ipidStep: fc.oneof(fc.constant(-1), fc.constant(0), fc.integer({ min: 1, max: 5000 }), fc.nat()),
      isnStep: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 25 }), fc.nat()),
      v6: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 4, max: 9 }),
        fc.array(syn, { maxLength: 400 }),
        (max, n, syns) => {
          const tr = new SequenceTracker({ maxSources: max, samplesPerSource: n });
          const model = new Model(max, n);
          const ipids = new Map<number, number>();
          const isns = new Map<number, number>();
          syns.forEach((s, i) => {
            const ipid = s.v6 ? -1 : ((ipids.get(s.src) ?? s.src * 977) + Math.max(0, s.ipidStep)) & 0xffff;
            const isn = ((isns.get(s.src) ?? s.src * 0x9e3779b1) + s.isnStep) >>> 0;
            if (!s.v6) ipids.set(s.src, ipid);
            isns.set(s.src, isn);
            const src = `198.51.100.${s.src}`;
            assert.deepEqual(tr.observe(src, ipid, isn), model.observe(src, ipid, isn), `SYN ${i}`);
            assert.equal(tr.size, model.size);
          });
        },
      ),
      { seed: 0x5ec, numRuns: 3000 },
    );
  });

  test("equals the plain model while its store grows (thousands of sources, then eviction)", () => {
    const tr = new SequenceTracker({ maxSources: 3000 });
    const model = new Model(3000, 8);
    let x = 0x2545f491;
    const next = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    for (let i = 0; i < 40_000; i++) {
      // 4,000 sources: the store doubles past its first slots up to the bound, then evicts.
      const src = `10.${(next() % 4000) >> 8}.${next() % 256}.1`;
      const ipid = next() % 3 === 0 ? -1 : next() & 0xffff;
      const isn = next();
      assert.deepEqual(tr.observe(src, ipid, isn), model.observe(src, ipid, isn), `SYN ${i}`);
    }
    assert.equal(tr.size, model.size);
  });
});
