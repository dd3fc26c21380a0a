import type { Counters } from "../util/counters.js";
import { type LayerCursor, NEXT_DONE, NEXT_FAIL } from "./layer.js";
import type { DecodedPacket } from "./packet.js";

export const TCP_MIN_HEADER_LEN = 20;

/**
 * Decodes the TCP header at `cur.off` into `out`. The segment ends at `cur.declaredEnd`
 * per the IP header; bytes are captured up to `cur.end`. A complete header with a clipped
 * payload is accepted (`out.truncated`); a clipped header is not.
 */
export function decodeTcp(buf: Uint8Array, cur: LayerCursor, out: DecodedPacket, stats: Counters): number {
  const off = cur.off;
  const end = cur.end;
  const declaredEnd = cur.declaredEnd;
  if (declaredEnd - off < TCP_MIN_HEADER_LEN) {
    stats.inc("malformed.tcp.header_len");
    return NEXT_FAIL;
  }
  if (end - off < TCP_MIN_HEADER_LEN) {
    stats.inc("truncated.tcp");
    return NEXT_FAIL;
  }
  const b12 = buf[off + 12];
  const doff = (b12 >> 4) << 2;
  if (doff < TCP_MIN_HEADER_LEN || doff > declaredEnd - off) {
    stats.inc("malformed.tcp.data_offset");
    return NEXT_FAIL;
  }
  if (doff > end - off) {
    stats.inc("truncated.tcp");
    return NEXT_FAIL;
  }
  out.l4Off = off;
  out.srcPort = (buf[off] << 8) | buf[off + 1];
  out.dstPort = (buf[off + 2] << 8) | buf[off + 3];
  out.tcpSeq = ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
  out.tcpAck = ((buf[off + 8] << 24) | (buf[off + 9] << 16) | (buf[off + 10] << 8) | buf[off + 11]) >>> 0;
  out.tcpFlags = buf[off + 13] | ((b12 & 1) << 8);
  out.tcpWindow = (buf[off + 14] << 8) | buf[off + 15];
  out.tcpUrgent = (buf[off + 18] << 8) | buf[off + 19];
  out.tcpOptOff = off + TCP_MIN_HEADER_LEN;
  out.tcpOptLen = doff - TCP_MIN_HEADER_LEN;
  const payloadOff = off + doff;
  out.payloadOff = payloadOff;
  if (declaredEnd > end) {
    out.truncated = true;
    out.payloadLen = end - payloadOff;
  } else {
    out.payloadLen = declaredEnd - payloadOff;
  }
  return NEXT_DONE;
}

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WSCALE = 3;
export const TCPOPT_SACK_PERMITTED = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;

/** The options area is at most 40 bytes, so at most 40 options (all one-byte NOPs). */
export const MAX_TCP_OPTIONS = 40;

/**
 * Parsed TCP options, one struct reused per packet. Values of absent options are -1/false.
 * Parsing follows the declared option lengths (RFC 9293); a known option whose length is
 * not its fixed size is recorded in `kinds` but its value is not taken, and `malformed`
 * is set (p0f's "bad" quirk).
 */
export interface TcpOptions {
  /** MSS value, -1 when absent. */
  mss: number;
  /** Window scale shift count as sent (may exceed 14: p0f's "exws"), -1 when absent. */
  wscale: number;
  sackPermitted: boolean;
  /** A SACK block option (kind 5) is present. */
  hasSack: boolean;
  hasTimestamps: boolean;
  tsVal: number;
  tsEcr: number;
  /** Option kinds in wire order (EOL included when present); valid entries: `count`. */
  readonly kinds: Uint8Array;
  count: number;
  /** An EOL option ended the list. */
  eolSeen: boolean;
  /** Bytes of the options area after the EOL byte (p0f "eol+N"). */
  eolPad: number;
  /** Offset (within the options area) of the first non-zero byte after EOL, -1 when all zero. */
  afterEolNonZeroAt: number;
  /** An option length was invalid or ran past the area (parsing stopped there), or a known option had a wrong length. */
  malformed: boolean;
  /** Offset (within the options area) where parsing stopped early because of a bad length, -1 otherwise. */
  malformedAt: number;
}

export function newTcpOptions(): TcpOptions {
  return {
    mss: -1,
    wscale: -1,
    sackPermitted: false,
    hasSack: false,
    hasTimestamps: false,
    tsVal: 0,
    tsEcr: 0,
    kinds: new Uint8Array(MAX_TCP_OPTIONS),
    count: 0,
    eolSeen: false,
    eolPad: 0,
    afterEolNonZeroAt: -1,
    malformed: false,
    malformedAt: -1,
  };
}

/**
 * Parses the TCP options area `buf[off, off + len)` into `out` (reset first). Returns true
 * when the area is well formed. Never reads outside the area; allocation-free.
 */
export function parseTcpOptions(buf: Uint8Array, off: number, len: number, out: TcpOptions): boolean {
  out.mss = -1;
  out.wscale = -1;
  out.sackPermitted = false;
  out.hasSack = false;
  out.hasTimestamps = false;
  out.tsVal = 0;
  out.tsEcr = 0;
  out.count = 0;
  out.eolSeen = false;
  out.eolPad = 0;
  out.afterEolNonZeroAt = -1;
  out.malformed = false;
  out.malformedAt = -1;
  if (len <= 0) return true;
  let end = off + len;
  if (end > buf.length) end = buf.length;
  const kinds = out.kinds;
  let p = off;
  while (p < end) {
    const kind = buf[p];
    if (out.count < MAX_TCP_OPTIONS) kinds[out.count++] = kind;
    if (kind === TCPOPT_EOL) {
      out.eolSeen = true;
      out.eolPad = end - p - 1;
      for (let q = p + 1; q < end; q++) {
        if (buf[q] !== 0) {
          out.afterEolNonZeroAt = q - off;
          break;
        }
      }
      return !out.malformed;
    }
    if (kind === TCPOPT_NOP) {
      p++;
      continue;
    }
    if (end - p < 2) return stop(out, p - off);
    const olen = buf[p + 1];
    if (olen < 2 || olen > end - p) return stop(out, p - off);
    switch (kind) {
      case TCPOPT_MSS:
        if (olen === 4) out.mss = (buf[p + 2] << 8) | buf[p + 3];
        else out.malformed = true;
        break;
      case TCPOPT_WSCALE:
        if (olen === 3) out.wscale = buf[p + 2];
        else out.malformed = true;
        break;
      case TCPOPT_SACK_PERMITTED:
        if (olen === 2) out.sackPermitted = true;
        else out.malformed = true;
        break;
      case TCPOPT_SACK:
        // 2 + 8 per block, 1 to 4 blocks.
        if (olen >= 10 && olen <= 34 && (olen - 2) % 8 === 0) out.hasSack = true;
        else out.malformed = true;
        break;
      case TCPOPT_TIMESTAMP:
        if (olen === 10) {
          out.hasTimestamps = true;
          out.tsVal = ((buf[p + 2] << 24) | (buf[p + 3] << 16) | (buf[p + 4] << 8) | buf[p + 5]) >>> 0;
          out.tsEcr = ((buf[p + 6] << 24) | (buf[p + 7] << 16) | (buf[p + 8] << 8) | buf[p + 9]) >>> 0;
        } else {
          out.malformed = true;
        }
        break;
      default:
        break;
    }
    p += olen;
  }
  return !out.malformed;
}

function stop(out: TcpOptions, at: number): boolean {
  out.malformed = true;
  out.malformedAt = at;
  return false;
}
