import { hash12, hex4 } from "./hash.js";
import { alpnChars, type Ja4Transport, ja4VersionCode } from "./ja4.js";
import type { ServerHello } from "./server-hello.js";

export interface Ja4s {
  /** t120400_c030_4e8089b08790 */
  ja4s: string;
  /** t120400_c030_0005,0017,ff01,0000 */
  ja4s_r: string;
}

/**
 * JA4S (FoxIO JA4S.md) of a ServerHello: transport, version (the supported_versions
 * selection when present, else legacy_version), extension count (capped at 99), the two
 * ALPN characters of the selected protocol (as JA4); then the chosen cipher in hex; then
 * the hash of the extension types in wire order ("000000000000" when there are none).
 * Like the FoxIO tool, server extensions are taken as sent (a server sends no GREASE).
 */
export function ja4s(sh: ServerHello, transport: Ja4Transport): Ja4s {
  const version = sh.hasSupportedVersionsExt ? (sh.selectedVersion ?? -1) : sh.legacyVersion;
  const exts = sh.extensionTypes.map(hex4).join(",");
  const ab =
    transport +
    (version < 0 ? "00" : ja4VersionCode(version)) +
    String(Math.min(sh.extensionTypes.length, 99)).padStart(2, "0") +
    alpnChars(sh.alpn) +
    "_" +
    hex4(sh.cipherSuite);
  return { ja4s: `${ab}_${hash12(exts)}`, ja4s_r: `${ab}_${exts}` };
}
