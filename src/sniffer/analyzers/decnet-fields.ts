/**
 * DECNET's field values (DESIGN §5): same names, same text forms,
 * so existing DECNET consumers read our records unchanged.
 */
import { isGrease } from "../../fingerprint/tls/grease.js";
import { hex4 } from "../../fingerprint/tls/hash.js";
import type { ClientHello } from "../../fingerprint/tls/index.js";
import { joinDecimal } from "../../fingerprint/tls/ja3.js";
import type { X509Rdn } from "../../fingerprint/tls/x509.js";
import type { Flow } from "../../flow/flow.js";
import type { Ja4Record } from "../ja4-record.js";
import type { ClientHelloPrints } from "./hello-prints.js";

const VERSION_NAMES: Record<number, string> = {
  512: "SSL 2.0",
  768: "SSL 3.0",
  769: "TLS 1.0",
  770: "TLS 1.1",
  771: "TLS 1.2",
  772: "TLS 1.3",
};

/** "TLS 1.2", or "0x7f1c" for versions without a name (DECNET's form). */
export function tlsVersionName(v: number): string {
  return VERSION_NAMES[v] ?? `0x${v.toString(16).padStart(4, "0")}`;
}

/** Decimal values without GREASE, joined by "-" (DECNET raw_ciphers / raw_extensions). */
export function decimalList(values: readonly number[] | undefined): string {
  return joinDecimal(values, true);
}

/** 4-digit hex values without GREASE, joined by "," (our additional lists). */
export function hexList(values: readonly number[] | undefined): string {
  if (values === undefined) return "";
  let s = "";
  for (const v of values) if (!isGrease(v)) s += s === "" ? hex4(v) : `,${hex4(v)}`;
  return s;
}

/** ALPN names as text, comma-joined (DECNET decodes as ASCII with replacement). */
export function alpnText(alpn: readonly Buffer[] | undefined): string {
  if (alpn === undefined) return "";
  return alpn.map((b) => b.toString("latin1").replace(/[^\x20-\x7e]/g, "\ufffd")).join(",");
}

/** DECNET's `resumption` value: the mechanisms a ClientHello signals, or "" for none. */
export function resumptionMechanisms(ch: ClientHello): string {
  const m: string[] = [];
  const r = ch.resumption;
  if (r.sessionTicketNonEmpty) m.push("session_ticket");
  if (r.preSharedKey) m.push("psk");
  if (r.earlyData) m.push("early_data_0rtt");
  if (r.sessionIdNonEmpty) m.push("session_id");
  return m.join(",");
}

const DN_SHORT: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
};

/** DECNET's name string: attributes in encoded order as `CN=x, O=y` (other OIDs dotted). */
export function decnetName(rdns: X509Rdn[]): string {
  const parts: string[] = [];
  for (const rdn of rdns) {
    for (const a of rdn) parts.push(`${DN_SHORT[a.oid] ?? a.oid}=${a.value ?? a.raw.toString("latin1")}`);
  }
  return parts.join(", ");
}

/**
 * Python's str(round(x, n)) for DECNET's float fields ("0.0", "12.5", "3.142"), exactly:
 * Python rounds the double's exact binary value, and an exact tie to the even digit. So
 * 0.015 (a little below, in binary) gives "0.01" and 0.125 (an exact tie) "0.12", where
 * rounding x·10^n half up gave "0.02" and "0.13". For |x| < 1e21 and n ≤ 20.
 */
export function pyRound(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  const ax = Math.abs(x);
  // toFixed rounds the exact value to the nearest n-digit decimal; only on an exact tie
  // does it differ from Python (it takes the larger, Python the even one).
  let s = ax.toFixed(digits);
  if (isExactTie(ax, digits)) {
    const scaled = Number(s.replace(".", ""));
    if (scaled % 2 === 1) s = ((scaled - 1) / 10 ** digits).toFixed(digits);
  }
  const r = Number(s) * (x < 0 ? -1 : 1);
  if (r === 0) return x < 0 || Object.is(x, -0) ? "-0.0" : "0.0"; // Python keeps the sign of a zero
  return Number.isInteger(r) ? r.toFixed(1) : String(r);
}

const tieView = new DataView(new ArrayBuffer(8));

/** Whether x·10^n lies exactly halfway between two integers (x ≥ 0, finite). */
function isExactTie(x: number, n: number): boolean {
  // x = m·2^e with m odd: x·10^n·2 = m·5^n·2^(e+n+1) is an odd integer iff e + n + 1 = 0.
  tieView.setFloat64(0, x);
  const hi = tieView.getUint32(0);
  const lo = tieView.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let m = (hi & 0xfffff) * 2 ** 32 + lo;
  if (m === 0 && biased === 0) return false;
  let e = biased === 0 ? -1074 : biased - 1075;
  if (biased !== 0) m += 2 ** 52;
  while (m % 2 === 0) {
    m /= 2;
    e++;
  }
  return e + n + 1 === 0;
}

/** DECNET's latency fields on TLS events: SYN → SYN-ACK in ms and the client's SYN TTL. */
export function handshakeRttFields(fields: Record<string, string>, flow: Flow): void {
  if (flow.synTsUs < 0 || flow.synAckTsUs < flow.synTsUs) return; // none, or out of order
  fields.ja4l_rtt_ms = pyRound((flow.synAckTsUs - flow.synTsUs) / 1000, 2);
  fields.ja4l_client_ttl = String(flow.synTtl);
}

/** The connection record's client fingerprints (the first ClientHello of TLS or QUIC). */
export function recordClientHello(rec: Ja4Record, ch: ClientHello, p: ClientHelloPrints): void {
  if (ch.serverName !== undefined) rec.tls_server_name = ch.serverName;
  rec.ja4 = p.ja4.ja4;
  rec.ja4_r = p.ja4.ja4_r;
  rec.ja4_o = p.ja4.ja4_o;
  rec.ja4_ro = p.ja4.ja4_ro;
  rec.ja3 = p.ja3.ja3;
  rec.ja3_full = p.ja3.ja3_full;
}

/**
 * DECNET's ClientHello fields (after the endpoints), in its order, then ours: JA3, JA4,
 * legacy version, SNI, ALPN, GREASE-free decimal cipher and extension lists, resumption.
 */
export function clientHelloFields(
  fields: Record<string, string>,
  ch: ClientHello,
  p: ClientHelloPrints,
): void {
  fields.ja3 = p.ja3.ja3;
  fields.ja4 = p.ja4.ja4;
  fields.tls_version = p.tlsVersion;
  fields.sni = ch.serverName ?? "";
  fields.alpn = p.alpn;
  fields.raw_ciphers = p.rawCiphers;
  fields.raw_extensions = p.rawExtensions;
  const resumption = resumptionMechanisms(ch);
  if (resumption !== "") fields.resumption = resumption;
}
