/** Bytes of the CRYPTO stream kept per connection: a ClientHello (even with post-quantum key shares) is a few KiB. */
export const CRYPTO_STREAM_LIMIT = 64 * 1024;
/** Disjoint received ranges kept at most; a frame that would need more is dropped. */
export const MAX_CRYPTO_RANGES = 32;

/** Outcome of `CryptoStream.push`. */
export const PushResult = {
  Ok: 0,
  /** Data at or beyond the limit (the part below the limit, if any, was kept). */
  BeyondLimit: 1,
  /** Would need more than MAX_CRYPTO_RANGES holes; nothing kept. */
  TooManyRanges: 2,
} as const;

/**
 * Reassembles one CRYPTO stream (RFC 9000 §19.6) from frames in any order, with duplicates and
 * overlaps. Bytes already received win over later copies of the same offsets (like TCP
 * reassembly: a retransmission cannot rewrite what was seen). Memory: at most `limit` bytes of
 * data (allocated as it grows) plus MAX_CRYPTO_RANGES ranges.
 */
export class CryptoStream {
  private data: Buffer = Buffer.alloc(0);
  /** Received ranges [starts[i], ends[i]), sorted, disjoint and not touching. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor(readonly limit: number = CRYPTO_STREAM_LIMIT) {}

  /** Adds the stream bytes `src[srcOff, srcOff + len)` found at stream offset `offset`. Returns a `PushResult`. */
  push(offset: number, src: Buffer, srcOff: number, len: number): number {
    if (len <= 0) return PushResult.Ok;
    if (offset >= this.limit) return PushResult.BeyondLimit;
    const a = offset;
    const b = Math.min(offset + len, this.limit);
    const clipped = b < offset + len;
    const starts = this.starts;
    const ends = this.ends;
    // Ranges that overlap or touch [a, b) merge into one.
    let first = 0;
    while (first < starts.length && ends[first] < a) first++;
    let last = first;
    while (last < starts.length && starts[last] <= b) last++;
    const merged = last - first;
    if (starts.length - merged + 1 > MAX_CRYPTO_RANGES) return PushResult.TooManyRanges;
    this.ensure(b);
    // Copy only the holes of [a, b).
    let cur = a;
    for (let i = first; i < last && cur < b; i++) {
      if (starts[i] > cur)
        src.copy(this.data, cur, srcOff + (cur - a), srcOff + (Math.min(starts[i], b) - a));
      if (ends[i] > cur) cur = ends[i];
    }
    if (cur < b) src.copy(this.data, cur, srcOff + (cur - a), srcOff + (b - a));
    const ns = merged > 0 ? Math.min(a, starts[first]) : a;
    const ne = merged > 0 ? Math.max(b, ends[last - 1]) : b;
    starts.splice(first, merged, ns);
    ends.splice(first, merged, ne);
    return clipped ? PushResult.BeyondLimit : PushResult.Ok;
  }

  /** Bytes received contiguously from offset 0. */
  contiguous(): number {
    return this.starts.length > 0 && this.starts[0] === 0 ? this.ends[0] : 0;
  }

  /** Stream bytes buffered (sum of the ranges). */
  buffered(): number {
    let n = 0;
    for (let i = 0; i < this.starts.length; i++) n += this.ends[i] - this.starts[i];
    return n;
  }

  /** Bytes allocated for the data (grows with the highest offset received, ≤ `limit`). */
  capacity(): number {
    return this.data.length;
  }

  /** Drops all data and ranges (frees the buffer once the connection is decided). */
  release(): void {
    this.data = Buffer.alloc(0);
    this.starts.length = 0;
    this.ends.length = 0;
  }

  /** Byte at stream offset `i`, which must be below `contiguous()`. */
  byteAt(i: number): number {
    return this.data[i];
  }

  /**
   * Total length (4-byte header + body) of the TLS handshake message at offset 0 once its header is
   * in; -1 before.
   */
  firstMessageLength(): number {
    if (this.contiguous() < 4) return -1;
    const d = this.data;
    return 4 + ((d[1] << 16) | (d[2] << 8) | d[3]);
  }

  /** A copy of the first handshake message (type, 3-byte length, body) once it is complete; else undefined. */
  firstMessage(): Buffer | undefined {
    const n = this.firstMessageLength();
    if (n < 0 || n > this.contiguous()) return undefined;
    return Buffer.from(this.data.subarray(0, n));
  }

  private ensure(size: number): void {
    if (this.data.length >= size) return;
    const cap = Math.min(this.limit, Math.max(size, this.data.length * 2, 2048));
    const next = Buffer.alloc(cap);
    this.data.copy(next);
    this.data = next;
  }
}
