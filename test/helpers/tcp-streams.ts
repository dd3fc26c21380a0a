/**
 * Test helper for the resegmentation property (test/conformance/resegment.test.ts): pulls
 * each TCP connection of a capture apart into its two byte streams (the first 64 KiB of
 * each direction, with ISNs, endpoints and when each byte became available relative to the
 * other direction), and plays a connection back as new frames (Ethernet → IPv4/IPv6 → TCP)
 * cut, reordered and repeated as the caller says.
 *
 * Reading uses the project's capture reader and decoder only (frames → decoded packets);
 * the byte streams themselves are rebuilt here (first copy of a byte wins, as RFC 9293
 * receivers and the reference tools do), independently of src/flow/reassembly.ts.
 */

import fc from "fast-check";
import { readCapture } from "../../src/capture/file-source.js";
import { SECRETS_TLS_KEY_LOG } from "../../src/capture/pcapng.js";
import type { CapturedFrame } from "../../src/capture/types.js";
import { formatAddress } from "../../src/decode/address.js";
import { Decoder } from "../../src/decode/decoder.js";
import { newDecodedPacket, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from "../../src/decode/packet.js";
import { TlsKeyLog } from "../../src/fingerprint/tls/keylog.js";
import { SnifferEngine } from "../../src/sniffer/engine.js";
import type { Ja4Record } from "../../src/sniffer/ja4-record.js";
import type { Observation } from "../../src/sniffer/observation.js";
import { ether, frameOf, ipv4, ipv6, tcp } from "../decode/build.js";

/** Bytes of each direction taken from a capture (the engine reassembles 64 KiB). */
export const STREAM_LIMIT = 64 * 1024;

/**
 * A causal step of one direction: bytes from `start` on became available (in order) only
 * once the other direction had delivered its first `need` bytes.
 */
export interface CausalStep {
  start: number;
  need: number;
  /** Index of the capture packet that made these bytes available (a total order of steps). */
  key: number;
}

export interface DirectionStream {
  /** Initial sequence number (of the SYN / SYN-ACK, or one before the first byte when unseen). */
  isn: number;
  /** Whether the capture holds this side's SYN (or SYN-ACK). */
  synSeen: boolean;
  /** The contiguous bytes from isn + 1, at most STREAM_LIMIT. */
  data: Buffer;
  /** True when a hole (bytes never captured) cut `data` short of what was sent. */
  holed: boolean;
  steps: CausalStep[];
}

export interface TcpConnection {
  /** Order of the connection's first packet in the capture (0, 1, ...). */
  index: number;
  ipVersion: 4 | 6;
  client: string;
  server: string;
  clientPort: number;
  serverPort: number;
  /** How the client was told from the server: by a SYN, a SYN-ACK, or a guess. */
  orientedBy: "syn" | "syn-ack" | "guess";
  toServer: DirectionStream;
  toClient: DirectionStream;
}

interface RawSegment {
  seq: number;
  data: Buffer;
  packet: number;
}

interface RawSide {
  addr: string;
  port: number;
  isn: number;
  synSeen: boolean;
  segs: RawSegment[];
}

interface RawConn {
  index: number;
  ipVersion: 4 | 6;
  a: RawSide;
  b: RawSide;
  /** Side that sent the SYN (0 = a, 1 = b), or that received the SYN-ACK; -1 unknown. */
  clientSide: number;
  orientedBy: "syn" | "syn-ack" | "guess";
  /** Packet indices with payload, in capture order, with the side that sent each. */
  order: { side: number; seg: RawSegment }[];
}

const seqDiff = (a: number, b: number) => (a - b) | 0;

export interface CaptureConnections {
  connections: TcpConnection[];
  /** TLS secrets the capture carries (pcapng Decryption Secrets Blocks), for TLS 1.3 certificates. */
  keyLog: TlsKeyLog;
}

/**
 * Every TCP connection of the capture with payload in at least one direction. A SYN with
 * another ISN on a known 4-tuple starts a new connection.
 */
export async function extractTcpConnections(path: string): Promise<CaptureConnections> {
  const keyLog = new TlsKeyLog();
  const decoder = new Decoder();
  const p = newDecodedPacket();
  const live = new Map<string, RawConn>();
  const all: RawConn[] = [];
  let packet = 0;
  const res = await readCapture(
    path,
    (frame: CapturedFrame) => {
      packet++;
      if (!decoder.decode(frame, p) || p.protocol !== 6) return;
      const src = formatAddress(p.buf, p.srcOff, p.ipVersion);
      const dst = formatAddress(p.buf, p.dstOff, p.ipVersion);
      const s = `${src}|${p.srcPort}`;
      const d = `${dst}|${p.dstPort}`;
      const key = `${p.tunnelContext} ${s < d ? `${s} ${d}` : `${d} ${s}`}`;
      const flags = p.tcpFlags;
      const syn = (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
      let c = live.get(key);
      if (c !== undefined && syn) {
        const side = c.a.addr === src && c.a.port === p.srcPort ? c.a : c.b;
        if (side.synSeen ? side.isn >>> 0 !== p.tcpSeq >>> 0 : side.segs.length > 0) c = undefined;
      }
      if (c === undefined) {
        c = {
          index: all.length,
          ipVersion: p.ipVersion,
          a: { addr: src, port: p.srcPort, isn: -1, synSeen: false, segs: [] },
          b: { addr: dst, port: p.dstPort, isn: -1, synSeen: false, segs: [] },
          clientSide: -1,
          orientedBy: "guess",
          order: [],
        };
        live.set(key, c);
        all.push(c);
      }
      const sideNo = c.a.addr === src && c.a.port === p.srcPort ? 0 : 1;
      const side = sideNo === 0 ? c.a : c.b;
      if (flags & TCP_SYN) {
        if (!side.synSeen) {
          side.synSeen = true;
          side.isn = p.tcpSeq | 0;
        }
        if (!(flags & TCP_ACK)) {
          c.clientSide = sideNo;
          c.orientedBy = "syn";
        } else if (c.orientedBy !== "syn") {
          c.clientSide = 1 - sideNo;
          c.orientedBy = "syn-ack";
        }
      }
      if (p.payloadLen > 0 && !(flags & TCP_RST)) {
        const seq = flags & TCP_SYN ? (p.tcpSeq + 1) | 0 : p.tcpSeq | 0;
        const seg = {
          seq,
          data: Buffer.from(p.buf.subarray(p.payloadOff, p.payloadOff + p.payloadLen)),
          packet,
        };
        side.segs.push(seg);
        c.order.push({ side: sideNo, seg });
      }
    },
    {
      onSecrets: (type, data) => {
        if (type === SECRETS_TLS_KEY_LOG) keyLog.addText(data.toString("latin1"));
      },
    },
  );
  if (res.error !== undefined) throw new Error(`${path}: ${res.error}`);
  const out: TcpConnection[] = [];
  for (const c of all) {
    if (c.order.length === 0) continue;
    out.push(finishConnection(c));
  }
  return { connections: out, keyLog };
}

function finishConnection(c: RawConn): TcpConnection {
  let clientSide = c.clientSide;
  if (clientSide < 0) {
    // No handshake captured: the side with the higher port is taken for the client.
    clientSide = c.a.port >= c.b.port ? 0 : 1;
  }
  const sides = [c.a, c.b];
  const cl = sides[clientSide];
  const sv = sides[1 - clientSide];
  for (const s of sides) {
    if (s.synSeen || s.segs.length === 0) continue;
    // Seen mid-stream: the stream starts at the lowest sequence number seen.
    let lo = s.segs[0].seq;
    for (const g of s.segs) if (seqDiff(g.seq, lo) < 0) lo = g.seq;
    s.isn = (lo - 1) | 0;
  }
  // Bytes per direction (first copy wins) and the causal steps, replaying capture order.
  const bufs = [Buffer.alloc(STREAM_LIMIT), Buffer.alloc(STREAM_LIMIT)];
  const have = [new Uint8Array(STREAM_LIMIT), new Uint8Array(STREAM_LIMIT)];
  const prefix = [0, 0];
  const steps: CausalStep[][] = [[], []];
  const extent = [0, 0];
  for (const { side, seg } of c.order) {
    const s = sides[side];
    const rel = seqDiff(seg.seq, (s.isn + 1) | 0);
    for (let i = 0; i < seg.data.length; i++) {
      const o = rel + i;
      if (o < 0 || o >= STREAM_LIMIT) continue;
      if (have[side][o] === 0) {
        have[side][o] = 1;
        bufs[side][o] = seg.data[i];
      }
      if (o + 1 > extent[side]) extent[side] = o + 1;
    }
    const before = prefix[side];
    let p = before;
    while (p < STREAM_LIMIT && have[side][p] === 1) p++;
    if (p > before) {
      prefix[side] = p;
      steps[side].push({ start: before, need: prefix[1 - side], key: seg.packet });
    }
  }
  const dir = (side: number): DirectionStream => ({
    isn: sides[side].isn,
    synSeen: sides[side].synSeen,
    data: Buffer.from(bufs[side].subarray(0, prefix[side])),
    holed: extent[side] > prefix[side],
    steps: steps[side],
  });
  return {
    index: c.index,
    ipVersion: c.ipVersion,
    client: cl.addr,
    server: sv.addr,
    clientPort: cl.port,
    serverPort: sv.port,
    orientedBy: clientSide === c.clientSide ? c.orientedBy : "guess",
    toServer: dir(clientSide),
    toClient: dir(1 - clientSide),
  };
}

/** One data segment to play: `len` bytes of one direction from stream offset `off`. */
export interface PlaySegment {
  fromClient: boolean;
  off: number;
  len: number;
}

/** What a direction's segment at stream offset `off` waited for in the capture. */
export function needOf(d: DirectionStream, off: number): { need: number; key: number } {
  let lo = 0;
  let hi = d.steps.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (d.steps[mid].start <= off) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return at < 0 ? { need: 0, key: 0 } : { need: d.steps[at].need, key: d.steps[at].key };
}

export interface PlayResult {
  records: Ja4Record[];
  observations: Observation[];
  frames: number;
}

/**
 * Plays the connection through a fresh engine: handshake first (SYN, SYN-ACK, ACK: each
 * direction's ISN from the capture), then `segs` in the given order (each an ACK|PSH data
 * segment acknowledging what the other side has sent so far), then FIN from each side
 * after all data.
 */
export function playConnection(
  conn: TcpConnection,
  segs: readonly PlaySegment[],
  keyLog?: TlsKeyLog,
): PlayResult {
  const records: Ja4Record[] = [];
  const observations: Observation[] = [];
  const engine = new SnifferEngine({
    keyLog,
    onObservation: (o) => observations.push(o),
    onFlowRecord: (r) => records.push(structuredClone(r)),
  });
  let ts = 1_700_000_000_000_000;
  const cIsn = conn.toServer.isn;
  const sIsn = conn.toClient.isn;
  const sent = [0, 0]; // highest stream offset sent per direction (client, server)
  let frames = 0;
  const send = (fromClient: boolean, seq: number, ack: number, flags: number, payload?: Buffer) => {
    const t = tcp({
      sport: fromClient ? conn.clientPort : conn.serverPort,
      dport: fromClient ? conn.serverPort : conn.clientPort,
      seq: seq >>> 0,
      ack: ack >>> 0,
      flags,
      payload,
    });
    const src = fromClient ? conn.client : conn.server;
    const dst = fromClient ? conn.server : conn.client;
    const frame =
      conn.ipVersion === 4
        ? ether(0x0800, ipv4({ src, dst, proto: 6, payload: t, ttl: fromClient ? 52 : 64 }))
        : ether(0x86dd, ipv6({ src, dst, nh: 6, payload: t, hopLimit: fromClient ? 52 : 64 }));
    ts += 1000;
    frames++;
    engine.handleFrame(frameOf(1, frame, { tsUs: ts }));
  };
  send(true, cIsn, 0, TCP_SYN);
  send(false, sIsn, cIsn + 1, TCP_SYN | TCP_ACK);
  send(true, cIsn + 1, sIsn + 1, TCP_ACK);
  for (const s of segs) {
    const d = s.fromClient ? conn.toServer : conn.toClient;
    const isn = s.fromClient ? cIsn : sIsn;
    const otherIsn = s.fromClient ? sIsn : cIsn;
    const me = s.fromClient ? 0 : 1;
    send(
      s.fromClient,
      isn + 1 + s.off,
      otherIsn + 1 + sent[1 - me],
      TCP_ACK | TCP_PSH,
      d.data.subarray(s.off, s.off + s.len),
    );
    if (s.off + s.len > sent[me]) sent[me] = s.off + s.len;
  }
  send(true, cIsn + 1 + conn.toServer.data.length, sIsn + 1 + conn.toClient.data.length, TCP_FIN | TCP_ACK);
  send(false, sIsn + 1 + conn.toClient.data.length, cIsn + 2 + conn.toServer.data.length, TCP_FIN | TCP_ACK);
  engine.finish();
  return { records, observations, frames };
}

/** Record keys that describe the bytes of the connection (not its packets). */
export const RECORD_KEYS = [
  "tls_server_name",
  "ja4",
  "ja4s",
  "tls_certs",
  "http",
  "ssh_extras",
  "ja4_r",
  "ja4_o",
  "ja4_ro",
  "ja4s_r",
  "ja3",
  "ja3_full",
  "ja3s",
  "ja3s_full",
  "http2",
] as const satisfies readonly (keyof Ja4Record)[];

/** Observations about packets, not bytes. */
export const PACKET_EVENTS = new Set(["tcp_syn_fingerprint", "tcp_flow_timing", "ipv6_link_local_leak"]);
/** Observation fields that count packets or come from timing and TCP/IP headers. */
export const PACKET_FIELDS = new Set(["ja4ssh", "ja4l_rtt_ms", "ja4l_client_ttl"]);

export const KINDS = ["cut", "reorder", "duplicate", "overlap", "interleave", "combined"] as const;
export type Kind = (typeof KINDS)[number];
/** Transformations that change which direction's bytes complete first (see printsOf). */
export const CROSS_ORDER = new Set<Kind>(["reorder", "interleave", "combined"]);

// ---------------------------------------------------------------------------------------
// The transformations.

export interface Plan {
  /** Segment sizes, used in turn (client from the first, server from the middle). */
  cuts: number[];
  /** Moves: the segment at `at` (mod count) goes `dist` places later. */
  moves: { at: number; dist: number }[];
  /** Exact retransmissions: a copy of the segment at `at`, `later` places after it. */
  dups: { at: number; later: number }[];
  /** Overlapping retransmissions: [at, at + len) of one direction, the same bytes. */
  overlaps: { client: boolean; at: number; len: number; later: number }[];
  /** Interleaving choices (true: client next) when both directions may send. */
  merge: boolean[];
}

export const cutArb = fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 17, max: 1500 }));

