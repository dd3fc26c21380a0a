import type { ClientHello } from "./client-hello.js";
import { isGrease } from "./grease.js";
import { md5Hex } from "./hash.js";
import type { ServerHello } from "./server-hello.js";

export interface Ja3 {
  /** MD5 of ja3_full, lowercase hex. */
  ja3: string;
  /** "version,ciphers,extensions,groups,point_formats", decimal values joined by "-". */
  ja3_full: string;
}

export interface Ja3s {
  ja3s: string;
  /** "version,cipher,extensions". */
  ja3s_full: string;
}

/** Decimal values joined by "-", GREASE dropped when asked (JA3's and DECNET's list form). */
export function joinDecimal(values: readonly number[] | undefined, dropGrease: boolean): string {
  if (values === undefined) return "";
  let s = "";
  for (const v of values) {
    if (dropGrease && isGrease(v)) continue;
    s += s.length === 0 ? String(v) : `-${v}`;
  }
  return s;
}

/**
 * JA3 (Salesforce) as tshark 4.0 computes `tls.handshake.ja3`: the legacy version field
 * (never supported_versions), ciphers, extension types, supported groups with GREASE
 * removed, EC point formats as sent. Chrome shuffles its extension order (since v110),
 * so its JA3 changes per connection while its JA4 does not.
 */
export function ja3(ch: ClientHello): Ja3 {
  const full = ja3Head(ch) + joinDecimal(ch.extensionTypes, true) + ja3Tail(ch);
  return { ja3: md5Hex(full), ja3_full: full };
}

/** The part of the JA3 string before the extension list: "version,ciphers,". */
export function ja3Head(ch: ClientHello): string {
  return `${ch.legacyVersion},${joinDecimal(ch.cipherSuites, true)},`;
}

/** The part after the extension list: ",groups,point_formats". */
export function ja3Tail(ch: ClientHello): string {
  return `,${joinDecimal(ch.supportedGroups, true)},${joinDecimal(ch.ecPointFormats, false)}`;
}

/** JA3S as tshark 4.0 computes `tls.handshake.ja3s`: legacy version, cipher, extension types. */
export function ja3s(sh: ServerHello): Ja3s {
  const full = `${sh.legacyVersion},${sh.cipherSuite},${joinDecimal(sh.extensionTypes, true)}`;
  return { ja3s: md5Hex(full), ja3s_full: full };
}
