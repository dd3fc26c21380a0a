import type { CapturedFrame } from "../capture/types.js";
import { Decoder } from "../decode/decoder.js";
import { newDecodedPacket, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "../decode/packet.js";
import type { P0fDatabase } from "../fingerprint/p0f/signature-file.js";
import { ja4lClient, ja4lServer } from "../fingerprint/tcp/ja4l.js";
import { JA4TS_MAX_RETRANSMITS, ja4tsRetransmitSuffix } from "../fingerprint/tcp/ja4t.js";
import type { TlsKeyLog } from "../fingerprint/tls/keylog.js";
import type { Flow } from "../flow/flow.js";
import {
  type FlowEndReason,
  FlowTable,
  type FlowTableOptions,
  LRU_LONG,
  LRU_SHORT,
  LRU_TCP,
} from "../flow/flow-table.js";
import { seqDiff } from "../flow/reassembly.js";
import { Counters } from "../util/counters.js";
import { clampTimestampUs } from "../util/timestamp-range.js";
import { countRetransmit, emitFlowTiming } from "./analyzers/flow-timing.js";
import { HttpAnalyzer, mayStartHttp } from "./analyzers/http.js";
import { checkLinkLocal } from "./analyzers/ipv6-leak.js";
import { QuicAnalyzer } from "./analyzers/quic.js";
import { SshAnalyzer } from "./analyzers/ssh.js";
import { SynAnalyzer } from "./analyzers/tcp-syn.js";
import { CertificateCache, TlsAnalyzer } from "./analyzers/tls.js";
import type { DeckyMap } from "./decky-map.js";
import { type AnalyzerContext, FlowState } from "./flow-state.js";
import { hasFingerprint, type Ja4Record } from "./ja4-record.js";
import type { EncodedFieldRun, Observation } from "./observation.js";

/** Analyzers that can be switched on or off (`--analyzers`). */
export type AnalyzerName = "tls" | "quic" | "ssh" | "http" | "tcp" | "timing" | "ipv6";
export const ALL_ANALYZERS: readonly AnalyzerName[] = ["tls", "quic", "ssh", "http", "tcp", "timing", "ipv6"];

export interface EngineOptions {
  /** Analyzers to run (default: all). */
  analyzers?: readonly AnalyzerName[];
  /** p0f v3 signature database for p0f_label (tcp analyzer); without it no p0f label. */
  p0f?: P0fDatabase;
  /** Restrict analysis to traffic to/from these deckies; undefined = analyse every flow. */
  deckies?: DeckyMap;
  flowTable?: Partial<FlowTableOptions>;
  onObservation(o: Observation): void;
  /** TLS secrets (from pcapng Decryption Secrets Blocks) used to read encrypted handshakes. */
  keyLog?: TlsKeyLog;
  /** Called once per connection that produced a fingerprint, when it ends. */
  onFlowRecord?(r: Ja4Record, flow: Flow): void;
}

/** Idle sweep cadence on packet time. */
const SWEEP_EVERY_US = 1_000_000;
/** A packet this far (µs) ahead of the one before it defers the idle sweep by one packet. */
const TIME_JUMP_US = 60_000_000;
/** Client datagrams of a UDP flow looked at for a QUIC Initial before it is taken for not QUIC. */
const QUIC_LOOKS = 4;

/**
 * The sniffer engine: frames → decoded packets → decky filter → flows →
 * reassembled streams → analyzers → observations. Single-threaded, synchronous,
 * driven by packet time only (a file gives the same output however fast it is read).
 */
export class SnifferEngine implements AnalyzerContext {
  readonly decoder = new Decoder();
  readonly table: FlowTable;
  readonly stats = new Counters();
  /** RSTs not at their sender's sequence number (ignored); into `stats` at finish. */
  private rstOffSequence = 0;
  /** Idle sweeps deferred by a jump in packet time; into `stats` at finish. */
  private timeJumps = 0;
  tsUs = 0;
  packets = 0;
  bytes = 0;
  observations = 0;
  records = 0;
  private readonly pkt = newDecodedPacket();
  private readonly analyzers: Set<AnalyzerName>;
  private readonly ipv6Leaks: boolean;
  private readonly timing: boolean;
  private readonly certCache = new CertificateCache();
  private readonly syn: SynAnalyzer | undefined;
  /** Which side of the current packet is a decky ("dst", "src"), undefined without a decky map. */
  private pktHint: "src" | "dst" | undefined = undefined;
  private lastSweepUs = 0;
  /** Packets that sweep whatever their time (see handleFrame). */
  private warmSweeps = 64;

  constructor(private readonly opts: EngineOptions) {
    const on = opts.analyzers ?? ALL_ANALYZERS;
    this.analyzers = new Set(on);
    this.table = new FlowTable(
      { interArrival: this.analyzers.has("timing"), ...opts.flowTable },
      (flow, reason) => this.onFlowEnd(flow, reason),
    );
    if (this.analyzers.has("tcp")) this.syn = new SynAnalyzer(this, opts.p0f);
    this.ipv6Leaks = this.analyzers.has("ipv6");
    this.timing = this.analyzers.has("timing");
  }

  /**
   * `handleFrame` for a capture that must go on whatever one packet does (DESIGN §2: a
   * failure in one packet never stops capture). Parsers never throw past their API; this
   * is the backstop should one still do: the packet is counted
   * (`engine.packet_exception`) and the next one handled.
   */
  handleFrameSafely(frame: CapturedFrame): void {
    try {
      this.handleFrame(frame);
    } catch (e) {
      this.stats.inc("engine.packet_exception");
      if (this.firstFailure === undefined) this.firstFailure = e instanceof Error ? e.message : String(e);
    }
  }

  /** The message of the first exception `handleFrameSafely` caught, if any. */
  firstFailure: string | undefined = undefined;

  handleFrame(frame: CapturedFrame): void {
    this.packets++;
    this.bytes += frame.length;
    const p = this.pkt;
    if (!this.decoder.decode(frame, p)) return;
    const prevUs = this.tsUs;
    this.tsUs = p.tsUs;
    if (p.tsUs - this.lastSweepUs >= SWEEP_EVERY_US) {
      // A packet far ahead of the one before it may carry a lone bad timestamp (a crafted
      // file, a clock step): sweeping at its time would end every live flow. Its sweep waits
      // for the next packet, which either confirms the new time or is back on the old one.
      const jump = prevUs !== 0 && p.tsUs - prevUs > TIME_JUMP_US ? 1 : 0;
      this.timeJumps += jump;
      if (jump === 0) {
        // The first packets all sweep (an almost empty table: cheap), so that this branch
        // has run with type feedback before V8 optimises this function; otherwise its first
        // run a second of packet time later throws the optimised code away (V8 allocates
        // feedback only after a function's first calls).
        this.lastSweepUs = this.warmSweeps-- > 0 ? p.tsUs - SWEEP_EVERY_US : p.tsUs;
        this.table.sweepIdle(p.tsUs);
      }
    }

    let decky: string | undefined;
    let hint: "src" | "dst" | undefined;
    const dm = this.opts.deckies;
    if (dm !== undefined) {
      if (p.ipVersion === 4) {
        decky = dm.lookup4(p.buf.readInt32BE(p.dstOff));
        if (decky !== undefined) hint = "dst";
        else {
          decky = dm.lookup4(p.buf.readInt32BE(p.srcOff));
          if (decky !== undefined) hint = "src";
        }
      } else {
        decky = dm.lookup6(p.buf, p.dstOff);
        if (decky !== undefined) hint = "dst";
        else {
          decky = dm.lookup6(p.buf, p.srcOff);
          if (decky !== undefined) hint = "src";
        }
      }
      if (decky === undefined) {
        this.stats.inc("filtered.not_decky");
        return;
      }
    }

    this.pktHint = hint;
    let flow = this.table.lookupLive(p, hint);
    // In flight when its connection was reset: part of that connection, which is over
    // (counted by the table as `resetTails`).
    if (flow === null) return;
    let fromClient = this.table.fromClient;
    if (
      p.protocol === 6 &&
      (p.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN &&
      startsNewConnection(flow, fromClient, p.tcpSeq)
    ) {
      // A new connection reusing the 4-tuple of an earlier one.
      this.table.end(flow, flow.closed ? "fin" : "reused");
      flow = this.table.lookup(p, hint);
      fromClient = this.table.fromClient;
    }
    if (decky !== undefined) flow.decky = decky;
    if (flow.packets === 0 && p.ipVersion === 6 && this.ipv6Leaks) checkLinkLocal(this, flow);
    flow.packets++;
    flow.bytes += p.payloadLen;
    if (p.protocol === 6) this.handleTcp(flow, fromClient);
    else if (p.payloadLen > 0) this.handleUdpPayload(flow, fromClient);
  }

  /** The flow's analysis state, created when a flow first has something to analyse. */
  private stateOf(flow: Flow): FlowState {
    let st = flow.state as FlowState | null;
    if (st === null) {
      st = new FlowState(flow);
      flow.state = st;
    }
    return st;
  }

  /** Ends every flow (end of file / shutdown): pending records are written. */
  finish(): void {
    this.table.endAll();
    // Counted as plain numbers on the packet path (see handleTcp); reported from here on.
    if (this.rstOffSequence > 0) this.stats.inc("tcp.rst_off_sequence", this.rstOffSequence);
    if (this.timeJumps > 0) this.stats.inc("time.jump_sweep_deferred", this.timeJumps);
    if (this.table.resetTails > 0) this.stats.inc("tcp.after_reset", this.table.resetTails);
    this.rstOffSequence = 0;
    this.timeJumps = 0;
    this.table.resetTails = 0;
  }

  emit(
    flow: Flow,
    eventType: string,
    severity: number,
    fields: Record<string, string>,
    runs?: readonly EncodedFieldRun[],
  ): void {
    this.observations++;
    this.opts.onObservation({
      tsUs: clampTimestampUs(this.tsUs),
      decky: flow.decky ?? flow.serverAddr,
      eventType,
      severity,
      fields,
      runs,
    });
  }

  private handleTcp(flow: Flow, fromClient: boolean): void {
    const p = this.pkt;
    const f = p.tcpFlags;
    if (f & TCP_SYN) {
      const isSynAck = (f & TCP_ACK) !== 0;
      // The SYN sender is the client, the SYN-ACK sender the server, whatever was guessed.
      if (isSynAck === fromClient && !flow.orientationFixed && flow.packets <= 2) {
        flow.reverse();
        (flow.state as FlowState | null)?.syncEndpoints();
        fromClient = !fromClient;
      }
      flow.orientationFixed = true;
      if (!isSynAck && fromClient && flow.synTsUs < 0) {
        flow.synTsUs = p.tsUs;
        flow.synTtl = p.ttl;
        flow.clientIsn = p.tcpSeq;
        // An attacker's SYN to a decky (any SYN when no decky map restricts the view).
        if (this.syn !== undefined && this.pktHint !== "src") this.syn.onSyn(flow, p);
      } else if (isSynAck && !fromClient && flow.synAckTsUs < 0) {
        flow.synAckTsUs = p.tsUs;
        flow.synAckTtl = p.ttl;
        flow.serverIsn = p.tcpSeq;
        if (this.syn !== undefined) this.syn.onSynAck(flow, p);
      } else if (isSynAck && !fromClient && p.tcpSeq === flow.serverIsn) {
        // The server retransmitted its SYN-ACK: JA4TS counts the gaps (FoxIO JA4T.md).
        noteSynAckRetransmit(flow, p.tsUs);
      }
    } else if (
      flow.synAckTsUs >= 0 &&
      flow.synTsUs >= 0 &&
      flow.ackTsUs < 0 &&
      (f & (TCP_ACK | TCP_FIN | TCP_RST)) === TCP_ACK
    ) {
      // JA4L's third step: the first pure (or data-carrying) ACK after the SYN-ACK, from
      // either side, as the corpus reference takes it (CVE-2018-6794.pcap: the server's
      // PSH-ACK 1 µs after its SYN-ACK gives ja4l_c 0_128).
      flow.ackTsUs = p.tsUs;
    }
    if (!flow.hasPayload && f === TCP_ACK && p.payloadLen === 0) {
      if (fromClient) flow.acksToServer++;
      else flow.acksToClient++;
    }

    if (p.payloadLen > 0 && fromClient && this.timing) countRetransmit(flow, p.tcpSeq, p.payloadLen);
    if (p.payloadLen > 0 && !flow.closed) {
      const st = this.stateOf(flow);
      if (fromClient ? !st.attachedClient : !st.attachedServer) this.attachAnalyzers(st, fromClient);
      if (!flow.hasPayload) {
        flow.hasPayload = true;
        this.table.setClass(flow, flow.longLived ? LRU_LONG : LRU_TCP);
      }
      if (!st.wantsData) {
        // Every analyzer is done (or none applies): stop reassembling and copying this flow.
        flow.abandonReassembly();
      } else {
        const r = flow.reassembler(fromClient, this.table.opts.reassemblyLimit, this.table.budget);
        if (!r.done) {
          if (!r.started) {
            const isn = fromClient ? flow.clientIsn : flow.serverIsn;
            if (isn >= 0) r.initFromSyn(isn);
          }
          st.deliveringFromClient = fromClient;
          // Data on a SYN (TCP Fast Open) starts after the SYN's own sequence number.
          r.add(f & TCP_SYN ? p.tcpSeq + 1 : p.tcpSeq, p.buf, p.payloadOff, p.payloadLen, st);
        }
      }
    }

    const sst = flow.state as FlowState | null;
    if (sst !== null && sst.ssh !== null && !flow.finalized) {
      const ssh = sst.ssh;
      ssh.onPacket(fromClient, p);
      // Decided by this packet or by the stream bytes delivered above: an SSH flow takes the
      // long idle class (an idle shell must not split JA4SSH); another stops being watched.
      if (ssh.isSsh) {
        if (!flow.longLived) {
          flow.longLived = true;
          if (!flow.closed) this.table.setClass(flow, LRU_LONG);
        }
      } else if (ssh.notSsh) sst.ssh = null;
    }

    if (f & TCP_RST) {
      // A reset is taken only at exactly the sequence number its sender was at (RFC 5961
      // §3.2, what a Linux decky accepts): an attacker's off-sequence RST, which the decky
      // answers with a challenge ACK, must not end the analysis of the connection that goes
      // on. A reset connection ends at once; its packets still in flight are recognised a
      // moment longer and join no new flow (as they stay in tshark's stream).
      // The sender's next sequence number: tracked once it sent data or a FIN, else just
      // past its SYN; unknown (any RST taken) for a side seen only mid-stream.
      const tracked = fromClient ? flow.clientNextKnown : flow.serverNextKnown;
      const isn = fromClient ? flow.clientIsn : flow.serverIsn;
      const next = tracked ? (fromClient ? flow.clientNext : flow.serverNext) : (isn + 1) | 0;
      const taken = (!tracked && isn < 0) || (p.tcpSeq | 0) === next;
      // Counted without a branch of its own: a rare branch reached only after the compiler
      // optimised this function would make it throw its code away (no type feedback).
      this.rstOffSequence += taken ? 0 : 1;
      // A server that gives up on its SYN-ACKs with a RST ends JA4TS with R<gap>.
      if (taken && !fromClient && flow.synAckTsUs >= 0 && flow.ackTsUs < 0) flow.synAckRstUs = p.tsUs;
      if (taken) {
        flow.closed = true;
        this.table.endReset(flow, p.tsUs); // finalized as it leaves the table
      }
      return;
    }
    // Where this side's next byte starts, once it sends data or a FIN (a SYN and a FIN take
    // one sequence number each). Until then the RST check uses the ISN: a SYN scan's probes,
    // and pure ACKs, skip this.
    if ((f & TCP_FIN) !== 0 || p.payloadLen > 0) {
      const end = (p.tcpSeq + p.payloadLen + (f & TCP_SYN ? 1 : 0) + (f & TCP_FIN ? 1 : 0)) | 0;
      if (fromClient) {
        if (!flow.clientNextKnown || seqDiff(end, flow.clientNext) > 0) {
          flow.clientNext = end;
          flow.clientNextKnown = true;
        }
      } else if (!flow.serverNextKnown || seqDiff(end, flow.serverNext) > 0) {
        flow.serverNext = end;
        flow.serverNextKnown = true;
      }
    }
    if (f & TCP_FIN) {
      if (fromClient) flow.finFromClient = true;
      else flow.finFromServer = true;
      if (flow.finFromClient && flow.finFromServer) this.close(flow);
    }
  }

  private handleUdpPayload(flow: Flow, fromClient: boolean): void {
    const p = this.pkt;
    let st = flow.state as FlowState | null;
    if (!flow.hasPayload) {
      // Decided on the client's first datagrams: a QUIC Initial (analysis state made then),
      // or not QUIC at all (no state, ever: a UDP spray costs no allocation per flow). A few
      // are looked at, not one: after a Version Negotiation the client tries again from the
      // same socket (RFC 9000 §6), its first datagram having been of another version.
      if (!fromClient) return;
      if (!this.analyzers.has("quic")) {
        flow.hasPayload = true;
        return;
      }
      if (!QuicAnalyzer.accepts(p.buf, p.payloadOff, p.payloadLen)) {
        if (++flow.udpLooks >= QUIC_LOOKS) flow.hasPayload = true;
        return;
      }
      flow.hasPayload = true;
      st = this.stateOf(flow);
      st.quic = new QuicAnalyzer(st, this, this.stats);
    }
    const quic = st?.quic;
    if (quic != null && !quic.finished) quic.onDatagram(fromClient, p.buf, p.payloadOff, p.payloadLen, p.ttl);
  }

  /**
   * On each direction's first payload: which protocols may this be? TLS is watched from
   * the first byte either way (it may also start later, after CONNECT or SOCKS); HTTP by
   * the client's first bytes, even when the server spoke first; SSH from the first payload
   * of either side on, until either stream shows an identification line or cannot.
   */
  private attachAnalyzers(st: FlowState, fromClient: boolean): void {
    const first = !st.attachedClient && !st.attachedServer;
    if (fromClient) st.attachedClient = true;
    else st.attachedServer = true;
    const p = this.pkt;
    if (first && this.analyzers.has("tls")) {
      st.analyzers.push(new TlsAnalyzer(st, this, this.certCache, this.opts.keyLog));
    }
    // HTTP by the client's first bytes — of the stream: a first segment captured out of
    // order says nothing, and the analyzer then decides on the reassembled start itself.
    if (
      fromClient &&
      this.analyzers.has("http") &&
      (mayStartHttp(p.buf, p.payloadOff, p.payloadLen) || !startsClientStream(st.flow, p.tcpSeq, p.tcpFlags))
    ) {
      st.analyzers.push(new HttpAnalyzer(st, this, this.stats));
    }
    if (first && st.ssh === null && this.analyzers.has("ssh")) {
      // Decided on the reassembled streams (a server may send other lines before its
      // "SSH-" line, RFC 4253 §4.2); the flow is made long-lived then (see handleTcp).
      const f = st.flow;
      const ssh = new SshAnalyzer(st, this, this.stats, f.acksToServer, f.acksToClient);
      st.ssh = ssh;
      st.analyzers.push(ssh);
    }
  }

  /** FIN/RST: finish the analysis now; the flow lingers closed (unless ended) for late packets. */
  private close(flow: Flow): void {
    if (flow.closed) return;
    flow.closed = true;
    this.table.setClass(flow, LRU_SHORT);
    // JA4SSH still counts the last ACKs after FIN: an SSH flow is finalized when it
    // leaves the table (after the short linger); everything else right away.
    const st = flow.state as FlowState | null;
    if (st === null || st.ssh === null || !st.ssh.isSsh) this.finalize(flow);
  }

  private onFlowEnd(flow: Flow, _reason: FlowEndReason): void {
    this.finalize(flow);
    flow.state = null;
  }

  private finalize(flow: Flow): void {
    if (flow.finalized) return;
    flow.finalized = true;
    const timing = this.timing && flow.protocol === 6 ? emitFlowTiming(this, flow) : undefined;
    let st = flow.state as FlowState | null;
    if (st === null) {
      // A flow with nothing analysed (a scan probe) has a record only for its SYN.
      if (this.opts.onFlowRecord === undefined || flow.ja4t === undefined) return;
      st = this.stateOf(flow);
    }
    // Holes that never filled must not hide the data after them.
    if (flow.toServer !== null) {
      st.deliveringFromClient = true;
      flow.toServer.skipAllGaps(st);
    }
    if (flow.toClient !== null) {
      st.deliveringFromClient = false;
      flow.toClient.skipAllGaps(st);
    }
    flow.releaseBuffers();
    st.analyzers.length = 0;
    st.quic = null;
    if (st.ssh !== null) {
      st.ssh.finish();
      st.ssh = null;
    }
    if (this.opts.onFlowRecord !== undefined) {
      this.completeRecord(flow, st);
      if (timing !== undefined) st.record.flow_timing = timing;
    }
    if (this.opts.onFlowRecord !== undefined && hasFingerprint(st.record)) {
      this.records++;
      this.opts.onFlowRecord(st.record, flow);
    }
  }

  /** TCP-level parts of the connection record: JA4T/JA4TS and JA4L. */
  private completeRecord(flow: Flow, st: FlowState): void {
    const r = st.record;
    if (flow.ja4t !== undefined) r.ja4t = flow.ja4t;
    if (flow.ja4ts !== undefined) r.ja4ts = ja4tsWithRetransmits(flow, flow.ja4ts);
    if (flow.osGuess !== undefined) r.os_guess = flow.osGuess;
    if (flow.p0fLabel !== undefined) r.p0f_label = flow.p0fLabel;
    if (flow.linkLocalLeak !== undefined) r.ipv6_link_local_leak = flow.linkLocalLeak;
    // JA4L's steps in their order only (a SYN-ACK captured before its SYN gives none, as
    // in the FoxIO tool, rather than a negative latency).
    if (flow.synTsUs >= 0 && flow.synAckTsUs >= flow.synTsUs && flow.ackTsUs >= flow.synAckTsUs) {
      r.ja4l_c = ja4lClient(flow.synAckTsUs, flow.ackTsUs, flow.synTtl);
      r.ja4l_s = ja4lServer(flow.synTsUs, flow.synAckTsUs, flow.synAckTtl);
    }
  }
}

/**
 * Whether a SYN (without ACK) on a known 4-tuple opens a new connection, as tshark's TCP
 * dissector decides: after a FIN or RST, or when that side has sent before from another
 * initial sequence number. A retransmitted SYN (same ISN) stays in its connection.
 */
function startsNewConnection(flow: Flow, fromClient: boolean, seq: number): boolean {
  // Every field is read and every comparison made on every call, without short cuts: most
  // calls are a new flow's own SYN, and a path first taken after the compiler optimised
  // this (inlined into the packet loop) would make it throw that code away.
  const ended = (flow.closed ? 1 : 0) | (flow.finFromClient ? 1 : 0) | (flow.finFromServer ? 1 : 0);
  const clientKnown = flow.clientNextKnown ? 1 : 0;
  const serverKnown = flow.serverNextKnown ? 1 : 0;
  const clientIsn = flow.clientIsn;
  const serverIsn = flow.serverIsn;
  const isn = fromClient ? clientIsn : serverIsn;
  // That side has sent before: a SYN (its ISN is known) or data or a FIN.
  const sent = (fromClient ? clientKnown : serverKnown) | (isn >= 0 ? 1 : 0);
  const differs = (isn >>> 0 !== seq >>> 0 ? 1 : 0) | (isn < 0 ? 1 : 0);
  return (ended | (sent & differs)) !== 0;
}

function noteSynAckRetransmit(flow: Flow, tsUs: number): void {
  const times = flow.synAckRetransUs ?? [];
  flow.synAckRetransUs = times;
  if (times.length < JA4TS_MAX_RETRANSMITS) times.push(tsUs);
}

/** JA4TS with its fifth part when the server retransmitted its SYN-ACK or reset. */
function ja4tsWithRetransmits(flow: Flow, base: string): string {
  const again = flow.synAckRetransUs;
  if (again === null && flow.synAckRstUs < 0) return base;
  const times = again === null ? [flow.synAckTsUs] : [flow.synAckTsUs, ...again];
  const e = ja4tsRetransmitSuffix(times, flow.synAckRstUs >= 0 ? flow.synAckRstUs : undefined);
  return e === "" ? base : `${base}_${e}`;
}

/** Whether a client segment's data is the first of the client's stream (just past its SYN). */
function startsClientStream(flow: Flow, seq: number, flags: number): boolean {
  if (flow.clientIsn < 0) return true; // picked up mid-stream: the stream starts here
  return (seq + (flags & TCP_SYN ? 1 : 0)) >>> 0 === (flow.clientIsn + 1) >>> 0;
}