export function planArb(kind: Kind): fc.Arbitrary<Plan> {
  const all = kind === "combined";
  const none = fc.constant([]);
  return fc.record({
    cuts: fc.array(cutArb, { minLength: 1, maxLength: 12 }),
    moves:
      all || kind === "reorder"
        ? fc.array(fc.record({ at: fc.nat(), dist: fc.integer({ min: 1, max: 8 }) }), { maxLength: 24 })
        : none,
    dups:
      all || kind === "duplicate"
        ? fc.array(fc.record({ at: fc.nat(), later: fc.integer({ min: 0, max: 12 }) }), { maxLength: 12 })
        : none,
    overlaps:
      all || kind === "overlap"
        ? fc.array(
            fc.record({
              client: fc.boolean(),
              at: fc.nat({ max: STREAM_LIMIT - 1 }),
              len: fc.integer({ min: 1, max: 3000 }),
              later: fc.integer({ min: 0, max: 12 }),
            }),
            { maxLength: 12 },
          )
        : none,
    merge: all || kind === "interleave" ? fc.array(fc.boolean(), { minLength: 1, maxLength: 32 }) : none,
  }) as fc.Arbitrary<Plan>;
}

export interface Seg extends PlaySegment {
  need: number;
  key: number;
}

/**
 * A segment of `len` bytes from `off`: it may go out once the other direction sent what its
 * last byte answered (a retransmission may span several flights; a first transmission never
 * does, see flightStarts).
 */
