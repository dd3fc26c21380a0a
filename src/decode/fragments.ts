import type { Counters } from "../util/counters.js";
import { ipv6ExtensionLength, isIpv6ExtensionHeader, MAX_IPV6_EXT_HEADERS } from "./ipv6.js";

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
  /**
   * IPv4 reassembly timeout on packet time, microseconds (default 30 s, as Linux's
   * ipfrag_time). A value set here also applies to IPv6 unless `ipv6TimeoutUs` is set,
   * so a caller that chose one timeout for both keeps it.
   */
  timeoutUs?: number;
  /** IPv6 reassembly timeout, microseconds (default: `timeoutUs` if set, else 60 s, RFC 8200 §4.5). */
  ipv6TimeoutUs?: number;
}

export const DEFAULT_MAX_DATAGRAMS = 1024;
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_FRAGMENTS_PER_DATAGRAM = 256;
export const DEFAULT_FRAGMENT_TIMEOUT_US = 30_000_000;
/** RFC 8200 §4.5: IPv6 reassembly is abandoned 60 s after the first-arriving fragment. */
export const DEFAULT_IPV6_FRAGMENT_TIMEOUT_US = 60_000_000;

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

/**
 * IPv6 upper-layer header size the first fragment must hold after the extension headers
 * (RFC 8200 §4.5, from RFC 7112); the values of Linux's ipv6frag_thdr_truncated(): other
 * protocols' header lengths are unknown here, so at least their first byte.
 */
function minUpperLayerV6(proto: number): number {
  if (proto === 6) return 20; // TCP
  if (proto === 17) return 8; // UDP
  if (proto === 58) return 8; // ICMPv6
  if (proto === 59) return 0; // No Next Header: nothing follows
  return 1;
}

/** Where an IPv6 first fragment's header chain stands (see ipv6HeaderChain). */
interface HeaderChain {
  /** Data offset of the upper-layer header. */
  readonly start: number;
  /** Its protocol. */
  readonly proto: number;
}

/**
 * Walks the extension headers at the start of an IPv6 first fragment's data
 * `buf[off, end)`, first one named `nh` (the fragment header's next header). Undefined
 * when an extension header does not fit in the fragment.
 */
function ipv6HeaderChain(buf: Uint8Array, off: number, end: number, nh: number): HeaderChain | undefined {
  let p = off;
  // Bounded like decodeIpv6, which rejects longer chains once the datagram is rebuilt.
  for (let n = 0; n < MAX_IPV6_EXT_HEADERS && isIpv6ExtensionHeader(nh); n++) {
    if (end - p < 2) return undefined;
    const len = ipv6ExtensionLength(nh, buf, p);
    if (end - p < len) return undefined;
    nh = buf[p];
    p += len;
  }
  return { start: p - off, proto: nh };
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
  /** Upper-layer protocol (IPv4 protocol / IPv6 fragment header's next header) from the offset-0 fragment. */
  protocol = -1;
  /** IPv6: data bytes the offset-0 fragment's header chain takes, through the upper-layer header. */
  chainEnd = -1;
  /**
   * IPv6: fragments overlapped (RFC 5722), so the datagram was discarded. The entry then
   * holds no bytes and stays, in its table slot, only until its timeout so that later
   * fragments of the datagram are discarded too.
   */
  discarded = false;
  /** Data length once the last fragment (M = 0) has been seen, else -1. */
  dataLen = -1;
  /** Non-overlapping pieces sorted by start (IPv6: exactly the fragments received). */
  readonly pieces: Piece[] = [];
  /** Data bytes held in pieces. */
  covered = 0;
  /** Bytes charged to the buffer budget (pieces + header). */
  bytes = 0;
  constructor(
    readonly key: string,
    readonly v6: boolean,
    /** Creation order over both tables: the smallest is the oldest. */
    readonly seq: number,
    readonly firstUs: number,
  ) {}
}

