import type { Counters } from "../../util/counters.js";
import {
  CLASS_CONTEXT,
  type DerNode,
  derChildren,
  derString,
  derTimeToIso,
  isContext,
  isUniversal,
  oidToString,
  readDer,
  TAG_BIT_STRING,
  TAG_BOOLEAN,
  TAG_GENERALIZED_TIME,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  TAG_SET,
  TAG_UTC_TIME,
} from "./der.js";
import { DN_LABELS } from "./oid-names.js";
import { tlsStats } from "./stats.js";

/**
 * Counting thresholds, not limits: a Name with more attributes than this (real names have
 * under 15) or a certificate with more extensions (real ones have under 20) still parses
 * in full, since JA4X hashes every OID, but is counted (`tls.x509.many_name_attributes`,
 * `tls.x509.many_extensions`). What they hold is bounded by the certificate's own bytes
 * (an attribute or extension takes at least 7), and those by the handshake message cap.
 */
const MANY_NAME_ATTRIBUTES = 64;
const MANY_CERT_EXTENSIONS = 128;
/** SAN entries kept (all kinds together); CDN certificates reach a few hundred. */
export const MAX_SANS = 1024;

/** One AttributeTypeAndValue of a Name. */
export interface X509Attribute {
  /** Attribute type, dotted (2.5.4.3). */
  oid: string;
  /** Attribute type as the hex of its DER contents (550403), the JA4X input. */
  oidHex: string;
  /** Universal tag of the value (12 UTF8String, 19 PrintableString, 30 BMPString, ...). */
  valueTag: number;
  /** Value decoded per its string type; undefined for non-string values. */
  value: string | undefined;
  /** The value's content bytes (a view into the DER). */
  raw: Buffer;
}

/** One RelativeDistinguishedName: its attributes, in encoded order. */
export type X509Rdn = X509Attribute[];

export interface X509Extension {
  oid: string;
  oidHex: string;
  critical: boolean;
  /** extnValue contents (a view into the DER). */
  value: Buffer;
  /** Offset of `value` in the certificate DER (DECNET's SAN reading walks the DER from there). */
  valueOff: number;
}

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  email: string[];
  uri: string[];
}

/** What the sensor keeps of an X.509 certificate. Buffers are views into the DER. */
export interface X509Info {
  /** 1, 2 or 3. */
  version: number;
  /** Serial number contents, lowercase hex (two's complement as encoded). */
  serialHex: string;
  /** TBSCertificate.signature algorithm, dotted. */
  signatureAlgorithm: string;
  issuer: X509Rdn[];
  subject: X509Rdn[];
  /** The encoded issuer and subject Names (whole TLVs). */
  issuerDer: Buffer;
  subjectDer: Buffer;
  /** Validity as ISO 8601 UTC ("2024-01-31T12:00:00Z"); undefined when unparseable. */
  notBefore: string | undefined;
  notAfter: string | undefined;
  /**
   * The validity times' contents as encoded ("240101000000Z" for a UTCTime), whatever
   * their tag and even when unparseable (views into the DER; DECNET reports this text).
   */
  notBeforeRaw: Buffer;
  notAfterRaw: Buffer;
  /** SubjectPublicKeyInfo algorithm, dotted. */
  spkiAlgorithm: string;
  /** Extensions in encoded order. */
  extensions: X509Extension[];
  sans: SubjectAltNames;
  /** First commonName of the subject / issuer. */
  subjectCN: string | undefined;
  issuerCN: string | undefined;
  /** Issuer Name bytes equal subject Name bytes. */
  selfSigned: boolean;
}

const OID_COMMON_NAME = "2.5.4.3";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";

/**
 * Parses one DER certificate. Returns undefined (and bumps `tls.x509.malformed`) when
 * the structure up to the extensions is broken; a bad validity time leaves that field
 * undefined (`tls.x509.bad_time`), a bad SAN extension leaves the SAN lists empty
 * (`tls.x509.bad_san`). Names and extension lists have no count limit (JA4X covers every
 * OID); unusually long ones are only counted. Never throws.
 */
export function parseX509(der: Buffer, counters: Counters = tlsStats): X509Info | undefined {
  try {
    const info = parse(der, counters);
    if (info === undefined) counters.inc("tls.x509.malformed");
    return info;
  } catch {
    counters.inc("tls.x509.internal_error");
    return undefined;
  }
}

