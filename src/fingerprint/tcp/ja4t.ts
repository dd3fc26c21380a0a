/**
 * JA4T (client SYN) and JA4TS (server SYN-ACK) — FoxIO JA4+ `technical_details/JA4T.md`.
 *
 * Format: `<window>_<option kinds joined by ->_<mss>_<window scale>`, e.g.
 * `64240_2-1-3-1-1-4_1460_8`. The layout of missing parts follows the reference Rust tool's
 * output that the corpus pins (`corpus/ja4/*.expected.json`): no options gives an empty
 * middle field and a missing MSS or window scale is `0` (`8192__0_0`). (The prose spec and
 * newer tool versions write `00` instead; the corpus wins, DESIGN §3.)
 *
 * Option kinds are listed as tshark lists them (the reference reads tshark's fields); MSS and
 * window scale are the first well-formed occurrences (see `parseTcpOptions`).
 *
 * JA4TS = the same four parts computed on the SYN-ACK, plus `_<delays>` when the server
 * retransmitted its SYN-ACK (and possibly gave up with an RST): see `ja4tsRetransmitSuffix`.
 */
import { type DecodedPacket, TCP_ACK, TCP_SYN } from "../../decode/packet.js";
import { parseTcpOptions, TcpOptions } from "./tcp-options.js";

/** A connection-opening SYN: SYN set and ACK clear (ECE/CWR and the rest do not matter). */
export function isInitialSyn(tcpFlags: number): boolean {
  return (tcpFlags & TCP_SYN) !== 0 && (tcpFlags & TCP_ACK) === 0;
}

/** A SYN-ACK: SYN and ACK both set. */
export function isSynAck(tcpFlags: number): boolean {
  return (tcpFlags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
}

/** Formats the four JA4T parts from an already parsed option list. */
export function formatJa4t(window: number, options: TcpOptions): string {
  const mss = Math.max(0, options.mss);
  const ws = Math.max(0, options.wscale);
  return `${window}_${options.kindsJoined()}_${mss}_${ws}`;
}

const scratch = new TcpOptions();

/** JA4T of a client SYN (the caller checks `isInitialSyn`). */
export function ja4t(syn: DecodedPacket): string {
  return formatJa4t(syn.tcpWindow, parseTcpOptions(syn.buf, syn.tcpOptOff, syn.tcpOptLen, scratch));
}

/**
 * JA4TS of a server SYN-ACK. `retransmits` is the optional fifth part from
 * `ja4tsRetransmitSuffix` (omitted when empty, as the spec says for no retransmissions).
 */
export function ja4ts(synAck: DecodedPacket, retransmits = ""): string {
  const base = formatJa4t(
    synAck.tcpWindow,
    parseTcpOptions(synAck.buf, synAck.tcpOptOff, synAck.tcpOptLen, scratch),
  );
  return retransmits === "" ? base : `${base}_${retransmits}`;
}

/** The spec counts at most 10 SYN-ACK retransmissions. */
export const JA4TS_MAX_RETRANSMITS = 10;

/**
 * JA4TS fifth part: the gaps between successive SYN-ACKs of one connection, in whole seconds
 * (rounded to nearest), joined by `-`; an RST after them adds `R<gap>`. `synAckTimesUs` are
 * the capture times (µs) of the first SYN-ACK and its retransmissions, in order; gaps beyond
 * the 10th retransmission are ignored. Example (spec): SYN-ACKs at 16.68, 17.68, 19.69, 23.70,
 * 31.71 s and an RST at 37.72 s → `1-2-4-8-R6`. Returns "" when there is nothing to add.
 */
export function ja4tsRetransmitSuffix(synAckTimesUs: readonly number[], rstTimeUs?: number): string {
  const parts: string[] = [];
  const n = Math.min(synAckTimesUs.length, JA4TS_MAX_RETRANSMITS + 1);
  for (let i = 1; i < n; i++) parts.push(String(Math.round((synAckTimesUs[i] - synAckTimesUs[i - 1]) / 1e6)));
  if (rstTimeUs !== undefined && n > 0) {
    parts.push(`R${Math.round((rstTimeUs - synAckTimesUs[n - 1]) / 1e6)}`);
  }
  return parts.join("-");
}