export function segOf(conn: TcpConnection, fromClient: boolean, off: number, len: number): Seg {
  const d = fromClient ? conn.toServer : conn.toClient;
  return { fromClient, off, len, need: needOf(d, off + len - 1).need, key: needOf(d, off).key };
}

/**
 * Where a direction's bytes answered more of the other direction than the bytes before
 * them did (a new flight): no segment spans such a point, since its sender had not written
 * those bytes yet.
 */
export function flightStarts(d: DirectionStream): number[] {
  const out: number[] = [];
  let need = 0;
  for (const s of d.steps) {
    if (s.need > need && s.start > 0) out.push(s.start);
    need = Math.max(need, s.need);
  }
  out.push(d.data.length);
  return out;
}

export function cutDirection(
  conn: TcpConnection,
  fromClient: boolean,
  sizes: readonly number[],
  first: number,
) {
  const d = fromClient ? conn.toServer : conn.toClient;
  const out: Seg[] = [];
  let i = first;
  let off = 0;
  for (const end of flightStarts(d)) {
    while (off < end) {
      const len = Math.min(sizes[i++ % sizes.length], end - off);
      out.push(segOf(conn, fromClient, off, len));
      off += len;
    }
  }
  return out;
}

/** Sends segments while keeping the causal order: one waits until the bytes it answers went out. */
export class CausalOrder {
  readonly out: Seg[] = [];
  private readonly sent: Uint8Array[];
  private readonly prefix = [0, 0];
  private waiting: Seg[] = [];