function parse(b: Buffer, counters: Counters): X509Info | undefined {
  const cert = readDer(b, 0, b.length);
  if (!isUniversal(cert, TAG_SEQUENCE) || !cert.constructed) return undefined;
  const tbs = readDer(b, cert.off, cert.end);
  if (!isUniversal(tbs, TAG_SEQUENCE) || !tbs.constructed) return undefined;
  const f = derChildren(b, tbs, 16);
  if (f === undefined) return undefined;
  let i = 0;
  let version = 1;
  if (isContext(f[0], 0)) {
    const v = readDer(b, f[0].off, f[0].end);
    if (!isUniversal(v, TAG_INTEGER) || v.len !== 1 || v.end !== f[0].end) return undefined;
    version = b[v.off] + 1;
    if (version > 3) return undefined;
    i++;
  }
  const serial = f[i++];
  const sigAlg = f[i++];
  const issuer = f[i++];
  const validity = f[i++];
  const subject = f[i++];
  const spki = f[i++];
  if (!isUniversal(serial, TAG_INTEGER) || serial.len === 0) return undefined;
  const signatureAlgorithm = algorithmOid(b, sigAlg);
  if (signatureAlgorithm === undefined) return undefined;
  const issuerRdns = parseName(b, issuer, counters);
  const subjectRdns = parseName(b, subject, counters);
  if (issuerRdns === undefined || subjectRdns === undefined) return undefined;
  if (!isUniversal(validity, TAG_SEQUENCE)) return undefined;
  const times = derChildren(b, validity, 2);
  if (times === undefined || times.length !== 2) return undefined;
  if (!isUniversal(spki, TAG_SEQUENCE)) return undefined;
  const spkiParts = derChildren(b, spki, 2);
  if (spkiParts === undefined || spkiParts.length !== 2 || !isUniversal(spkiParts[1], TAG_BIT_STRING)) {
    return undefined;
  }
  const spkiAlgorithm = algorithmOid(b, spkiParts[0]);
  if (spkiAlgorithm === undefined) return undefined;

  // issuerUniqueID [1], subjectUniqueID [2], extensions [3]; anything after is ignored.
  let extensions: X509Extension[] = [];
  for (; i < f.length; i++) {
    const n = f[i];
    if (n.cls !== CLASS_CONTEXT) break;
    if (n.tag === 3) {
      const list = parseExtensions(b, n, counters);
      if (list === undefined) return undefined;
      extensions = list;
    }
  }

  const notBefore = timeIso(b, times[0]);
  const notAfter = timeIso(b, times[1]);
  if (notBefore === undefined || notAfter === undefined) counters.inc("tls.x509.bad_time");

  const sans: SubjectAltNames = { dns: [], ip: [], email: [], uri: [] };
  const sanExt = extensions.find((e) => e.oid === OID_SUBJECT_ALT_NAME);
  if (sanExt !== undefined && !parseSans(sanExt.value, sans)) counters.inc("tls.x509.bad_san");

  const issuerDer = b.subarray(issuer!.start, issuer!.end);
  const subjectDer = b.subarray(subject!.start, subject!.end);
  return {
    version,
    serialHex: b.toString("hex", serial.off, serial.end),
    signatureAlgorithm,
    issuer: issuerRdns,
    subject: subjectRdns,
    issuerDer,
    subjectDer,
    notBefore,
    notAfter,
    notBeforeRaw: b.subarray(times[0].off, times[0].end),
    notAfterRaw: b.subarray(times[1].off, times[1].end),
    spkiAlgorithm,
    extensions,
    sans,
    subjectCN: firstValue(subjectRdns, OID_COMMON_NAME),
    issuerCN: firstValue(issuerRdns, OID_COMMON_NAME),
    selfSigned: issuerDer.equals(subjectDer),
  };
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } → dotted OID. */
function algorithmOid(b: Buffer, n: DerNode | undefined): string | undefined {
  if (!isUniversal(n, TAG_SEQUENCE)) return undefined;
  const oid = readDer(b, n.off, n.end);
  if (!isUniversal(oid, TAG_OID)) return undefined;
  return oidToString(b, oid.off, oid.len);
}

/**
 * The children of `n` with no count limit of their own: a TLV takes at least 2 bytes, so
 * `n.len` bounds them, and the certificate's size bounds that.
 */
function allChildren(b: Buffer, n: DerNode): DerNode[] | undefined {
  return derChildren(b, n, n.len);
}

/** Name ::= SEQUENCE OF RDN; RDN ::= SET OF AttributeTypeAndValue. */
function parseName(b: Buffer, n: DerNode | undefined, counters: Counters): X509Rdn[] | undefined {
  if (!isUniversal(n, TAG_SEQUENCE)) return undefined;
  const rdns = allChildren(b, n);
  if (rdns === undefined) return undefined;
  const out: X509Rdn[] = [];
  let count = 0;
  for (const set of rdns) {
    if (!isUniversal(set, TAG_SET)) return undefined;
    const atvs = allChildren(b, set);
    if (atvs === undefined || atvs.length === 0) return undefined;
    const rdn: X509Rdn = [];
    for (const atv of atvs) {
      if (++count === MANY_NAME_ATTRIBUTES + 1) counters.inc("tls.x509.many_name_attributes");
      if (!isUniversal(atv, TAG_SEQUENCE)) return undefined;
      const type = readDer(b, atv.off, atv.end);
      if (!isUniversal(type, TAG_OID)) return undefined;
      const value = readDer(b, type.end, atv.end);
      if (value === undefined || value.end !== atv.end) return undefined;
      const oid = oidToString(b, type.off, type.len);
      if (oid === undefined) return undefined;
      rdn.push({
        oid,
        oidHex: b.toString("hex", type.off, type.end),
        valueTag: value.cls === 0 ? value.tag : -1,
        value: derString(b, value),
        raw: b.subarray(value.off, value.end),
      });
    }
    out.push(rdn);
  }
  return out;
}

