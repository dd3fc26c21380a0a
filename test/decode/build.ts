/**
 * Test-only builders for hand-made frames, written from the header layouts in the RFCs
 * and specs named beside each function (not from the decoder). Tests state the values
 * they put in and expect the decoder to hand the same values back; the tshark
 * cross-check test confirms that an independent decoder reads these frames the same way.
 */
import { writeFileSync } from "node:fs";
import type { CapturedFrame } from "../../src/capture/types.js";
import { pcapFile } from "../helpers/pcap-file.js";

/** Bytes from hex text; whitespace ignored, `#` comments to end of line. */
export function hex(text: string): Buffer {
  const digits = text
    .split("\n")
    .map((l) => l.replace(/#.*/, ""))
    .join("")
    .replace(/\s+/g, "");
  if (!/^([0-9a-f]{2})*$/i.test(digits)) throw new Error(`bad hex: ${digits}`);
  return Buffer.from(digits, "hex");
}

/** IPv4 text to 4 bytes (test-local; independent of src/decode/address.ts). */
export function v4(text: string): Buffer {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad v4 ${text}`);
  return Buffer.from(parts);
}

/** IPv6 text (with at most one `::`, no embedded IPv4) to 16 bytes (test-local). */
export function v6(text: string): Buffer {
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
  if (groups.length !== 8) throw new Error(`bad v6 ${text}`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), 2 * i);
  });
  return out;
}

const u16 = (v: number) => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};

export const MAC_A = hex("02 00 00 00 00 0a");
export const MAC_B = hex("02 00 00 00 00 0b");

/** Ethernet II (IEEE 802.3 clause 3 with EtherType), optional stacked tags [TPID, VID] outermost first. */
export function ether(type: number, payload: Buffer, tags: Array<[number, number]> = []): Buffer {
  const parts: Buffer[] = [MAC_B, MAC_A];
  for (const [tpid, vid] of tags) parts.push(u16(tpid), u16(vid & 0x0fff));
  parts.push(u16(type), payload);
  return Buffer.concat(parts);
}

/** RFC 1071 Internet checksum. */
export function inetChecksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv4Spec {
  src: string;
  dst: string;
  proto: number;
  payload: Buffer;
  id?: number;
  ttl?: number;
  tos?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  /** Raw options bytes (padded by the caller to a multiple of 4). */
  options?: Buffer;
  /** Override of the total length field. */
  totalLen?: number;
  /** Override of the IHL nibble. */
  ihl?: number;
}

/** IPv4 header (RFC 791) + payload, with a valid header checksum. */
export function ipv4(s: Ipv4Spec): Buffer {
  const opts = s.options ?? Buffer.alloc(0);
  const hl = 20 + opts.length;
  const h = Buffer.alloc(hl);
  h[0] = 0x40 | (s.ihl ?? hl / 4);
  h[1] = s.tos ?? 0;
  h.writeUInt16BE(s.totalLen ?? hl + s.payload.length, 2);
  h.writeUInt16BE(s.id ?? 0x1234, 4);
  const frag = ((s.fragOffset ?? 0) >> 3) | (s.mf ? 0x2000 : 0) | ((s.df ?? true) ? 0x4000 : 0);
  h.writeUInt16BE(frag, 6);
  h[8] = s.ttl ?? 64;
  h[9] = s.proto;
  v4(s.src).copy(h, 12);
  v4(s.dst).copy(h, 16);
  opts.copy(h, 20);
  h.writeUInt16BE(inetChecksum(h), 10);
  return Buffer.concat([h, s.payload]);
}

export interface Ipv6Spec {
  src: string;
  dst: string;
  /** Next header of the fixed header. */
  nh: number;
  /** Extension headers (already chained) + upper-layer data. */
  payload: Buffer;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  payloadLen?: number;
}

/** IPv6 fixed header (RFC 8200 §3) + payload. */
export function ipv6(s: Ipv6Spec): Buffer {
  const h = Buffer.alloc(40);
  const tc = s.trafficClass ?? 0;
  const fl = s.flowLabel ?? 0;
  h.writeUInt32BE(((6 << 28) | (tc << 20) | fl) >>> 0, 0);
  h.writeUInt16BE(s.payloadLen ?? s.payload.length, 4);
  h[6] = s.nh;
  h[7] = s.hopLimit ?? 64;
  v6(s.src).copy(h, 8);
  v6(s.dst).copy(h, 24);
  return Buffer.concat([h, s.payload]);
}

/** Generic extension header (RFC 8200 §4: Next Header, Hdr Ext Len in 8-octet units beyond the first 8). */
export function ext6(nh: number, body: Buffer = Buffer.alloc(6)): Buffer {
  const total = Math.ceil((body.length + 2) / 8) * 8;
  const b = Buffer.alloc(total);
  b[0] = nh;
  b[1] = total / 8 - 1;
  body.copy(b, 2);
  return b;
}

/** IPv6 Fragment header (RFC 8200 §4.5). */
export function frag6(nh: number, offset: number, more: boolean, id: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = nh;
  b.writeUInt16BE((offset & 0xfff8) | (more ? 1 : 0), 2);
  b.writeUInt32BE(id >>> 0, 4);
  return b;
}

/** Authentication Header (RFC 4302): Payload Len in 4-octet units minus 2; SPI, sequence, ICV. */
export function ah(nh: number, icvLen = 12): Buffer {
  const total = 12 + icvLen;
  const b = Buffer.alloc(total);
  b[0] = nh;
  b[1] = total / 4 - 2;
  b.writeUInt32BE(0x1000, 4);
  b.writeUInt32BE(1, 8);
  return b;
}

export interface TcpSpec {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Flags byte; add 0x100 for NS. */
  flags?: number;
  win?: number;
  urg?: number;
  options?: Buffer;
  payload?: Buffer;
  /** Override of the data offset nibble. */
  doff?: number;
}

/** TCP header (RFC 9293 §3.1); the checksum is left 0 (tshark does not verify it by default). */
export function tcp(s: TcpSpec): Buffer {
  const opts = s.options ?? Buffer.alloc(0);
  const hl = 20 + opts.length;
  const h = Buffer.alloc(hl);
  h.writeUInt16BE(s.sport, 0);
  h.writeUInt16BE(s.dport, 2);
  h.writeUInt32BE((s.seq ?? 1000) >>> 0, 4);
  h.writeUInt32BE((s.ack ?? 0) >>> 0, 8);
  const flags = s.flags ?? 0x02;
  h[12] = ((s.doff ?? hl / 4) << 4) | ((flags >> 8) & 1);
  h[13] = flags & 0xff;
  h.writeUInt16BE(s.win ?? 65535, 14);
  h.writeUInt16BE(s.urg ?? 0, 18);
  opts.copy(h, 20);
  return Buffer.concat([h, s.payload ?? Buffer.alloc(0)]);
}

/** UDP header (RFC 768); checksum 0 (= none for IPv4). */
export function udp(sport: number, dport: number, payload: Buffer, len?: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(len ?? 8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** GRE (RFC 2784 + RFC 2890 key/sequence). */
export function gre(
  proto: number,
  payload: Buffer,
  o: { csum?: boolean; key?: number; seq?: number } = {},
): Buffer {
  const parts: Buffer[] = [];
  let f = 0;
  if (o.csum) f |= 0x8000;
  if (o.key !== undefined) f |= 0x2000;
  if (o.seq !== undefined) f |= 0x1000;
  parts.push(u16(f), u16(proto));
  if (o.csum) parts.push(Buffer.alloc(4));
  if (o.key !== undefined) parts.push(u32(o.key));
  if (o.seq !== undefined) parts.push(u32(o.seq));
  parts.push(payload);
  return Buffer.concat(parts);
}

/** ERSPAN type II header (draft-foschiano-erspan §4.1): Ver=1, VLAN, COS/En/T, Session ID, Index. */
export function erspan2(session: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE((1 << 12) | 0, 0);
  b.writeUInt16BE(session & 0x3ff, 2);
  b.writeUInt32BE(7, 4);
  return Buffer.concat([b, payload]);
}

/** ERSPAN type III header (draft-foschiano-erspan §4.2), optional 8-byte platform subheader. */
export function erspan3(
  session: number,
  payload: Buffer,
  o: { frameType?: number; platform?: boolean } = {},
): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE((2 << 12) | 10, 0); // Ver 2, VLAN 10
  b.writeUInt16BE(session & 0x3ff, 2);
  b.writeUInt32BE(0xdeadbeef, 4); // timestamp
  b.writeUInt16BE(0, 8); // SGT
  b.writeUInt16BE(((o.frameType ?? 0) << 10) | (o.platform ? 1 : 0), 10);
  const parts: Buffer[] = [b];
  if (o.platform) parts.push(hex("08 00 00 00 00 00 00 00"));
  parts.push(payload);
  return Buffer.concat(parts);
}

/** VXLAN header (RFC 7348 §5). */
export function vxlan(vni: number, payload: Buffer, flags = 0x08): Buffer {
  const b = Buffer.alloc(8);
  b[0] = flags;
  b.writeUInt32BE((vni << 8) >>> 0, 4);
  return Buffer.concat([b, payload]);
}

/** VXLAN-GPE header (draft-ietf-nvo3-vxlan-gpe §3.2): flags I|P, next protocol. */
export function vxlanGpe(vni: number, nextProto: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x0c;
  b[3] = nextProto;
  b.writeUInt32BE((vni << 8) >>> 0, 4);
  return Buffer.concat([b, payload]);
}

/** Geneve header (RFC 8926 §3.4) with options (each a complete TLV). */
export function geneve(vni: number, proto: number, payload: Buffer, options: Buffer[] = []): Buffer {
  const opt = Buffer.concat(options);
  const b = Buffer.alloc(8);
  b[0] = opt.length / 4;
  b.writeUInt16BE(proto, 2);
  b.writeUInt32BE((vni << 8) >>> 0, 4);
  return Buffer.concat([b, opt, payload]);
}

/** One Geneve option TLV: class, type, data (multiple of 4 bytes). */
export function geneveOption(cls: number, type: number, data: Buffer): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(cls, 0);
  b[2] = type;
  b[3] = data.length / 4;
  return Buffer.concat([b, data]);
}

/**
 * GTP-U header (3GPP TS 29.281 §5.1): version 1, PT 1, T-PDU. With `seq` or `exts` the
 * optional 4-byte field follows; each extension is given as its content (length and
 * next-type bytes are added; content + 2 must be a multiple of 4).
 */
export function gtpu(
  teid: number,
  payload: Buffer,
  o: { seq?: number; exts?: Array<[number, Buffer]>; msgType?: number } = {},
): Buffer {
  const exts = o.exts ?? [];
  let flags = 0x30;
  if (exts.length > 0) flags |= 0x04;
  if (o.seq !== undefined) flags |= 0x02;
  const opt: Buffer[] = [];
  if (flags & 0x07) {
    const f = Buffer.alloc(4);
    f.writeUInt16BE(o.seq ?? 0, 0);
    f[3] = exts.length > 0 ? exts[0][0] : 0;
    opt.push(f);
    exts.forEach(([, content], i) => {
      const e = Buffer.alloc(content.length + 2);
      e[0] = e.length / 4;
      content.copy(e, 1);
      e[e.length - 1] = i + 1 < exts.length ? exts[i + 1][0] : 0;
      opt.push(e);
    });
  }
  const rest = Buffer.concat([...opt, payload]);
  const h = Buffer.alloc(8);
  h[0] = flags;
  h[1] = o.msgType ?? 0xff;
  h.writeUInt16BE(rest.length, 2);
  h.writeUInt32BE(teid >>> 0, 4);
  return Buffer.concat([h, rest]);
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL): packet type, ARPHRD_ETHER, address, protocol. */
export function sll(proto: number, payload: Buffer): Buffer {
  return Buffer.concat([hex("0000 0001 0006"), MAC_A, hex("0000"), u16(proto), payload]);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): protocol, reserved, ifindex, ARPHRD, type, addr len, address. */
export function sll2(proto: number, payload: Buffer): Buffer {
  return Buffer.concat([u16(proto), hex("0000 00000002 0001 00 06"), MAC_A, hex("0000"), payload]);
}

/** BSD loopback header: 4-byte address family, little- or big-endian. */
export function loopback(af: number, payload: Buffer, littleEndian: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (littleEndian) b.writeUInt32LE(af);
  else b.writeUInt32BE(af);
  return Buffer.concat([b, payload]);
}

/**
 * A CapturedFrame whose bytes sit in the middle of a larger buffer (so any read outside
 * [offset, offset + length) would see the 0xee filler instead of the frame). `snap`
 * clips the captured length as a snaplen does.
 */
export function frameOf(
  linktype: number,
  data: Buffer,
  o: { tsUs?: number; snap?: number } = {},
): CapturedFrame {
  const length = o.snap !== undefined ? Math.min(o.snap, data.length) : data.length;
  const pad = 7;
  const big = Buffer.alloc(pad + length + 9, 0xee);
  data.copy(big, pad, 0, length);
  return {
    linktype,
    tsUs: o.tsUs ?? 1_700_000_000_000_000,
    data: big,
    offset: pad,
    length,
    origLen: data.length,
    interfaceId: 0,
  };
}

/** Writes a classic little-endian microsecond pcap (one link type) for tshark. */
export function writePcap(path: string, linktype: number, frames: Buffer[]): void {
  writeFileSync(
    path,
    pcapFile(
      frames.map((data, i) => ({ tsUs: (1_700_000_000 + i) * 1e6, data })),
      linktype,
    ),
  );
}

/** A TCP SYN from 10.0.0.1:40000 to 10.0.0.2:80 in IPv4 (the usual innermost packet). */
export function synV4(src = "10.0.0.1", dst = "10.0.0.2", sport = 40000, dport = 80): Buffer {
  return ipv4({ src, dst, proto: 6, payload: tcp({ sport, dport, seq: 0x01020304, flags: 0x02 }) });
}
