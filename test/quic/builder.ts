/**
 * Test-side QUIC Initial packet builder: an independent implementation of client Initial
 * protection (RFC 9001 §5.2 key derivation, §5.3 AEAD, §5.4 header protection) with node:crypto,
 * used to build inputs the extractor must read back. Checked against the RFC Appendix A packets
 * in rfc.test.ts before anything relies on it.
 */
import { createCipheriv, createHmac } from "node:crypto";

export const V1 = 0x00000001;
export const V2 = 0x6b3343cf;

const SALTS: Record<number, string> = {
  [V1]: "38762cf7f55934b34d179ae6a4c80cadccbb7f0a",
  [V2]: "0dede3def700a6db819381be6e269dcbf9bd2ed9",
};

function expandLabel(secret: Buffer, label: string, len: number): Buffer {
  const l = Buffer.from(`tls13 ${label}`, "latin1");
  const info = Buffer.concat([Buffer.from([len >> 8, len & 0xff, l.length]), l, Buffer.from([0, 1])]);
  return createHmac("sha256", secret).update(info).digest().subarray(0, len);
}

export interface TestKeys {
  key: Buffer;
  iv: Buffer;
  hp: Buffer;
}

export function testInitialKeys(
  version: number,
  dcid: Buffer,
  side: "client" | "server" = "client",
): TestKeys {
  const initial = createHmac("sha256", Buffer.from(SALTS[version], "hex")).update(dcid).digest();
  const secret = expandLabel(initial, side === "client" ? "client in" : "server in", 32);
  const p = version === V2 ? "quicv2" : "quic";
  return {
    key: expandLabel(secret, `${p} key`, 16),
    iv: expandLabel(secret, `${p} iv`, 12),
    hp: expandLabel(secret, `${p} hp`, 16),
  };
}

/** Minimal-length QUIC varint (RFC 9000 §16); `force` picks a longer encoding. */
export function varint(v: number, force?: 1 | 2 | 4 | 8): Buffer {
  const n = force ?? (v < 64 ? 1 : v < 16384 ? 2 : v < 2 ** 30 ? 4 : 8);
  const b = Buffer.alloc(n);
  if (n === 1) b[0] = v;
  else if (n === 2) b.writeUInt16BE(0x4000 | v);
  else if (n === 4) b.writeUInt32BE((0x80000000 | v) >>> 0);
  else {
    b.writeUInt32BE((0xc0000000 | Math.floor(v / 2 ** 32)) >>> 0, 0);
    b.writeUInt32BE(v >>> 0, 4);
  }
  return b;
}

export function cryptoFrame(offset: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x06]), varint(offset), varint(data.length), data]);
}

export const PING = Buffer.from([0x01]);

export function padding(n: number): Buffer {
  return Buffer.alloc(n);
}

export interface InitialSpec {
  version?: number;
  dcid: Buffer;
  scid?: Buffer;
  token?: Buffer;
  pn: number;
  pnLen?: 1 | 2 | 3 | 4;
  /** Frames (plaintext payload). */
  payload: Buffer;
  /** DCID the keys come from (default `dcid`): a later Initial keeps the first DCID's keys. */
  keyDcid?: Buffer;
  /** Long header type bits to write instead of Initial's (to build 0-RTT/Handshake-typed packets). */
  typeBits?: number;
}

/** A protected Initial packet. */
export function protectInitial(spec: InitialSpec): Buffer {
  const version = spec.version ?? V1;
  const pnLen = spec.pnLen ?? 4;
  const keys = testInitialKeys(version, spec.keyDcid ?? spec.dcid);
  let payload = spec.payload;
  // The header protection sample needs 4 bytes of pn + payload before it (RFC 9001 §5.4.2).
  if (pnLen + payload.length < 4) payload = Buffer.concat([payload, padding(4 - pnLen - payload.length)]);
  const typeBits = spec.typeBits ?? (version === V2 ? 1 : 0);
  const isInitial = spec.typeBits === undefined;
  const scid = spec.scid ?? Buffer.alloc(0);
  const token = spec.token ?? Buffer.alloc(0);
  const length = pnLen + payload.length + 16;
  const pnBytes = Buffer.alloc(4);
  pnBytes.writeUInt32BE((spec.pn % 2 ** 32) >>> 0);
  const header = Buffer.concat([
    Buffer.from([0xc0 | (typeBits << 4) | (pnLen - 1)]),
    Buffer.from([version >>> 24, (version >>> 16) & 0xff, (version >>> 8) & 0xff, version & 0xff]),
    Buffer.from([spec.dcid.length]),
    spec.dcid,
    Buffer.from([scid.length]),
    scid,
    isInitial ? Buffer.concat([varint(token.length), token]) : Buffer.alloc(0),
    varint(length, 2),
    pnBytes.subarray(4 - pnLen),
  ]);
  const nonce = Buffer.from(keys.iv);
  const pnBig = Buffer.alloc(8);
  pnBig.writeBigUInt64BE(BigInt(spec.pn));
  for (let i = 0; i < 8; i++) nonce[4 + i] ^= pnBig[i];
  const c = createCipheriv("aes-128-gcm", keys.key, nonce);
  c.setAAD(header);
  const body = Buffer.concat([c.update(payload), c.final(), c.getAuthTag()]);
  const pkt = Buffer.concat([header, body]);
  const pnOff = header.length - pnLen;
  const ecb = createCipheriv("aes-128-ecb", keys.hp, null);
  ecb.setAutoPadding(false);
  const mask = ecb.update(pkt.subarray(pnOff + 4, pnOff + 20));
  pkt[0] ^= mask[0] & 0x0f;
  for (let i = 0; i < pnLen; i++) pkt[pnOff + i] ^= mask[1 + i];
  return pkt;
}

/** A TLS 1.3-shaped ClientHello handshake message with an SNI and `extraLen` bytes of padding extension (21). */
export function buildClientHello(sni: string, extraLen = 0, fill = 0x5a): Buffer {
  const name = Buffer.from(sni, "ascii");
  const sniExt = Buffer.concat([
    u16(0),
    u16(name.length + 5),
    u16(name.length + 3),
    Buffer.from([0]),
    u16(name.length),
    name,
  ]);
  const supportedVersions = Buffer.from([0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]);
  const pad =
    extraLen > 0 ? Buffer.concat([u16(21), u16(extraLen), Buffer.alloc(extraLen, fill)]) : Buffer.alloc(0);
  const exts = Buffer.concat([sniExt, supportedVersions, pad]);
  const body = Buffer.concat([
    u16(0x0303),
    Buffer.alloc(32, 0x11),
    Buffer.from([0]),
    u16(4),
    u16(0x1301),
    u16(0x1302),
    Buffer.from([1, 0]),
    u16(exts.length),
    exts,
  ]);
  return Buffer.concat([
    Buffer.from([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]),
    body,
  ]);
}

function u16(v: number): Buffer {
  return Buffer.from([v >> 8, v & 0xff]);
}
