import type { Counters } from "../util/counters.js";
import { type LayerCursor, NEXT_ETHERNET, NEXT_FAIL, NEXT_IP, NEXT_IPV4, NEXT_IPV6 } from "./layer.js";
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_TEB } from "./link.js";

/** Tunnel kinds mixed into `DecodedPacket.tunnelKey`. */
export const TUNNEL_IPIP = 1; // IP protocol 4
export const TUNNEL_IPV6_IN_IP = 2; // IP protocol 41
export const TUNNEL_GRE = 3;
export const TUNNEL_ERSPAN = 4;
export const TUNNEL_VXLAN = 5;
export const TUNNEL_VXLAN_GPE = 6;
export const TUNNEL_GENEVE = 7;
export const TUNNEL_GTPU = 8;

export const UDP_PORT_VXLAN = 4789;
export const UDP_PORT_VXLAN_GPE = 4790;
export const UDP_PORT_GENEVE = 6081;
export const UDP_PORT_GTPU = 2152;

/** Encapsulation layers peeled before a packet is given up (real deployments nest 2–3). */
export const MAX_TUNNEL_DEPTH = 8;

const GRE_PROTO_ERSPAN_I_II = 0x88be;
const GRE_PROTO_ERSPAN_III = 0x22eb;

/**
 * Folds one tunnel layer (kind, id) into the running key of the enclosing layers: a
 * murmur3-finalised hash, deterministic and never 0 (0 keeps meaning "not tunnelled").
 * The key is kept to 30 bits so that it is always a V8 small integer, which is never
 * boxed (a full uint32 above 2^31 would allocate a heap number per packet wherever it
 * is not inlined). Two different tunnels collide with probability ~2^-30.
 * Tunnels without an identifier (IP-in-IP, GRE without key) use id 0.
 */
