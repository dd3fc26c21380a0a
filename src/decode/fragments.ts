import type { Counters } from "../util/counters.js";

/**
 * Bounds of the IP fragment reassembler. Fragments are rare on a decoy LAN but are an
 * attacker's favourite way to hide a handshake or exhaust memory, so every dimension
 * is capped and the oldest work is dropped first.
 */
export interface FragmentOptions {
  /** Datagrams being reassembled at once (default 1024); the oldest is evicted beyond it. */
  maxDatagrams?: number;
  /** Bytes buffered over all datagrams, headers included (default 8 MiB); oldest evicted beyond it. */
  maxBufferedBytes?: number;
  /** Fragments kept per datagram (default 256); a datagram needing more is dropped. */
  maxFragmentsPerDatagram?: number;
  /** Reassembly timeout on packet time, microseconds (default 30 s, as Linux's ipfrag_time). */
  timeoutUs?: number;
}

export const DEFAULT_MAX_DATAGRAMS = 1024;
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_FRAGMENTS_PER_DATAGRAM = 256;
export const DEFAULT_FRAGMENT_TIMEOUT_US = 30_000_000;

/**
 * A reassembled datagram is limited by its 16-bit length field: IPv4 total length
 * (header + data) ≤ 65,535; IPv6 payload length (extension headers + data) ≤ 65,535.
 * So a datagram holds at most 64 KiB of data.
 */
const MAX_IP_LENGTH = 65535;

/** Smallest upper-layer header the first fragment must carry (RFC 1858 / RFC 8200 §4.5). */
function minTransportHeader(proto: number): number {
  if (proto === 6) return 20; // TCP
  if (proto === 17) return 8; // UDP
  return 0;
}

class Piece {
  constructor(
    readonly start: number,
    readonly end: number,
    readonly data: Buffer,
  ) {}
}

class Datagram {
  /** Copy of the IP header (IPv6: up to, not including, the fragment header) from the offset-0 fragment. */
  header: Buffer | undefined = undefined;
  /** IPv6: offset in `header` of the next-header byte that named the fragment header. */
  nextHeaderField = 0;
  /** Upper-layer protocol (IPv4 protocol / IPv6 fragment header's next header) from the first fragment. */
  protocol = -1;
  /** Data length once the last fragment (M = 0) has been seen, else -1. */
  dataLen = -1;
  /** Non-overlapping pieces sorted by start. */
  readonly pieces: Piece[] = [];
  /** Data bytes held in pieces. */
  covered = 0;
  /** Bytes charged to the buffer budget (pieces + header). */
  bytes = 0;
  constructor(
    readonly key: string,
    readonly firstUs: number,
  ) {}
}

/**
 * IPv4 and IPv6 fragment reassembly.
 *
 * Overlap policy: **first wins** — bytes already received are never replaced; a later
 * fragment only fills gaps. Overlaps with different content are counted
 * ("fragment.overlap"), identical re-sent bytes as "fragment.duplicate". (RFC 5722 asks
 * IPv6 receivers to drop such datagrams entirely; first-wins is deterministic too and
 * keeps what the original sender most likely sent.)
 *
 * Attacks (RFC 1858, RFC 8200 §4.5): a first fragment too short to hold the TCP/UDP
 * header ("fragment.tiny_first") and a non-first fragment starting inside that header
 * ("fragment.header_overlap", e.g. TCP offset 8) are counted and dropped, so a header
 * is only ever taken from one complete first fragment.
 *
 * Time is packet time (`tsUs`), never the wall clock, so a capture file reassembles the
 * same however fast it is read.
 */
export class FragmentReassembler {
  readonly maxDatagrams: number;
  readonly maxBufferedBytes: number;
  readonly maxFragmentsPerDatagram: number;
  readonly timeoutUs: number;
  /** In insertion order, so the first entry is the oldest (eviction and timeout scan from the front). */
  private readonly table = new Map<string, Datagram>();
  private buffered = 0;