/**
 * IPv4 and IPv6 fragment reassembly.
 *
 * IPv4 overlap policy: **first wins** — bytes already received are never replaced; a
 * later fragment only fills gaps. Overlaps with different content are counted
 * ("fragment.overlap"), identical re-sent bytes as "fragment.duplicate". Deterministic,
 * and keeps what the original sender most likely sent.
 *
 * IPv6 (RFC 5722 §4, RFC 8200 §4.5): overlapping fragments discard the whole datagram
 * ("fragment.overlap_discarded"), and its later fragments are discarded until the
 * reassembly timeout ("fragment.after_discard"); only an exact duplicate (same offset,
 * length and bytes) is dropped on its own ("fragment.duplicate"). A first fragment
 * without the whole header chain through the upper-layer header is dropped
 * ("fragment.incomplete_chain", or "fragment.tiny_first" when the upper-layer header is
 * cut); only that fragment's next header names the upper-layer protocol.
 *
 * Attacks (RFC 1858, RFC 8200 §4.5): a first fragment too short to hold the TCP/UDP
 * header ("fragment.tiny_first") and a non-first fragment starting inside that header
 * ("fragment.header_overlap", e.g. TCP offset 8; IPv6: inside the first fragment's
 * header chain, which also discards the datagram) are counted and dropped, so a header
 * is only ever taken from one complete first fragment.
 *
 * Time is packet time (`tsUs`), never the wall clock, so a capture file reassembles the
 * same however fast it is read.
 */
