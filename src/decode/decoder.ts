import type { CapturedFrame } from "../capture/types.js";
import { Counters } from "../util/counters.js";
import { type FragmentOptions, FragmentReassembler } from "./fragments.js";
import { decodeIpv4 } from "./ipv4.js";
import { decodeIpv6 } from "./ipv6.js";
import {
  LayerCursor,
  NEXT_DONE,
  NEXT_ETHERNET,
  NEXT_FAIL,
  NEXT_FRAG4,
  NEXT_FRAG6,
  NEXT_GRE,
  NEXT_IP,
  NEXT_IPIP4,
  NEXT_IPIP6,
  NEXT_IPV4,
  NEXT_IPV6,
  NEXT_SKIP,
  NEXT_TCP,
  NEXT_UDP,
} from "./layer.js";
import { decodeEthernet, decodeLink } from "./link.js";
import { type DecodedPacket, newDecodedPacket } from "./packet.js";
import { decodeTcp } from "./tcp.js";
import {
  decodeGre,
  decodeUdpTunnel,
  MAX_TUNNEL_DEPTH,
  mixTunnelContext,
  mixTunnelKey,
  TUNNEL_IPIP,
  TUNNEL_IPV6_IN_IP,
  udpTunnelKind,
} from "./tunnel.js";
import { decodeUdp } from "./udp.js";

export type { FragmentOptions } from "./fragments.js";

/**
 * Layer steps per packet. Every step consumes a header or a tunnel level (bounded by
 * MAX_TUNNEL_DEPTH, reassembly at most once per IP layer), so this is a backstop that
 * makes termination obvious rather than a limit real packets meet.
 */
const MAX_STEPS = 64;

/**
 * Turns captured frames into {@link DecodedPacket}s: link layer → tunnels → IPv4/IPv6
 * (fragments reassembled) → TCP/UDP, as views over the capture buffer.
 *
 * Ordinary packets allocate nothing: one cursor and one fallback snapshot are reused.
 * Nothing throws: a malformed, truncated or unsupported packet bumps a counter in
 * {@link stats} (by reason, e.g. "malformed.tcp.data_offset") and is skipped.
 */
export class Decoder {
  /** Per-reason counters: malformed.*, truncated.*, unsupported.*, other.*, fragment.*, tunnel.*. */
  readonly stats = new Counters();
  /** IP fragment reassembly state (bounded; see FragmentOptions). */
  readonly fragments: FragmentReassembler;
  /** Frames seen and frames that yielded a TCP/UDP packet (plain numbers: cheaper than counters per packet). */
  frames = 0;
  decoded = 0;

  private readonly cur = new LayerCursor();
  /** The outer UDP packet saved before descending into a UDP tunnel, restored when the inner decode fails. */
  private readonly saved: DecodedPacket = newDecodedPacket();

  constructor(opts?: FragmentOptions) {
    this.fragments = new FragmentReassembler(opts, this.stats);
  }

