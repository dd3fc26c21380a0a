import type { Counters } from "../../util/counters.js";
import { tlsStats } from "./stats.js";

/** Certificates kept from one message; real chains hold 2–5, the rest is ignored and counted. */
export const MAX_CHAIN_CERTIFICATES = 32;

/**
 * A parsed Certificate handshake message. `certificates` are DER views into the body
 * given to `parseCertificateMessage` (leaf first, as sent).
 */
export interface CertificateMessage {
  /** "tls12": TLS ≤ 1.2 layout; "tls13": RFC 8446 §4.4.2 layout. */
  form: "tls12" | "tls13";
  certificates: Buffer[];
  /** TLS 1.3 only: certificate_request_context. */
  requestContext: Buffer | undefined;
  /** TLS 1.3 only: each entry's extensions block (without its length), same index as certificates. */
  entryExtensions: Buffer[] | undefined;
  /** Entries beyond MAX_CHAIN_CERTIFICATES that were dropped. */
  dropped: number;
}

/**
 * Parses a Certificate handshake body (after the 4-byte handshake header).
 * `form` "auto" (default) takes the TLS ≤ 1.2 layout when its outer length matches the
 * body exactly, else tries the TLS 1.3 layout. Returns undefined (and bumps
 * `tls.certificate.malformed`) when the framing is broken.
 */
export function parseCertificateMessage(
  body: Buffer,
  form: "auto" | "tls12" | "tls13" = "auto",
  counters: Counters = tlsStats,
): CertificateMessage | undefined {
  try {
    let out: CertificateMessage | undefined;
    if (form === "tls12" || (form === "auto" && looksTls12(body))) out = parseTls12(body);
    else out = parseTls13(body);
    if (out === undefined) counters.inc("tls.certificate.malformed");
    else if (out.dropped > 0) counters.inc("tls.certificate.chain_truncated");
    return out;
  } catch {
    counters.inc("tls.certificate.internal_error");
    return undefined;
  }
}

function u24(b: Buffer, p: number): number {
  return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
}

function looksTls12(b: Buffer): boolean {
  return b.length >= 3 && u24(b, 0) === b.length - 3;
}

// certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>
function parseTls12(b: Buffer): CertificateMessage | undefined {
  if (b.length < 3 || u24(b, 0) !== b.length - 3) return undefined;
  const certificates: Buffer[] = [];
  let dropped = 0;
  let p = 3;
  while (p < b.length) {
    if (p + 3 > b.length) return undefined;
    const n = u24(b, p);
    p += 3;
    if (n === 0 || p + n > b.length) return undefined;
    if (certificates.length < MAX_CHAIN_CERTIFICATES) certificates.push(b.subarray(p, p + n));
    else dropped++;
    p += n;
  }
  return { form: "tls12", certificates, requestContext: undefined, entryExtensions: undefined, dropped };
}

// certificate_request_context<0..2^8-1>, certificate_list<0..2^24-1> of
// { cert_data<1..2^24-1>, extensions<0..2^16-1> }
function parseTls13(b: Buffer): CertificateMessage | undefined {
  if (b.length < 1) return undefined;
  const ctxLen = b[0];
  let p = 1 + ctxLen;
  if (p + 3 > b.length) return undefined;
  const requestContext = b.subarray(1, p);
  const listEnd = p + 3 + u24(b, p);
  if (listEnd !== b.length) return undefined;
  p += 3;
  const certificates: Buffer[] = [];
  const entryExtensions: Buffer[] = [];
  let dropped = 0;
  while (p < listEnd) {
    if (p + 3 > listEnd) return undefined;
    const n = u24(b, p);
    p += 3;
    if (n === 0 || p + n + 2 > listEnd) return undefined;
    const der = b.subarray(p, p + n);
    p += n;
    const extLen = b.readUInt16BE(p);
    p += 2;
    if (p + extLen > listEnd) return undefined;
    if (certificates.length < MAX_CHAIN_CERTIFICATES) {
      certificates.push(der);
      entryExtensions.push(b.subarray(p, p + extLen));
    } else dropped++;
    p += extLen;
  }
  return { form: "tls13", certificates, requestContext, entryExtensions, dropped };
}
