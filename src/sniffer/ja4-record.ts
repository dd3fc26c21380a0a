/**
 * The per-connection record of `decnet-sensor read --format ja4`, shaped like the
 * FoxIO reference tool's output (../shared/corpus/ja4/*.expected.json): same keys,
 * same value types, same key order. Keys we do not compute are absent; extra keys
 * (ja3, ja3s, ...) come after the reference's.
 */
export interface X509Entry {
  ja4x: string;
  [name: string]: string;
}

export interface Ja4Record {
  stream: number;
  transport: "tcp" | "udp";
  src: string;
  dst: string;
  src_port: number;
  dst_port: number;
  ja4t?: string;
  tls_server_name?: string;
  ja4?: string;
  ja4s?: string;
  tls_certs?: { x509: X509Entry[] }[];
  ja4l_c?: string;
  ja4l_s?: string;
  http?: { ja4h: string }[];
  ja4ssh?: string[];
  ssh_extras?: Record<string, string | null>;
  // Additions beyond the reference (never change the meaning of a reference key).
  ja4ts?: string;
  ja4_r?: string;
  ja4_o?: string;
  ja4_ro?: string;
  ja4s_r?: string;
  ja3?: string;
  ja3_full?: string;
  ja3s?: string;
  ja3s_full?: string;
  http2?: string;
  os_guess?: string;
  p0f_label?: string;
  ipv6_link_local_leak?: string;
  flow_timing?: Record<string, string>;
}

/** Reference key order first, then our additions. */
const KEY_ORDER: (keyof Ja4Record)[] = [
  "stream",
  "transport",
  "src",
  "dst",
  "src_port",
  "dst_port",
  "ja4t",
  "tls_server_name",
  "ja4",
  "ja4s",
  "tls_certs",
  "ja4l_c",
  "ja4l_s",
  "http",
  "ja4ssh",
  "ssh_extras",
  "ja4ts",
  "ja4_r",
  "ja4_o",
  "ja4_ro",
  "ja4s_r",
  "ja3",
  "ja3_full",
  "ja3s",
  "ja3s_full",
  "http2",
  "os_guess",
  "p0f_label",
  "ipv6_link_local_leak",
  "flow_timing",
];

/** Keys that, when present, make a connection worth a record. */
const FINGERPRINT_KEYS: (keyof Ja4Record)[] = [
  "ja4t",
  "ja4",
  "ja4s",
  "tls_certs",
  "ja4l_c",
  "ja4l_s",
  "http",
  "ja4ssh",
  "ssh_extras",
];

export function hasFingerprint(r: Ja4Record): boolean {
  for (const k of FINGERPRINT_KEYS) if (r[k] !== undefined) return true;
  return false;
}

/** JSON text with the reference's key order. */
export function ja4RecordToJson(r: Ja4Record): string {
  const o: Record<string, unknown> = {};
  for (const k of KEY_ORDER) if (r[k] !== undefined) o[k] = r[k];
  return JSON.stringify(o);
}