  constructor(
    opts: FragmentOptions = {},
    private readonly stats: Counters,
  ) {
    this.maxDatagrams = Math.max(1, opts.maxDatagrams ?? DEFAULT_MAX_DATAGRAMS);
    this.maxBufferedBytes = Math.max(1, opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES);
    this.maxFragmentsPerDatagram = Math.max(
      1,
      opts.maxFragmentsPerDatagram ?? DEFAULT_MAX_FRAGMENTS_PER_DATAGRAM,
    );
    this.timeoutUs = opts.timeoutUs ?? DEFAULT_FRAGMENT_TIMEOUT_US;
  }

  /** Datagrams in progress. */
  get datagrams(): number {
    return this.table.size;
  }

  /** Bytes currently buffered (fragment data + saved headers). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Drops datagrams older than the timeout at packet time `nowUs`. */
  expire(nowUs: number): void {
    for (const d of this.table.values()) {
      if (nowUs - d.firstUs <= this.timeoutUs) break;
      this.drop(d);
      this.stats.inc("fragment.timeout");
    }
  }

  /**
   * Adds an IPv4 fragment: header at `ipOff` (length `hl`), data `buf[dataOff, dataEnd)`
   * at byte offset `fragOffset`. Returns the rebuilt datagram (a fresh buffer holding the
   * IPv4 header with MF/offset cleared and the total length fixed, then the data) when
   * this fragment completes it.
   */
  addIpv4(
    buf: Uint8Array,
    ipOff: number,
    hl: number,
    dataOff: number,
    dataEnd: number,
    fragOffset: number,
    more: boolean,
    tunnelKey: number,
    nowUs: number,
  ): Buffer | undefined {
    const proto = buf[ipOff + 9];
    const id = (buf[ipOff + 4] << 8) | buf[ipOff + 5];
    // RFC 791: source, destination, protocol and identification name a datagram.
    const key = `4|${tunnelKey}|${proto}|${id}|${hex(buf, ipOff + 12, 8)}`;
    const d = this.add(key, buf, dataOff, dataEnd, fragOffset, more, proto, ipOff, hl, 0, hl, nowUs);
    if (d === undefined) return undefined;
    if (d.header === undefined || d.dataLen < 0 || d.covered !== d.dataLen) return undefined;
    this.drop(d);
    const h = d.header;
    const total = h.length + d.dataLen;
    if (total > MAX_IP_LENGTH) {
      // Later fragments were checked against their own header length; the first one's is longer.
      this.stats.inc("fragment.too_big");
      return undefined;
    }
    const out = Buffer.allocUnsafe(total);
    h.copy(out, 0);
    out[2] = total >> 8;
    out[3] = total & 0xff;
    out[6] &= 0xc0; // keep the reserved and DF bits, clear MF and the offset
    out[7] = 0;
    writeIpv4Checksum(out, h.length);
    for (const piece of d.pieces) piece.data.copy(out, h.length + piece.start);
    this.stats.inc("fragment.reassembled");
    return out;
  }

