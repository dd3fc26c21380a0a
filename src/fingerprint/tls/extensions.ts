/** TLS extension type code points used by the parsers and fingerprints (IANA registry). */
export const EXT_SERVER_NAME = 0x0000;
export const EXT_SUPPORTED_GROUPS = 0x000a;
export const EXT_EC_POINT_FORMATS = 0x000b;
export const EXT_SIGNATURE_ALGORITHMS = 0x000d;
export const EXT_ALPN = 0x0010;
export const EXT_SESSION_TICKET = 0x0023;
export const EXT_PRE_SHARED_KEY = 0x0029;
export const EXT_EARLY_DATA = 0x002a;
export const EXT_SUPPORTED_VERSIONS = 0x002b;
export const EXT_PSK_KEY_EXCHANGE_MODES = 0x002d;
export const EXT_KEY_SHARE = 0x0033;

/** Extensions accepted in one hello; the 16-bit block holds at most 16,384 empty ones anyway. */
export const MAX_EXTENSIONS = 16384;

/**
 * One extension: its type and where its data lies in the hello body. The view of the data
 * is made on demand: a hello carries a dozen extensions and only a few are read.
 */
export class TlsExtension {
  constructor(
    readonly type: number,
    /** The hello body the extension lies in. */
    readonly buf: Buffer,
    /** Data bounds in the hello body. */
    readonly start: number,
    readonly end: number,
  ) {}

  /** A view of the extension's data (aliases the hello body). */
  get data(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }
}

// First-occurrence tracking without a Set per hello: the round in which each type was last
// seen (a round per hello; 256 KiB once for the process).
const seenInRound = new Uint32Array(65536);
let round = 0;

/** Starts a new round of `firstOfType` (one per hello parsed). */
export function newExtensionRound(): number {
  round = (round + 1) >>> 0;
  if (round === 0) {
    seenInRound.fill(0);
    round = 1;
  }
  return round;
}

/** True the first time `type` (16-bit) is met in round `r` (the first duplicate wins nothing). */
export function firstOfType(type: number, r: number): boolean {
  if (seenInRound[type] === r) return false;
  seenInRound[type] = r;
  return true;
}

/**
 * Checks the framing of an extensions block `extensions<0..2^16-1>` starting at `off` (the
 * 2-byte length) and returns the extension types in wire order, or undefined when a length
 * runs past `end`. An absent block (off === end) has none. Bytes after the block are left
 * to the caller. The extensions are then found in place: the first one's 4-byte header is
 * at off + 2, each next one 4 + its data length further on.
 */
export function extensionTypesOf(buf: Buffer, off: number, end: number): number[] | undefined {
  const types: number[] = [];
  if (off === end) return types;
  if (off + 2 > end) return undefined;
  const blockEnd = off + 2 + ((buf[off] << 8) | buf[off + 1]);
  if (blockEnd > end) return undefined;
  for (let p = off + 2; p < blockEnd; ) {
    if (p + 4 > blockEnd) return undefined;
    const len = (buf[p + 2] << 8) | buf[p + 3];
    if (p + 4 + len > blockEnd) return undefined;
    types.push((buf[p] << 8) | buf[p + 1]);
    p += 4 + len;
  }
  return types;
}

/** The extensions block at `off` as objects (see `extensionTypesOf`); undefined when broken. */
export function parseExtensionBlock(buf: Buffer, off: number, end: number): TlsExtension[] | undefined {
  const types = extensionTypesOf(buf, off, end);
  if (types === undefined) return undefined;
  const out: TlsExtension[] = [];
  for (let i = 0, p = off + 2; i < types.length; i++) {
    const len = (buf[p + 2] << 8) | buf[p + 3];
    out.push(new TlsExtension(types[i], buf, p + 4, p + 4 + len));
    p += 4 + len;
  }
  return out;
}

/** Where the extension block of `parseExtensionBlock` ends (for trailing-byte checks). */
export function extensionBlockEnd(buf: Buffer, off: number, end: number): number {
  if (off + 2 > end) return off;
  return off + 2 + buf.readUInt16BE(off);
}

/**
 * Reads a vector of 16-bit values with a `lenBytes`-byte length prefix filling all of
 * `buf[start, end)` (an extension's data, read in place: no view is made).
 */
export function readU16List(buf: Buffer, start: number, end: number, lenBytes: 1 | 2): number[] | undefined {
  if (end - start < lenBytes) return undefined;
  const len = lenBytes === 1 ? buf[start] : (buf[start] << 8) | buf[start + 1];
  if (len !== end - start - lenBytes || len % 2 !== 0) return undefined;
  const out: number[] = [];
  for (let p = start + lenBytes; p < end; p += 2) out.push((buf[p] << 8) | buf[p + 1]);
  return out;
}

/** Reads a vector of 8-bit values with a 1-byte length prefix filling all of `buf[start, end)`. */
export function readU8List(buf: Buffer, start: number, end: number): number[] | undefined {
  if (end - start < 1 || buf[start] !== end - start - 1) return undefined;
  const out: number[] = [];
  for (let p = start + 1; p < end; p++) out.push(buf[p]);
  return out;
}

/**
 * Reads an ALPN ProtocolNameList (RFC 7301 §3.1) filling `buf[start, end)`: 2-byte list
 * length, then 1-byte-length names. Names are raw bytes (views): ALPN identifiers are
 * opaque and can be non-ASCII.
 */
export function readAlpnList(buf: Buffer, start: number, end: number): Buffer[] | undefined {
  if (end - start < 2 || ((buf[start] << 8) | buf[start + 1]) !== end - start - 2) return undefined;
  const out: Buffer[] = [];
  let p = start + 2;
  while (p < end) {
    const n = buf[p];
    if (p + 1 + n > end) return undefined;
    out.push(buf.subarray(p + 1, p + 1 + n));
    p += 1 + n;
  }
  return out;
}
