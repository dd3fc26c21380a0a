import {
  DLT_RAW_12,
  DLT_RAW_14,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from "../capture/linktype.js";
import type { Counters } from "../util/counters.js";
import { type LayerCursor, NEXT_FAIL, NEXT_IP, NEXT_IPV4, NEXT_IPV6 } from "./layer.js";

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100; // 802.1Q
export const ETHERTYPE_QINQ = 0x88a8; // 802.1ad service tag
export const ETHERTYPE_QINQ_OLD = 0x9100; // pre-standard QinQ, still emitted by some switches
export const ETHERTYPE_TEB = 0x6558; // transparent Ethernet bridging (GRE, Geneve)

/** Stacked VLAN tags accepted before a frame is called malformed (real stacks have 1–2). */
export const MAX_VLAN_TAGS = 8;

/** BSD loopback address families: AF_INET, and AF_INET6 as numbered by the BSDs (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS). */
const AF_INET = 2;

function isAfInet6(v: number): boolean {
  return v === 24 || v === 28 || v === 30;
}

/**
 * Decodes the link layer of a captured frame and leaves the cursor on the network layer.
 * Returns NEXT_IPV4 / NEXT_IPV6 / NEXT_IP, or NEXT_FAIL (counted).
 */
export function decodeLink(
  linktype: number,
  buf: Uint8Array,
  off: number,
  end: number,
  cur: LayerCursor,
  stats: Counters,
): number {
  switch (linktype) {
    case LINKTYPE_ETHERNET:
      return decodeEthernet(buf, off, end, cur, stats);
    case LINKTYPE_RAW:
    case DLT_RAW_12:
    case DLT_RAW_14:
      cur.off = off;
      cur.end = end;
      return NEXT_IP;
    case LINKTYPE_IPV4:
      cur.off = off;
      cur.end = end;
      return NEXT_IPV4;
    case LINKTYPE_IPV6:
      cur.off = off;
      cur.end = end;
      return NEXT_IPV6;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return decodeLoopback(buf, off, end, cur, stats);
    case LINKTYPE_LINUX_SLL:
      // packet type(2) ARPHRD type(2) address length(2) address(8) protocol(2)
      if (end - off < 16) {
        stats.inc("truncated.sll");
        return NEXT_FAIL;
      }
      return dispatchEthertype((buf[off + 14] << 8) | buf[off + 15], buf, off + 16, end, cur, stats);
    case LINKTYPE_LINUX_SLL2:
      // protocol(2) reserved(2) ifindex(4) ARPHRD type(2) packet type(1) address length(1) address(8)
      if (end - off < 20) {
        stats.inc("truncated.sll2");
        return NEXT_FAIL;
      }
      return dispatchEthertype((buf[off] << 8) | buf[off + 1], buf, off + 20, end, cur, stats);
    default:
      stats.inc("unsupported.linktype");
      return NEXT_FAIL;
  }
}

/** Ethernet II header (destination, source, EtherType); also the inner frame of tunnels. */
export function decodeEthernet(
  buf: Uint8Array,
  off: number,
  end: number,
  cur: LayerCursor,
  stats: Counters,
): number {
  if (end - off < 14) {
    stats.inc("truncated.ethernet");
    return NEXT_FAIL;
  }
  return dispatchEthertype((buf[off + 12] << 8) | buf[off + 13], buf, off + 14, end, cur, stats);
}

/**
 * Follows an EtherType through any stack of 802.1Q / 802.1ad tags (each tag: TCI(2) then
 * the next EtherType(2)) to IPv4 or IPv6. Values below 0x0600 are 802.3 length fields
 * (LLC/SNAP frames), which carry no IP we analyse.
 */
export function dispatchEthertype(
  type: number,
  buf: Uint8Array,
  p: number,
  end: number,
  cur: LayerCursor,
  stats: Counters,
): number {
  for (let tags = 0; ; tags++) {
    if (type === ETHERTYPE_IPV4) {
      cur.off = p;
      cur.end = end;
      return NEXT_IPV4;
    }
    if (type === ETHERTYPE_IPV6) {
      cur.off = p;
      cur.end = end;
      return NEXT_IPV6;
    }
    if (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
      if (tags >= MAX_VLAN_TAGS) {
        stats.inc("malformed.vlan.too_many_tags");
        return NEXT_FAIL;
      }
      if (end - p < 4) {
        stats.inc("truncated.vlan");
        return NEXT_FAIL;
      }
      type = (buf[p + 2] << 8) | buf[p + 3];
      p += 4;
      continue;
    }
    if (type < 0x0600) {
      stats.inc("skipped.ieee8023");
      return NEXT_FAIL;
    }
    stats.inc("other.ethertype");
    return NEXT_FAIL;
  }
}

/**
 * BSD loopback (DLT_NULL, LOOP): a 4-byte address family. DLT_NULL writes it in the
 * capturing host's byte order and LOOP in network order; files move between hosts, so
 * both orders are accepted for both link types (the two readings cannot collide for the
 * values that matter).
 */
function decodeLoopback(
  buf: Uint8Array,
  off: number,
  end: number,
  cur: LayerCursor,
  stats: Counters,
): number {
  if (end - off < 4) {
    stats.inc("truncated.loopback");
    return NEXT_FAIL;
  }
  const be = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
  const le = ((buf[off + 3] << 24) | (buf[off + 2] << 16) | (buf[off + 1] << 8) | buf[off]) >>> 0;
  cur.off = off + 4;
  cur.end = end;
  if (le === AF_INET || be === AF_INET) return NEXT_IPV4;
  if (isAfInet6(le) || isAfInet6(be)) return NEXT_IPV6;
  stats.inc("unsupported.loopback_family");
  return NEXT_FAIL;
}