export function mixTunnelKey(prev: number, kind: number, id: number): number {
  let h = (prev ^ Math.imul(kind, 0x9e3779b1)) | 0;
  h = Math.imul(h ^ (id | 0), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  h &= 0x3fffffff;
  return h === 0 ? 1 : h;
}

/**
 * Mixes one tunnel layer into `DecodedPacket.tunnelContext`: its kind and its outer
 * endpoints — the IP layer decoded last, `words` int32 words each at `srcOff`/`dstOff` —
 * combined so that either direction gives the same value.
 */
export function mixTunnelContext(
  prev: number,
  kind: number,
  buf: Buffer,
  srcOff: number,
  dstOff: number,
  words: number,
): number {
  let hs = 0x27d4eb2f;
  let hd = 0x27d4eb2f;
  for (let i = 0; i < words; i++) {
    hs = Math.imul(hs ^ buf.readInt32BE(srcOff + 4 * i), 0x85ebca6b);
    hs ^= hs >>> 15;
    hd = Math.imul(hd ^ buf.readInt32BE(dstOff + 4 * i), 0x85ebca6b);
    hd ^= hd >>> 15;
  }
  // Sum and xor are both order-free; together they keep more of the two endpoints apart.
  return mixTunnelKey(prev, kind, (hs + hd) ^ Math.imul(hs ^ hd, 0x165667b1));
}

/** UDP port → tunnel parser, or 0 when the port is not a tunnel port. */
export function udpTunnelKind(port: number): number {
  switch (port) {
    case UDP_PORT_VXLAN:
      return TUNNEL_VXLAN;
    case UDP_PORT_VXLAN_GPE:
      return TUNNEL_VXLAN_GPE;
    case UDP_PORT_GENEVE:
      return TUNNEL_GENEVE;
    case UDP_PORT_GTPU:
      return TUNNEL_GTPU;
    default:
      return 0;
  }
}

/** Decodes the tunnel header of `kind` (a UDP tunnel) on the UDP payload in the cursor. */
export function decodeUdpTunnel(kind: number, buf: Uint8Array, cur: LayerCursor, stats: Counters): number {
  switch (kind) {
    case TUNNEL_VXLAN:
      return decodeVxlan(buf, cur, stats);
    case TUNNEL_VXLAN_GPE:
      return decodeVxlanGpe(buf, cur, stats);
    case TUNNEL_GENEVE:
      return decodeGeneve(buf, cur, stats);
    case TUNNEL_GTPU:
      return decodeGtpU(buf, cur, stats);
    default:
      return NEXT_FAIL;
  }
}

/**
 * GRE (RFC 2784 with the RFC 2890 key and sequence extensions) and the ERSPAN headers it
 * carries. Layout: C R K S s Recur(3) | Flags(5) Ver(3) | Protocol(16), then checksum +
 * reserved (C, or R per RFC 1701), key (K), sequence (S). Version 1 (PPTP) and RFC 1701
 * source routing are not decoded.
 */
export function decodeGre(buf: Uint8Array, cur: LayerCursor, stats: Counters): number {
  const off = cur.off;
  const end = cur.end;
  if (end - off < 4) {
    stats.inc("truncated.gre");
    return NEXT_FAIL;
  }
  const f0 = buf[off];
  if ((buf[off + 1] & 0x07) !== 0) {
    stats.inc("unsupported.gre.version");
    return NEXT_FAIL;
  }
  if ((f0 & 0x40) !== 0) {
    stats.inc("unsupported.gre.routing");
    return NEXT_FAIL;
  }
  const proto = (buf[off + 2] << 8) | buf[off + 3];
  let p = off + 4;
  if ((f0 & 0x80) !== 0) p += 4;
  let key = 0;
  if ((f0 & 0x20) !== 0) {
    if (end - p < 4) {
      stats.inc("truncated.gre");
      return NEXT_FAIL;
    }
    key = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
    p += 4;
  }
  const hasSeq = (f0 & 0x10) !== 0;
  if (hasSeq) p += 4;
  if (p > end) {
    stats.inc("truncated.gre");
    return NEXT_FAIL;
  }
  cur.tunnelKind = TUNNEL_GRE;
  cur.tunnelId = key;
  cur.end = end;
  switch (proto) {
    case ETHERTYPE_IPV4:
      cur.off = p;
      return NEXT_IPV4;
    case ETHERTYPE_IPV6:
      cur.off = p;
      return NEXT_IPV6;
    case ETHERTYPE_TEB:
      cur.off = p;
      return NEXT_ETHERNET;
    case GRE_PROTO_ERSPAN_I_II:
      cur.tunnelKind = TUNNEL_ERSPAN;
      if (!hasSeq) {
        // ERSPAN type I: no ERSPAN header, the mirrored frame follows the GRE header.
        cur.off = p;
        return NEXT_ETHERNET;
      }
      return decodeErspanII(buf, p, cur, key, stats);
    case GRE_PROTO_ERSPAN_III:
      cur.tunnelKind = TUNNEL_ERSPAN;
      return decodeErspanIII(buf, p, cur, key, stats);
    default:
      stats.inc("unsupported.gre.protocol");
      return NEXT_FAIL;
  }
}

/** ERSPAN type II: Ver(4)=1 VLAN(12) | COS(3) En(2) T(1) Session(10) | Reserved(12) Index(20). */
function decodeErspanII(buf: Uint8Array, p: number, cur: LayerCursor, key: number, stats: Counters): number {
  if (cur.end - p < 8) {
    stats.inc("truncated.erspan");
    return NEXT_FAIL;
  }
  if (buf[p] >> 4 !== 1) {
    stats.inc("malformed.erspan.version");
    return NEXT_FAIL;
  }
  cur.tunnelId = key ^ (((buf[p + 2] & 0x03) << 8) | buf[p + 3]);
  cur.off = p + 8;
  return NEXT_ETHERNET;
}

/**
 * ERSPAN type III: Ver(4)=2 VLAN(12) | COS(3) BSO(2) T(1) Session(10) | Timestamp(32) |
 * SGT(16) | P(1) FT(5) HwID(6) D(1) Gra(2) O(1), then an 8-byte platform-specific
 * subheader when O is set. Frame type 0 is Ethernet, 2 is IP.
 */
function decodeErspanIII(buf: Uint8Array, p: number, cur: LayerCursor, key: number, stats: Counters): number {
  if (cur.end - p < 12) {
    stats.inc("truncated.erspan");
    return NEXT_FAIL;
  }
  if (buf[p] >> 4 !== 2) {
    stats.inc("malformed.erspan.version");
    return NEXT_FAIL;
  }
  cur.tunnelId = key ^ (((buf[p + 2] & 0x03) << 8) | buf[p + 3]);
  const frameType = (buf[p + 10] >> 2) & 0x1f;
  let q = p + 12;
  if ((buf[p + 11] & 0x01) !== 0) {
    if (cur.end - q < 8) {
      stats.inc("truncated.erspan");
      return NEXT_FAIL;
    }
    q += 8;
  }
  cur.off = q;
  if (frameType === 0) return NEXT_ETHERNET;
  if (frameType === 2) return NEXT_IP;
  stats.inc("unsupported.erspan.frame_type");
  return NEXT_FAIL;
}

/** VXLAN (RFC 7348): Flags(8, I = 0x08 must be set) Reserved(24) | VNI(24) Reserved(8), then Ethernet. */
function decodeVxlan(buf: Uint8Array, cur: LayerCursor, stats: Counters): number {
  const off = cur.off;
  if (cur.end - off < 8) {
    stats.inc("truncated.vxlan");
    return NEXT_FAIL;
  }
  if ((buf[off] & 0x08) === 0) {
    stats.inc("malformed.vxlan.flags");
    return NEXT_FAIL;
  }
  cur.tunnelKind = TUNNEL_VXLAN;
  cur.tunnelId = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
  cur.off = off + 8;
  return NEXT_ETHERNET;
}

/**
 * VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe): Flags R R Ver(2) I P B O | Reserved(16) |
 * Next Protocol(8) | VNI(24) Reserved(8). With P set the next protocol says what follows
 * (1 IPv4, 2 IPv6, 3 Ethernet); without it the payload is Ethernet as in plain VXLAN.
 */
function decodeVxlanGpe(buf: Uint8Array, cur: LayerCursor, stats: Counters): number {
  const off = cur.off;
  if (cur.end - off < 8) {
    stats.inc("truncated.vxlan_gpe");
    return NEXT_FAIL;
  }
  const flags = buf[off];
  if ((flags & 0x30) !== 0) {
    stats.inc("malformed.vxlan_gpe.version");
    return NEXT_FAIL;
  }
  cur.tunnelKind = TUNNEL_VXLAN_GPE;
  cur.tunnelId = (flags & 0x08) !== 0 ? (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6] : 0;
  cur.off = off + 8;
  if ((flags & 0x04) === 0) return NEXT_ETHERNET;
  switch (buf[off + 3]) {
    case 1:
      return NEXT_IPV4;
    case 2:
      return NEXT_IPV6;
    case 3:
      return NEXT_ETHERNET;
    default:
      stats.inc("unsupported.vxlan_gpe.next_protocol");
      return NEXT_FAIL;
  }
}

/**
 * Geneve (RFC 8926): Ver(2)=0 OptLen(6, 4-byte units) | O C Rsvd(6) | Protocol(16) |
 * VNI(24) Rsvd(8) | options. Each option is Class(16) Type(8) R(3) Len(5, 4-byte units)
 * + data; the options must tile the option area exactly.
 */
function decodeGeneve(buf: Uint8Array, cur: LayerCursor, stats: Counters): number {
  const off = cur.off;
  if (cur.end - off < 8) {
    stats.inc("truncated.geneve");
    return NEXT_FAIL;
  }
  const b0 = buf[off];
  if (b0 >> 6 !== 0) {
    stats.inc("malformed.geneve.version");
    return NEXT_FAIL;
  }
  const hdrEnd = off + 8 + ((b0 & 0x3f) << 2);
  if (hdrEnd > cur.end) {
    stats.inc("truncated.geneve");
    return NEXT_FAIL;
  }
  for (let p = off + 8; p < hdrEnd; ) {
    if (hdrEnd - p < 4) {
      stats.inc("malformed.geneve.options");
      return NEXT_FAIL;
    }
    p += 4 + ((buf[p + 3] & 0x1f) << 2);
    if (p > hdrEnd) {
      stats.inc("malformed.geneve.options");
      return NEXT_FAIL;
    }
  }
  cur.tunnelKind = TUNNEL_GENEVE;
  cur.tunnelId = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
  cur.off = hdrEnd;
  switch ((buf[off + 2] << 8) | buf[off + 3]) {
    case ETHERTYPE_TEB:
      return NEXT_ETHERNET;
    case ETHERTYPE_IPV4:
      return NEXT_IPV4;
    case ETHERTYPE_IPV6:
      return NEXT_IPV6;
    default:
      stats.inc("unsupported.geneve.protocol");
      return NEXT_FAIL;
  }
}

/** Extension headers followed in one GTP-U packet (TS 29.281 defines a handful; real chains have 1–2). */
export const MAX_GTPU_EXTENSIONS = 16;

/**
 * GTP-U (3GPP TS 29.281): Ver(3)=1 PT(1)=1 (*) E S PN | Message type | Length(16, bytes
 * after the first 8) | TEID(32), then Sequence(16) N-PDU(8) Next-extension-type(8) when
 * any of E/S/PN is set, then the extension chain (Length(8, 4-byte units) ... Next(8)).
 * Only T-PDU (0xFF) carries user IP packets; other messages are signalling.
 */
function decodeGtpU(buf: Uint8Array, cur: LayerCursor, stats: Counters): number {
  const off = cur.off;
  if (cur.end - off < 8) {
    stats.inc("truncated.gtpu");
    return NEXT_FAIL;
  }
  const flags = buf[off];
  if (flags >> 5 !== 1 || (flags & 0x10) === 0) {
    stats.inc("malformed.gtpu.version");
    return NEXT_FAIL;
  }
  if (buf[off + 1] !== 0xff) {
    stats.inc("other.gtpu.message");
    return NEXT_FAIL;
  }
  let end = off + 8 + ((buf[off + 2] << 8) | buf[off + 3]);
  if (end > cur.end) end = cur.end;
  let p = off + 8;
  if ((flags & 0x07) !== 0) {
    if (end - p < 4) {
      stats.inc("truncated.gtpu");
      return NEXT_FAIL;
    }
    let next = buf[p + 3];
    p += 4;
    if ((flags & 0x04) !== 0) {
      for (let n = 0; next !== 0; n++) {
        if (n >= MAX_GTPU_EXTENSIONS) {
          stats.inc("malformed.gtpu.extension_chain");
          return NEXT_FAIL;
        }
        if (p >= end) {
          stats.inc("truncated.gtpu");
          return NEXT_FAIL;
        }
        const len = buf[p] << 2;
        if (len === 0) {
          stats.inc("malformed.gtpu.extension_len");
          return NEXT_FAIL;
        }
        if (end - p < len) {
          stats.inc("truncated.gtpu");
          return NEXT_FAIL;
        }
        next = buf[p + len - 1];
        p += len;
      }
    }
  }
  cur.tunnelKind = TUNNEL_GTPU;
  cur.tunnelId = (buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7];
  cur.off = p;
  cur.end = end;
  return NEXT_IP;
}