  constructor(conn: TcpConnection) {
    this.sent = [new Uint8Array(conn.toServer.data.length), new Uint8Array(conn.toClient.data.length)];
  }

  ready(s: Seg): boolean {
    return this.prefix[s.fromClient ? 1 : 0] >= s.need;
  }

  push(s: Seg): void {
    if (!this.ready(s)) {
      this.waiting.push(s);
      return;
    }
    this.emit(s);
    for (let again = true; again; ) {
      again = false;
      for (let i = 0; i < this.waiting.length; i++) {
        if (this.ready(this.waiting[i])) {
          const [w] = this.waiting.splice(i, 1);
          this.emit(w);
          again = true;
          break;
        }
      }
    }
  }

  /** Whatever still waits (none, when the causal steps are consistent). */
  flush(): void {
    for (const w of this.waiting) this.out.push(w);
    this.waiting = [];
  }

  private emit(s: Seg): void {
    this.out.push(s);
    const side = s.fromClient ? 0 : 1;
    const sent = this.sent[side];
    sent.fill(1, s.off, s.off + s.len);
    let p = this.prefix[side];
    while (p < sent.length && sent[p] === 1) p++;
    this.prefix[side] = p;
  }
}

/** Merges the two in-order directions: by capture order, or by the plan's choices. */
export function merge(conn: TcpConnection, c: Seg[], s: Seg[], choices: readonly boolean[]): Seg[] {
  const order = new CausalOrder(conn);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < c.length || j < s.length) {
    const cOk = i < c.length && order.ready(c[i]);
    const sOk = j < s.length && order.ready(s[j]);
    let takeClient: boolean;
    if (cOk && sOk && choices.length > 0) takeClient = choices[k++ % choices.length];
    else if (cOk !== sOk) takeClient = cOk;
    else takeClient = j >= s.length || (i < c.length && c[i].key <= s[j].key);
    order.push(takeClient ? c[i++] : s[j++]);
  }
  order.flush();
  return order.out;
}

