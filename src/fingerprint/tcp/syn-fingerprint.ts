/**
 * DECNET's `tcp_syn_fingerprint` fields from a client SYN, plus its coarse OS bucket.
 *
 * Field names, value formats and the bucket rules follow DECNET's sniffer
 * (`decnet/sniffer/fingerprint.py` and `decnet/sniffer/p0f.py`): every value is a string,
 * booleans are `true`/`false`, a missing window scale is the empty string and a missing MSS
 * is `0`. `df` is new here (DECNET's sniffer does not emit it).
 *
 * The bucket table is DECNET's, in DECNET's order (first match wins), with two documented
 * additions:
 * - in front of it: DECNET's own "nmap" rules look for option layouts nmap never sends on a
 *   SYN scan, so a real `nmap -sS` SYN (window 1024/2048/3072/4096 and a lone MSS 1460
 *   option, raw-socket TTL ≤ 64) fell through to "unknown". Those SYNs, and nmap's
 *   OS-detection probes (fixed window + option layout pairs from nmap's documented probe
 *   set, as also listed in p0f.fp), are matched first and reported as `nmap`;
 * - behind it: when DECNET's table says "unknown" and the caller has a firm (non-fuzzy) p0f
 *   match for the same SYN, the bucket of p0f's OS name is used (DESIGN §3: the coarse
 *   buckets sit on top of p0f). Where DECNET's table has an answer it is kept, so DECNET's
 *   buckets stay what they were.
 */
import type { DecodedPacket } from "../../decode/packet.js";
import type { P0fMatch } from "../p0f/matcher.js";
import { DecnetOptions, decnetOptionLayout } from "./tcp-options.js";

export type OsBucket =
  | "linux"
  | "windows"
  | "macos_ios"
  | "freebsd"
  | "openbsd"
  | "embedded"
  | "nmap"
  | "unknown";

/** DECNET `tcp_syn_fingerprint` fields computed from the SYN itself (all strings). */
export interface TcpSynFingerprint {
  ttl: string;
  initial_ttl: string;
  hop_distance: string;
  window: string;
  mss: string;
  wscale: string;
  options_sig: string;
  has_sack: string;
  has_timestamps: string;
  tos: string;
  dscp: string;
  ecn: string;
  df: string;
  os_guess: OsBucket;
}

/** Common initial TTLs; an observed TTL is rounded up to the next one. */
const TTL_BUCKETS = [32, 64, 128, 255] as const;

/** Initial TTL guess: the smallest of 32/64/128/255 that is ≥ the observed TTL. */
export function initialTtl(ttl: number): number {
  for (const b of TTL_BUCKETS) if (ttl <= b) return b;
  return 255;
}

/** Hops from the sender: initial TTL − observed, clamped to 0..64 as DECNET does. */
export function hopDistance(ttl: number): number {
  const d = initialTtl(ttl) - ttl;
  return Math.min(64, Math.max(0, d));
}

/** Inputs of the bucket rules (DECNET's `guess_os` arguments). */
export interface OsGuessInput {
  ttl: number;
  window: number;
  /** MSS value, 0 when absent. */
  mss: number;
  /** Window-scale shift, -1 when absent. */
  wscale: number;
  /** DECNET option letters joined by `,`. */
  optionsSig: string;
}

/** nmap -sS raw SYN windows (nmap picks one of these per scan). */
const NMAP_SYN_WINDOWS = new Set([1024, 2048, 3072, 4096]);

/** nmap OS-detection SYN probes: window + option layout (nmap's documented probes). */
const NMAP_OS_PROBES: ReadonlyArray<readonly [number, string]> = [
  [1, "W,N,M,T,S"],
  [63, "M,W,S,T,E"],
  [4, "T,N,N,W,N,M"],
  [4, "S,T,W,E"],
  [16, "M,S,T,W,E"],
  [512, "M,S,T"],
  [3, "W,N,M,S,N,N"],
  [31337, "W,N,M,T,S"],
];

/** DECNET's nmap window set (its own rules 1 and 2). */
const DECNET_NMAP_WINDOWS = new Set([1024, 2048, 3072, 4096, 31337, 32768, 65535]);

function inRange(v: number, lo: number, hi: number): boolean {
  return v >= lo && v <= hi;
}

/**
 * Coarse OS bucket for a SYN. Rules, first match wins (TTL bucket = `initialTtl(ttl)`):
 *  0a. nmap: TTL ≤ 64, window 1024/2048/3072/4096, options exactly `M` with MSS 1460 (nmap -sS).
 *  0b. nmap: window + layout equal to one of nmap's OS-detection probes.
 *  — DECNET's table from here —
 *  1.  nmap: bucket 64, window in {1024,2048,3072,4096,31337,32768,65535}, MSS 1460, WS 10, `M,W,T,S,S`.
 *  2.  nmap: bucket 64, same windows, layout starts with `M,W,T,S`.
 *  3.  macos_ios: bucket 64, window 65535, WS 6, layout `M,N,W,N,N,T,S,E`.
 *  4.  macos_ios: bucket 64, window 65535, WS 5 or 6, timestamps, layout ends with `E`.
 *  5.  freebsd: bucket 64, window 65535, WS 6, SACK, timestamps, no `E`.
 *  6.  linux: bucket 64, window ≥ 5000, WS 6..14, SACK, timestamps.
 *  7.  openbsd: bucket 64, window 16384 or 16960, WS 3..6.
 *  8.  windows: bucket 128, window ≥ 8192, WS 2/6/7/8, SACK.
 *  9.  windows: bucket 128, window 8192/16384/65535.
 *  10. embedded: bucket 255.
 *  otherwise unknown.
 */
