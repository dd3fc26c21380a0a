/**
 * Runs our engine over a corpus capture in-process and collects what the conformance
 * tests compare: the per-connection JA4 records and the observations.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readCapture } from "../../src/capture/file-source.js";
import { SECRETS_TLS_KEY_LOG } from "../../src/capture/pcapng.js";
import type { P0fDatabase } from "../../src/fingerprint/p0f/signature-file.js";
import { TlsKeyLog } from "../../src/fingerprint/tls/keylog.js";
import { SnifferEngine } from "../../src/sniffer/engine.js";
import type { Ja4Record } from "../../src/sniffer/ja4-record.js";
import type { Observation } from "../../src/sniffer/observation.js";

export interface EngineRun {
  records: Ja4Record[];
  observations: Observation[];
  engine: SnifferEngine;
}

export async function runEngineOn(path: string, p0f?: P0fDatabase): Promise<EngineRun> {
  const records: Ja4Record[] = [];
  const observations: Observation[] = [];
  const keyLog = new TlsKeyLog();
  const engine = new SnifferEngine({
    p0f,
    keyLog,
    onObservation: (o) => observations.push(o),
    onFlowRecord: (r) => records.push(structuredClone(r)),
  });
  const res = await readCapture(path, (f) => engine.handleFrame(f), {
    onSecrets: (type, data) => {
      if (type === SECRETS_TLS_KEY_LOG) keyLog.addText(data.toString("latin1"));
    },
  });
  if (res.error !== undefined) throw new Error(`${path}: ${res.error}`);
  engine.finish();
  return { records, observations, engine };
}

/** One element of NAME.expected.json (reference tool output). */
export interface ExpectedRecord {
  stream: number;
  transport: "tcp" | "udp";
  src: string;
  dst: string;
  src_port: number;
  dst_port: number;
  [key: string]: unknown;
}

export function loadExpected(dir: string, capture: string): ExpectedRecord[] {
  return JSON.parse(readFileSync(join(dir, `${capture}.expected.json`), "utf8")) as ExpectedRecord[];
}

export interface TsharkPacket {
  frame: number;
  src: string;
  dst: string;
  src_port: number;
  dst_port: number;
  [field: string]: unknown;
}

export interface TsharkStream {
  transport: "tcp" | "udp";
  stream: number;
  packets: TsharkPacket[];
}

export function loadTshark(dir: string, capture: string): TsharkStream[] {
  const doc = JSON.parse(readFileSync(join(dir, `${capture}.tshark.json`), "utf8")) as {
    streams: TsharkStream[];
  };
  return doc.streams;
}

export function captureNames(dir: string, all: string[]): string[] {
  void dir;
  return all.filter((n) => /\.(pcap|pcapng|cap)$/.test(n)).sort();
}

/** A connection's identity: transport and both endpoints, client first. */
export function tupleKey(
  transport: string,
  src: string,
  srcPort: number,
  dst: string,
  dstPort: number,
): string {
  return `${transport} ${src}:${srcPort} ${dst}:${dstPort}`;
}

/**
 * Finds our record for a reference record. Connections are matched by transport and
 * endpoints (in order of appearance when a 4-tuple is reused), not by tshark's stream
 * index: tshark also counts conversations its dissectors invent (a SOCKS proxy's target,
 * for one), which are not connections on the wire.
 */
export class ConnectionIndex {
  private readonly byTuple = new Map<string, Ja4Record[]>();
  private readonly used = new Map<string, number>();

  constructor(records: Ja4Record[]) {
    for (const r of [...records].sort((a, b) => a.stream - b.stream)) {
      const k = tupleKey(r.transport, r.src, r.src_port, r.dst, r.dst_port);
      const list = this.byTuple.get(k) ?? [];
      list.push(r);
      this.byTuple.set(k, list);
    }
  }

  find(exp: ExpectedRecord): Ja4Record | undefined {
    const k = tupleKey(exp.transport, exp.src, exp.src_port, exp.dst, exp.dst_port);
    const i = this.used.get(k) ?? 0;
    this.used.set(k, i + 1);
    return this.byTuple.get(k)?.[i];
  }
}

/** Our observations of one event type on the connection of a tshark packet (either direction). */
export function observationsOf(run: EngineRun, eventType: string, p: TsharkPacket): Record<string, string>[] {
  const a = `${p.src}:${p.src_port}`;
  const b = `${p.dst}:${p.dst_port}`;
  return run.observations
    .filter((o) => {
      if (o.eventType !== eventType) return false;
      const c = `${o.fields.src_ip}:${o.fields.src_port}`;
      const s = `${o.fields.dst_ip}:${o.fields.dst_port}`;
      return (c === a && s === b) || (c === b && s === a);
    })
    .map((o) => o.fields);
}
