import { createDecipheriv } from "node:crypto";
import type { Counters } from "../../util/counters.js";
import type { LongHeader } from "./header.js";
import type { InitialKeys } from "./initial-keys.js";

/** AEAD_AES_128_GCM tag length (RFC 9001 §5.3). */
const TAG_LEN = 16;
/** Header protection sample length (RFC 9001 §5.4.2). */
const SAMPLE_LEN = 16;
/** A UDP payload never exceeds this, so neither does a header we rebuild for the AAD. */
const MAX_DATAGRAM = 65535;

/** Per-connection scratch space and outputs of `decryptInitialPacket` (reused, nothing per packet). */
export interface DecryptState {
  /** Unprotected header (the AEAD's associated data); grows to the largest header seen, ≤ 64 KiB. */
  aad: Buffer;
  nonce: Buffer;
  /** Full packet number of the last packet decrypted. */
  pn: number;
  /** Encoded packet number length of the last packet decrypted (1..4). */
  pnLen: number;
}

export function newDecryptState(): DecryptState {
  return { aad: Buffer.alloc(256), nonce: Buffer.alloc(12), pn: 0, pnLen: 0 };
}

/**
 * RFC 9000 Appendix A.3: the packet number closest to `largestPn + 1` whose low `nbits` bits are
 * `truncated`. `largestPn` is -1 before any packet of the space was authenticated. Plain arithmetic
 * (not 32-bit bitwise operators) so packet numbers above 2^32 stay exact.
 */
export function decodePacketNumber(largestPn: number, truncated: number, nbits: number): number {
  const expected = largestPn + 1;
  const win = 2 ** nbits;
  const hwin = win / 2;
  const candidate = expected - (expected % win) + truncated;
  if (candidate <= expected - hwin && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

/**
 * Removes header protection from the long-header packet `h` in `buf` (RFC 9001 §5.4), decodes its
 * packet number against `largestPn`, and opens the AEAD (§5.3). `buf` is not modified: the
 * unprotected header is rebuilt in `st.aad`.
 * Returns the plaintext payload (frames) — a new Buffer — and sets `st.pn`/`st.pnLen`; or undefined
 * with a `quic.decrypt.*` counter bumped.
 */
export function decryptInitialPacket(
  buf: Buffer,
  h: LongHeader,
  keys: InitialKeys,
  largestPn: number,
  st: DecryptState,
  counters?: Counters,
): Buffer | undefined {
  const pnOff = h.pnOff;
  // The sample starts 4 bytes after the packet number, whatever its real length (§5.4.2), and the
  // payload must still hold the tag.
  if (pnOff < 0 || h.length < 4 + SAMPLE_LEN || pnOff + 4 + SAMPLE_LEN > h.end || h.end > buf.length) {
    counters?.inc("quic.decrypt.too_short");
    return undefined;
  }
  const sampleOff = pnOff + 4;
  let mask: Buffer;
  try {
    mask = keys.hpCipher.update(buf.subarray(sampleOff, sampleOff + SAMPLE_LEN));
  } catch {
    counters?.inc("quic.decrypt.hp_failed");
    return undefined;
  }
  if (mask.length < 5) {
    counters?.inc("quic.decrypt.hp_failed");
    return undefined;
  }
  const first = h.first ^ (mask[0] & 0x0f); // long header: low 4 bits are protected
  const pnLen = (first & 0x03) + 1;
  const hdrLen = pnOff + pnLen - h.start;
  if (h.length < pnLen + TAG_LEN || hdrLen > MAX_DATAGRAM) {
    counters?.inc("quic.decrypt.too_short");
    return undefined;
  }
  if (st.aad.length < hdrLen)
    st.aad = Buffer.alloc(Math.min(MAX_DATAGRAM, Math.max(hdrLen, st.aad.length * 2)));
  const aad = st.aad;
  buf.copy(aad, 0, h.start, pnOff);
  aad[0] = first;
  let truncated = 0;
  const rel = pnOff - h.start;
  for (let i = 0; i < pnLen; i++) {
    const b = buf[pnOff + i] ^ mask[1 + i];
    aad[rel + i] = b;
    truncated = truncated * 256 + b;
  }
  const pn = decodePacketNumber(largestPn, truncated, pnLen * 8);

  // Nonce = IV XOR packet number, left-padded to the IV length (§5.3).
  const nonce = st.nonce;
  keys.iv.copy(nonce, 0, 0, 12);
  const hi = Math.floor(pn / 0x100000000);
  const lo = pn >>> 0;
  nonce.writeUInt32BE((nonce.readUInt32BE(4) ^ hi) >>> 0, 4);
  nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ lo) >>> 0, 8);

  const ctOff = pnOff + pnLen;
  const tagOff = h.end - TAG_LEN;
  try {
    const d = createDecipheriv("aes-128-gcm", keys.key, nonce, { authTagLength: TAG_LEN });
    d.setAAD(aad.subarray(0, hdrLen));
    d.setAuthTag(buf.subarray(tagOff, h.end));
    const out = d.update(buf.subarray(ctOff, tagOff));
    d.final(); // throws when the tag does not verify
    st.pn = pn;
    st.pnLen = pnLen;
    return out;
  } catch {
    counters?.inc("quic.decrypt.aead_failed");
    return undefined;
  }
}
