/**
 * p0f's view of one TCP packet: the fields and quirks p0f 3.09b extracts in `parse_packet`
 * (process.c), reproduced bug for bug where the bugs change results:
 * - `ack+` is tested as `RD32(ack) & 1` on a little-endian host, i.e. only bit 24 of the ACK
 *   number (the low bit of its first wire byte) counts;
 * - known options consume their standard size whatever their length byte says (MSS 4, WS 3,
 *   SACK-permitted 2, timestamp 10 bytes), other options their declared length (2..40);
 * - EOL padding is "non-zero" (`opt+`) only when a non-zero byte is not the last one;
 * - at most 24 options are read; anything left over is the `bad` quirk.
 * Packets p0f ignores (IPv4 fragments, silly flag combinations, truncated captures) give
 * undefined. Unlike p0f, IPv6 packets with extension headers are read (their IP option length
 * stays 0, as p0f documents for IPv6).
 */
import type { DecodedPacket } from "../../decode/packet.js";
import {
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_NS,
  TCP_PSH as TCP_PUSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
} from "../../decode/packet.js";
import type { Counters } from "../../util/counters.js";
import {
  MAX_TCP_OPT,
  OPT_EOL,
  OPT_MSS,
  OPT_NOP,
  OPT_SACK,
  OPT_SOK,
  OPT_TS,
  OPT_WS,
  Quirk,
} from "./signature-file.js";

/** Reusable p0f packet record. */
export class P0fPacket {
  ipVersion: 4 | 6 = 4;
  ttl = 0;
  /** DSCP (TOS >> 2), reported by p0f as `tos:0x..` in params when non-zero. */
  tos = 0;
  ipOptLen = 0;
  /** IP header + TCP header bytes. */
  totHdr = 0;
  /** flags & (SYN|ACK|FIN|RST). */
  tcpType = 0;
  quirks = 0;
  mss = 0;
  win = 0;
  wscale = 0;
  /** Own timestamp (TSval) of the last timestamp option, 0 when none. */
  ts1 = 0;
  readonly layout = new Uint8Array(MAX_TCP_OPT);
  optCount = 0;
  eolPad = 0;
  payloadLen = 0;
}

/**
 * Extracts p0f's packet record from a decoded TCP packet, or undefined when p0f would ignore
 * the packet (counted under `p0f.skipped.*` when a Counters bag is given). Reads only
 * `pkt.buf` within the decoder's offsets.
 */
export function p0fPacketOf(
  pkt: DecodedPacket,
  out: P0fPacket = new P0fPacket(),
  stats?: Counters,
): P0fPacket | undefined {
  if (pkt.protocol !== 6) return undefined;
  if (pkt.truncated || pkt.reassembled) {
    stats?.inc(pkt.truncated ? "p0f.skipped.truncated" : "p0f.skipped.fragment");
    return undefined;
  }
  const buf = pkt.buf;
  const flags = pkt.tcpFlags;
  const type = flags & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST);
  if (
    (flags & TCP_SYN && flags & (TCP_FIN | TCP_RST)) ||
    (flags & TCP_FIN && flags & TCP_RST) ||
    type === 0
  ) {
    stats?.inc("p0f.skipped.flags");
    return undefined;
  }
  let quirks = 0;
  out.ipVersion = pkt.ipVersion;
  out.ttl = pkt.ttl;
  out.tos = (pkt.tos & 0xff) >> 2;
  if (pkt.tos & 3) quirks |= Quirk.ECN;
  if (pkt.ipVersion === 4) {
    if (pkt.ipOff + 8 > buf.length) return undefined;
    const flagsOff = (buf[pkt.ipOff + 6] << 8) | buf[pkt.ipOff + 7];
    if (flagsOff & 0x3fff) {
      stats?.inc("p0f.skipped.fragment"); // MF or fragment offset: p0f skips fragments
      return undefined;
    }
    out.ipOptLen = pkt.ipHeaderLen - 20;
    if (flagsOff & 0x8000) quirks |= Quirk.NZ_MBZ;
    if (flagsOff & 0x4000) {
      quirks |= Quirk.DF;
      if (pkt.ipId !== 0) quirks |= Quirk.NZ_ID;
    } else if (pkt.ipId === 0) {
      quirks |= Quirk.ZERO_ID;
    }
  } else {
    out.ipOptLen = 0;
    if (pkt.flowLabel !== 0) quirks |= Quirk.FLOW;
  }
  const optLen = pkt.tcpOptLen;
  out.totHdr = pkt.ipHeaderLen + 20 + optLen;
  out.tcpType = type;
  out.win = pkt.tcpWindow;
  if (flags & (TCP_ECE | TCP_CWR) || flags & TCP_NS) quirks |= Quirk.ECN;
  if (pkt.tcpSeq === 0) quirks |= Quirk.ZERO_SEQ;
  if (flags & TCP_ACK) {
    if (pkt.tcpAck === 0) quirks |= Quirk.ZERO_ACK;
  } else if ((pkt.tcpAck >>> 24) & 1 && !(flags & TCP_RST)) {
    quirks |= Quirk.NZ_ACK;
  }
  if (flags & TCP_URG) quirks |= Quirk.URG;
  else if (pkt.tcpUrgent !== 0) quirks |= Quirk.NZ_URG;
  if (flags & TCP_PUSH) quirks |= Quirk.PUSH;
  out.payloadLen = pkt.payloadLen;

  out.quirks = parseP0fOptions(buf, pkt.tcpOptOff, optLen, type === TCP_SYN, out) | quirks;
  return out;
}

