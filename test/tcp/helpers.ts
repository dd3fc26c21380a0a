/**
 * Test tooling for the TCP and p0f tests: build IPv4/IPv6 + TCP packets byte by byte, write
 * classic pcap files (for p0f and tshark), and decode frames and capture files through the
 * project's own capture parser and decoder (src/capture, src/decode).
 */
import { readCapture } from "../../src/capture/file-source.js";
import type { CapturedFrame } from "../../src/capture/types.js";
import { Decoder } from "../../src/decode/decoder.js";
import { type DecodedPacket, newDecodedPacket } from "../../src/decode/packet.js";
import { pcapFile } from "../helpers/pcap-file.js";

// ---------------------------------------------------------------------------
// TCP option builders (raw bytes)
// ---------------------------------------------------------------------------

export const opt = {
  eol: (pad = 0): number[] => [0, ...new Array<number>(pad).fill(0)],
  nop: (): number[] => [1],
  mss: (v: number): number[] => [2, 4, v >> 8, v & 0xff],
  ws: (v: number): number[] => [3, 3, v],
  sok: (): number[] => [4, 2],
  ts: (val: number, ecr: number): number[] => [8, 10, ...u32(val), ...u32(ecr)],
};

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

// ---------------------------------------------------------------------------
// Packet builder
// ---------------------------------------------------------------------------

export interface PacketSpec {
  ipVersion?: 4 | 6;
  src?: string;
  dst?: string;
  ttl: number;
  tos?: number;
  df?: boolean;
  /** IPv4 reserved ("evil") flag bit. */
  mbz?: boolean;
  ipId?: number;
  flowLabel?: number;
  /** Raw IPv4 option bytes (padded to a multiple of 4 by the builder). */
  ipOptions?: number[];
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  /** TCP flags byte; 0x100 sets the NS bit. */
  flags: number;
  window: number;
  urgent?: number;
  /** Raw option bytes; the builder pads with zeros to a multiple of 4. */
  options?: number[];
  payload?: number[];
}

export const SYN = 0x02;
export const SYNACK = 0x12;
export const ACK = 0x10;

function parseV4(s: string): number[] {
  return s.split(".").map((x) => Number.parseInt(x, 10));
}

function parseV6(s: string): number[] {
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":").filter((x) => x.length > 0) : [];
  const t = tail ? tail.split(":").filter((x) => x.length > 0) : [];
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const out: number[] = [];
  for (const g of groups) {
    const v = Number.parseInt(g, 16);
    out.push(v >> 8, v & 0xff);
  }
  return out;
}

/** Builds an IP packet (no link layer) carrying one TCP segment. */
export function buildPacket(spec: PacketSpec): Buffer {
  const v = spec.ipVersion ?? 4;
  const options = [...(spec.options ?? [])];
  while (options.length % 4 !== 0) options.push(0);
  const payload = spec.payload ?? [];
  const tcpLen = 20 + options.length;
  const tcp = Buffer.alloc(tcpLen + payload.length);
  tcp.writeUInt16BE(spec.sport ?? 40000, 0);
  tcp.writeUInt16BE(spec.dport ?? 80, 2);
  tcp.writeUInt32BE((spec.seq ?? 0x12345678) >>> 0, 4);
  tcp.writeUInt32BE((spec.ack ?? 0) >>> 0, 8);
  tcp[12] = ((tcpLen / 4) << 4) | ((spec.flags >> 8) & 1);
  tcp[13] = spec.flags & 0xff;
  tcp.writeUInt16BE(spec.window, 14);
  tcp.writeUInt16BE(spec.urgent ?? 0, 18);
  Buffer.from(options).copy(tcp, 20);
  Buffer.from(payload).copy(tcp, tcpLen);

  if (v === 4) {
    const ipOpts = [...(spec.ipOptions ?? [])];
    while (ipOpts.length % 4 !== 0) ipOpts.push(0);
    const hl = 20 + ipOpts.length;
    const ip = Buffer.alloc(hl + tcp.length);
    ip[0] = 0x40 | (hl / 4);
    ip[1] = spec.tos ?? 0;
    ip.writeUInt16BE(ip.length, 2);
    ip.writeUInt16BE(spec.ipId ?? 0, 4);
    ip.writeUInt16BE((spec.df ? 0x4000 : 0) | (spec.mbz ? 0x8000 : 0), 6);
    ip[8] = spec.ttl;
    ip[9] = 6;
    Buffer.from(parseV4(spec.src ?? "192.0.2.1")).copy(ip, 12);
    Buffer.from(parseV4(spec.dst ?? "198.51.100.2")).copy(ip, 16);
    Buffer.from(ipOpts).copy(ip, 20);
    let sum = 0;
    for (let i = 0; i < hl; i += 2) sum += ip.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    tcp.copy(ip, hl);
    return ip;
  }
  const ip = Buffer.alloc(40 + tcp.length);
  const tc = spec.tos ?? 0;
  ip.writeUInt32BE(((6 << 28) | (tc << 20) | ((spec.flowLabel ?? 0) & 0xfffff)) >>> 0, 0);
  ip.writeUInt16BE(tcp.length, 4);
  ip[6] = 6;
  ip[7] = spec.ttl;
  Buffer.from(parseV6(spec.src ?? "2001:db8::1")).copy(ip, 8);
  Buffer.from(parseV6(spec.dst ?? "2001:db8::2")).copy(ip, 24);
  tcp.copy(ip, 40);
  return ip;
}

