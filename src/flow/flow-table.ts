import type { DecodedPacket } from "../decode/packet.js";
import { Flow } from "./flow.js";
import { FlowKey } from "./flow-key.js";
import type { ReassemblyBudget } from "./reassembly.js";
import { ResetTombstones } from "./reset-tombstones.js";

export interface FlowTableOptions {
  /** Hard cap on live flows; the least recently active flow is evicted beyond it. */
  maxFlows: number;
  /** Hard cap on bytes held in out-of-order reassembly copies, all flows together. */
  maxBufferedBytes: number;
  /** Bytes reassembled per direction (handshakes only). */
  reassemblyLimit: number;
  /** Idle timeout (µs of packet time) of a TCP flow that carried payload. */
  tcpIdleUs: number;
  /** Idle timeout of a UDP flow. */
  udpIdleUs: number;
  /**
   * Idle timeout of a TCP flow without payload yet (a scan probe, a handshake) and of a
   * closed one (FIN/RST seen; it lingers to absorb late packets). Short, so a flood of
   * spoofed SYNs costs little memory for little time.
   */
  shortIdleUs: number;
  /**
   * How long a reset connection is remembered (see ResetTombstones): long enough for the
   * packets already in flight when the RST was sent.
   */
  resetLingerUs: number;
  /**
   * Idle timeout of interactive sessions (SSH): a person may leave a shell idle for
   * minutes, and JA4SSH counts the whole connection.
   */
  longIdleUs: number;
  /** Keep per-flow inter-arrival statistics (only tcp_flow_timing reads them). */
  interArrival: boolean;
}

export const DEFAULT_FLOW_TABLE_OPTIONS: FlowTableOptions = {
  maxFlows: 131_072,
  maxBufferedBytes: 64 * 1024 * 1024,
  reassemblyLimit: 64 * 1024,
  tcpIdleUs: 120_000_000,
  udpIdleUs: 60_000_000,
  shortIdleUs: 15_000_000,
  resetLingerUs: 1_000_000,
  longIdleUs: 900_000_000,
  interArrival: true,
};

export type FlowEndReason = "fin" | "rst" | "reused" | "idle" | "evicted" | "shutdown";

/** LRU list (= timeout class) of a flow. */
export const LRU_TCP = 0;
export const LRU_UDP = 1;
export const LRU_SHORT = 2;
export const LRU_LONG = 3;
const CLASSES = 4;
/** Fewest hash buckets the table shrinks back to (it grows and shrinks with the live flows). */
const MIN_BUCKETS = 1024;
/**
 * Buckets at the start: fewer than MIN_BUCKETS, so the first flows grow the table a few
 * times while V8 is still collecting type feedback; a first growth after it optimised
 * `create` would make it throw that code away.
 */
const INITIAL_BUCKETS = 64;

/**
 * Bidirectional flow table keyed by the canonical 5-tuple (+ tunnel context).
 *
 * Bounds: at most `maxFlows` flows (the least recently active is evicted) and
 * `maxBufferedBytes` of out-of-order copies (LRU flows are evicted until under the cap).
 * Flows sit in one intrusive LRU list per timeout class, each in last-activity order,
 * so the idle sweep stops at the first live flow of each list and a packet's "touch"
 * costs a few pointer moves and no allocation.
 */
export class FlowTable {
  readonly opts: FlowTableOptions;
  readonly budget: ReassemblyBudget;
  /**
   * Chained hash table: bucket heads, chained through Flow.hnext. Sized to the live flows
   * (one bucket per flow at most, a power of two between MIN_BUCKETS and twice maxFlows),
   * not to the cap: every packet reads a bucket, and an array that fits the CPU caches
   * made lookups markedly faster than one sized for the worst case.
   */
  private buckets: (Flow | null)[];
  private mask: number;
  private readonly maxBuckets: number;
  private count = 0;
  private readonly heads: (Flow | null)[] = [null, null, null, null]; // least recently active
  private readonly tails: (Flow | null)[] = [null, null, null, null]; // most recently active
  private readonly idleUs: number[];
  private tcpStreams = 0;
  private udpStreams = 0;
  private readonly probe = new FlowKey();
  /** Connections just reset (bounded, direct-mapped). */
  private readonly resets = new ResetTombstones();
  /** Ended flows kept for reuse (at most maxFlows). Nobody may hold a flow past its end. */
  private readonly pool: Flow[] = [];
  /** The flow of the packet being processed (spared by buffer reclaim). */
  private current: Flow | null = null;
  /** Set by `lookup`: whether the packet travels client → server. */
  fromClient = true;
  flowsCreated = 0;
  flowsEvicted = 0;
  /** Packets of just-reset connections that `lookupLive` turned away. */
  resetTails = 0;

