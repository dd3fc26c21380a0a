import { asciiText } from "../ascii-text.js";
import { huffmanDecode } from "./huffman.js";
import type { HttpHeader } from "./request.js";

/** RFC 7541 Appendix A: the static table, index 1 to 61. */
const STATIC_PAIRS: ReadonlyArray<readonly [string, string]> = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** RFC 7541 §4.1: an entry costs its name and value octets plus 32. */
const ENTRY_OVERHEAD = 32;
/** SETTINGS_HEADER_TABLE_SIZE default (RFC 9113 §6.5.2). */
export const DEFAULT_TABLE_SIZE = 4096;
/**
 * Largest dynamic table we keep. The encoder may use up to what the server advertised,
 * which we may not see; real servers advertise 4 KiB to 64 KiB.
 */
export const MAX_TABLE_SIZE = 64 * 1024;
/** Largest string literal decoded (after Huffman decoding). */
const MAX_STRING = 16 * 1024;

interface Entry {
  name: string;
  value: string;
  size: number;
}

const STATIC_TABLE: readonly Entry[] = STATIC_PAIRS.map(([name, value]) => ({
  name,
  value,
  size: name.length + value.length + ENTRY_OVERHEAD,
}));

/**
 * HPACK decoder (RFC 7541) for ONE direction of an HTTP/2 connection: the static table,
 * the dynamic table (bounded by MAX_TABLE_SIZE octets, so at most 2,048 entries) and
 * Huffman-coded strings. One decoder per connection direction; header blocks must be fed
 * in order, since each may change the dynamic table for the next.
 *
 * Strings are decoded as tshark shows them (bytes ≥ 0x80 as U+FFFD); sizes use the
 * octet counts. After a decoding error the table is no longer trustworthy: `broken` is
 * set and every later block is refused. Never throws.
 */
/**
 * Huffman output buffer, shared by every decoder: decoding is synchronous and the text is
 * taken out of it at once, so one buffer serves all connections (not 16 KiB each).
 */
const huffmanScratch = new Uint8Array(MAX_STRING);

export class HpackDecoder {
  /** Set after the first decoding error. */
  broken = false;
  private readonly entries: Entry[] = []; // newest last
  private size = 0;
  private maxSize: number;
  /** Result of string() (avoids allocating a tuple per string). */
  private strText = "";

  constructor(maxSize = DEFAULT_TABLE_SIZE) {
    this.maxSize = Math.min(maxSize, MAX_TABLE_SIZE);
  }

  /** Entries in the dynamic table (for tests and bounds). */
  get dynamicEntries(): number {
    return this.entries.length;
  }

  /**
   * Decodes one complete header block `buf[start, end)`; returns the fields in order,
   * or undefined when the block is malformed (then the decoder is broken for good).
   */
  decode(buf: Uint8Array, start: number, end: number): HttpHeader[] | undefined {
    if (this.broken) return undefined;
    const out: HttpHeader[] = [];
    let p = start;
    while (p < end) {
      const b = buf[p];
      if (b & 0x80) {
        // Indexed header field (§6.1).
        p = this.integer(buf, p, end, 7);
        if (p < 0) return this.fail();
        const e = this.lookup(this.intValue);
        if (e === undefined) return this.fail();
        out.push({ name: e.name, value: e.value });
      } else if ((b & 0xe0) === 0x20) {
        // Dynamic table size update (§6.3).
        p = this.integer(buf, p, end, 5);
        if (p < 0 || this.intValue > MAX_TABLE_SIZE) return this.fail();
        this.maxSize = this.intValue;
        this.evict(0);
      } else {
        // Literal: with incremental indexing (01), without (0000) or never indexed (0001).
        const indexing = (b & 0xc0) === 0x40;
        p = this.integer(buf, p, end, indexing ? 6 : 4);
        if (p < 0) return this.fail();
        let name: string;
        if (this.intValue === 0) {
          p = this.string(buf, p, end);
          if (p < 0) return this.fail();
          name = this.strText;
        } else {
          const e = this.lookup(this.intValue);
          if (e === undefined) return this.fail();
          name = e.name;
        }
        p = this.string(buf, p, end);
        if (p < 0) return this.fail();
        const value = this.strText;
        out.push({ name, value });
        // Each character of a decoded string stands for one octet (see asciiText).
        if (indexing) this.insert(name, value, name.length + value.length + ENTRY_OVERHEAD);
      }
    }
    return out;
  }

  private fail(): undefined {
    this.broken = true;
    return undefined;
  }

  /** Entry `index` of the combined index space (§2.3.3), or undefined. */
  private lookup(index: number): Entry | undefined {
    if (index <= 0) return undefined;
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1];
    const d = index - STATIC_TABLE.length;
    if (d > this.entries.length) return undefined;
    return this.entries[this.entries.length - d];
  }

  private insert(name: string, value: string, size: number): void {
    if (size > this.maxSize) {
      // §4.4: an entry larger than the table empties it and is not added.
      this.entries.length = 0;
      this.size = 0;
      return;
    }
    this.evict(size);
    this.entries.push({ name, value, size });
    this.size += size;
  }

  /** Evicts oldest entries until `room` more octets fit (§4.3, §4.4). */
  private evict(room: number): void {
    while (this.entries.length > 0 && this.size + room > this.maxSize) {
      const e = this.entries.shift()!;
      this.size -= e.size;
    }
  }

  private intValue = 0;

  /** §5.1 integer with an N-bit prefix at `p`; sets intValue, returns the next offset or -1. */
  private integer(buf: Uint8Array, p: number, end: number, prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let v = buf[p] & max;
    p++;
    if (v < max) {
      this.intValue = v;
      return p;
    }
    let shift = 0;
    for (;;) {
      if (p >= end || shift > 21) return -1; // at most 2^28 + prefix: ample, and bounded
      const b = buf[p++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    this.intValue = v;
    return p;
  }

  /** §5.2 string literal at `p`; sets strText, returns the next offset or -1. */
  private string(buf: Uint8Array, p: number, end: number): number {
    if (p >= end) return -1;
    const huffman = (buf[p] & 0x80) !== 0;
    p = this.integer(buf, p, end, 7);
    if (p < 0) return -1;
    const len = this.intValue;
    if (len > end - p) return -1;
    if (huffman) {
      const n = huffmanDecode(buf, p, p + len, huffmanScratch);
      if (n < 0) return -1;
      this.strText = asciiText(huffmanScratch, 0, n);
    } else {
      if (len > MAX_STRING) return -1;
      this.strText = asciiText(buf, p, p + len);
    }
    return p + len;
  }
}
