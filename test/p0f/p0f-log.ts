/**
 * Test helpers for comparing with p0f: parse p0f's log lines, and replay a capture through
 * our matcher with p0f's per-connection bookkeeping (which SYNs / SYN+ACKs p0f fingerprints
 * at all: duplicate SYNs skipped, SYN+ACK only for a known, not yet acknowledged connection,
 * connections dropped after an application match or FIN/RST), so the two outputs line up.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DecodedPacket } from "../../src/decode/packet.js";
import { matchP0fMtu, matchP0fPacket, type P0fMatch } from "../../src/fingerprint/p0f/matcher.js";
import { P0fPacket, p0fPacketOf } from "../../src/fingerprint/p0f/packet-signature.js";
import type { P0fDatabase } from "../../src/fingerprint/p0f/signature-file.js";
import { addrText, normAddr, writePcap } from "../tcp/helpers.js";

export interface P0fLogRecord {
  mod: string;
  cli: string;
  srv: string;
  fields: Record<string, string>;
}

/** Parses p0f `-o` log lines (`[time] mod=...|cli=...|...`). */
export function parseP0fLog(text: string): P0fLogRecord[] {
  const out: P0fLogRecord[] = [];
  for (const line of text.split("\n")) {
    const m = /^\[[^\]]*\] (.*)$/.exec(line);
    if (!m) continue;
    const fields: Record<string, string> = {};
    for (const part of m[1].split("|")) {
      const eq = part.indexOf("=");
      if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1);
    }
    out.push({
      mod: fields.mod ?? "",
      cli: normEndpoint(fields.cli ?? ""),
      srv: normEndpoint(fields.srv ?? ""),
      fields,
    });
  }
  return out;
}

function normEndpoint(e: string): string {
  const slash = e.lastIndexOf("/");
  return slash < 0 ? e : `${normAddr(e.slice(0, slash))}/${e.slice(slash + 1)}`;
}

/** One line of our replay, shaped like the p0f log fields we compare. */
export interface ReplayRecord {
  mod: "syn" | "syn+ack" | "mtu";
  cli: string;
  srv: string;
  /** For syn / syn+ack. */
  match?: P0fMatch;
  /** For mtu: link label or "???", raw MTU. */
  link?: string;
  rawMtu?: number;
}

interface FlowState {
  cliKey: string;
  srvKey: string;
  nextCliSeq: number;
  nextSrvSeq: number;
  acked: boolean;
  synMss: number;
}

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
const TCP_FIN = 0x01;
const TCP_RST = 0x04;

/**
 * Replays decoded TCP packets (capture order) through p0fPacketOf + matchP0fPacket with
 * p0f's flow rules. Tunnelled packets are skipped (p0f does not decapsulate).
 */
export function replayLikeP0f(packets: readonly DecodedPacket[], db: P0fDatabase): ReplayRecord[] {
  const out: ReplayRecord[] = [];
  const flows = new Map<string, FlowState>();
  const pk = new P0fPacket();
  for (const d of packets) {
    if (d.tunnelDepth > 0 || d.protocol !== 6) continue;
    const p = p0fPacketOf(d, pk);
    if (!p) continue;
    const src = `${addrText(d, "src")}/${d.srcPort}`;
    const dst = `${addrText(d, "dst")}/${d.dstPort}`;
    const key = [src, dst].sort().join(" ");
    let f = flows.get(key);
    const toSrv = f ? f.cliKey === src : false;
    switch (p.tcpType) {
      case TCP_SYN: {
        if (f) {
          if (toSrv && (f.nextCliSeq - 1) >>> 0 === d.tcpSeq) continue;
          flows.delete(key);
        }
        f = {
          cliKey: src,
          srvKey: dst,
          nextCliSeq: (d.tcpSeq + 1) >>> 0,
          nextSrvSeq: 0,
          acked: false,
          synMss: 0,
        };
        flows.set(key, f);
        if (p.win === 1337 && p.mss === 1331) continue; // p0f-sendsyn probe: not a "syn" line
        const m = matchP0fPacket(db, true, p, 0);
        out.push({ mod: "syn", cli: src, srv: dst, match: m });
        f.synMss = p.mss;
        if (m.kind === "app") {
          flows.delete(key);
          continue;
        }
        pushMtu(out, db, d, p, src, dst);
        break;
      }
      case TCP_SYN | TCP_ACK: {
        if (!f || toSrv || f.acked) continue;
        f.acked = true;
        const m = matchP0fPacket(db, false, p, f.synMss);
        out.push({ mod: "syn+ack", cli: f.cliKey, srv: f.srvKey, match: m });
        if (m.kind === "app") {
          flows.delete(key);
          continue;
        }
        pushMtu(out, db, d, p, f.cliKey, f.srvKey);
        f.nextSrvSeq = (d.tcpSeq + 1) >>> 0;
        break;
      }
      case TCP_RST | TCP_ACK:
      case TCP_RST:
      case TCP_FIN | TCP_ACK:
      case TCP_FIN:
        if (f) flows.delete(key);
        break;
      case TCP_ACK:
        if (f && !f.acked) flows.delete(key);
        break;
    }
  }
  return out;
}

function pushMtu(
  out: ReplayRecord[],
  db: P0fDatabase,
  d: DecodedPacket,
  p: P0fPacket,
  cli: string,
  srv: string,
) {
  const m = matchP0fMtu(db, d.ipVersion, p.mss);
  if (m) out.push({ mod: "mtu", cli, srv, link: m.link ?? "???", rawMtu: m.mtu });
}

/** The fields of a syn / syn+ack record in p0f log terms. */
export function replayFields(r: ReplayRecord): Record<string, string> {
  if (r.mod === "mtu") return { link: r.link ?? "???", raw_mtu: String(r.rawMtu) };
  const m = r.match as P0fMatch;
  return {
    [m.kind]: m.label,
    dist: m.distanceText,
    params: m.params,
    raw_sig: m.rawSignature,
  };
}

/** The same fields picked from a p0f log record. */
export function logFields(r: P0fLogRecord): Record<string, string> {
  const f = r.fields;
  if (r.mod === "mtu") return { link: f.link, raw_mtu: f.raw_mtu };
  const kind = f.app !== undefined ? "app" : "os";
  return { [kind]: f[kind], dist: f.dist, params: f.params, raw_sig: f.raw_sig };
}

/** Path of the p0f binary if installed (PATH lookup), else undefined. */
export function findP0f(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/usr/local/sbin"])) {
    const p = `${dir}/p0f`;
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Runs p0f 3 on the frames (written as an Ethernet pcap in a temp dir) and returns its log
 * records, or undefined when p0f is not installed.
 */
export function runP0f(
  frames: readonly { tsUs: number; data: Buffer }[],
  fpFile?: string,
): P0fLogRecord[] | undefined {
  const bin = findP0f();
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "p0f-test-"));
  try {
    const pcap = join(dir, "in.pcap");
    const log = join(dir, "out.log");
    writeFileSync(pcap, writePcap([...frames]));
    const args = ["-r", pcap, "-o", log];
    if (fpFile) args.push("-f", fpFile);
    const r = spawnSync(bin, args, { encoding: "utf8", env: { ...process.env, TZ: "UTC" }, timeout: 60_000 });
    if (r.status !== 0) throw new Error(`p0f failed (${r.status}): ${r.stderr}${r.stdout.slice(-2000)}`);
    return parseP0fLog(existsSync(log) ? readFileSync(log, "utf8") : "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