  /**
   * Adds an IPv6 fragment: IPv6 header at `ipOff`, fragment header at `fragHeaderOff`
   * (its next-header byte named by the byte at `nextHeaderFieldOff`), data
   * `buf[fragHeaderOff + 8, dataEnd)`. Returns the rebuilt packet (unfragmentable part,
   * fragment header removed, next header and payload length fixed, then the data) when
   * this fragment completes the datagram.
   */
  addIpv6(
    buf: Uint8Array,
    ipOff: number,
    fragHeaderOff: number,
    nextHeaderFieldOff: number,
    dataEnd: number,
    fragOffset: number,
    more: boolean,
    id: number,
    tunnelKey: number,
    nowUs: number,
  ): Buffer | undefined {
    // RFC 8200 §4.5: source, destination and identification name a datagram.
    const key = `6|${tunnelKey}|${id}|${hex(buf, ipOff + 8, 32)}`;
    const nh = buf[fragHeaderOff];
    const unfragLen = fragHeaderOff - ipOff;
    const d = this.add(
      key,
      buf,
      fragHeaderOff + 8,
      dataEnd,
      fragOffset,
      more,
      nh,
      ipOff,
      unfragLen,
      nextHeaderFieldOff - ipOff,
      unfragLen - 40,
      nowUs,
    );
    if (d === undefined) return undefined;
    if (d.header === undefined || d.dataLen < 0 || d.covered !== d.dataLen) return undefined;
    this.drop(d);
    const h = d.header;
    const total = h.length + d.dataLen;
    const payloadLen = total - 40;
    if (payloadLen > MAX_IP_LENGTH) {
      this.stats.inc("fragment.too_big");
      return undefined;
    }
    const out = Buffer.allocUnsafe(total);
    h.copy(out, 0);
    out[4] = payloadLen >> 8;
    out[5] = payloadLen & 0xff;
    out[d.nextHeaderField] = d.protocol;
    for (const piece of d.pieces) piece.data.copy(out, h.length + piece.start);
    this.stats.inc("fragment.reassembled");
    return out;
  }

  /**
   * Common bookkeeping: finds or creates the datagram and stores the new bytes (first
   * wins). The first fragment's header `buf[hdrOff, hdrOff + hdrLen)` is saved (IPv6:
   * `nhField` locates the byte to patch). `headerExtra` is the length the header adds to
   * the datagram's 16-bit length field (IPv4 header / IPv6 unfragmentable extension
   * headers). Returns undefined when the fragment was dropped.
   */
  private add(
    key: string,
    buf: Uint8Array,
    dataOff: number,
    dataEnd: number,
    start: number,
    more: boolean,
    proto: number,
    hdrOff: number,
    hdrLen: number,
    nhField: number,
    headerExtra: number,
    nowUs: number,
  ): Datagram | undefined {
    const stats = this.stats;
    this.expire(nowUs);
    const len = dataEnd - dataOff;
    const end = start + len;
    if (len < 0) return undefined;
    if (more && (len === 0 || (len & 7) !== 0)) {
      // Every fragment but the last carries a multiple of 8 bytes (RFC 791, RFC 8200).
      stats.inc("fragment.bad_length");
      return undefined;
    }
    if (end + headerExtra > MAX_IP_LENGTH) {
      stats.inc("fragment.too_big");
      return undefined;
    }
    const minHdr = minTransportHeader(proto);
    if (start === 0 && more && len < minHdr) {
      stats.inc("fragment.tiny_first");
      return undefined;
    }
    if (start > 0 && start < minHdr) {
      stats.inc("fragment.header_overlap");
      return undefined;
    }

    let d = this.table.get(key);
    if (d !== undefined && nowUs - d.firstUs > this.timeoutUs) {
      this.drop(d);
      stats.inc("fragment.timeout");
      d = undefined;
    }
    if (d === undefined) {
      while (this.table.size >= this.maxDatagrams) this.evictOldest();
      d = new Datagram(key, nowUs);
      this.table.set(key, d);
    }

    // The end of the datagram is fixed by the first last-fragment seen.
    if (!more) {
      if (d.dataLen >= 0 && d.dataLen !== end) {
        stats.inc("fragment.inconsistent_end");
        return d;
      }
      const last = d.pieces.length > 0 ? d.pieces[d.pieces.length - 1].end : 0;
      if (last > end) {
        stats.inc("fragment.inconsistent_end");
        return d;
      }
      d.dataLen = end;
    } else if (d.dataLen >= 0 && end > d.dataLen) {
      stats.inc("fragment.inconsistent_end");
      return d;
    }
    if (start === 0) {
      if (d.protocol >= 0 && d.protocol !== proto) stats.inc("fragment.protocol_mismatch");
      if (d.protocol < 0 || d.header === undefined) d.protocol = proto;
    } else if (d.protocol < 0) {
      d.protocol = proto;
    }

    // Insert the parts of [start, end) not covered yet; compare the covered parts.
    const pieces = d.pieces;
    let pos = start;
    let overlapped = false;
    let differs = false;
    let i = 0;
    while (i < pieces.length && pieces[i].end <= start) i++;
    let added = 0;
    const newPieces: Piece[] = [];
    const insertAt = i;
    for (; pos < end; i++) {
      const next = i < pieces.length ? pieces[i] : undefined;
      const gapEnd = next === undefined || next.start >= end ? end : next.start;
      if (gapEnd > pos) {
        newPieces.push(new Piece(pos, gapEnd, copyOf(buf, dataOff + (pos - start), gapEnd - pos)));
        added += gapEnd - pos;
        pos = gapEnd;
      }
      if (next === undefined || next.start >= end) break;
      // [pos, min(end, next.end)) is already held by `next`.
      const ovEnd = Math.min(next.end, end);
      if (ovEnd > pos) {
        overlapped = true;
        if (!differs && !sameBytes(buf, dataOff + (pos - start), next.data, pos - next.start, ovEnd - pos)) {
          differs = true;
        }
        pos = ovEnd;
      }
    }
    if (overlapped) stats.inc(differs ? "fragment.overlap" : "fragment.duplicate");
    const saveHeader = start === 0 && d.header === undefined;
    if (saveHeader) added += hdrLen;
    if (added === 0) return d;

    if (pieces.length + newPieces.length > this.maxFragmentsPerDatagram) {
      stats.inc("fragment.too_many");
      this.drop(d);
      return undefined;
    }
    if (d.bytes + added > this.maxBufferedBytes) {
      // This datagram alone would exceed the whole budget (only with tiny budgets).
      stats.inc("fragment.over_budget");
      this.drop(d);
      return undefined;
    }
    // Make room in the byte budget, oldest first; the datagram itself may be the oldest.
    while (this.buffered + added > this.maxBufferedBytes) {
      const oldest = this.table.values().next().value as Datagram | undefined;
      if (oldest === undefined) break;
      this.evictOldest();
      if (oldest === d) return undefined;
    }
    if (saveHeader) {
      d.header = copyOf(buf, hdrOff, hdrLen);
      d.nextHeaderField = nhField;
    }
    // Pieces between insertAt and the new ones keep order: every new piece lies in a gap
    // after pieces[insertAt - 1] and interleaves with the covered pieces that follow.
    mergeSorted(pieces, insertAt, newPieces);
    d.covered += saveHeader ? added - hdrLen : added;
    d.bytes += added;
    this.buffered += added;
    return d;
  }

