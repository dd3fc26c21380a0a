import type { Flow } from "../../flow/flow.js";
import { type AnalyzerContext, endpointFields } from "../flow-state.js";
import { SEVERITY_INFO } from "../observation.js";
import { pyRound } from "./decnet-fields.js";

/**
 * Counts a client payload segment: one that starts below the highest client sequence
 * number already seen repeats data the decky already had (DECNET: "attacker→decky
 * payload segments whose sequence number was already seen"). Per flow: two numbers.
 */
export function countRetransmit(flow: Flow, seq: number, len: number): void {
  const high = flow.clientSeqHigh;
  const end = (seq + len) >>> 0;
  if (high === -1) {
    flow.clientSeqHigh = end;
    return;
  }
  if (((seq - high) | 0) < 0) flow.retransmits++;
  if (((end - high) | 0) > 0) flow.clientSeqHigh = end;
}

/**
 * DECNET's tcp_flow_timing summary of a finished TCP flow: packets, payload bytes,
 * duration and inter-arrival times, emitted after the endpoints and returned without them
 * (for the connection record). Scan probes (under 4 packets, under 1 s, no retransmission)
 * are not reported.
 */
export function emitFlowTiming(ctx: AnalyzerContext, flow: Flow): Record<string, string> | undefined {
  const durationUs = flow.lastTsUs - flow.firstTsUs;
  if (flow.packets < 4 && flow.retransmits === 0 && durationUs < 1_000_000) return undefined;
  const n = flow.iatCount;
  const timing: Record<string, string> = {
    packets: String(flow.packets),
    bytes: String(flow.bytes),
    duration_s: pyRound(durationUs / 1e6, 3),
    mean_iat_ms: pyRound(n > 0 ? flow.iatSumUs / n / 1000 : 0, 2),
    min_iat_ms: pyRound(n > 0 ? flow.iatMinUs / 1000 : 0, 2),
    max_iat_ms: pyRound(n > 0 ? flow.iatMaxUs / 1000 : 0, 2),
    retransmits: String(flow.retransmits),
  };
  // Field by field rather than by spreading: a spread goes through the generic path.
  const fields = endpointFields(flow);
  fields.packets = timing.packets;
  fields.bytes = timing.bytes;
  fields.duration_s = timing.duration_s;
  fields.mean_iat_ms = timing.mean_iat_ms;
  fields.min_iat_ms = timing.min_iat_ms;
  fields.max_iat_ms = timing.max_iat_ms;
  fields.retransmits = timing.retransmits;
  ctx.emit(flow, "tcp_flow_timing", SEVERITY_INFO, fields);
  return timing;
}
