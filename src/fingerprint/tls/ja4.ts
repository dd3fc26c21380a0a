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
 * JA4 / JA4S version code for a 16-bit protocol version: exactly the table of FoxIO
 * technical_details/JA4.md, "TLS and DTLS Version" (SSL 2.0 is 0x0002; anything else,
 * 0x0200 and 0x0100 included, is "Unknown" = "00"). The FoxIO Rust tool (rust/ja4/src/
 * tls.rs, TlsVersion) once also mapped 0x0200 → "s2" and 0x0100 → "s1" and has since
 * dropped both for the specification's 0x0002.
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
      return "s2";
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
  return n >= 99 ? "99" : n < 10 ? `0${n}` : String(n);
}

/** Values as 4-digit hex joined by ",". */
function hexJoin(v: Uint16Array, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += i === 0 ? hex4(v[i]) : `,${hex4(v[i])}`;
  return s;
}

/** Same, in ascending order: 4-digit lowercase hex sorts like the numbers themselves. */
function sortedHexJoin(v: Uint16Array, n: number): string {
  return hexJoin(v.subarray(0, n).sort(), n);
}

/** The parts JA4 and its raw/original forms are assembled from. */
export interface Ja4Parts {
  /** "t13d1516h2": transport, version, SNI, counts, ALPN characters. */
  prefix: string;
  /** Non-GREASE ciphers as hex, wire order / ascending. */
  ciphersOrig: string;
  ciphersSorted: string;
  /** "_" + non-GREASE signature algorithms in wire order, or "" when there are none. */
  sigPart: string;
  /** Non-GREASE extensions in wire order (SNI and ALPN kept) + sigPart. */
  extensionsOrig: string;
  /** Non-GREASE extensions without SNI and ALPN, ascending, + sigPart. */
  extensionsSorted: string;
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
export function ja4Parts(ch: ClientHello, transport: Ja4Transport): Ja4Parts {
  const types = ch.extensionTypes;
  let version: number;
  if (ch.hasSupportedVersionsExt) {
    version = -1;
    for (const v of ch.supportedVersions ?? []) if (!isGrease(v) && v > version) version = v;
  } else version = ch.legacyVersion;

  // GREASE-free lists as numbers; sorting numbers sorts their fixed-width hex forms.
  const cs = ch.cipherSuites;
  const ciphers = new Uint16Array(cs.length);
  let nc = 0;
  for (let i = 0; i < cs.length; i++) if (!isGrease(cs[i])) ciphers[nc++] = cs[i];
  const extsAll = new Uint16Array(types.length);
  const extsHashed = new Uint16Array(types.length);
  let na = 0;
  let nh = 0;
  for (let i = 0; i < types.length; i++) {
    const t = types[i];
    if (isGrease(t)) continue;
    extsAll[na++] = t;
    if (t !== EXT_SERVER_NAME && t !== EXT_ALPN) extsHashed[nh++] = t;
  }
  let sigs = "";
  for (const a of ch.signatureAlgorithms ?? [])
    if (!isGrease(a)) sigs += sigs === "" ? hex4(a) : `,${hex4(a)}`;
  const sigPart = sigs !== "" ? `_${sigs}` : "";
  return {
    prefix:
      transport +
      (version < 0 ? "00" : ja4VersionCode(version)) +
      (ch.hasServerNameExt ? "d" : "i") +
      two(nc) +
      two(na) +
      alpnChars(firstAlpn(ch.alpn)),
    ciphersOrig: hexJoin(ciphers, nc),
    ciphersSorted: sortedHexJoin(ciphers, nc),
    sigPart,
    extensionsOrig: hexJoin(extsAll, na) + sigPart,
    extensionsSorted: sortedHexJoin(extsHashed, nh) + sigPart,
  };
}

/** JA4 and its raw/original forms (see `ja4Parts`). */
export function ja4(ch: ClientHello, transport: Ja4Transport): Ja4 {
  const p = ja4Parts(ch, transport);
  const a = p.prefix;
  return {
    ja4: `${a}_${hash12(p.ciphersSorted)}_${hash12(p.extensionsSorted)}`,
    ja4_r: `${a}_${p.ciphersSorted}_${p.extensionsSorted}`,
    ja4_o: `${a}_${hash12(p.ciphersOrig)}_${hash12(p.extensionsOrig)}`,
    ja4_ro: `${a}_${p.ciphersOrig}_${p.extensionsOrig}`,
  };
}
