/**
 * Per-source IP-ID and TCP ISN sequence classes (DECNET `ipid_class`/`isn_class` with their
 * `*_samples` counts).
 *
 * Classes, as DECNET defines them (`decnet/sniffer/seq_class.py`):
 *   unknown      fewer than 4 samples
 *   zero         every sample is 0
 *   constant     every sample equals the first, non-zero
 *   incremental  every step forward is > 0 and ≤ the field's max step
 *   random       anything else
 * Two deliberate differences from DECNET, both about counters:
 * - steps are taken modulo the field size (2^16 for IP-ID, 2^32 for the ISN), so a counter
 *   that wraps between two samples stays incremental instead of turning "random";
 * - the ISN max step is 2^24 instead of DECNET's 4096 (which it shares with the IP-ID), so
 *   clock-driven ISN counters (e.g. the classic +64000 per connection, +128000 per second)
 *   count as incremental; three random 32-bit steps all land under 2^24 with p = 2^-24.
 * Samples are kept in arrival order, 8 per source (DECNET's window).
 */

export type SequenceClass = "zero" | "constant" | "incremental" | "random" | "unknown";

export const SEQ_MIN_SAMPLES = 4;
export const IPID_MAX_STEP = 0x1000;
export const ISN_MAX_STEP = 0x1000000;

/**
 * Classifies `count` samples read from a ring buffer starting at ring index `start` (so the
 * tracker needs no copy): the ring is `samples[ringBase, ringBase + ringLen)`, by default the
 * whole array. `modulus` is the field size (65536 or 2^32); `maxStep` the incremental bound.
 */
export function classifySequence(
  samples: ArrayLike<number>,
  count: number,
  modulus: number,
  maxStep: number,
  start = 0,
  ringBase = 0,
  ringLen = samples.length - ringBase,
): SequenceClass {
  if (count < SEQ_MIN_SAMPLES) return "unknown";
  const cap = ringLen;
  const first = samples[ringBase + (start % cap)];
  // Steps modulo 2^16 and 2^32 with integer operations: the floating-point % of the
  // general case cost more than the rest of a SYN's analysis.
  const mask = modulus === 0x10000 ? 0xffff : modulus === 0x100000000 ? -1 : 0;
  let allZero = true;
  let allSame = true;
  let incremental = true;
  let prev = first;
  let idx = start % cap;
  for (let i = 0; i < count; i++) {
    const v = samples[ringBase + idx];
    idx = idx + 1 === cap ? 0 : idx + 1;
    if (v !== 0) allZero = false;
    if (v !== first) allSame = false;
    if (i > 0) {
      const step =
        mask === -1
          ? (v - prev) >>> 0
          : mask !== 0
            ? (v - prev) & mask
            : (((v - prev) % modulus) + modulus) % modulus;
      if (step === 0 || step > maxStep) incremental = false;
    }
    prev = v;
  }
  if (allZero) return "zero";
  if (allSame) return "constant";
  return incremental ? "incremental" : "random";
}

/** Result of one observation, in DECNET's field names. */
export interface SequenceClasses {
  /** IPv6 packets carry no IP-ID and add no sample (an IPv6-only source stays "unknown", 0). */
  ipid_class: SequenceClass;
  ipid_samples: string;
  isn_class: SequenceClass;
  isn_samples: string;
}

export interface SequenceTrackerOptions {
  /** Sources remembered at once (least recently seen evicted first). Default 65,536. */
  maxSources?: number;
  /** Samples kept per source and field. Default 8 (DECNET). */
  samplesPerSource?: number;
}

/** Per-slot counters after the two sample rings (see `SequenceTracker.store`). */
const IPID_COUNT = 0;
const IPID_HEAD = 1; // next write position
const ISN_COUNT = 2;
const ISN_HEAD = 3;
const COUNTERS = 4;
/** Slots allocated at first; the store doubles up to maxSources. */
const INITIAL_SLOTS = 1024;

/**
 * Bounded per-source sample store. Memory bound: `maxSources` × ((2 × `samplesPerSource` + 4)
 * × 4 bytes + 16 bytes of clocks + one Map entry and key string) — about 65,536 × ~170 B ≈
 * 11 MB at the defaults. When full, the least recently observed source is dropped
 * (second-chance order), so a flood of spoofed sources costs coverage, never memory.
 *
 * A source's samples and counters sit together in one flat array (one or two cache lines):
 * sources recur in no particular order, and an object per source with two small typed
 * arrays of its own cost several cache misses per SYN.
 */
