/**
 * Test helper: builds TLS handshake bytes and DER by hand, straight from the RFC layouts
 * (RFC 8446 §4, RFC 5246 §7.4, RFC 6066, RFC 7301, X.690, RFC 5280). Shared by the TLS
 * unit and fuzz tests; nothing here uses the code under test.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { pcapFile } from "../helpers/pcap-file.js";

export const u8 = (n: number): Buffer => Buffer.from([n & 0xff]);
export const u16 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
export const u24 = (n: number): Buffer => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
export const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);
export const vec8 = (d: Buffer): Buffer => cat(u8(d.length), d);
export const vec16 = (d: Buffer): Buffer => cat(u16(d.length), d);
export const vec24 = (d: Buffer): Buffer => cat(u24(d.length), d);
export const list16 = (vals: number[]): Buffer => cat(...vals.map(u16));

/** Lowercase SHA-256 hex, first 12 digits (to turn a hand-written raw string into its JA4 part). */
export const sha12 = (s: string): string => createHash("sha256").update(s).digest("hex").slice(0, 12);
export const md5 = (s: string): string => createHash("md5").update(s).digest("hex");

// ---- extensions --------------------------------------------------------------------------

export const ext = (type: number, data: Buffer = Buffer.alloc(0)): Buffer => cat(u16(type), vec16(data));
export const sniExt = (host: string): Buffer => ext(0x0000, vec16(cat(u8(0), vec16(Buffer.from(host)))));
export const alpnExt = (names: (string | Buffer)[]): Buffer =>
  ext(0x0010, vec16(cat(...names.map((n) => vec8(Buffer.isBuffer(n) ? n : Buffer.from(n, "latin1"))))));
export const supportedVersionsExt = (v: number[]): Buffer => ext(0x002b, vec8(list16(v)));
export const sigAlgsExt = (v: number[]): Buffer => ext(0x000d, vec16(list16(v)));
export const groupsExt = (v: number[]): Buffer => ext(0x000a, vec16(list16(v)));
export const pointFormatsExt = (v: number[]): Buffer => ext(0x000b, vec8(Buffer.from(v)));
export const keyShareExt = (groups: number[]): Buffer =>
  ext(0x0033, vec16(cat(...groups.map((g) => cat(u16(g), vec16(Buffer.alloc(g === 0x001d ? 32 : 1, 7)))))));
export const pskModesExt = (v: number[]): Buffer => ext(0x002d, vec8(Buffer.from(v)));

// ---- hellos ------------------------------------------------------------------------------

export interface ClientHelloSpec {
  version?: number;
  sessionId?: Buffer;
  ciphers: number[];
  compression?: number[];
  /** undefined: no extension block at all (pre-TLS 1.2 style). */
  extensions?: Buffer[];
}

/** ClientHello body (without the 4-byte handshake header). */
export function clientHelloBody(s: ClientHelloSpec): Buffer {
  const parts = [
    u16(s.version ?? 0x0303),
    Buffer.alloc(32, 0x11),
    vec8(s.sessionId ?? Buffer.alloc(0)),
    vec16(list16(s.ciphers)),
    vec8(Buffer.from(s.compression ?? [0])),
  ];
  if (s.extensions !== undefined) parts.push(vec16(cat(...s.extensions)));
  return cat(...parts);
}

export interface ServerHelloSpec {
  version?: number;
  random?: Buffer;
  sessionId?: Buffer;
  cipher: number;
  extensions?: Buffer[];
}

export function serverHelloBody(s: ServerHelloSpec): Buffer {
  const parts = [
    u16(s.version ?? 0x0303),
    s.random ?? Buffer.alloc(32, 0x22),
    vec8(s.sessionId ?? Buffer.alloc(0)),
    u16(s.cipher),
    u8(0),
  ];
  if (s.extensions !== undefined) parts.push(vec16(cat(...s.extensions)));
  return cat(...parts);
}

/** Handshake message: type(1) length(3) body. */
export const handshake = (type: number, body: Buffer): Buffer => cat(u8(type), vec24(body));

/** TLS record: type(1) version(2) length(2) fragment. */
export const record = (type: number, fragment: Buffer, version = 0x0303): Buffer =>
  cat(u8(type), u16(version), vec16(fragment));

/** Splits `payload` into handshake records of at most `max` bytes each. */
export function records(payload: Buffer, max: number, type = 22): Buffer {
  const out: Buffer[] = [];
  for (let p = 0; p < payload.length; p += max) out.push(record(type, payload.subarray(p, p + max)));
  return cat(...out);
}

/** TLS ≤ 1.2 Certificate body: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>. */
export const certificateBody12 = (ders: Buffer[]): Buffer => vec24(cat(...ders.map(vec24)));

// ---- DER ---------------------------------------------------------------------------------

