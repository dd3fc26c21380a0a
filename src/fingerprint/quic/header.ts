import type { Counters } from "../../util/counters.js";
import { readVarint, varintLength } from "./varint.js";

/** QUIC version 1 (RFC 9000). */
export const QUIC_V1 = 0x00000001;
/** QUIC version 2 (RFC 9369 §3.1). */
export const QUIC_V2 = 0x6b3343cf;

/** Long header packet types, numbered as in version 1 (RFC 9000 §17.2); v2 types are mapped onto these. */
export const PacketType = {
  Initial: 0,
  ZeroRtt: 1,
  Handshake: 2,
  Retry: 3,
} as const;

/** Connection IDs of versions 1 and 2 are at most 20 bytes (RFC 9000 §17.2). */
export const MAX_CID_LEN = 20;

/** One parsed long header. Reused by callers: a parse overwrites every field. All offsets index the parsed buffer. */
export interface LongHeader {
  /** Offset of the packet's first byte. */
  start: number;
  /** First byte as on the wire (still header-protected: low bits are masked). */
  first: number;
  version: number;
  /** A `PacketType` value (v1 numbering, also for v2 packets). */
  type: number;
  dcidOff: number;
  dcidLen: number;
  scidOff: number;
  scidLen: number;
  /** Initial only: token bytes (length 0 otherwise). */
  tokenOff: number;
  tokenLen: number;
  /** Offset of the protected packet number; -1 for Retry. */
  pnOff: number;
  /** Length field: packet number plus protected payload (0 for Retry). */
  length: number;
  /** Offset just past this packet; the next coalesced packet starts here. */
  end: number;
}

export function newLongHeader(): LongHeader {
  return {
    start: 0,
    first: 0,
    version: 0,
    type: 0,
    dcidOff: 0,
    dcidLen: 0,
    scidOff: 0,
    scidLen: 0,
    tokenOff: 0,
    tokenLen: 0,
    pnOff: -1,
    length: 0,
    end: 0,
  };
}

/** True for the versions whose Initial packets we can parse and decrypt. */
export function isSupportedVersion(version: number): boolean {
  return version === QUIC_V1 || version === QUIC_V2;
}

/**
 * Parses the long header of the packet at `buf[off, end)` into `h`.
 * Returns false (and bumps a `quic.header.*` counter when `counters` is given) when the packet
 * is not a long header packet of a supported version, or its fields do not fit before `end`.
 * The fixed bit is not checked: RFC 9287 lets peers that negotiated it clear the bit.
 */
export function parseLongHeader(
  buf: Buffer,
  off: number,
  end: number,
  h: LongHeader,
  counters?: Counters,
): boolean {
  if (off < 0 || end > buf.length || end - off < 7) {
    counters?.inc("quic.header.truncated");
    return false;
  }
  const first = buf[off];
  if ((first & 0x80) === 0) {
    counters?.inc("quic.header.short_header");
    return false;
  }
  const version = buf.readUInt32BE(off + 1);
  let type: number;
  const bits = (first >> 4) & 0x03;
  if (version === QUIC_V1) type = bits;
  else if (version === QUIC_V2)
    type = (bits + 3) & 0x03; // v2: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00
  else {
    counters?.inc(version === 0 ? "quic.header.version_negotiation" : "quic.header.unsupported_version");
    return false;
  }
  let p = off + 5;
  const dcidLen = buf[p++];
  if (dcidLen > MAX_CID_LEN) {
    counters?.inc("quic.header.cid_too_long");
    return false;
  }
  const dcidOff = p;
  p += dcidLen;
  if (p >= end) {
    counters?.inc("quic.header.truncated");
    return false;
  }
  const scidLen = buf[p++];
  if (scidLen > MAX_CID_LEN) {
    counters?.inc("quic.header.cid_too_long");
    return false;
  }
  const scidOff = p;
  p += scidLen;
  if (p > end) {
    counters?.inc("quic.header.truncated");
    return false;
  }
  h.start = off;
  h.first = first;
  h.version = version;
  h.type = type;
  h.dcidOff = dcidOff;
  h.dcidLen = dcidLen;
  h.scidOff = scidOff;
  h.scidLen = scidLen;
  h.tokenOff = p;
  h.tokenLen = 0;
  if (type === PacketType.Retry) {
    // Retry: token then a 16-byte integrity tag, to the end of the datagram (no Length field).
    h.pnOff = -1;
    h.length = 0;
    h.end = end;
    return true;
  }
  if (type === PacketType.Initial) {
    const tokenLen = readVarint(buf, p, end);
    if (tokenLen < 0) {
      counters?.inc("quic.header.truncated");
      return false;
    }
    p += varintLength(buf[p]);
    if (tokenLen > end - p) {
      counters?.inc("quic.header.truncated");
      return false;
    }
    h.tokenOff = p;
    h.tokenLen = tokenLen;
    p += tokenLen;
  }
  const length = readVarint(buf, p, end);
  if (length < 0) {
    counters?.inc("quic.header.truncated");
    return false;
  }
  p += varintLength(buf[p]);
  if (length > end - p) {
    counters?.inc("quic.header.length_exceeds_datagram");
    return false;
  }
  h.pnOff = p;
  h.length = length;
  h.end = p + length;
  return true;
}