export class SequenceTracker {
  private readonly maxSources: number;
  private readonly perSource: number;
  /** Words per slot: the IP-ID ring, the ISN ring, then the four counters. */
  private readonly stride: number;
  /**
   * Source → slot, in insertion order with a second chance: a source observed since it was
   * queued is queued again when it reaches the front instead of being dropped (least
   * recently seen goes first, without moving an entry on every observation).
   */
  private readonly sources = new Map<string, number>();
  private store: Uint32Array;
  /** Tracker clock per slot when last observed, and when (re)queued. */
  private seen: Float64Array;
  private queued: Float64Array;
  /** Slots handed out so far (a slot freed by eviction is reused at once). */
  private used = 0;
  private clock = 0;

  constructor(opts: SequenceTrackerOptions = {}) {
    this.maxSources = Math.max(1, Math.floor(opts.maxSources ?? 65536));
    this.perSource = Math.max(SEQ_MIN_SAMPLES, Math.floor(opts.samplesPerSource ?? 8));
    this.stride = 2 * this.perSource + COUNTERS;
    const slots = Math.min(this.maxSources, INITIAL_SLOTS);
    this.store = new Uint32Array(slots * this.stride);
    this.seen = new Float64Array(slots);
    this.queued = new Float64Array(slots);
  }

  get size(): number {
    return this.sources.size;
  }

  /**
   * Adds one SYN's IP-ID (−1 or any negative value for IPv6: not sampled) and ISN for
   * `source` (its address as text), and returns both classes over the source's window.
   */
  observe(source: string, ipId: number, isn: number): SequenceClasses {
    const now = ++this.clock;
    let slot = this.sources.get(source);
    if (slot === undefined) {
      slot = this.sources.size >= this.maxSources ? this.evictOne() : this.newSlot();
      const base = slot * this.stride;
      this.store.fill(0, base, base + this.stride);
      this.queued[slot] = now;
      this.sources.set(source, slot);
    }
    this.seen[slot] = now;

    const st = this.store;
    const n = this.perSource;
    const c = slot * this.stride + 2 * n;
    if (ipId >= 0) {
      const head = st[c + IPID_HEAD];
      st[slot * this.stride + head] = ipId & 0xffff;
      st[c + IPID_HEAD] = head + 1 === n ? 0 : head + 1;
      if (st[c + IPID_COUNT] < n) st[c + IPID_COUNT]++;
    }
    const head = st[c + ISN_HEAD];
    st[slot * this.stride + n + head] = isn >>> 0;
    st[c + ISN_HEAD] = head + 1 === n ? 0 : head + 1;
    if (st[c + ISN_COUNT] < n) st[c + ISN_COUNT]++;

    return this.classesOf(slot);
  }

  /** A slot never used yet, growing the arrays (doubling, up to maxSources). */
  private newSlot(): number {
    const slot = this.used++;
    if (slot >= this.seen.length) {
      const slots = Math.min(this.maxSources, this.seen.length * 2);
      const store = new Uint32Array(slots * this.stride);
      store.set(this.store);
      this.store = store;
      const seen = new Float64Array(slots);
      seen.set(this.seen);
      this.seen = seen;
      const queued = new Float64Array(slots);
      queued.set(this.queued);
      this.queued = queued;
    }
    return slot;
  }

  /** Drops the least recently observed source (second-chance order; ends within one pass) and returns its slot. */
  private evictOne(): number {
    for (;;) {
      const first = this.sources.entries().next();
      if (first.done) return this.newSlot(); // unreachable: only called when full
      const [key, slot] = first.value;
      this.sources.delete(key);
      if (this.seen[slot] <= this.queued[slot]) return slot;
      this.queued[slot] = ++this.clock;
      this.sources.set(key, slot);
    }
  }

  /** Current classes for a source without adding a sample (undefined if unknown). */
  peek(source: string): SequenceClasses | undefined {
    const slot = this.sources.get(source);
    return slot === undefined ? undefined : this.classesOf(slot);
  }

  private classesOf(slot: number): SequenceClasses {
    const n = this.perSource;
    const st = this.store;
    const base = slot * this.stride;
    const c = base + 2 * n;
    const ipidCount = st[c + IPID_COUNT];
    const isnCount = st[c + ISN_COUNT];
    // The oldest sample of each ring: `count` places behind the next write position.
    const ipidStart = (st[c + IPID_HEAD] - ipidCount + n) % n;
    const isnStart = (st[c + ISN_HEAD] - isnCount + n) % n;
    return {
      ipid_class: classifySequence(st, ipidCount, 0x10000, IPID_MAX_STEP, ipidStart, base, n),
      ipid_samples: String(ipidCount),
      isn_class: classifySequence(st, isnCount, 0x100000000, ISN_MAX_STEP, isnStart, base + n, n),
      isn_samples: String(isnCount),
    };
  }
}
