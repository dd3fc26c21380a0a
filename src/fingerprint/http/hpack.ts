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
/**
 * SETTINGS_HEADER_TABLE_SIZE default (RFC 9113 §6.5.2), and the limit a decoder enforces
 * unless told the peer's setting: a size update above it is a decoding error (RFC 7541
 * §4.2, §6.3). The client direction alone never shows the server's SETTINGS, and tshark
 * (the JA4H reference's view) never applies that setting either, so it refuses the same
 * updates; accepting more would let a client grow its table (and a header bomb) 16-fold.
 */
export const DEFAULT_TABLE_SIZE = 4096;
/** Largest table limit a caller may set (a server advertising more is not believed). */
export const MAX_TABLE_SIZE = 64 * 1024;
/**
 * Decoded header list per block, counted as RFC 9113 §6.5.2 counts
 * SETTINGS_MAX_HEADER_LIST_SIZE (name + value octets + 32 per field): 16 KiB, as the
 * HTTP/1 head cap. Indexed fields cost one wire octet each, so without this a 16 KB block
 * repeating a 4 KB table entry decodes to 64 MB (RFC 7541 §7.3, RFC 9113 §10.5.1).
 */
export const MAX_HEADER_LIST_SIZE = 16 * 1024;
/** Fields per decoded block. */
export const MAX_HEADER_FIELDS = 256;

/** Why the last block was refused while the decoder stays usable. */
export type HpackRefusal = "header_list_too_large" | "too_many_fields";
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
 * the dynamic table (bounded by its limit, DEFAULT_TABLE_SIZE octets unless the caller
 * sets up to MAX_TABLE_SIZE, so at most limit / 32 entries) and Huffman-coded strings.
 * One decoder per connection direction; header blocks must be fed in order, since each
 * may change the dynamic table for the next.
 *
 * Strings are decoded as tshark shows them (bytes ≥ 0x80 as U+FFFD); sizes use the
 * octet counts. After a decoding error the table is no longer trustworthy: `broken` is
 * set and every later block is refused. A block whose decoded list exceeds
 * MAX_HEADER_LIST_SIZE or MAX_HEADER_FIELDS is refused (`refused` says why) but still
 * decoded to its end, as RFC 9113 §10.5.1 requires, so the table stays in step and later
 * blocks decode. Never throws.
 */
/**
 * Huffman output buffer, shared by every decoder: decoding is synchronous and the text is
 * taken out of it at once, so one buffer serves all connections (not 16 KiB each).
 */
const huffmanScratch = new Uint8Array(MAX_STRING);

export class HpackDecoder {
  /** Set after the first decoding error. */
  broken = false;
  /** Set when the last decode() refused its block for its size; cleared by the next one. */
  refused: HpackRefusal | undefined;
  private readonly entries: Entry[] = []; // newest last
  private size = 0;
  private maxSize: number;
  /** SETTINGS_HEADER_TABLE_SIZE of the decoding side: size updates above it are errors. */
  private readonly limit: number;
  /** Result of string() (avoids allocating a tuple per string). */
  private strText = "";

  /** `tableSizeLimit`: the decoding side's SETTINGS_HEADER_TABLE_SIZE, when known. */
  constructor(tableSizeLimit = DEFAULT_TABLE_SIZE) {
    this.limit = Math.max(0, Math.min(tableSizeLimit, MAX_TABLE_SIZE));
    this.maxSize = this.limit;
  }

  /** Entries in the dynamic table (for tests and bounds). */
  get dynamicEntries(): number {
    return this.entries.length;
  }

  /**
   * Decodes one complete header block `buf[start, end)`; returns the fields in order,
   * or undefined when the block is malformed (then `broken` is set, for good) or its
   * decoded list is over the bounds (then `refused` is set; the table is up to date).
   */
  decode(buf: Uint8Array, start: number, end: number): HttpHeader[] | undefined {
    this.refused = undefined;
    if (this.broken) return undefined;
    const out: HttpHeader[] = [];
    let fields = 0;
    let listSize = 0;
    let p = start;
    while (p < end) {
      const b = buf[p];
      let name: string;
      let value: string;
      if (b & 0x80) {
        // Indexed header field (§6.1).
        p = this.integer(buf, p, end, 7);
        if (p < 0) return this.fail();
        const e = this.lookup(this.intValue);
        if (e === undefined) return this.fail();
        name = e.name;
        value = e.value;
      } else if ((b & 0xe0) === 0x20) {
        // Dynamic table size update (§6.3): only before the block's first field (§4.2;
        // tshark stops decoding there too), and never above the limit.
        if (fields > 0) return this.fail();
        p = this.integer(buf, p, end, 5);
        if (p < 0 || this.intValue > this.limit) return this.fail();
        this.maxSize = this.intValue;
        this.evict(0);
        continue;
      } else {
        // Literal: with incremental indexing (01), without (0000) or never indexed (0001).
        const indexing = (b & 0xc0) === 0x40;
        p = this.integer(buf, p, end, indexing ? 6 : 4);
        if (p < 0) return this.fail();
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
        value = this.strText;
        // Each character of a decoded string stands for one octet (see asciiText).
        if (indexing) this.insert(name, value, name.length + value.length + ENTRY_OVERHEAD);
      }
      fields++;
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (this.refused !== undefined) continue; // decoding on only to keep the table in step
      if (listSize > MAX_HEADER_LIST_SIZE) this.refused = "header_list_too_large";
      else if (fields > MAX_HEADER_FIELDS) this.refused = "too_many_fields";
      else out.push({ name, value });
    }
    if (this.refused !== undefined) return undefined;
    return out;
  }

  private fail(): undefined {
    this.broken = true;
    this.refused = undefined;
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
