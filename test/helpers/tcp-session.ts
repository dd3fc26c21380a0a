/**
 * Test helper: hand-built TCP segments between one client and one server, run through the
 * engine (Ethernet → IPv4 → TCP, one frame each, 1 ms of packet time apart unless told).
 * Shared by the engine and analyzer tests; nothing here uses the code under test but the
 * engine it drives.
 */
import { type EngineOptions, SnifferEngine } from "../../src/sniffer/engine.js";
import type { Ja4Record } from "../../src/sniffer/ja4-record.js";
import type { Observation } from "../../src/sniffer/observation.js";
import { ether, frameOf, ipv4, tcp } from "../decode/build.js";

export interface Segment {
  fromClient: boolean;
  flags: number;
  seq: number;
  ack?: number;
  payload?: Buffer;
  ttl?: number;
  /** Packet time since the previous segment (default 1 ms). */
  afterUs?: number;
}

export interface Endpoints {
  client: string;
  server: string;
  clientPort: number;
  serverPort: number;
}

export const DEFAULT_ENDPOINTS: Endpoints = {
  client: "198.51.100.7",
  server: "10.13.0.10",
  clientPort: 40001,
  serverPort: 443,
};

export interface SessionResult {
  records: Ja4Record[];
  obs: Observation[];
  engine: SnifferEngine;
}

/** Runs the segments through a fresh engine (every analyzer unless `engine.analyzers` says). */
export function runSegments(
  segs: readonly Segment[],
  o: { ends?: Partial<Endpoints>; engine?: Partial<EngineOptions>; t0?: number } = {},
): SessionResult {
  const ends = { ...DEFAULT_ENDPOINTS, ...o.ends };
  const records: Ja4Record[] = [];
  const obs: Observation[] = [];
  const engine = new SnifferEngine({
    onObservation: (x) => obs.push(x),
    onFlowRecord: (r) => records.push(structuredClone(r)),
    ...o.engine,
  });
  let ts = o.t0 ?? 1_700_000_000_000_000;
  for (const s of segs) {
    const t = tcp({
      sport: s.fromClient ? ends.clientPort : ends.serverPort,
      dport: s.fromClient ? ends.serverPort : ends.clientPort,
      seq: s.seq >>> 0,
      ack: (s.ack ?? 0) >>> 0,
      flags: s.flags,
      payload: s.payload,
    });
    const src = s.fromClient ? ends.client : ends.server;
    const dst = s.fromClient ? ends.server : ends.client;
    const ttl = s.ttl ?? (s.fromClient ? 52 : 64);
    ts += s.afterUs ?? 1000;
    engine.handleFrame(
      frameOf(1, ether(0x0800, ipv4({ src, dst, proto: 6, payload: t, ttl })), { tsUs: ts }),
    );
  }
  engine.finish();
  return { records, obs, engine };
}
