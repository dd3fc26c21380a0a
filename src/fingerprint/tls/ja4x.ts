import type { Counters } from "../../util/counters.js";
import { hash12 } from "./hash.js";
import { X509_OID_SHORT_NAMES } from "./oid-names.js";
import { parseX509, type X509Info, type X509Rdn } from "./x509.js";

export interface Ja4x {
  /** issuer-hash_subject-hash_extensions-hash, e.g. 2e9214a636bc_a373a9f83c6b_0e17604154c5. */
  ja4x: string;
  /** The same three lists unhashed: 550406,550408,..._..._551d0f,... */
  ja4x_r: string;
}

function oidList(rdns: X509Rdn[]): string {
  const out: string[] = [];
  for (const rdn of rdns) for (const a of rdn) out.push(a.oidHex);
  return out.join(",");
}

/**
 * JA4X (FoxIO JA4X.md): the hex of the DER contents of each issuer attribute type, in
 * encoded order, comma-joined; the same for the subject; the same for the extension
 * OIDs; each part hashed to 12 hex digits ("000000000000" when empty). Takes a parsed
 * certificate or its DER (undefined when that does not parse).
 */
export function ja4x(cert: X509Info | Buffer, counters?: Counters): Ja4x | undefined {
  const info = Buffer.isBuffer(cert) ? parseX509(cert, counters) : cert;
  if (info === undefined) return undefined;
  const parts = [oidList(info.issuer), oidList(info.subject), info.extensions.map((e) => e.oidHex).join(",")];
  return { ja4x: parts.map(hash12).join("_"), ja4x_r: parts.join("_") };
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * An attribute value as the FoxIO tool's X.509 library reads it as text: only
 * NumericString, PrintableString, UTF8String and IA5String, and only valid UTF-8.
 */
function referenceText(tag: number, raw: Buffer): string | undefined {
  if (tag !== 18 && tag !== 19 && tag !== 12 && tag !== 22) return undefined;
  try {
    return STRICT_UTF8.decode(raw);
  } catch {
    return undefined;
  }
}

/**
 * One `x509` entry as the FoxIO ja4 tool prints it in `tls_certs`: `ja4x` first, then
 * `issuer<Name>` fields for the issuer attributes in encoded order, then `subject<Name>`
 * fields, where <Name> is the attribute's oid-registry short name with its first letter
 * upper-cased (issuerCommonName, subjectOrganizationalUnit, subjectMsJurisdictionCountry).
 * An attribute without a registry name or without a text value gets no field; a
 * repeated name keeps its first position and takes the last value (an ordered map).
 */
export function ja4xRecord(info: X509Info): Record<string, string> {
  const rec: Record<string, string> = { ja4x: ja4x(info)!.ja4x };
  const add = (prefix: string, rdns: X509Rdn[]) => {
    for (const rdn of rdns) {
      for (const a of rdn) {
        const sn = X509_OID_SHORT_NAMES.get(a.oid);
        if (sn === undefined || sn.length === 0) continue;
        const value = referenceText(a.valueTag, a.raw);
        if (value === undefined) continue;
        rec[prefix + sn[0].toUpperCase() + sn.slice(1)] = value;
      }
    }
  };
  add("issuer", info.issuer);
  add("subject", info.subject);
  return rec;
}