/**
 * p0f's TCP option loop over `buf[off, off + len)` (bounded by the buffer). Fills layout,
 * count, EOL padding, MSS, window scale and TSval of `out`; returns the option quirks.
 */
export function parseP0fOptions(
  buf: Uint8Array,
  off: number,
  len: number,
  pureSyn: boolean,
  out: P0fPacket,
): number {
  let quirks = 0;
  out.optCount = 0;
  out.eolPad = 0;
  out.mss = 0;
  out.wscale = 0;
  out.ts1 = 0;
  const end = len > 0 ? off + len : off;
  // p0f may look one byte past the option area (at a length byte); such reads only pick
  // between two failure paths, so bytes outside the buffer read as 0.
  const at = (i: number): number => (i >= 0 && i < buf.length ? buf[i] : 0);
  let d = off;
  let aborted = false;
  while (d < end && out.optCount < MAX_TCP_OPT) {
    const kind = at(d);
    out.layout[out.optCount++] = kind;
    d++;
    if (kind === OPT_EOL) {
      out.eolPad = end - d;
      while (d < end) {
        const z = at(d++);
        if (z !== 0) break;
      }
      if (d !== end) {
        quirks |= Quirk.OPT_EOL_NZ;
        d = end;
      }
      continue;
    }
    if (kind === OPT_NOP) continue;
    if (kind === OPT_MSS) {
      if (at(d) !== 4) quirks |= Quirk.OPT_BAD;
      if (d + 3 > end) {
        aborted = true;
        break;
      }
      out.mss = (at(d + 1) << 8) | at(d + 2);
      d += 3;
    } else if (kind === OPT_WS) {
      if (at(d) !== 3) quirks |= Quirk.OPT_BAD;
      if (d + 2 > end) {
        aborted = true;
        break;
      }
      out.wscale = at(d + 1);
      if (out.wscale > 14) quirks |= Quirk.OPT_EXWS;
      d += 2;
    } else if (kind === OPT_SOK) {
      if (at(d) !== 2) quirks |= Quirk.OPT_BAD;
      if (d + 1 > end) {
        aborted = true;
        break;
      }
      d++;
    } else if (kind === OPT_SACK) {
      const l = at(d);
      if (l < 10 || l > 34 || d - 1 + l > end) {
        aborted = true;
        break;
      }
      d += l - 1;
    } else if (kind === OPT_TS) {
      if (at(d) !== 10) quirks |= Quirk.OPT_BAD;
      if (d + 9 > end) {
        aborted = true;
        break;
      }
      out.ts1 = ((at(d + 1) << 24) | (at(d + 2) << 16) | (at(d + 3) << 8) | at(d + 4)) >>> 0;
      if (out.ts1 === 0) quirks |= Quirk.OPT_ZERO_TS1;
      if (pureSyn && (at(d + 5) | at(d + 6) | at(d + 7) | at(d + 8)) !== 0) quirks |= Quirk.OPT_NZ_TS2;
      d += 9;
    } else {
      const l = at(d);
      if (l < 2 || l > 40 || d - 1 + l > end) {
        aborted = true;
        break;
      }
      d += l - 1;
    }
  }
  if (aborted || d !== end) quirks |= Quirk.OPT_BAD;
  return quirks;
}