/** Wraps an IP packet in an Ethernet II header. */
export function ethernet(ip: Buffer): Buffer {
  const eth = Buffer.alloc(14);
  Buffer.from([0x02, 0, 0, 0, 0, 2]).copy(eth, 0);
  Buffer.from([0x02, 0, 0, 0, 0, 1]).copy(eth, 6);
  eth.writeUInt16BE(ip[0] >> 4 === 6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([eth, ip]);
}

// ---------------------------------------------------------------------------
// pcap / pcapng
// ---------------------------------------------------------------------------

export interface Frame {
  tsUs: number;
  linktype: number;
  data: Buffer;
}

/** Classic little-endian microsecond pcap. */
export function writePcap(frames: { tsUs: number; data: Buffer }[], linktype = 1): Buffer {
  return pcapFile(frames, linktype, 65535);
}

// ---------------------------------------------------------------------------
// Decoding through the project's own capture parser and decoder
// ---------------------------------------------------------------------------

/**
 * Copies a decoded TCP packet out of the decoder's reused struct and capture chunk: only the
 * IP packet's bytes are kept, offsets are rebased onto the copy.
 */
export function snapshot(p: DecodedPacket): DecodedPacket {
  const start = p.ipOff;
  const end = Math.max(p.payloadOff + p.payloadLen, p.tcpOptOff + p.tcpOptLen, p.l4Off + 20);
  const copy: DecodedPacket = { ...p, buf: Buffer.from(p.buf.subarray(start, end)) };
  copy.ipOff -= start;
  copy.srcOff -= start;
  copy.dstOff -= start;
  copy.l4Off -= start;
  copy.tcpOptOff -= start;
  copy.payloadOff -= start;
  return copy;
}

/** Decodes in-memory frames with src/decode's Decoder; keeps the TCP packets (copied). */
export function decodeFrames(frames: readonly Frame[]): DecodedPacket[] {
  const dec = new Decoder();
  const out = newDecodedPacket();
  const res: DecodedPacket[] = [];
  for (const f of frames) {
    const cf: CapturedFrame = {
      linktype: f.linktype,
      tsUs: f.tsUs,
      data: f.data,
      offset: 0,
      length: f.data.length,
      origLen: f.data.length,
      interfaceId: 0,
    };
    if (dec.decode(cf, out) && out.protocol === 6) res.push(snapshot(out));
  }
  return res;
}

/** Reads a capture file with src/capture's readCapture and decodes it; TCP packets only. */
export async function decodeCaptureFile(path: string): Promise<DecodedPacket[]> {
  const dec = new Decoder();
  const out = newDecodedPacket();
  const res: DecodedPacket[] = [];
  const r = await readCapture(path, (frame) => {
    if (dec.decode(frame, out) && out.protocol === 6) res.push(snapshot(out));
  });
  if (r.error) throw new Error(`${path}: ${r.error}`);
  return res;
}

// ---------------------------------------------------------------------------
// Misc
// ---------------------------------------------------------------------------

/** Address of a decoded packet as text (IPv6 compressed like the expected files). */
export function addrText(p: DecodedPacket, which: "src" | "dst"): string {
  const o = which === "src" ? p.srcOff : p.dstOff;
  if (p.ipVersion === 4) return `${p.buf[o]}.${p.buf[o + 1]}.${p.buf[o + 2]}.${p.buf[o + 3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(p.buf.readUInt16BE(o + i * 2));
  return compressV6(groups);
}

/** RFC 5952 text form of eight 16-bit groups. */
export function compressV6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** Normalises an IPv4/IPv6 text address (p0f writes IPv6 uncompressed). */
export function normAddr(a: string): string {
  if (!a.includes(":")) return a;
  return compressV6(
    (() => {
      const [h, t] = a.includes("::") ? a.split("::") : [a, undefined];
      const hs = h ? h.split(":").filter((x) => x) : [];
      const ts = t ? t.split(":").filter((x) => x) : [];
      return [...hs, ...new Array<string>(8 - hs.length - ts.length).fill("0"), ...ts].map((x) =>
        Number.parseInt(x, 16),
      );
    })(),
  );
}

/** Decodes a single hand-built IP packet (no link layer, LINKTYPE_RAW). */
export function decodeIp(ip: Buffer, tsUs = 0): DecodedPacket {
  const [p] = decodeFrames([{ tsUs, linktype: 101, data: ip }]);
  if (!p) throw new Error("test packet did not decode");
  return p;
}
