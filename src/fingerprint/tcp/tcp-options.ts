/**
 * TCP option walks for the SYN fingerprints.
 *
 * Two readings of the same bytes exist because the references disagree on malformed input:
 * - `parseTcpOptions` lists option kinds the way tshark's `tcp.option_kind` does, which is
 *   what the FoxIO JA4T reference reads (it consumes tshark output). Checked against tshark
 *   4.0 on this machine (test/tcp/tcp-options.test.ts).
 * - `decnetOptionLayout` reproduces DECNET's `options_sig` letters, which come from scapy's
 *   option list (DESIGN §5 letters: M N W S T E A U ?).
 * p0f has a third reading of its own (src/fingerprint/p0f/packet-signature.ts).
 *
 * Both walks are bounded by the 40-byte TCP option space and never read outside
 * `buf[off, off + len)`; malformed options end the walk instead of throwing (and bump
 * `tcp_options.malformed` when a Counters bag is given).
 */
import type { Counters } from "../../util/counters.js";

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WSCALE = 3;
export const TCPOPT_SACK_PERMITTED = 4;
export const TCPOPT_SACK = 5; // SACK blocks; never in a real SYN
export const TCPOPT_TIMESTAMP = 8;
export const TCPOPT_ALT_CHECKSUM = 14;
export const TCPOPT_ALT_CHECKSUM_DATA = 15;
export const TCPOPT_USER_TIMEOUT = 28;

/** A TCP header carries at most 40 bytes of options (data offset 15 × 4 − 20). */
export const MAX_TCP_OPTION_BYTES = 40;

/** Options of one TCP header as tshark lists them. Reusable: `parseTcpOptions` resets it. */
export class TcpOptions {
  /** Option kinds in wire order (every EOL padding byte counts, as tshark shows them). */
  readonly kinds = new Uint8Array(MAX_TCP_OPTION_BYTES);
  /** Number of valid entries in `kinds`. */
  count = 0;
  /** Value of the first well-formed (length 4) MSS option, or -1. */
  mss = -1;
  /** Shift of the first well-formed (length 3) window-scale option, or -1. */
  wscale = -1;
  /** A SACK-permitted option (kind 4) is present. */
  sackPermitted = false;
  /** A timestamp option (kind 8) is present. */
  timestamps = false;
  /** TSval / TSecr of the first well-formed timestamp option (0 when absent). */
  tsVal = 0;
  tsEcr = 0;
  /** The walk stopped early at an option with a missing, too small or overlong length. */
  malformed = false;

  reset(): this {
    this.count = 0;
    this.mss = -1;
    this.wscale = -1;
    this.sackPermitted = false;
    this.timestamps = false;
    this.tsVal = 0;
    this.tsEcr = 0;
    this.malformed = false;
    return this;
  }

  /** Kinds joined with `-` (JA4T's option field). */
  kindsJoined(): string {
    let s = "";
    for (let i = 0; i < this.count; i++) s += i === 0 ? `${this.kinds[i]}` : `-${this.kinds[i]}`;
    return s;
  }
}

/** Clips an option area to the buffer and to the 40-byte maximum; returns its end. */
function clipEnd(buf: Uint8Array, off: number, len: number): number {
  if (!(off >= 0) || !(len > 0) || off >= buf.length) return off;
  return Math.min(buf.length, off + Math.min(len, MAX_TCP_OPTION_BYTES));
}

/**
 * Walks the TCP options in `buf[off, off + len)` the way tshark 4.0 dissects them:
 * - EOL is listed, then each following zero byte is listed as another EOL; the first
 *   non-zero byte after an EOL ends the walk.
 * - NOP is listed.
 * - Any other kind needs a length byte ≥ 2 that keeps the option inside the area; otherwise
 *   the walk stops without listing it. A wrong length on a fixed-size option (MSS 4, WS 3,
 *   SACK-permitted 2, timestamp 10) still lists the kind but yields no value.
 * Not reproduced: tshark's option dissectors that raise on malformed *contents* of some
 * options and so end its list early (SACK blocks shorter than 8 bytes, MPTCP (kind 30)
 * sub-options, ...). Those options do not occur in real SYNs; here they are listed and
 * skipped by their length like any other option.
 */