export function guessOs(input: OsGuessInput): OsBucket {
  const { ttl, window, mss, wscale, optionsSig: sig } = input;
  const bucket = initialTtl(ttl);
  const sack = sig.includes("S");
  const ts = sig.includes("T");

  if (ttl <= 64 && NMAP_SYN_WINDOWS.has(window) && sig === "M" && mss === 1460) return "nmap";
  for (const [w, layout] of NMAP_OS_PROBES) if (window === w && sig === layout) return "nmap";

  if (bucket === 64) {
    if (DECNET_NMAP_WINDOWS.has(window)) {
      if (mss === 1460 && wscale === 10 && sig === "M,W,T,S,S") return "nmap";
      if (sig.startsWith("M,W,T,S")) return "nmap";
    }
    if (window === 65535 && wscale === 6 && sig === "M,N,W,N,N,T,S,E") return "macos_ios";
    if (window === 65535 && (wscale === 5 || wscale === 6) && ts && sig.endsWith("E")) return "macos_ios";
    if (window === 65535 && wscale === 6 && sack && ts && !sig.includes("E")) return "freebsd";
    if (window >= 5000 && inRange(wscale, 6, 14) && sack && ts) return "linux";
    if ((window === 16384 || window === 16960) && inRange(wscale, 3, 6)) return "openbsd";
  } else if (bucket === 128) {
    if (window >= 8192 && (wscale === 2 || wscale === 6 || wscale === 7 || wscale === 8) && sack) {
      return "windows";
    }
    if (window === 8192 || window === 16384 || window === 65535) return "windows";
  } else if (bucket === 255) {
    return "embedded";
  }
  return "unknown";
}

/** p0f OS / tool names (p0f.fp spelling) and their DECNET bucket. */
const P0F_NAME_BUCKETS: ReadonlyArray<readonly [string, OsBucket]> = [
  ["linux", "linux"],
  ["windows", "windows"],
  ["mac os x", "macos_ios"],
  ["macos x", "macos_ios"],
  ["ios", "macos_ios"],
  ["freebsd", "freebsd"],
  ["openbsd", "openbsd"],
  ["nmap", "nmap"],
];

/**
 * DECNET bucket of a p0f match: by p0f's OS/tool name (Linux, Windows, Mac OS X / MacOS X /
 * iOS, FreeBSD, OpenBSD, NMap). Undefined for no match, a fuzzy match, or other names.
 */
export function bucketOfP0fMatch(m: P0fMatch | undefined): OsBucket | undefined {
  if (!m?.matched || m.fuzzy || m.os === null) return undefined;
  const name = m.os.toLowerCase();
  for (const [n, b] of P0F_NAME_BUCKETS) if (name === n) return b;
  return undefined;
}

const scratch = new DecnetOptions();

/**
 * DECNET SYN fingerprint fields of a TCP packet (normally a SYN without ACK; the caller
 * decides). Returns undefined when the packet is not TCP. `p0f`, when given, is the p0f
 * match of the same packet; it only fills in a bucket DECNET's table leaves "unknown".
 */
export function synFingerprint(pkt: DecodedPacket, p0f?: P0fMatch): TcpSynFingerprint | undefined {
  if (pkt.protocol !== 6) return undefined;
  const o = decnetOptionLayout(pkt.buf, pkt.tcpOptOff, pkt.tcpOptLen, scratch);
  const tos = pkt.tos & 0xff;
  const guess = guessOs({
    ttl: pkt.ttl,
    window: pkt.tcpWindow,
    mss: o.mss,
    wscale: o.wscale,
    optionsSig: o.sig,
  });
  return {
    ttl: String(pkt.ttl),
    initial_ttl: String(initialTtl(pkt.ttl)),
    hop_distance: String(hopDistance(pkt.ttl)),
    window: String(pkt.tcpWindow),
    mss: String(o.mss),
    wscale: o.wscale < 0 ? "" : String(o.wscale),
    options_sig: o.sig,
    has_sack: o.sack ? "true" : "false",
    has_timestamps: o.timestamps ? "true" : "false",
    tos: String(tos),
    dscp: String(tos >> 2),
    ecn: String(tos & 3),
    df: pkt.df ? "true" : "false",
    os_guess: guess === "unknown" ? (bucketOfP0fMatch(p0f) ?? guess) : guess,
  };
}