export class FragmentReassembler {
  readonly maxDatagrams: number;
  readonly maxBufferedBytes: number;
  readonly maxFragmentsPerDatagram: number;
  /** IPv4 reassembly timeout, microseconds. */
  readonly timeoutUs: number;
  /** IPv6 reassembly timeout, microseconds. */
  readonly ipv6TimeoutUs: number;
  /**
   * One table per IP version, each in insertion order with one timeout, so the first
   * entry is the oldest (timeout scans from the front; eviction takes the older front by
   * `seq`). Together they hold at most `maxDatagrams` entries, IPv6 discard markers
   * included.
   */
  private readonly v4 = new Map<string, Datagram>();
  private readonly v6 = new Map<string, Datagram>();
  private nextSeq = 0;
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
    this.ipv6TimeoutUs = opts.ipv6TimeoutUs ?? opts.timeoutUs ?? DEFAULT_IPV6_FRAGMENT_TIMEOUT_US;
  }

  /** Datagrams in progress (IPv6 discard markers included: each takes a slot). */
  get datagrams(): number {
    return this.v4.size + this.v6.size;
  }

  /** Bytes currently buffered (fragment data + saved headers). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Drops datagrams older than their timeout at packet time `nowUs`. */
  expire(nowUs: number): void {
    this.expireIn(this.v4, this.timeoutUs, nowUs);
    this.expireIn(this.v6, this.ipv6TimeoutUs, nowUs);
  }

  private expireIn(table: Map<string, Datagram>, timeoutUs: number, nowUs: number): void {
    for (const d of table.values()) {
      if (nowUs - d.firstUs <= timeoutUs) break;
      this.drop(d);
      this.countTimeout(d);
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
    const d = this.add(key, false, buf, dataOff, dataEnd, fragOffset, more, proto, ipOff, hl, 0, hl, nowUs);
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
      true,
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
   * Common bookkeeping: finds or creates the datagram and stores the new bytes (IPv4:
   * first wins; IPv6: any overlap but an exact duplicate discards the datagram). The
   * first fragment's header `buf[hdrOff, hdrOff + hdrLen)` is saved (IPv6: `nhField`
   * locates the byte to patch), and with it `proto`, the upper-layer protocol (ignored
   * from any other IPv6 fragment). `headerExtra` is the length the header adds to the
   * datagram's 16-bit length field (IPv4 header / IPv6 unfragmentable extension
   * headers). Returns undefined when the fragment was dropped.
   */
  private add(
    key: string,
    v6: boolean,
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
    // Data bytes the first fragment must hold: the transport header (IPv4), every header
    // through the upper-layer one (IPv6).
    let chainEnd = 0;
    if (!v6) {
      // The protocol is in every IPv4 fragment and in the key, so this one is the datagram's.
      chainEnd = minTransportHeader(proto);
      if (start === 0 && more && len < chainEnd) {
        stats.inc("fragment.tiny_first");
        return undefined;
      }
      if (start > 0 && start < chainEnd) {
        stats.inc("fragment.header_overlap");
        return undefined;
      }
    } else if (start === 0) {
      // A non-first IPv6 fragment's next header means nothing (RFC 8200 §4.5); its start is
      // checked below against the chain of the first fragment, whichever arrives first.
      const chain = ipv6HeaderChain(buf, dataOff, dataEnd, proto);
      chainEnd = chain === undefined ? len + 1 : chain.start + minUpperLayerV6(chain.proto);
      if (more && chainEnd > len) {
        // RFC 8200 §4.5 (RFC 7112): the first fragment holds every header through the upper-layer one.
        stats.inc(
          chain === undefined || chain.start >= len ? "fragment.incomplete_chain" : "fragment.tiny_first",
        );
        return undefined;
      }
      // A sole (M = 0) first fragment holds the whole datagram; a cut chain is the decoder's to report.
      chainEnd = Math.min(chainEnd, len);
    }

    const table = v6 ? this.v6 : this.v4;
    let d = table.get(key);
    if (d !== undefined && nowUs - d.firstUs > (v6 ? this.ipv6TimeoutUs : this.timeoutUs)) {
      this.drop(d);
      this.countTimeout(d);
      d = undefined;
    }
    if (d?.discarded) {
      // RFC 5722 §4: fragments of a discarded datagram arriving before its timeout go too.
      stats.inc("fragment.after_discard");
      return undefined;
    }
    if (d === undefined) {
      while (this.datagrams >= this.maxDatagrams) this.evictOldest();
      d = new Datagram(key, v6, this.nextSeq++, nowUs);
      table.set(key, d);
    }
    if (start === 0 && d.protocol >= 0 && d.protocol !== proto) stats.inc("fragment.protocol_mismatch");

    const pieces = d.pieces;
    let i = 0;
    while (i < pieces.length && pieces[i].end <= start) i++;
    if (v6) {
      // A non-first fragment starting inside the first fragment's header chain (either order).
      if (
        start > 0
          ? start < d.chainEnd
          : d.header === undefined && pieces.length > 0 && pieces[0].start < chainEnd
      ) {
        stats.inc("fragment.header_overlap");
      }
      if (i < pieces.length && pieces[i].start < end) {
        const p = pieces[i];
        if (p.start === start && p.end === end && sameBytes(buf, dataOff, p.data, 0, len)) {
          // RFC 8200 §4.5: an exact duplicate may be dropped alone, keeping the datagram.
          stats.inc("fragment.duplicate");
          return d;
        }
        // RFC 5722 §4, RFC 8200 §4.5: overlapping fragments discard the datagram silently.
        stats.inc("fragment.overlap_discarded");
        this.discard(d);
        return undefined;
      }
    }

    // The end of the datagram is fixed by the first last-fragment seen.
    if (!more) {
      if (d.dataLen >= 0 && d.dataLen !== end) {
        stats.inc("fragment.inconsistent_end");
        return d;
      }
      const last = pieces.length > 0 ? pieces[pieces.length - 1].end : 0;
      if (last > end) {
        stats.inc("fragment.inconsistent_end");
        return d;
      }
      d.dataLen = end;
    } else if (d.dataLen >= 0 && end > d.dataLen) {
      stats.inc("fragment.inconsistent_end");
      return d;
    }

    // Insert the parts of [start, end) not covered yet; compare the covered parts
    // (IPv6 reaches here without overlap, so as one new piece).
    let pos = start;
    let overlapped = false;
    let differs = false;
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
      const oldest = this.oldest();
      if (oldest === undefined) break;
      this.evictOldest();
      if (oldest === d) return undefined;
    }
    if (saveHeader) {
      d.header = copyOf(buf, hdrOff, hdrLen);
      d.nextHeaderField = nhField;
      d.protocol = proto;
      d.chainEnd = chainEnd;
    }
    // Pieces between insertAt and the new ones keep order: every new piece lies in a gap
    // after pieces[insertAt - 1] and interleaves with the covered pieces that follow.
    mergeSorted(pieces, insertAt, newPieces);
    d.covered += saveHeader ? added - hdrLen : added;
    d.bytes += added;
    this.buffered += added;
    return d;
  }

  /** The datagram created first, over both tables. */
  private oldest(): Datagram | undefined {
    const a = this.v4.values().next().value as Datagram | undefined;
    const b = this.v6.values().next().value as Datagram | undefined;
    if (a === undefined) return b;
    if (b === undefined) return a;
    return a.seq < b.seq ? a : b;
  }

  private evictOldest(): void {
    const oldest = this.oldest();
    if (oldest === undefined) return;
    this.drop(oldest);
    this.stats.inc("fragment.evicted");
  }

  /** A discard marker reaching its timeout is no failed reassembly, so it is not counted. */
  private countTimeout(d: Datagram): void {
    if (!d.discarded) this.stats.inc("fragment.timeout");
  }

  private drop(d: Datagram): void {
    const table = d.v6 ? this.v6 : this.v4;
    if (table.get(d.key) === d) table.delete(d.key);
    this.buffered -= d.bytes;
    d.bytes = 0;
  }

  /** Frees the datagram's bytes but keeps its entry, as a marker, until its timeout. */
  private discard(d: Datagram): void {
    this.buffered -= d.bytes;
    d.bytes = 0;
    d.discarded = true;
    d.header = undefined;
    d.pieces.length = 0;
    d.covered = 0;
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
