/**
 * The decoder's output: one mutable struct reused for every packet (the hot path
 * allocates nothing per packet it does not keep). All offsets index `buf`, which is
 * the capture buffer itself, or a reassembly buffer for IP fragments.
 *
 * Only valid until the next call to the decoder.
 */
export interface DecodedPacket {
  tsUs: number;
  /** Buffer holding the innermost IP packet. */
  buf: Buffer;
  /**
   * Encapsulation context of the innermost packet, part of the flow key so that
   * identical inner 5-tuples in different tunnels stay apart. 0 when not tunnelled;
   * otherwise a 32-bit value mixing the tunnel kind and its identifier (VNI, GRE key,
   * TEID, ...) — a number so that building it allocates nothing.
   */
  tunnelKey: number;
  /** Number of encapsulation layers peeled (0 = none). */
  tunnelDepth: number;
  /**
   * The flow key's tunnel context, the same for both directions: per layer the tunnel kind
   * and the two outer endpoints, order-free (0 when not tunnelled). Identifiers (VNI, GRE
   * key, TEID) are left out: the two directions of one connection may carry different ones
   * (the corpus' Geneve capture uses VNI 11 one way and 10 the other).
   */
  tunnelContext: number;

  ipVersion: 4 | 6;
  /** Offset of the innermost IP header. */
  ipOff: number;
  /** IP header length including IPv4 options / IPv6 extension headers. */
  ipHeaderLen: number;
  /** Offsets of the source/destination address bytes (4 or 16 bytes). */
  srcOff: number;
  dstOff: number;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  /** IPv4 TOS byte or IPv6 traffic class. */
  tos: number;
  /** IPv4 identification (0..65535), or -1 for IPv6. */
  ipId: number;
  /** IPv4 DF flag; false for IPv6. */
  df: boolean;
  /** IPv6 flow label, 0 for IPv4. */
  flowLabel: number;
  /** Total IP length from the header (bytes); the packet may be truncated below it. */
  ipTotalLen: number;
  /** True when this packet was rebuilt from fragments. */
  reassembled: boolean;

  /** Transport protocol number (6 TCP, 17 UDP, others = not analysed further). */
  protocol: number;
  /** Offset of the TCP/UDP header. */
  l4Off: number;
  srcPort: number;
  dstPort: number;

  // TCP only (undefined content for UDP)
  tcpSeq: number;
  tcpAck: number;
  /** TCP flags byte plus NS bit at 0x100 (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80). */
  tcpFlags: number;
  tcpWindow: number;
  tcpUrgent: number;
  /** Offset and length of the TCP options area (0 length when none). */
  tcpOptOff: number;
  tcpOptLen: number;

  /** Transport payload: TCP segment data or UDP datagram data, clipped to captured bytes. */
  payloadOff: number;
  payloadLen: number;
  /** True when the captured bytes end before the lengths in the headers say. */
  truncated: boolean;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
/** The NS (nonce sum) bit, kept at 0x100 of `tcpFlags`. */
export const TCP_NS = 0x100;

export function newDecodedPacket(): DecodedPacket {
  return {
    tsUs: 0,
    buf: Buffer.alloc(0),
    tunnelKey: 0,
    tunnelDepth: 0,
    tunnelContext: 0,
    ipVersion: 4,
    ipOff: 0,
    ipHeaderLen: 0,
    srcOff: 0,
    dstOff: 0,
    ttl: 0,
    tos: 0,
    ipId: -1,
    df: false,
    flowLabel: 0,
    ipTotalLen: 0,
    reassembled: false,
    protocol: 0,
    l4Off: 0,
    srcPort: 0,
    dstPort: 0,
    tcpSeq: 0,
    tcpAck: 0,
    tcpFlags: 0,
    tcpWindow: 0,
    tcpUrgent: 0,
    tcpOptOff: 0,
    tcpOptLen: 0,
    payloadOff: 0,
    payloadLen: 0,
    truncated: false,
  };
}
