import type { Counters } from "../util/counters.js";
import {
  type LayerCursor,
  NEXT_FAIL,
  NEXT_FRAG4,
  NEXT_GRE,
  NEXT_IPIP4,
  NEXT_IPIP6,
  NEXT_SKIP,
  NEXT_TCP,
  NEXT_UDP,
} from "./layer.js";
import type { DecodedPacket } from "./packet.js";

export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_GRE = 47;

/**
 * Decodes an IPv4 header at `off` (bytes available up to `end`) into `out` and leaves
 * the cursor on the payload: `cur.end` = captured end of the payload (Ethernet padding
 * beyond the total length cut off), `cur.declaredEnd` = end per the total length.
 * Returns the next layer, NEXT_FRAG4 for a fragment, NEXT_SKIP for other protocols.
 */
export function decodeIpv4(
  buf: Uint8Array,
  off: number,
  end: number,
  cur: LayerCursor,
  out: DecodedPacket,
  stats: Counters,
): number {
  if (end - off < 20) {
    stats.inc("truncated.ipv4");
    return NEXT_FAIL;
  }
  const vihl = buf[off];
  if (vihl >> 4 !== 4) {
    stats.inc("malformed.ipv4.version");
    return NEXT_FAIL;
  }
  const hl = (vihl & 0x0f) << 2;
  if (hl < 20) {
    stats.inc("malformed.ipv4.header_len");
    return NEXT_FAIL;
  }
  if (end - off < hl) {
    stats.inc("truncated.ipv4");
    return NEXT_FAIL;
  }
  let totalLen = (buf[off + 2] << 8) | buf[off + 3];
  if (totalLen === 0) {
    // Segmentation offload: the NIC fills the length in later, so the capture shows 0.
    totalLen = end - off;
    stats.inc("ipv4.zero_total_len");
  } else if (totalLen < hl) {
    stats.inc("malformed.ipv4.total_len");
    return NEXT_FAIL;
  }
  const declaredEnd = off + totalLen;
  let availEnd = end;
  if (declaredEnd < end) availEnd = declaredEnd;
  else if (declaredEnd > end) out.truncated = true;

  const flags = buf[off + 6];
  const proto = buf[off + 9];
  out.ipVersion = 4;
  out.ipOff = off;
  out.ipHeaderLen = hl;
  out.srcOff = off + 12;
  out.dstOff = off + 16;
  out.ttl = buf[off + 8];
  out.tos = buf[off + 1];
  out.ipId = (buf[off + 4] << 8) | buf[off + 5];
  out.df = (flags & 0x40) !== 0;
  out.flowLabel = 0;
  out.ipTotalLen = totalLen;
  out.protocol = proto;

  cur.off = off + hl;
  cur.end = availEnd;
  cur.declaredEnd = declaredEnd;

  // MF (0x20) or a non-zero 13-bit fragment offset makes this a fragment.
  const fragField = ((flags & 0x3f) << 8) | buf[off + 7];
  if (fragField !== 0) {
    cur.fragMore = (flags & 0x20) !== 0;
    cur.fragOffset = (fragField & 0x1fff) << 3;
    cur.fragId = out.ipId;
    return NEXT_FRAG4;
  }
  return ipProtocolNext(proto, stats);
}

/** Next layer for an IP protocol number (shared by IPv4 and the end of the IPv6 header chain). */
export function ipProtocolNext(proto: number, stats: Counters): number {
  switch (proto) {
    case IPPROTO_TCP:
      return NEXT_TCP;
    case IPPROTO_UDP:
      return NEXT_UDP;
    case IPPROTO_GRE:
      return NEXT_GRE;
    case IPPROTO_IPIP:
      return NEXT_IPIP4;
    case IPPROTO_IPV6:
      return NEXT_IPIP6;
    default:
      stats.inc("other.ip_proto");
      return NEXT_SKIP;
  }
}