export function canonical(conn: TcpConnection): Seg[] {
  return merge(conn, cutDirection(conn, true, [1460], 0), cutDirection(conn, false, [1460], 0), []);
}

export function variant(conn: TcpConnection, plan: Plan): Seg[] {
  const c = cutDirection(conn, true, plan.cuts, 0);
  const s = cutDirection(conn, false, plan.cuts, plan.cuts.length >> 1);
  const segs = merge(conn, c, s, plan.merge);
  const n0 = segs.length;
  if (n0 === 0) return segs;
  for (const m of plan.moves) {
    const from = m.at % segs.length;
    const [x] = segs.splice(from, 1);
    segs.splice(Math.min(segs.length, from + m.dist), 0, x);
  }
  for (const d of plan.dups) {
    const at = d.at % segs.length;
    segs.splice(Math.min(segs.length, at + 1 + d.later), 0, { ...segs[at] });
  }
  for (const o of plan.overlaps) {
    const data = (o.client ? conn.toServer : conn.toClient).data;
    if (data.length === 0) continue;
    const off = o.at % data.length;
    const len = Math.min(o.len, data.length - off);
    // A retransmission: after every segment that first carried one of its bytes.
    let last = -1;
    segs.forEach((x, i) => {
      if (x.fromClient === o.client && x.off < off + len && off < x.off + x.len) last = i;
    });
    segs.splice(Math.min(segs.length, last + 1 + o.later), 0, segOf(conn, o.client, off, len));
  }
  // Moves may have put an answer before what it answers: hold it back until then.
  const order = new CausalOrder(conn);
  for (const x of segs) order.push(x);
  order.flush();
  return order.out;
}