function derLen(n: number): Buffer {
  if (n < 0x80) return u8(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
export const tlv = (tag: number, content: Buffer): Buffer => cat(u8(tag), derLen(content.length), content);
export const seq = (...c: Buffer[]): Buffer => tlv(0x30, cat(...c));
export const set = (...c: Buffer[]): Buffer => tlv(0x31, cat(...c));
export const ctx = (n: number, c: Buffer, constructed = true): Buffer =>
  tlv((constructed ? 0xa0 : 0x80) | n, c);

/** OBJECT IDENTIFIER TLV from dotted form (X.690 §8.19). */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map((a) => BigInt(a));
  const sub = [arcs[0] * 40n + arcs[1], ...arcs.slice(2)];
  const bytes: number[] = [];
  for (const v of sub) {
    const chunk: number[] = [Number(v & 0x7fn)];
    for (let x = v >> 7n; x > 0n; x >>= 7n) chunk.unshift(Number(x & 0x7fn) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** AttributeTypeAndValue in its own RDN; `tag` is the string type (0x13 PrintableString, ...). */
export const rdn = (type: string, tag: number, value: Buffer | string): Buffer =>
  set(seq(oid(type), tlv(tag, Buffer.isBuffer(value) ? value : Buffer.from(value, "latin1"))));

export interface CertSpec {
  serial?: Buffer;
  issuer: Buffer[];
  subject: Buffer[];
  notBefore?: Buffer;
  notAfter?: Buffer;
  extensions?: Buffer[];
  v1?: boolean;
}

/** A syntactically complete certificate (the signature is filler; nothing verifies it). */
export function certificate(s: CertSpec): Buffer {
  const sigAlg = seq(oid("1.2.840.113549.1.1.11"), tlv(0x05, Buffer.alloc(0)));
  const tbs = seq(
    ...(s.v1 ? [] : [ctx(0, tlv(0x02, u8(2)))]),
    tlv(0x02, s.serial ?? Buffer.from([0x01, 0x23, 0x45])),
    sigAlg,
    seq(...s.issuer),
    seq(
      s.notBefore ?? tlv(0x17, Buffer.from("240101000000Z")),
      s.notAfter ?? tlv(0x18, Buffer.from("20341231235959Z")),
    ),
    seq(...s.subject),
    seq(
      seq(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")),
      tlv(0x03, cat(u8(0), Buffer.alloc(65, 4))),
    ),
    ...(s.extensions === undefined ? [] : [ctx(3, seq(...s.extensions))]),
  );
  return seq(tbs, sigAlg, tlv(0x03, cat(u8(0), Buffer.alloc(64, 9))));
}

/** Extension { extnID, critical?, extnValue OCTET STRING }. */
export const x509Ext = (type: string, value: Buffer, critical = false): Buffer =>
  seq(oid(type), ...(critical ? [tlv(0x01, u8(0xff))] : []), tlv(0x04, value));

// ---- pcap for tshark ---------------------------------------------------------------------

function ipChecksum(h: Buffer): number {
  let s = 0;
  for (let i = 0; i < h.length; i += 2) s += h.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

export interface PcapSegment {
  clientToServer: boolean;
  /** Connection index: client port 40000 + conn, server port 443. */
  conn: number;
  payload: Buffer;
}

/**
 * Writes an Ethernet/IPv4/TCP pcap with the given payload segments (SYN-less, sequence
 * numbers consecutive per direction) for tshark to dissect.
 */
export function writePcap(file: string, segs: PcapSegment[]): void {
  const frames: Buffer[] = [];
  const seqs = new Map<string, number>();
  for (const s of segs) {
    const key = `${s.conn}/${s.clientToServer}`;
    const seqNo = seqs.get(key) ?? (s.clientToServer ? 1000 : 900000);
    seqs.set(key, seqNo + s.payload.length);
    const [sp, dp] = s.clientToServer ? [40000 + s.conn, 443] : [443, 40000 + s.conn];
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(sp, 0);
    tcp.writeUInt16BE(dp, 2);
    tcp.writeUInt32BE(seqNo, 4);
    tcp[12] = 0x50;
    tcp[13] = 0x18;
    tcp.writeUInt16BE(65535, 14);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(40 + s.payload.length, 2);
    ip[8] = 64;
    ip[9] = 6;
    Buffer.from(s.clientToServer ? [10, 0, 0, 1] : [10, 0, 0, 2]).copy(ip, 12);
    Buffer.from(s.clientToServer ? [10, 0, 0, 2] : [10, 0, 0, 1]).copy(ip, 16);
    ip.writeUInt16BE(ipChecksum(ip), 10);
    frames.push(cat(Buffer.alloc(12), u16(0x0800), ip, tcp, s.payload));
  }
  writeFileSync(file, pcapFile(frames.map((data, i) => ({ tsUs: i * 1e6, data }))));
}
