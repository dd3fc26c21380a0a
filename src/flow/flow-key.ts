import { formatAddress } from "../decode/address.js";
import type { DecodedPacket } from "../decode/packet.js";

/**
 * The canonical identity of a flow, the same for both directions: protocol, tunnel
 * context and the two endpoints in a fixed order (lower address/port first). Held as
 * numbers — an IPv4 address is one int32, an IPv6 address four (int32 rather than uint32:
 * V8 keeps them as small integers, where uint32 values above 2^31 would be boxed) — so
 * looking a packet up allocates nothing. "Lower" is in that signed order: any fixed
 * order serves.
 */
export class FlowKey {
  protocol = 0;
  tunnelContext = 0;
  ipVersion: 4 | 6 = 4;
  /** Low endpoint address words (IPv4: a0 only) and port. */
  a0 = 0;
  a1 = 0;
  a2 = 0;
  a3 = 0;
  aPort = 0;
  /** High endpoint. */
  b0 = 0;
  b1 = 0;
  b2 = 0;
  b3 = 0;
  bPort = 0;
  /** Whether the packet's source is the low endpoint. */
  srcIsLow = true;
  hash = 0;

  /** Fills the key from a decoded TCP/UDP packet. */
  fromPacket(p: DecodedPacket): void {
    const b = p.buf;
    this.protocol = p.protocol;
    // The direction-free tunnel context (kinds and outer endpoints per layer, not the
    // identifiers, which may differ by direction): the same inner tuple behind other
    // tunnel endpoints, or not tunnelled, is another flow.
    this.tunnelContext = p.tunnelContext;
    this.ipVersion = p.ipVersion;
    let s0: number;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let d0: number;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    if (p.ipVersion === 4) {
      s0 = int32At(b, p.srcOff);
      d0 = int32At(b, p.dstOff);
    } else {
      const so = p.srcOff;
      const dof = p.dstOff;
      s0 = int32At(b, so);
      s1 = int32At(b, so + 4);
      s2 = int32At(b, so + 8);
      s3 = int32At(b, so + 12);
      d0 = int32At(b, dof);
      d1 = int32At(b, dof + 4);
      d2 = int32At(b, dof + 8);
      d3 = int32At(b, dof + 12);
    }
    const c =
      s0 !== d0
        ? s0 - d0
        : s1 !== d1
          ? s1 - d1
          : s2 !== d2
            ? s2 - d2
            : s3 !== d3
              ? s3 - d3
              : p.srcPort - p.dstPort;
    const srcLow = c <= 0;
    this.srcIsLow = srcLow;
    if (srcLow) {
      this.a0 = s0;
      this.a1 = s1;
      this.a2 = s2;
      this.a3 = s3;
      this.aPort = p.srcPort;
      this.b0 = d0;
      this.b1 = d1;
      this.b2 = d2;
      this.b3 = d3;
      this.bPort = p.dstPort;
    } else {
      this.a0 = d0;
      this.a1 = d1;
      this.a2 = d2;
      this.a3 = d3;
      this.aPort = p.dstPort;
      this.b0 = s0;
      this.b1 = s1;
      this.b2 = s2;
      this.b3 = s3;
      this.bPort = p.srcPort;
    }
    let h = mix(0x9e3779b9 ^ this.protocol ^ this.tunnelContext, this.a0);
    h = mix(h, this.b0);
    h = mix(h, (this.aPort << 16) | this.bPort);
    if (p.ipVersion === 6) {
      h = mix(h, this.a1 ^ this.b1);
      h = mix(h, this.a2 ^ this.b2);
      h = mix(h, this.a3 ^ this.b3);
    }
    this.hash = fmix(h);
  }

  /** Does this key identify `f`? */
  matches(f: FlowKey): boolean {
    return (
      f.a0 === this.a0 &&
      f.b0 === this.b0 &&
      f.aPort === this.aPort &&
      f.bPort === this.bPort &&
      f.protocol === this.protocol &&
      f.tunnelContext === this.tunnelContext &&
      f.ipVersion === this.ipVersion &&
      f.a1 === this.a1 &&
      f.b1 === this.b1 &&
      f.a2 === this.a2 &&
      f.b2 === this.b2 &&
      f.a3 === this.a3 &&
      f.b3 === this.b3
    );
  }

  copyFrom(k: FlowKey): void {
    this.protocol = k.protocol;
    this.tunnelContext = k.tunnelContext;
    this.ipVersion = k.ipVersion;
    this.a0 = k.a0;
    this.a1 = k.a1;
    this.a2 = k.a2;
    this.a3 = k.a3;
    this.aPort = k.aPort;
    this.b0 = k.b0;
    this.b1 = k.b1;
    this.b2 = k.b2;
    this.b3 = k.b3;
    this.bPort = k.bPort;
    this.srcIsLow = k.srcIsLow;
    this.hash = k.hash;
  }

  /** Text of endpoint `which` (0 = low, 1 = high): IPv4 dotted quad or RFC 5952 IPv6. */
  addressText(which: 0 | 1): string {
    const w0 = which === 0 ? this.a0 : this.b0;
    if (this.ipVersion === 4) return ipv4Text(w0);
    const bytes = Buffer.alloc(16);
    bytes.writeInt32BE(w0, 0);
    bytes.writeInt32BE(which === 0 ? this.a1 : this.b1, 4);
    bytes.writeInt32BE(which === 0 ? this.a2 : this.b2, 8);
    bytes.writeInt32BE(which === 0 ? this.a3 : this.b3, 12);
    return formatAddress(bytes, 0, 6);
  }
}

/**
 * Dotted-quad texts of recent IPv4 addresses, direct-mapped by address (bounded: 8,192
 * slots; a colliding address replaces the entry). A scan brings one source back for
 * thousands of flows: each flow then gets the same (flat, already hashed) string instead
 * of a new one to build, flatten and hash again in every map it keys.
 */
const IPV4_TEXT_SLOTS = 8192;
const ipv4Words = new Int32Array(IPV4_TEXT_SLOTS);
const ipv4Texts: (string | undefined)[] = new Array<string | undefined>(IPV4_TEXT_SLOTS).fill(undefined);

/** The dotted quad of the IPv4 address `w` (an int32, big-endian order). */
export function ipv4Text(w: number): string {
  const slot = fmix(w) & (IPV4_TEXT_SLOTS - 1);
  const cached = ipv4Texts[slot];
  if (cached !== undefined && ipv4Words[slot] === w) return cached;
  const text = `${w >>> 24}.${(w >>> 16) & 0xff}.${(w >>> 8) & 0xff}.${w & 0xff}`;
  ipv4Words[slot] = w;
  ipv4Texts[slot] = text;
  return text;
}

/** Big-endian int32 at `off` (bounds already checked by the decoder; inlined, no range checks). */
function int32At(b: Buffer, off: number): number {
  return (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
}

function mix(h: number, v: number): number {
  h ^= Math.imul(v, 0xcc9e2d51);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
