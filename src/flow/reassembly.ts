/**
 * Per-direction, in-order byte reassembly of the start of a TCP stream.
 *
 * Only the first `limit` bytes of each direction are reassembled (handshakes live
 * there). In-order segments are handed to the sink as views of the capture buffer
 * (zero copy); only out-of-order segments are copied, into a bounded pending list.
 * Retransmitted and overlapping bytes are trimmed: the first copy of a byte that
 * reached the sink wins. Sequence numbers wrap modulo 2^32.
 */

/** Receives the reassembled bytes of one direction, in order. */
export interface StreamSink {
  onData(buf: Buffer, off: number, len: number): void;
  /** `skipped` bytes were never seen; data resumes after the gap. */
  onGap(skipped: number): void;
}

/** Bytes held in pending (out-of-order) copies, shared by every stream of a flow table. */
export interface ReassemblyBudget {
  used: number;
  /** Hard cap; segments that would exceed it are dropped (and counted by the caller). */
  max: number;
  /** Asked to free at least `bytes` (by evicting other flows) before a segment is dropped. */
  reclaim?: (bytes: number) => void;
}

interface PendingSegment {
  seq: number;
  data: Buffer;
}

/** Pending segments per stream beyond which the oldest gap is skipped. */
const MAX_PENDING_SEGMENTS = 64;

/** Signed distance a - b in sequence space (handles wrap). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export class StreamReassembler {
  /**
   * Sequence number of the next byte the sink expects, held as int32 (sequence numbers are
   * only ever compared modulo 2^32, and int32 values stay small integers in V8 where uint32
   * ones above 2^31 would be boxed numbers); meaningful once `hasNext`.
   */
  private next = 0;
  private hasNext = false;
  /** Bytes delivered to the sink so far. */
  delivered = 0;
  /** True once `limit` bytes were delivered (or the stream was abandoned): later data is ignored. */
  done = false;
  /** Segments dropped because the budget or the per-stream pending cap was full. */
  dropped = 0;
  private pending: PendingSegment[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly limit: number,
    private readonly budget: ReassemblyBudget,
  ) {}

  /** Start the stream at a SYN: data begins at isn + 1. */
  initFromSyn(isn: number): void {
    if (!this.hasNext) {
      this.next = (isn + 1) | 0;
      this.hasNext = true;
    }
  }

  get started(): boolean {
    return this.hasNext;
  }

  get pendingSize(): number {
    return this.pendingBytes;
  }

  /** Adds one segment's payload `buf[off, off+len)` starting at sequence number `seq`. */
  add(seq: number, buf: Buffer, off: number, len: number, sink: StreamSink): void {
    if (this.done || len <= 0) return;
    seq |= 0;
    if (!this.hasNext) {
      this.next = seq; // picked up mid-stream: start here
      this.hasNext = true;
    }
    let rel = seqDiff(seq, this.next);
    if (rel < 0) {
      // Retransmission or overlap with bytes already delivered: keep only the new tail.
      if (len <= -rel) return;
      off -= rel;
      len += rel;
      seq = this.next;
      rel = 0;
    }
    if (rel === 0) {
      this.deliver(buf, off, len, sink);
      this.drain(sink);
      return;
    }
    // Beyond a hole: keep a copy until the hole fills (or is declared lost).
    if (rel > this.limit - this.delivered) return; // entirely past what we will ever deliver
    if (this.budget.used + len > this.budget.max) {
      this.budget.reclaim?.(this.budget.used + len - this.budget.max);
      if (this.budget.used + len > this.budget.max) {
        this.dropped++;
        return;
      }
    }
    this.insertPending(seq, Buffer.from(buf.subarray(off, off + len)));
    if (this.pending.length > MAX_PENDING_SEGMENTS || this.pendingBytes > this.limit) this.skipGap(sink);
  }

  /**
   * Declares the current hole lost: resumes at the first pending segment. Called when
   * pending data piles up, and by the flow table when the flow ends, so a gap never
   * blocks a later complete record forever.
   */
  skipGap(sink: StreamSink): void {
    if (this.done || this.pending.length === 0) return;
    const first = this.pending[0];
    const skipped = seqDiff(first.seq, this.next);
    if (skipped > 0) {
      this.delivered += skipped;
      this.next = first.seq;
      if (this.delivered >= this.limit) {
        this.finish();
        return;
      }
      sink.onGap(skipped);
    }
    this.drain(sink);
  }

  /** Flow end: skips every remaining hole in turn, so no gap hides the data after it. */
  skipAllGaps(sink: StreamSink): void {
    // Each call delivers or drops at least the first pending segment: this ends.
    while (!this.done && this.pending.length > 0) this.skipGap(sink);
  }

  /** Releases pending copies (flow end or eviction). */
  release(): void {
    if (this.pending.length === 0) return; // (nothing held: skip the array length reset)
    this.budget.used -= this.pendingBytes;
    this.pendingBytes = 0;
    this.pending.length = 0;
  }

  /** Stops reassembling (nobody reads this stream any more): later data is ignored, copies freed. */
  abandon(): void {
    if (!this.done) this.finish();
  }

  private finish(): void {
    this.done = true;
    this.release();
  }

  private deliver(buf: Buffer, off: number, len: number, sink: StreamSink): void {
    const room = this.limit - this.delivered;
    if (len > room) len = room;
    this.next = (this.next + len) | 0;
    this.delivered += len;
    sink.onData(buf, off, len);
    if (this.delivered >= this.limit) this.finish();
  }

  private drain(sink: StreamSink): void {
    while (!this.done && this.pending.length > 0) {
      const seg = this.pending[0];
      const rel = seqDiff(seg.seq, this.next);
      if (rel > 0) return; // still a hole
      this.pending.shift();
      this.pendingBytes -= seg.data.length;
      this.budget.used -= seg.data.length;
      if (seg.data.length > -rel) this.deliver(seg.data, -rel, seg.data.length + rel, sink);
    }
  }

  private insertPending(seq: number, data: Buffer): void {
    // Sorted by sequence relative to `next`; equal starts keep the first copy.
    const rel = seqDiff(seq, this.next);
    let i = this.pending.length;
    while (i > 0 && seqDiff(this.pending[i - 1].seq, this.next) > rel) i--;
    if (i > 0 && this.pending[i - 1].seq === seq && this.pending[i - 1].data.length >= data.length) return;
    this.pending.splice(i, 0, { seq, data });
    this.pendingBytes += data.length;
    this.budget.used += data.length;
  }
}
