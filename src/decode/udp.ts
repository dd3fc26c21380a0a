import type { Counters } from "../util/counters.js";
import { type LayerCursor, NEXT_DONE, NEXT_FAIL } from "./layer.js";
import type { DecodedPacket } from "./packet.js";

export const UDP_HEADER_LEN = 8;

/**
 * Decodes the UDP header at `cur.off` into `out` (IP payload declared up to
 * `cur.declaredEnd`, captured up to `cur.end`). On success the cursor is left on the
 * datagram payload, clipped to the captured bytes, for a tunnel parser to continue.
 */
export function decodeUdp(buf: Uint8Array, cur: LayerCursor, out: DecodedPacket, stats: Counters): number {
  const off = cur.off;
  const end = cur.end;
  const declaredEnd = cur.declaredEnd;
  if (declaredEnd - off < UDP_HEADER_LEN) {
    stats.inc("malformed.udp.header_len");
    return NEXT_FAIL;
  }
  if (end - off < UDP_HEADER_LEN) {
    stats.inc("truncated.udp");
    return NEXT_FAIL;
  }
  const len = (buf[off + 4] << 8) | buf[off + 5];
  let udpEnd: number;
  if (len === 0) {
    // IPv6 jumbograms (RFC 2675) and offloaded captures carry 0: the IP length rules.
    udpEnd = declaredEnd;
  } else if (len < UDP_HEADER_LEN || len > declaredEnd - off) {
    stats.inc("malformed.udp.length");
    return NEXT_FAIL;
  } else {
    udpEnd = off + len;
  }
  out.l4Off = off;
  out.srcPort = (buf[off] << 8) | buf[off + 1];
  out.dstPort = (buf[off + 2] << 8) | buf[off + 3];
  out.tcpSeq = 0;
  out.tcpAck = 0;
  out.tcpFlags = 0;
  out.tcpWindow = 0;
  out.tcpUrgent = 0;
  out.tcpOptOff = off + UDP_HEADER_LEN;
  out.tcpOptLen = 0;
  const payloadOff = off + UDP_HEADER_LEN;
  let payloadEnd = udpEnd;
  if (udpEnd > end) {
    out.truncated = true;
    payloadEnd = end;
  }
  out.payloadOff = payloadOff;
  out.payloadLen = payloadEnd - payloadOff;
  cur.off = payloadOff;
  cur.end = payloadEnd;
  return NEXT_DONE;
}
