import type { DecodedPacket } from "../decode/packet.js";

/**
 * Canonical flow key of a decoded packet, the same for both directions: the two
 * endpoints in a fixed order (lower address/port first), plus protocol and tunnel.
 * Built with one String.fromCharCode call over 16-bit units — no decimal formatting,
 * one small string per packet.
 *
 * `srcIsLow` reports whether the packet's source is the first endpoint of the key.
 */
export interface FlowKeyResult {
  key: string;
  srcIsLow: boolean;
}

export function computeFlowKey(p: DecodedPacket, out: FlowKeyResult): void {
  const b = p.buf;
  const t = p.tunnelKey >>> 0;
  if (p.ipVersion === 4) {
    const s = b.readUInt32BE(p.srcOff);
    const d = b.readUInt32BE(p.dstOff);
    const srcLow = s < d || (s === d && p.srcPort <= p.dstPort);
    const lo = srcLow ? s : d;
    const hi = srcLow ? d : s;
    const lp = srcLow ? p.srcPort : p.dstPort;
    const hp = srcLow ? p.dstPort : p.srcPort;
    out.srcIsLow = srcLow;
    out.key = String.fromCharCode(
      p.protocol,
      t >>> 16,
      t & 0xffff,
      lo >>> 16,
      lo & 0xffff,
      lp,
      hi >>> 16,
      hi & 0xffff,
      hp,
    );
    return;
  }
  const c = b.compare(b, p.dstOff, p.dstOff + 16, p.srcOff, p.srcOff + 16);
  const srcLow = c < 0 || (c === 0 && p.srcPort <= p.dstPort);
  const lo = srcLow ? p.srcOff : p.dstOff;
  const hi = srcLow ? p.dstOff : p.srcOff;
  out.srcIsLow = srcLow;
  out.key = String.fromCharCode(
    p.protocol | 0x100, // distinguishes v6 keys from v4 keys
    t >>> 16,
    t & 0xffff,
    b.readUInt16BE(lo),
    b.readUInt16BE(lo + 2),
    b.readUInt16BE(lo + 4),
    b.readUInt16BE(lo + 6),
    b.readUInt16BE(lo + 8),
    b.readUInt16BE(lo + 10),
    b.readUInt16BE(lo + 12),
    b.readUInt16BE(lo + 14),
    srcLow ? p.srcPort : p.dstPort,
    b.readUInt16BE(hi),
    b.readUInt16BE(hi + 2),
    b.readUInt16BE(hi + 4),
    b.readUInt16BE(hi + 6),
    b.readUInt16BE(hi + 8),
    b.readUInt16BE(hi + 10),
    b.readUInt16BE(hi + 12),
    b.readUInt16BE(hi + 14),
    srcLow ? p.dstPort : p.srcPort,
  );
}
