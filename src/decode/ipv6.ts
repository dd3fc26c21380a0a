import type { Counters } from "../util/counters.js";
import { ipProtocolNext } from "./ipv4.js";
import { type LayerCursor, NEXT_FAIL, NEXT_FRAG6, NEXT_SKIP } from "./layer.js";
import type { DecodedPacket } from "./packet.js";

export const IPV6_HEADER_LEN = 40;

/** Extension headers followed before a packet is called malformed (RFC 8200 chains are short; 16 is generous). */
export const MAX_IPV6_EXT_HEADERS = 16;

const NH_HOPOPTS = 0;
const NH_ROUTING = 43;
const NH_FRAGMENT = 44;
const NH_ESP = 50;
const NH_AH = 51;
const NH_NONE = 59;
const NH_DSTOPTS = 60;
const NH_MOBILITY = 135;
const NH_HIP = 139;
const NH_SHIM6 = 140;

/** Whether `nh` names an extension header the chain continues through (ESP ends it). */
export function isIpv6ExtensionHeader(nh: number): boolean {
  return (
    nh === NH_HOPOPTS ||
    nh === NH_ROUTING ||
    nh === NH_DSTOPTS ||
    nh === NH_MOBILITY ||
    nh === NH_HIP ||
    nh === NH_SHIM6 ||
    nh === NH_AH ||
    nh === NH_FRAGMENT
  );
}

/**
 * Length of extension header `nh` at `buf[p]`: 8 for a fragment header, AH in 4-byte words
 * (RFC 4302), the others in 8-byte units (RFC 8200). Reads `buf[p + 1]` (but for a fragment header).
 */
export function ipv6ExtensionLength(nh: number, buf: Uint8Array, p: number): number {
  if (nh === NH_FRAGMENT) return 8;
  if (nh === NH_AH) return (buf[p + 1] + 2) << 2;
  return (buf[p + 1] + 1) << 3;
}

/**
 * Decodes an IPv6 header and its extension-header chain into `out`, leaving the cursor
 * on the upper-layer header. `out.ipHeaderLen` covers the extension headers.
 * A fragment header returns NEXT_FRAG6 with the cursor on the fragment data; an atomic
 * fragment (offset 0, no M flag, RFC 6946) is stepped over like any extension header.
 * ESP (50), No Next Header (59) and unknown values end the chain (NEXT_SKIP).
 */
export function decodeIpv6(
  buf: Uint8Array,
  off: number,
  end: number,
  cur: LayerCursor,
  out: DecodedPacket,
  stats: Counters,
): number {
  if (end - off < IPV6_HEADER_LEN) {
    stats.inc("truncated.ipv6");
    return NEXT_FAIL;
  }
  const b0 = buf[off];
  if (b0 >> 4 !== 6) {
    stats.inc("malformed.ipv6.version");
    return NEXT_FAIL;
  }
  const b1 = buf[off + 1];
  const payloadLen = (buf[off + 4] << 8) | buf[off + 5];
  let declaredEnd: number;
  if (payloadLen === 0) {
    // Jumbogram (RFC 2675) or segmentation offload: trust the captured length.
    declaredEnd = end;
    stats.inc("ipv6.zero_payload_len");
  } else {
    declaredEnd = off + IPV6_HEADER_LEN + payloadLen;
  }
  let availEnd = end;
  if (declaredEnd < end) availEnd = declaredEnd;
  else if (declaredEnd > end) out.truncated = true;

  out.ipVersion = 6;
  out.ipOff = off;
  out.srcOff = off + 8;
  out.dstOff = off + 24;
  out.ttl = buf[off + 7];
  out.tos = ((b0 & 0x0f) << 4) | (b1 >> 4);
  out.ipId = -1;
  out.df = false;
  out.flowLabel = ((b1 & 0x0f) << 16) | (buf[off + 2] << 8) | buf[off + 3];
  out.ipTotalLen = declaredEnd - off;

  let nh = buf[off + 6];
  let nhField = off + 6; // offset of the byte holding `nh`, patched when fragments are rebuilt
  let p = off + IPV6_HEADER_LEN;
  for (let n = 0; ; n++) {
    if (!isIpv6ExtensionHeader(nh)) {
      // The upper layer (ESP and "no next header" carry nothing this sensor reads).
      out.protocol = nh;
      out.ipHeaderLen = p - off;
      cur.off = p;
      cur.end = availEnd;
      cur.declaredEnd = declaredEnd;
      if (nh !== NH_ESP && nh !== NH_NONE) return ipProtocolNext(nh, stats);
      stats.inc("other.ip_proto");
      return NEXT_SKIP;
    }
    if (n >= MAX_IPV6_EXT_HEADERS) {
      stats.inc("malformed.ipv6.ext_chain_too_long");
      return NEXT_FAIL;
    }
    if (availEnd - p < 8) return extensionOverrun(p + 8, declaredEnd, stats);
    const len = ipv6ExtensionLength(nh, buf, p);
    if (availEnd - p < len) return extensionOverrun(p + len, declaredEnd, stats);
    if (nh === NH_FRAGMENT) {
      const offFlags = (buf[p + 2] << 8) | buf[p + 3];
      if ((offFlags & 0xfff9) !== 0) {
        out.protocol = buf[p];
        out.ipHeaderLen = p + 8 - off;
        cur.off = p + 8;
        cur.end = availEnd;
        cur.declaredEnd = declaredEnd;
        cur.fragOffset = offFlags & 0xfff8;
        cur.fragMore = (offFlags & 1) !== 0;
        cur.fragId = ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
        cur.fragHeaderOff = p;
        cur.fragNextHeaderFieldOff = nhField;
        return NEXT_FRAG6;
      }
      // Atomic fragment: not part of any reassembly, read on.
    }
    nhField = p;
    nh = buf[p];
    p += len;
  }
}

/** An extension header runs past the captured bytes (truncated) or past the payload length (malformed). */
function extensionOverrun(needEnd: number, declaredEnd: number, stats: Counters): number {
  stats.inc(needEnd > declaredEnd ? "malformed.ipv6.ext_len" : "truncated.ipv6.ext");
  return NEXT_FAIL;
}