  /**
   * Decodes `frame` into `out`. Returns true when `out` holds an IPv4/IPv6 packet whose
   * transport is TCP or UDP (innermost layer of any tunnels); false otherwise (counted).
   */
  decode(frame: CapturedFrame, out: DecodedPacket): boolean {
    this.frames++;
    let buf = frame.data;
    const off = frame.offset;
    let end = off + frame.length;
    if (end > buf.length) end = buf.length;
    out.tsUs = frame.tsUs;
    out.buf = buf;
    out.tunnelKey = 0;
    out.tunnelDepth = 0;
    out.tunnelContext = 0;
    out.reassembled = false;
    out.truncated = false;
    const stats = this.stats;
    const cur = this.cur;
    let haveSaved = false;
    if (!(off >= 0 && end >= off)) {
      stats.inc("truncated.frame");
      return false;
    }

    let next = decodeLink(frame.linktype, buf, off, end, cur, stats);
    for (let steps = 0; ; steps++) {
      if (steps >= MAX_STEPS) {
        stats.inc("malformed.too_many_layers");
        next = NEXT_FAIL;
      }
      switch (next) {
        case NEXT_IPV4:
          next = decodeIpv4(buf, cur.off, cur.end, cur, out, stats);
          break;
        case NEXT_TCP:
          next = decodeTcp(buf, cur, out, stats);
          if (next === NEXT_DONE) {
            this.decoded++;
            return true;
          }
          break;
        case NEXT_UDP: {
          next = decodeUdp(buf, cur, out, stats);
          if (next !== NEXT_DONE) break;
          let kind = udpTunnelKind(out.dstPort);
          if (kind === 0) kind = udpTunnelKind(out.srcPort);
          if (kind === 0) {
            this.decoded++;
            return true;
          }
          if (out.tunnelDepth >= MAX_TUNNEL_DEPTH) {
            stats.inc("tunnel.depth_limit");
            this.decoded++;
            return true;
          }
          copyPacket(out, this.saved);
          haveSaved = true;
          next = decodeUdpTunnel(kind, buf, cur, stats);
          if (next !== NEXT_FAIL) {
            out.tunnelKey = mixTunnelKey(out.tunnelKey, cur.tunnelKind, cur.tunnelId);
            out.tunnelContext = outerContext(out, cur.tunnelKind);
            out.tunnelDepth++;
          }
          break;
        }
        case NEXT_ETHERNET:
          next = decodeEthernet(buf, cur.off, cur.end, cur, stats);
          break;
        case NEXT_IPV6:
          next = decodeIpv6(buf, cur.off, cur.end, cur, out, stats);
          break;
        case NEXT_IP:
          if (cur.off >= cur.end) {
            stats.inc("truncated.ip");
            next = NEXT_FAIL;
          } else {
            const v = buf[cur.off] >> 4;
            if (v === 4) next = NEXT_IPV4;
            else if (v === 6) next = NEXT_IPV6;
            else {
              stats.inc("malformed.ip.version");
              next = NEXT_FAIL;
            }
          }
          break;
        case NEXT_GRE:
          if (out.tunnelDepth >= MAX_TUNNEL_DEPTH) {
            stats.inc("malformed.tunnel.too_deep");
            next = NEXT_FAIL;
            break;
          }
          next = decodeGre(buf, cur, stats);
          if (next !== NEXT_FAIL) {
            out.tunnelKey = mixTunnelKey(out.tunnelKey, cur.tunnelKind, cur.tunnelId);
            out.tunnelContext = outerContext(out, cur.tunnelKind);
            out.tunnelDepth++;
          }
          break;
        case NEXT_IPIP4:
        case NEXT_IPIP6:
          if (out.tunnelDepth >= MAX_TUNNEL_DEPTH) {
            stats.inc("malformed.tunnel.too_deep");
            next = NEXT_FAIL;
            break;
          }
          out.tunnelKey = mixTunnelKey(
            out.tunnelKey,
            next === NEXT_IPIP4 ? TUNNEL_IPIP : TUNNEL_IPV6_IN_IP,
            0,
          );
          out.tunnelContext = outerContext(out, next === NEXT_IPIP4 ? TUNNEL_IPIP : TUNNEL_IPV6_IN_IP);
          out.tunnelDepth++;
          next = next === NEXT_IPIP4 ? NEXT_IPV4 : NEXT_IPV6;
          break;
        case NEXT_FRAG4:
        case NEXT_FRAG6: {
          if (cur.end < cur.declaredEnd) {
            // Snapped fragment: its missing bytes can never be filled in.
            stats.inc("truncated.fragment");
            next = NEXT_SKIP;
            break;
          }
          const whole =
            next === NEXT_FRAG4
              ? this.fragments.addIpv4(
                  buf,
                  out.ipOff,
                  out.ipHeaderLen,
                  cur.off,
                  cur.end,
                  cur.fragOffset,
                  cur.fragMore,
                  out.tunnelKey,
                  frame.tsUs,
                )
              : this.fragments.addIpv6(
                  buf,
                  out.ipOff,
                  cur.fragHeaderOff,
                  cur.fragNextHeaderFieldOff,
                  cur.end,
                  cur.fragOffset,
                  cur.fragMore,
                  cur.fragId,
                  out.tunnelKey,
                  frame.tsUs,
                );
          if (whole === undefined) {
            next = NEXT_SKIP;
            break;
          }
          buf = whole;
          out.buf = whole;
          out.reassembled = true;
          cur.off = 0;
          cur.end = whole.length;
          next = out.ipVersion === 4 ? NEXT_IPV4 : NEXT_IPV6;
          break;
        }
        case NEXT_FAIL:
          if (haveSaved) {
            // Not a tunnel after all (or a broken one): report the UDP packet that carried it.
            copyPacket(this.saved, out);
            stats.inc("tunnel.inner_undecodable");
            this.decoded++;
            return true;
          }
          return false;
        default:
          // NEXT_SKIP (and NEXT_DONE, which the TCP/UDP cases return on directly).
          return false;
      }
    }
  }
}

/** The tunnel context with one more layer, whose outer IP header is the one decoded last. */
function outerContext(out: DecodedPacket, kind: number): number {
  return mixTunnelContext(
    out.tunnelContext,
    kind,
    out.buf,
    out.srcOff,
    out.dstOff,
    out.ipVersion === 4 ? 1 : 4,
  );
}

/** Copies every field of a decoded packet (fallback snapshot; no allocation). */
export function copyPacket(from: DecodedPacket, to: DecodedPacket): void {
  to.tsUs = from.tsUs;
  to.buf = from.buf;
  to.tunnelKey = from.tunnelKey;
  to.tunnelDepth = from.tunnelDepth;
  to.tunnelContext = from.tunnelContext;
  to.ipVersion = from.ipVersion;
  to.ipOff = from.ipOff;
  to.ipHeaderLen = from.ipHeaderLen;
  to.srcOff = from.srcOff;
  to.dstOff = from.dstOff;
  to.ttl = from.ttl;
  to.tos = from.tos;
  to.ipId = from.ipId;
  to.df = from.df;
  to.flowLabel = from.flowLabel;
  to.ipTotalLen = from.ipTotalLen;
  to.reassembled = from.reassembled;
  to.protocol = from.protocol;
  to.l4Off = from.l4Off;
  to.srcPort = from.srcPort;
  to.dstPort = from.dstPort;
  to.tcpSeq = from.tcpSeq;
  to.tcpAck = from.tcpAck;
  to.tcpFlags = from.tcpFlags;
  to.tcpWindow = from.tcpWindow;
  to.tcpUrgent = from.tcpUrgent;
  to.tcpOptOff = from.tcpOptOff;
  to.tcpOptLen = from.tcpOptLen;
  to.payloadOff = from.payloadOff;
  to.payloadLen = from.payloadLen;
  to.truncated = from.truncated;
}