/** extensions [3] EXPLICIT SEQUENCE OF Extension { extnID, critical DEFAULT FALSE, extnValue }. */
function parseExtensions(b: Buffer, wrapper: DerNode, counters: Counters): X509Extension[] | undefined {
  const seq = readDer(b, wrapper.off, wrapper.end);
  if (!isUniversal(seq, TAG_SEQUENCE)) return undefined;
  // Every extension is kept: JA4X hashes all their OIDs, in order.
  const items = allChildren(b, seq);
  if (items === undefined) return undefined;
  if (items.length > MANY_CERT_EXTENSIONS) counters.inc("tls.x509.many_extensions");
  const out: X509Extension[] = [];
  for (const item of items) {
    if (!isUniversal(item, TAG_SEQUENCE)) return undefined;
    const parts = derChildren(b, item, 3);
    if (parts === undefined || parts.length < 2) return undefined;
    const id = parts[0];
    if (!isUniversal(id, TAG_OID)) return undefined;
    let critical = false;
    let k = 1;
    if (isUniversal(parts[1], TAG_BOOLEAN)) {
      critical = parts[1].len === 1 && b[parts[1].off] !== 0;
      k = 2;
    }
    const value = parts[k];
    if (!isUniversal(value, TAG_OCTET_STRING) || k + 1 !== parts.length) return undefined;
    const oid = oidToString(b, id.off, id.len);
    if (oid === undefined) return undefined;
    out.push({
      oid,
      oidHex: b.toString("hex", id.off, id.end),
      critical,
      value: b.subarray(value.off, value.end),
      valueOff: value.off,
    });
  }
  return out;
}

function timeIso(b: Buffer, n: DerNode): string | undefined {
  if (!isUniversal(n, TAG_UTC_TIME) && !isUniversal(n, TAG_GENERALIZED_TIME)) return undefined;
  return derTimeToIso(b, n);
}

/** SubjectAltName ::= GeneralNames (SEQUENCE OF GeneralName); fills `out`, false when malformed. */
function parseSans(value: Buffer, out: SubjectAltNames): boolean {
  const seq = readDer(value, 0, value.length);
  if (!isUniversal(seq, TAG_SEQUENCE) || seq.end !== value.length) return false;
  const names = derChildren(value, seq, MAX_SANS);
  if (names === undefined) return false;
  for (const g of names) {
    if (g.cls !== CLASS_CONTEXT) return false;
    if (g.tag === 1) out.email.push(value.toString("latin1", g.off, g.end));
    else if (g.tag === 2) out.dns.push(value.toString("latin1", g.off, g.end));
    else if (g.tag === 6) out.uri.push(value.toString("latin1", g.off, g.end));
    else if (g.tag === 7) out.ip.push(formatIp(value.subarray(g.off, g.end)));
  }
  return true;
}

/** IPv4 dotted quad, IPv6 in RFC 5952 form; other lengths (name-constraint masks) as hex. */
export function formatIp(a: Buffer): string {
  if (a.length === 4) return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
  if (a.length !== 16) return a.toString("hex");
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(a.readUInt16BE(i));
  // Longest run (≥ 2) of zero words becomes "::", the first one on a tie.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestAt < 0) return hex.join(":");
  return `${hex.slice(0, bestAt).join(":")}::${hex.slice(bestAt + bestLen).join(":")}`;
}

function firstValue(rdns: X509Rdn[], oid: string): string | undefined {
  for (const rdn of rdns) for (const a of rdn) if (a.oid === oid && a.value !== undefined) return a.value;
  return undefined;
}

/**
 * A one-line rendering of a Name in RFC 4514 order (last RDN first), labels CN, O, OU, C,
 * ... (dotted OID otherwise), with `,` `+` `"` `\` `<` `>` `;` escaped. Control characters
 * stay as they are; the log sink escapes them.
 */
export function formatName(rdns: X509Rdn[]): string {
  const parts: string[] = [];
  for (let i = rdns.length - 1; i >= 0; i--) {
    parts.push(
      rdns[i]
        .map((a) => {
          const label = DN_LABELS.get(a.oid) ?? a.oid;
          const v = a.value ?? `#${a.raw.toString("hex")}`;
          return `${label}=${v.replace(/([,+"\\<>;])/g, "\\$1")}`;
        })
        .join("+"),
    );
  }
  return parts.join(",");
}