  private evictOldest(): void {
    const oldest = this.table.values().next().value as Datagram | undefined;
    if (oldest === undefined) return;
    this.drop(oldest);
    this.stats.inc("fragment.evicted");
  }

  private drop(d: Datagram): void {
    if (this.table.get(d.key) === d) this.table.delete(d.key);
    this.buffered -= d.bytes;
    d.bytes = 0;
  }
}

/** Inserts sorted `add` (each in a gap) into sorted `pieces`, starting the search at `from`. */
function mergeSorted(pieces: Piece[], from: number, add: Piece[]): void {
  let i = from;
  for (const p of add) {
    while (i < pieces.length && pieces[i].start < p.start) i++;
    pieces.splice(i, 0, p);
    i++;
  }
}

function copyOf(buf: Uint8Array, off: number, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  b.set(buf.subarray(off, off + len));
  return b;
}

function sameBytes(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (a[aOff + k] !== b[bOff + k]) return false;
  return true;
}

function hex(buf: Uint8Array, off: number, len: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + off, len).toString("hex");
}

/** Recomputes the IPv4 header checksum (the rebuilt header's length and flags changed). */
function writeIpv4Checksum(b: Buffer, hl: number): void {
  b[10] = 0;
  b[11] = 0;
  let sum = 0;
  for (let i = 0; i < hl; i += 2) sum += (b[i] << 8) | b[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  b[10] = c >> 8;
  b[11] = c & 0xff;
}
