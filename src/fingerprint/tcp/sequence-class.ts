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
 * Classifies `count` samples read from a ring buffer starting at `start` (so the tracker needs
 * no copy). `modulus` is the field size (65536 or 2^32); `maxStep` the incremental bound.
 */
export function classifySequence(
  samples: ArrayLike<number>,
  count: number,
  modulus: number,
  maxStep: number,
  start = 0,
): SequenceClass {
  if (count < SEQ_MIN_SAMPLES) return "unknown";
  const cap = samples.length;
  const first = samples[start % cap];
  // Steps modulo 2^16 and 2^32 with integer operations: the floating-point % of the
  // general case cost more than the rest of a SYN's analysis.
  const mask = modulus === 0x10000 ? 0xffff : modulus === 0x100000000 ? -1 : 0;
  let allZero = true;
  let allSame = true;
  let incremental = true;
  let prev = first;
  let idx = start % cap;
  for (let i = 0; i < count; i++) {
    const v = samples[idx];
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

/** Per-source ring buffers: 8 IP-IDs and 8 ISNs. */
class SourceSamples {
  readonly ipid: Uint32Array;
  readonly isn: Uint32Array;
  ipidCount = 0;
  ipidHead = 0; // next write position
  isnCount = 0;
  isnHead = 0;
  /** Tracker clock when last observed, and when (re)queued in insertion order. */
  seen = 0;
  queued = 0;

  constructor(n: number) {
    this.ipid = new Uint32Array(n);
    this.isn = new Uint32Array(n);
  }
}

export interface SequenceTrackerOptions {
  /** Sources remembered at once (least recently seen evicted first). Default 65,536. */
  maxSources?: number;
  /** Samples kept per source and field. Default 8 (DECNET). */
  samplesPerSource?: number;
}

/**
 * Bounded per-source sample store. Memory bound: `maxSources` × (2 × `samplesPerSource` × 4
 * bytes + one Map entry and key string) — about 65,536 × ~200 B ≈ 13 MB at the defaults. When
 * full, the least recently observed source is dropped (second-chance order), so a flood of spoofed sources costs
 * coverage, never memory.
 */
export class SequenceTracker {
  private readonly maxSources: number;
  private readonly perSource: number;
  /**
   * Insertion order, with a second chance: a source observed since it was queued is queued
   * again when it reaches the front instead of being dropped (least recently seen goes
   * first, without moving an entry on every observation). Bounded by maxSources.
   */
  private readonly sources = new Map<string, SourceSamples>();
  private clock = 0;

  constructor(opts: SequenceTrackerOptions = {}) {
    this.maxSources = Math.max(1, Math.floor(opts.maxSources ?? 65536));
    this.perSource = Math.max(SEQ_MIN_SAMPLES, Math.floor(opts.samplesPerSource ?? 8));
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
    let s = this.sources.get(source);
    if (s === undefined) {
      if (this.sources.size >= this.maxSources) this.evictOne();
      s = new SourceSamples(this.perSource);
      s.queued = now;
      this.sources.set(source, s);
    }
    s.seen = now;

    const n = this.perSource;
    if (ipId >= 0) {
      s.ipid[s.ipidHead] = ipId & 0xffff;
      s.ipidHead = (s.ipidHead + 1) % n;
      if (s.ipidCount < n) s.ipidCount++;
    }
    s.isn[s.isnHead] = isn >>> 0;
    s.isnHead = (s.isnHead + 1) % n;
    if (s.isnCount < n) s.isnCount++;

    return this.classesOf(s);
  }

  /** Drops the least recently observed source (second-chance order; ends within one pass). */
  private evictOne(): void {
    for (;;) {
      const first = this.sources.entries().next();
      if (first.done) return;
      const [key, s] = first.value;
      this.sources.delete(key);
      if (s.seen <= s.queued) return;
      s.queued = ++this.clock;
      this.sources.set(key, s);
    }
  }

  /** Current classes for a source without adding a sample (undefined if unknown). */
  peek(source: string): SequenceClasses | undefined {
    const s = this.sources.get(source);
    return s === undefined ? undefined : this.classesOf(s);
  }

  private classesOf(s: SourceSamples): SequenceClasses {
    const n = this.perSource;
    return {
      ipid_class: classifySequence(
        s.ipid,
        s.ipidCount,
        0x10000,
        IPID_MAX_STEP,
        (s.ipidHead - s.ipidCount + n) % n,
      ),
      ipid_samples: String(s.ipidCount),
      isn_class: classifySequence(
        s.isn,
        s.isnCount,
        0x100000000,
        ISN_MAX_STEP,
        (s.isnHead - s.isnCount + n) % n,
      ),
      isn_samples: String(s.isnCount),
    };
  }
}