  constructor(
    opts: Partial<FlowTableOptions>,
    private readonly onEnd: (flow: Flow, reason: FlowEndReason) => void,
  ) {
    this.opts = { ...DEFAULT_FLOW_TABLE_OPTIONS, ...opts };
    this.budget = { used: 0, max: this.opts.maxBufferedBytes, reclaim: (bytes) => this.reclaim(bytes) };
    this.idleUs = [this.opts.tcpIdleUs, this.opts.udpIdleUs, this.opts.shortIdleUs, this.opts.longIdleUs];
    let n = MIN_BUCKETS;
    while (n < this.opts.maxFlows * 2 && n < 1 << 24) n *= 2;
    this.maxBuckets = n;
    this.buckets = new Array<Flow | null>(INITIAL_BUCKETS).fill(null);
    this.mask = INITIAL_BUCKETS - 1;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Finds or creates the flow of a TCP/UDP packet and marks it most recently active.
   * `serverHint` (optional) says which side is the decky: "src", "dst" or undefined.
   */
  lookup(p: DecodedPacket, serverHint?: "src" | "dst"): Flow {
    return this.find(p, serverHint, false) as Flow;
  }

  /**
   * `lookup`, except that a packet of a connection reset a moment ago (not a SYN) finds no
   * flow and starts none: null.
   */
  lookupLive(p: DecodedPacket, serverHint?: "src" | "dst"): Flow | null {
    return this.find(p, serverHint, true);
  }

  /** Ends a connection on its RST; its late packets are recognised for `resetLingerUs`. */
  endReset(flow: Flow, tsUs: number): void {
    this.resets.add(flow, tsUs + this.opts.resetLingerUs);
    this.end(flow, "rst");
  }

  private find(p: DecodedPacket, serverHint: "src" | "dst" | undefined, skipResetTail: boolean): Flow | null {
    const k = this.probe;
    k.fromPacket(p);
    const srcIsLow = k.srcIsLow;
    let flow = this.buckets[k.hash & this.mask];
    while (flow !== null && !k.matches(flow)) flow = flow.hnext;
    if (flow === null) {
      // The tombstones are asked on every miss (SYN misses included) and counted without a
      // branch, so this code holds no path first taken after it was optimised.
      const hit = this.resets.has(k, p.tsUs) ? 1 : 0;
      const tail =
        (skipResetTail ? 1 : 0) & hit & (p.protocol === 6 ? 1 : 0) & ((p.tcpFlags & 0x02) === 0 ? 1 : 0);
      this.resetTails += tail;
      if (tail !== 0) return null;
      flow = this.create(p, k, serverHint);
      this.append(flow);
    } else if (flow.next !== null) {
      // Most recently active last: each list stays in activity order, so the idle sweep
      // ends every flow exactly at the first sweep past its timeout.
      this.unlink(flow);
      this.append(flow);
    }
    this.fromClient = srcIsLow === flow.clientIsLow;
    if (flow.packets > 0 && this.opts.interArrival) {
      // Inter-arrival statistics for tcp_flow_timing (packet time; a negative gap, from
      // a capture merged out of order, is not counted).
      const iat = p.tsUs - flow.lastTsUs;
      if (iat >= 0) {
        flow.iatSumUs += iat;
        flow.iatCount++;
        if (iat < flow.iatMinUs) flow.iatMinUs = iat;
        if (iat > flow.iatMaxUs) flow.iatMaxUs = iat;
      }
    }
    flow.lastTsUs = p.tsUs;
    this.current = flow;
    return flow;
  }

  /** Moves a flow to another timeout class (payload seen, or closed). */
  setClass(flow: Flow, cls: number): void {
    if (flow.lruClass === cls || !flow.live) return;
    this.unlink(flow);
    flow.lruClass = cls;
    this.append(flow);
  }

  /** Ends a flow now. */
  end(flow: Flow, reason: FlowEndReason): void {
    if (!flow.live) return;
    flow.live = false;
    this.removeFromBucket(flow);
    this.unlink(flow);
    // The owner first (it may still deliver what waits behind a gap), then the copies go.
    this.onEnd(flow, reason);
    flow.releaseBuffers();
    // Recycle the object; bounded like the table itself.
    flow.state = null;
    if (this.pool.length < this.opts.maxFlows) this.pool.push(flow);
  }

  /**
   * Ends flows idle longer than their class's timeout at packet time `nowUs`. Each list is
   * in activity order (least recently active first), so the walk stops at the first live one.
   */
  sweepIdle(nowUs: number): void {
    // After a burst: give the cache-sized table back (below an eighth full).
    if (this.buckets.length > MIN_BUCKETS && this.count < this.buckets.length / 8)
      this.rehash(this.buckets.length / 2);
    for (let c = 0; c < CLASSES; c++) {
      const cut = nowUs - this.idleUs[c];
      let f = this.heads[c];
      while (f !== null) {
        const nxt = f.next;
        if (f.lastTsUs < cut) this.end(f, "idle");
        else if (f.lastTsUs > nowUs && nxt !== null) {
          // Active "in the future" (a packet with a bad timestamp): it would hold up every
          // flow behind it until then. Its time becomes now and it goes to the tail, once.
          f.lastTsUs = nowUs;
          this.unlink(f);
          this.append(f);
        } else break;
        f = nxt;
      }
    }
  }

  /** Rebuilds the buckets with `n` heads (a power of two), walking the LRU lists. */
  private rehash(n: number): void {
    const b = new Array<Flow | null>(n).fill(null);
    const mask = n - 1;
    for (const h of this.heads) {
      for (let f = h; f !== null; f = f.next) {
        const i = f.hash & mask;
        f.hnext = b[i];
        b[i] = f;
      }
    }
    this.buckets = b;
    this.mask = mask;
  }

  /**
   * Evicts least recently active flows holding out-of-order bytes until `bytes` are
   * free, never the flow of the packet being processed (the most recent `lookup`).
   */
  private reclaim(bytes: number): void {
    const target = this.budget.max - bytes;
    for (let c = 0; c < CLASSES && this.budget.used > target; c++) {
      let f = this.heads[c];
      while (f !== null && this.budget.used > target) {
        const nxt = f.next;
        if (f !== this.current && (f.toServer?.pendingSize ?? 0) + (f.toClient?.pendingSize ?? 0) > 0) {
          this.flowsEvicted++;
          this.end(f, "evicted");
        }
        f = nxt;
      }
    }
  }

  /** Ends every flow, oldest stream first (shutdown / end of file). */
  endAll(): void {
    const flows: Flow[] = [];
    for (const h of this.heads) for (let f = h; f !== null; f = f.next) flows.push(f);
    flows.sort((a, b) => a.protocol - b.protocol || a.streamIndex - b.streamIndex);
    for (const f of flows) this.end(f, "shutdown");
  }

  /** The least recently active flow over all classes. */
  private oldest(): Flow | null {
    let best: Flow | null = null;
    for (const h of this.heads) if (h !== null && (best === null || h.lastTsUs < best.lastTsUs)) best = h;
    return best;
  }

  private removeFromBucket(flow: Flow): void {
    const i = flow.hash & this.mask;
    let f = this.buckets[i];
    if (f === flow) {
      this.buckets[i] = flow.hnext;
    } else {
      while (f !== null && f.hnext !== flow) f = f.hnext;
      if (f !== null) f.hnext = flow.hnext;
    }
    flow.hnext = null;
    this.count--;
  }

  private create(p: DecodedPacket, key: FlowKey, serverHint?: "src" | "dst"): Flow {
    if (this.count >= this.opts.maxFlows) {
      const victim = this.oldest();
      if (victim !== null) {
        this.flowsEvicted++;
        this.end(victim, "evicted");
      }
    }
    // Orientation before any SYN: the decky is the server; otherwise, for TCP, the
    // lower port (well-known side) is the server; for UDP a well-known port (< 1024) below
    // the other is the server's (a reply seen first must not make the server the client),
    // else the first sender is the client.
    let srcIsClient: boolean;
    if (serverHint === "dst") srcIsClient = true;
    else if (serverHint === "src") srcIsClient = false;
    else if (p.protocol === 6) srcIsClient = p.srcPort !== p.dstPort ? p.srcPort > p.dstPort : true;
    else if (p.srcPort < 1024 && p.srcPort < p.dstPort) srcIsClient = false;
    else srcIsClient = true;
    const synOnly = p.protocol === 6 && (p.tcpFlags & 0x12) === 0x02;
    const synAck = p.protocol === 6 && (p.tcpFlags & 0x12) === 0x12;
    if (synOnly) srcIsClient = true;
    else if (synAck) srcIsClient = false;
    const index = p.protocol === 6 ? this.tcpStreams++ : this.udpStreams++;
    const flow = this.pool.pop() ?? new Flow();
    flow.init(key, index, srcIsClient, p.tsUs);
    flow.orientationFixed = synOnly || synAck || serverHint !== undefined;
    flow.lruClass = p.protocol === 6 ? LRU_SHORT : LRU_UDP;
    this.count++;
    // Grow first: the rehash walks the LRU lists, which the new flow joins only after this
    // returns, so a flow put in the buckets before it would be left out of the new ones.
    // (Both comparisons made every time: a comparison first made after V8 optimised this
    // would make it throw that code away.)
    const n = this.buckets.length;
    if (((this.count > n ? 1 : 0) & (n < this.maxBuckets ? 1 : 0)) !== 0) this.rehash(n * 2);
    const i = key.hash & this.mask;
    flow.hnext = this.buckets[i];
    this.buckets[i] = flow;
    this.flowsCreated++;
    return flow;
  }

  private unlink(f: Flow): void {
    const c = f.lruClass;
    if (f.prev !== null) f.prev.next = f.next;
    else if (this.heads[c] === f) this.heads[c] = f.next;
    if (f.next !== null) f.next.prev = f.prev;
    else if (this.tails[c] === f) this.tails[c] = f.prev;
    f.prev = null;
    f.next = null;
  }

  private append(f: Flow): void {
    const c = f.lruClass;
    const t = this.tails[c];
    f.prev = t;
    f.next = null;
    if (t !== null) t.next = f;
    else this.heads[c] = f;
    this.tails[c] = f;
  }
}
