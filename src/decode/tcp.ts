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
