import { type Cipher, createCipheriv, createHmac } from "node:crypto";
import { hkdfExpandLabel } from "../tls/hkdf-label.js";
import { QUIC_V1, QUIC_V2 } from "./header.js";

/** initial_salt of QUIC v1 (RFC 9001 §5.2). */
const SALT_V1 = Buffer.from("38762cf7f55934b34d179ae6a4c80cadccbb7f0a", "hex");
/** initial_salt of QUIC v2 (RFC 9369 §3.3.1). */
const SALT_V2 = Buffer.from("0dede3def700a6db819381be6e269dcbf9bd2ed9", "hex");

/** Packet protection for one direction of the Initial space: AEAD_AES_128_GCM key and IV, AES-128 header protection key. */
export interface InitialKeys {
  version: number;
  key: Buffer;
  iv: Buffer;
  hp: Buffer;
  /** AES-128-ECB over `hp`, no padding; kept so each header-protection mask costs one `update`. */
  hpCipher: Cipher;
}

export function initialSalt(version: number): Buffer | undefined {
  if (version === QUIC_V1) return SALT_V1;
  if (version === QUIC_V2) return SALT_V2;
  return undefined;
}

/** HKDF-Extract (RFC 5869 §2.2) with SHA-256: HMAC(salt, ikm). */
export function hkdfExtract(salt: Buffer, ikm: Buffer): Buffer {
  return createHmac("sha256", salt).update(ikm).digest();
}

/** HKDF-Expand-Label with SHA-256 (RFC 9001 §5.1). */
function expandLabel(secret: Buffer, label: string, length: number): Buffer {
  return hkdfExpandLabel("sha256", secret, label, length);
}

/** client_initial_secret or server_initial_secret (RFC 9001 §5.2) for `version` and the client's first DCID. */
export function initialSecret(version: number, dcid: Buffer, side: "client" | "server"): Buffer | undefined {
  const salt = initialSalt(version);
  if (salt === undefined) return undefined;
  return expandLabel(hkdfExtract(salt, dcid), side === "client" ? "client in" : "server in", 32);
}

/** Key, IV and HP key from an Initial secret; v2 uses the "quicv2 *" labels (RFC 9369 §3.3.2). */
export function packetKeys(version: number, secret: Buffer): InitialKeys {
  const prefix = version === QUIC_V2 ? "quicv2" : "quic";
  const hp = expandLabel(secret, `${prefix} hp`, 16);
  const hpCipher = createCipheriv("aes-128-ecb", hp, null);
  hpCipher.setAutoPadding(false);
  return {
    version,
    key: expandLabel(secret, `${prefix} key`, 16),
    iv: expandLabel(secret, `${prefix} iv`, 12),
    hp,
    hpCipher,
  };
}

/** Initial keys of one side for `version` (undefined for unsupported versions). */
export function deriveInitialKeys(
  version: number,
  dcid: Buffer,
  side: "client" | "server" = "client",
): InitialKeys | undefined {
  const secret = initialSecret(version, dcid, side);
  return secret === undefined ? undefined : packetKeys(version, secret);
}

/** Max (version, DCID) entries one cache holds; a connection needs 1, 2 with a Retry or v1→v2 switch. */
export const KEY_CACHE_ENTRIES = 4;
/**
 * Key derivations (6 HMACs + a cipher each) allowed per cache, i.e. per connection: a peer
 * sending Initials under ever new DCIDs cannot make us derive more than this.
 */
export const MAX_KEY_DERIVATIONS = 8;

/**
 * Client Initial keys of one connection, by (version, DCID). Bounded to KEY_CACHE_ENTRIES (the
 * oldest entry is evicted first) and to MAX_KEY_DERIVATIONS derivations in its lifetime.
 */
export class InitialKeyCache {
  private readonly versions: number[] = [];
  private readonly dcids: Buffer[] = [];
  private readonly keys: InitialKeys[] = [];
  private derivations = 0;

  /**
   * Client keys for the DCID at `buf[off, off + len)`; derives (and caches) them on a miss.
   * Undefined for an unsupported version or once the derivation budget is spent.
   */
  get(version: number, buf: Buffer, off: number, len: number): InitialKeys | undefined {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.versions[i] !== version) continue;
      const d = this.dcids[i];
      if (d.length === len && buf.compare(d, 0, len, off, off + len) === 0) return this.keys[i];
    }
    if (this.derivations >= MAX_KEY_DERIVATIONS) return undefined;
    this.derivations++;
    const dcid = Buffer.from(buf.subarray(off, off + len)); // copy: `buf` is the caller's packet
    const k = deriveInitialKeys(version, dcid, "client");
    if (k === undefined) return undefined;
    if (this.keys.length >= KEY_CACHE_ENTRIES) {
      this.versions.shift();
      this.dcids.shift();
      this.keys.shift();
    }
    this.versions.push(version);
    this.dcids.push(dcid);
    this.keys.push(k);
    return k;
  }

  get size(): number {
    return this.keys.length;
  }

  /** True once MAX_KEY_DERIVATIONS keys were derived: misses are no longer served. */
  get exhausted(): boolean {
    return this.derivations >= MAX_KEY_DERIVATIONS;
  }
}