export function parseTcpOptions(
  buf: Uint8Array,
  off: number,
  len: number,
  out: TcpOptions = new TcpOptions(),
  stats?: Counters,
): TcpOptions {
  out.reset();
  const end = clipEnd(buf, off, len);
  let i = off;
  while (i < end) {
    const kind = buf[i];
    if (kind === TCPOPT_EOL) {
      while (i < end && buf[i] === 0) {
        out.kinds[out.count++] = 0;
        i++;
      }
      break;
    }
    if (kind === TCPOPT_NOP) {
      out.kinds[out.count++] = 1;
      i++;
      continue;
    }
    if (i + 1 >= end || buf[i + 1] < 2 || i + buf[i + 1] > end) {
      out.malformed = true;
      stats?.inc("tcp_options.malformed");
      break;
    }
    const olen = buf[i + 1];
    out.kinds[out.count++] = kind;
    switch (kind) {
      case TCPOPT_MSS:
        if (olen === 4 && out.mss < 0) out.mss = (buf[i + 2] << 8) | buf[i + 3];
        break;
      case TCPOPT_WSCALE:
        if (olen === 3 && out.wscale < 0) out.wscale = buf[i + 2];
        break;
      case TCPOPT_SACK_PERMITTED:
        out.sackPermitted = true;
        break;
      case TCPOPT_TIMESTAMP:
        if (olen === 10 && !out.timestamps) {
          out.tsVal = readU32(buf, i + 2);
          out.tsEcr = readU32(buf, i + 6);
        }
        out.timestamps = true;
        break;
    }
    i += olen;
  }
  return out;
}

function readU32(buf: Uint8Array, o: number): number {
  return ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
}

/** DECNET's reading of the options (scapy's option list). Reusable. */
export class DecnetOptions {
  /** Letters joined by `,` (DECNET `options_sig`, e.g. `M,N,W,N,N,T,S,E`). */
  sig = "";
  /** MSS value of the last well-formed MSS option, 0 when absent (DECNET's default). */
  mss = 0;
  /** Shift of the last well-formed window-scale option, -1 when absent. */
  wscale = -1;
  /** SACK-permitted or SACK present. */
  sack = false;
  timestamps = false;
}

/** DECNET option letters by kind (DESIGN §5). */
function decnetLetter(kind: number): string {
  switch (kind) {
    case TCPOPT_EOL:
      return "E";
    case TCPOPT_NOP:
      return "N";
    case TCPOPT_MSS:
      return "M";
    case TCPOPT_WSCALE:
      return "W";
    case TCPOPT_SACK_PERMITTED:
    case TCPOPT_SACK:
      return "S";
    case TCPOPT_TIMESTAMP:
      return "T";
    case TCPOPT_ALT_CHECKSUM:
    case TCPOPT_ALT_CHECKSUM_DATA:
      return "A";
    case TCPOPT_USER_TIMEOUT:
      return "U";
    default:
      return "?";
  }
}

/**
 * Walks the options the way scapy lists them, which is what DECNET's `options_sig`,
 * `mss`, `wscale`, `has_sack` and `has_timestamps` are built from: EOL is listed once and
 * ends the list; a length below 2 is taken as 2; an option running past the end is listed
 * and ends the list. Later MSS / window-scale options overwrite earlier ones (DECNET keeps
 * the last value it sees).
 */
export function decnetOptionLayout(
  buf: Uint8Array,
  off: number,
  len: number,
  out: DecnetOptions = new DecnetOptions(),
): DecnetOptions {
  out.sig = "";
  out.mss = 0;
  out.wscale = -1;
  out.sack = false;
  out.timestamps = false;
  const end = clipEnd(buf, off, len);
  let i = off;
  while (i < end) {
    const kind = buf[i];
    out.sig += out.sig.length === 0 ? decnetLetter(kind) : `,${decnetLetter(kind)}`;
    if (kind === TCPOPT_EOL) break;
    if (kind === TCPOPT_NOP) {
      i++;
      continue;
    }
    let olen = i + 1 < end ? buf[i + 1] : 0;
    if (olen < 2) olen = 2;
    const fits = i + olen <= end;
    if (kind === TCPOPT_MSS && olen === 4 && fits) out.mss = (buf[i + 2] << 8) | buf[i + 3];
    else if (kind === TCPOPT_WSCALE && olen === 3 && fits) out.wscale = buf[i + 2];
    else if (kind === TCPOPT_SACK_PERMITTED || kind === TCPOPT_SACK) out.sack = true;
    else if (kind === TCPOPT_TIMESTAMP) out.timestamps = true;
    i += olen;
  }
  return out;
}
