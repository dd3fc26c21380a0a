import type { Flow } from "../flow/flow.js";
import type { StreamSink } from "../flow/reassembly.js";
import type { QuicAnalyzer } from "./analyzers/quic.js";
import type { SshAnalyzer } from "./analyzers/ssh.js";
import type { Ja4Record } from "./ja4-record.js";
import type { EncodedFieldRun, Observation } from "./observation.js";

/** What an analyzer may do besides parsing: emit observations, read the flow. */
export interface AnalyzerContext {
  /** Packet time of the packet being processed (µs). */
  readonly tsUs: number;
  /** `runs`: some of `fields` already encoded for the line writer (see Observation.runs). */
  emit(
    flow: Flow,
    eventType: string,
    severity: number,
    fields: Record<string, string>,
    runs?: readonly EncodedFieldRun[],
  ): void;
}

/** An application-layer analyzer attached to one TCP flow. */
export interface StreamAnalyzer {
  onData(fromClient: boolean, buf: Buffer, off: number, len: number): void;
  /** `skipped`: how many bytes the capture lost there (an analyzer may skip them in a body). */
  onGap(fromClient: boolean, skipped: number): void;
  /** True when the analyzer wants no more data (done or not its protocol). */
  readonly finished: boolean;
}

/** DECNET's four endpoint fields, attacker (client) first: every sniffer event starts with them. */
export function endpointFields(f: Flow): Record<string, string> {
  return {
    src_ip: f.clientAddr,
    src_port: String(f.clientPort),
    dst_ip: f.serverAddr,
    dst_port: String(f.serverPort),
  };
}

/** Per-flow engine state hung on `Flow.state`. */
export class FlowState implements StreamSink {
  private rec: Ja4Record | undefined = undefined;
  analyzers: StreamAnalyzer[] = [];
  /** Analyzers were considered on this direction's first payload (never again). */
  attachedClient = false;
  attachedServer = false;
  /** UDP: the QUIC analyzer (a flow has analysis state only when it is QUIC); null once finalized. */
  quic: QuicAnalyzer | null = null;
  /**
   * TCP: the SSH analyzer (fed every packet, and in `analyzers` for the stream bytes) from
   * the first payload on; null again once the flow was seen not to speak SSH.
   */
  ssh: SshAnalyzer | null = null;
  /** Which direction the reassembler is delivering to (set before each add). */
  deliveringFromClient = true;
  /** wantsData turned false (final: see there). */
  private allFinished = false;

  constructor(readonly flow: Flow) {}

  /**
   * The connection record, made on first use: a flow nothing reports on (a scan, a protocol
   * no analyzer reads) never formats its addresses.
   */
  get record(): Ja4Record {
    let r = this.rec;
    if (r === undefined) {
      const flow = this.flow;
      r = {
        stream: flow.streamIndex,
        transport: flow.transport,
        src: flow.clientAddr,
        dst: flow.serverAddr,
        src_port: flow.clientPort,
        dst_port: flow.serverPort,
      };
      this.rec = r;
    }
    return r;
  }

  /** Re-read orientation after the flow was reversed by a late SYN. */
  syncEndpoints(): void {
    const r = this.rec;
    if (r === undefined) return;
    r.src = this.flow.clientAddr;
    r.dst = this.flow.serverAddr;
    r.src_port = this.flow.clientPort;
    r.dst_port = this.flow.serverPort;
  }

  /**
   * Whether a stream analyzer still reads data. Once both directions have had their
   * analyzers attached (the list is then final) and all of them are finished, it stays false.
   */
  get wantsData(): boolean {
    if (this.allFinished) return false;
    if (!this.attachedClient || !this.attachedServer) return true;
    const list = this.analyzers;
    for (let i = 0; i < list.length; i++) if (!list[i].finished) return true;
    this.allFinished = true;
    return false;
  }

  onData(buf: Buffer, off: number, len: number): void {
    const fromClient = this.deliveringFromClient;
    const list = this.analyzers;
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (!a.finished) a.onData(fromClient, buf, off, len);
    }
  }

  onGap(skipped: number): void {
    const fromClient = this.deliveringFromClient;
    const list = this.analyzers;
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (!a.finished) a.onGap(fromClient, skipped);
    }
  }
}

export type { Observation };
