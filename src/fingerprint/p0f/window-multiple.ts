/**
 * p0f's detect_win_multi (fp_tcp.c): is the TCP window a multiple of the MSS, of a typical
 * MTU payload, or of the MTU itself? Shared by the packet matcher and the signature file's
 * load-time duplicate check (which judges a signature as if it were a packet).
 */

/** Smallest IPv4 / IPv6 + TCP header. */
export const MIN_TCP4 = 40;
export const MIN_TCP6 = 60;

/** What the detection reads of a packet. */
export interface WindowInput {
  ipVersion: number;
  win: number;
  mss: number;
  /** Own timestamp (TSval); 0 when none. */
  ts1: number;
  /** IP + TCP header bytes. */
  totHdr: number;
}

/** Result of p0f's detect_win_multi: multiplier (−1 when none) and whether it is of the MTU. */
export interface WinMulti {
  multi: number;
  mtu: boolean;
}

/** Sets `out` when `win` is a multiple of `div`; p0f returns the quotient as an s16. */
function divides(win: number, div: number, mtu: boolean, out: WinMulti): boolean {
  // p0f would divide by zero (and crash) for a SYN MSS of 12; that divisor is skipped instead.
  if (div === 0 || win % div !== 0) return false;
  out.multi = (Math.trunc(win / div) << 16) >> 16;
  out.mtu = mtu;
  return true;
}

/** p0f's window-multiple detection (its order of candidate divisors matters). */
export function detectWindowMultiple(
  p: WindowInput,
  synMss: number,
  out: WinMulti = { multi: -1, mtu: false },
): WinMulti {
  out.multi = -1;
  out.mtu = false;
  const win = p.win;
  const mss = p.mss;
  if (win === 0 || mss < 100) return out;
  const v6 = p.ipVersion === 6;
  if (divides(win, mss, false, out)) return out;
  if (p.ts1 !== 0 && divides(win, mss - 12, false, out)) return out;
  if (divides(win, 1500 - MIN_TCP4, false, out)) return out;
  if (divides(win, 1500 - MIN_TCP4 - 12, false, out)) return out;
  if (v6 && (divides(win, 1500 - MIN_TCP6, false, out) || divides(win, 1500 - MIN_TCP6 - 12, false, out)))
    return out;
  if (divides(win, mss + MIN_TCP4, true, out)) return out;
  if (divides(win, mss + p.totHdr, true, out)) return out;
  if (v6 && divides(win, mss + MIN_TCP6, true, out)) return out;
  if (divides(win, 1500, true, out)) return out;
  if (synMss !== 0 && (divides(win, synMss, false, out) || divides(win, synMss - 12, false, out))) return out;
  return out;
}