// ---------------------------------------------------------------------------------------
// What is compared.

export interface Prints {
  record: Record<string, string>;
  observations: string[];
}

/**
 * `crossOrder`: leave out what the order between the two directions legitimately decides:
 * ssh_extras.encryption_algorithm follows the reference, which names a cipher only when it
 * meets the client's KEXINIT before the server's (src/fingerprint/ssh/ssh-extras.ts), and
 * two KEXINITs that answer nothing of each other may complete in either order.
 */
export function printsOf(r: PlayResult, crossOrder: boolean): Prints {
  const record: Record<string, string> = {};
  const rec = r.records[0] as unknown as Record<string, unknown> | undefined;
  for (const k of RECORD_KEYS) {
    let v = rec?.[k];
    if (k === "ssh_extras" && crossOrder && v !== undefined)
      v = { ...(v as object), encryption_algorithm: "-" };
    if (v !== undefined) record[k] = JSON.stringify(v);
  }
  const observations = r.observations
    .filter((o: Observation) => !PACKET_EVENTS.has(o.eventType))
    .map((o) => {
      const f: Record<string, string> = {};
      for (const [k, v] of Object.entries(o.fields)) if (!PACKET_FIELDS.has(k)) f[k] = v;
      return `${o.eventType} ${JSON.stringify(f)}`;
    })
    .sort();
  return { record, observations };
}

/** Differences between a variant's prints and the canonical ones (empty: equal). */
export function diff(want: Prints, got: Prints, recordCount: number): string[] {
  const out: string[] = [];
  if (recordCount > 1) out.push(`${recordCount} connection records`);
  for (const k of new Set([...Object.keys(want.record), ...Object.keys(got.record)])) {
    if (want.record[k] !== got.record[k]) {
      out.push(
        `record ${k}: canonical ${want.record[k] ?? "(absent)"}, variant ${got.record[k] ?? "(absent)"}`,
      );
    }
  }
  const w = new Set(want.observations);
  const g = new Set(got.observations);
  for (const o of want.observations) if (!g.has(o)) out.push(`observation missing: ${o.slice(0, 300)}`);
  for (const o of got.observations) if (!w.has(o)) out.push(`observation extra: ${o.slice(0, 300)}`);
  if (out.length === 0 && want.observations.length !== got.observations.length) {
    out.push(`observations: canonical ${want.observations.length}, variant ${got.observations.length}`);
  }
  return out;
}
