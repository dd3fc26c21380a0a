import type { ClientHello } from "./client-hello.js";
import { EXT_ALPN, EXT_SERVER_NAME } from "./extensions.js";
import { isGrease } from "./grease.js";
import { hash12, hex4 } from "./hash.js";

/** "t" TLS over TCP, "q" QUIC, "d" DTLS. */
export type Ja4Transport = "t" | "q" | "d";

export interface Ja4 {
  /** Sorted, hashed: t13d1516h2_8daaf6152771_e5627efa2ab1. */
  ja4: string;
  /** Sorted, raw lists. */
  ja4_r: string;
  /** Original order (SNI and ALPN kept), hashed. */
  ja4_o: string;
  /** Original order, raw lists. */
  ja4_ro: string;
}

/**
 * JA4 version code for a 16-bit protocol version ("00" when unknown). The table is the
 * JA4 specification's, plus 0x0200/0x0100 as the FoxIO tools also map them.
 */
export function ja4VersionCode(v: number): string {
  switch (v) {
    case 0x0304:
      return "13";
    case 0x0303:
      return "12";
    case 0x0302:
      return "11";
    case 0x0301:
      return "10";
    case 0x0300:
      return "s3";
    case 0x0002:
    case 0x0200:
      return "s2";
    case 0x0100:
      return "s1";
    case 0xfeff:
      return "d1";
    case 0xfefd:
      return "d2";
    case 0xfefc:
      return "d3";
    default:
      return "00";
  }
}

/**
 * The two ALPN characters of JA4/JA4S from the first protocol name: its first and last
 * byte; "00" when there is no name or it is empty.
 *
 * The references disagree on anything but ASCII alphanumerics (see DESIGN §3). The JA4
 * specification prints hex nibbles; the FoxIO Rust tool, whose output the conformance
 * corpus holds, prints the characters themselves, with '9' for a byte ≥ 0x80 and '0' for
 * the missing last character of a one-byte name. The corpus (tls-non-ascii-alpn:
 * 0xba 0xad → "99") decides, so this follows the Rust tool. Control bytes (< 0x20, 0x7f)
 * reach that tool only as tshark display artefacts (NUL truncates, DEL becomes "\x7f"),
 * so no reference output exists for them; they print as '9' like non-ASCII bytes, which
 * also keeps control characters out of the fingerprint.
 */
export function alpnChars(name: Buffer | undefined): string {
  if (name === undefined || name.length === 0) return "00";
  const ch = (b: number): string => (b >= 0x7f || b < 0x20 ? "9" : String.fromCharCode(b));
  return name.length === 1 ? `${ch(name[0])}0` : ch(name[0]) + ch(name[name.length - 1]);
}

/** RFC 8701 §2: GREASE ALPN identifiers are the two-byte names 0x0A0A, 0x1A1A, ... 0xFAFA. */
export function isGreaseAlpn(name: Buffer): boolean {
  return name.length === 2 && name[0] === name[1] && (name[0] & 0x0f) === 0x0a;
}

/** The first ALPN name that is not GREASE (JA4 ignores GREASE wherever it appears). */
function firstAlpn(names: Buffer[] | undefined): Buffer | undefined {
  if (names === undefined) return undefined;
  for (const n of names) if (!isGreaseAlpn(n)) return n;
  return undefined;
}

function two(n: number): string {
  return String(Math.min(n, 99)).padStart(2, "0");
}

/**
 * JA4 (FoxIO technical details, JA4.md) of a ClientHello:
 * - version: highest non-GREASE supported_versions entry when the extension is present
 *   (an extension with none left gives "00"), else legacy_version;
 * - "d" when the server_name extension is present, else "i";
 * - cipher and extension counts without GREASE, capped at 99 (SNI and ALPN counted);
 * - ciphers as 4-digit lowercase hex, sorted; extensions likewise, without SNI (0000)
 *   and ALPN (0010); signature algorithms in wire order after "_" (none: no "_");
 *   GREASE removed everywhere, signature algorithms included; an empty list hashes to
 *   "000000000000"; the ALPN characters come from the first non-GREASE protocol name.
 * The _o/_ro forms keep the wire order and keep SNI and ALPN in the extension list.
 */
export function ja4(ch: ClientHello, transport: Ja4Transport): Ja4 {
  let version: number;
  if (ch.extensionTypes.some((t) => t === 0x002b)) {
    version = -1;
    for (const v of ch.supportedVersions ?? []) if (!isGrease(v) && v > version) version = v;
  } else version = ch.legacyVersion;

  const ciphers: string[] = [];
  for (const c of ch.cipherSuites) if (!isGrease(c)) ciphers.push(hex4(c));
  const extsAll: string[] = [];
  const extsHashed: string[] = [];
  for (const t of ch.extensionTypes) {
    if (isGrease(t)) continue;
    extsAll.push(hex4(t));
    if (t !== EXT_SERVER_NAME && t !== EXT_ALPN) extsHashed.push(hex4(t));
  }
  const sigs: string[] = [];
  for (const s of ch.signatureAlgorithms ?? []) if (!isGrease(s)) sigs.push(hex4(s));

  const a =
    transport +
    (version < 0 ? "00" : ja4VersionCode(version)) +
    (ch.hasServerNameExt ? "d" : "i") +
    two(ciphers.length) +
    two(extsAll.length) +
    alpnChars(firstAlpn(ch.alpn));
  const sigPart = sigs.length > 0 ? `_${sigs.join(",")}` : "";

  const cSorted = [...ciphers].sort().join(",");
  const eSorted = [...extsHashed].sort().join(",") + sigPart;
  const cOrig = ciphers.join(",");
  const eOrig = extsAll.join(",") + sigPart;
  return {
    ja4: `${a}_${hash12(cSorted)}_${hash12(eSorted)}`,
    ja4_r: `${a}_${cSorted}_${eSorted}`,
    ja4_o: `${a}_${hash12(cOrig)}_${hash12(eOrig)}`,
    ja4_ro: `${a}_${cOrig}_${eOrig}`,
  };
}
