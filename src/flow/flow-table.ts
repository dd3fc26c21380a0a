import { formatAddress } from "../decode/address.js";
import type { DecodedPacket } from "../decode/packet.js";
import { Flow } from "./flow.js";
import { computeFlowKey, type FlowKeyResult } from "./flow-key.js";
import type { ReassemblyBudget } from "./reassembly.js";

export interface FlowTableOptions {
  /** Hard cap on live flows; the least recently active flow is evicted beyond it. */
  maxFlows: number;
  /** Hard cap on bytes held in out-of-order reassembly copies, all flows together. */
  maxBufferedBytes: number;
  /** Bytes reassembled per direction (handshakes only). */
  reassemblyLimit: number;
  /** Idle timeouts on packet time (µs). */
  tcpIdleUs: number;
  udpIdleUs: number;
  /** How long a closed (FIN/RST) flow lingers; the shortest timeout in use. */
  closedLingerUs: number;
}

export const DEFAULT_FLOW_TABLE_OPTIONS: FlowTableOptions = {
  maxFlows: 131_072,
  maxBufferedBytes: 64 * 1024 * 1024,
  reassemblyLimit: 64 * 1024,
  tcpIdleUs: 120_000_000,
  udpIdleUs: 60_000_000,
  closedLingerUs: 30_000_000,
};

export type FlowEndReason = "fin" | "rst" | "idle" | "evicted" | "shutdown";

/**
 * Bidirectional flow table keyed by the canonical 5-tuple (+ tunnel context).
 *
 * Bounds: at most `maxFlows` flows (LRU eviction) and `maxBufferedBytes` of
 * out-of-order copies (LRU flows are evicted until under the cap). Idle flows are
 * swept on packet time. The LRU list is intrusive (prev/next on the flow), so a
 * packet's "touch" costs two pointer moves and no allocation.
 */
export class FlowTable {
  readonly opts: FlowTableOptions;
  readonly budget: ReassemblyBudget;
  private readonly map = new Map<string, Flow>();
  private head: Flow | null = null; // least recently active
  private tail: Flow | null = null; // most recently active
  private tcpStreams = 0;
  private udpStreams = 0;
  private readonly keyOut: FlowKeyResult = { key: "", srcIsLow: true };
  /** Set by `lookup`: whether the packet travels client → server. */
  fromClient = true;
  flowsCreated = 0;
  flowsEvicted = 0;

  constructor(
    opts: Partial<FlowTableOptions>,
    private readonly onEnd: (flow: Flow, reason: FlowEndReason) => void,
  ) {
    this.opts = { ...DEFAULT_FLOW_TABLE_OPTIONS, ...opts };
    this.budget = { used: 0, max: this.opts.maxBufferedBytes };
  }

  get size(): number {
    return this.map.size;
  }

  /**
   * Finds or creates the flow of a TCP/UDP packet and marks it most recently active.
   * `serverHint` (optional) says which side is the decky: "src", "dst" or undefined.
   */
  lookup(p: DecodedPacket, serverHint?: "src" | "dst"): Flow {
    computeFlowKey(p, this.keyOut);
    const key = this.keyOut.key;
    const srcIsLow = this.keyOut.srcIsLow;
    let flow = this.map.get(key);
    if (flow === undefined) {
      flow = this.create(p, key, srcIsLow, serverHint);
    } else {
      this.unlink(flow);
    }
    this.append(flow);
    this.fromClient = srcIsLow === flow.clientIsLow;
    flow.lastTsUs = p.tsUs;
    return flow;
  }

  /** Ends a flow now (FIN/RST handled by the engine). */
  end(flow: Flow, reason: FlowEndReason): void {
    if (this.map.get(flow.key) !== flow) return;
    this.map.delete(flow.key);
    this.unlink(flow);
    flow.releaseBuffers();
    this.onEnd(flow, reason);
  }

  /** Ends flows idle longer than their timeout at packet time `nowUs`. */
  sweepIdle(nowUs: number): void {
    // The list is in last-activity order and no flow's timeout is shorter than
    // `minIdle`, so the sweep stops at the first flow active within `minIdle`.
    const o = this.opts;
    const minCut = nowUs - Math.min(o.tcpIdleUs, o.udpIdleUs, o.closedLingerUs);
    let f = this.head;
    while (f !== null && f.lastTsUs < minCut) {
      const nxt = f.next;
      if (f.lastTsUs < nowUs - f.idleUs) this.end(f, "idle");
      f = nxt;
    }
  }

  /** Evicts LRU flows while the buffered-bytes budget is exceeded. */
  enforceBudget(): void {
    while (this.budget.used > this.budget.max && this.head !== null) {
      this.flowsEvicted++;
      this.end(this.head, "evicted");
    }
  }

  /** Ends every flow, oldest stream first (shutdown / end of file). */
  endAll(): void {
    const flows = [...this.map.values()].sort(
      (a, b) => a.protocol - b.protocol || a.streamIndex - b.streamIndex,
    );
    for (const f of flows) this.end(f, "shutdown");
  }

  private create(p: DecodedPacket, key: string, srcIsLow: boolean, serverHint?: "src" | "dst"): Flow {
    if (this.map.size >= this.opts.maxFlows && this.head !== null) {
      this.flowsEvicted++;
      this.end(this.head, "evicted");
    }
    // Orientation before any SYN: the decky is the server; otherwise, for TCP, the
    // lower port (well-known side) is the server; for UDP the first sender is the client.
    let srcIsClient: boolean;
    if (serverHint === "dst") srcIsClient = true;
    else if (serverHint === "src") srcIsClient = false;
    else if (p.protocol === 6) srcIsClient = p.srcPort !== p.dstPort ? p.srcPort > p.dstPort : true;
    else srcIsClient = true;
    const synOnly = p.protocol === 6 && (p.tcpFlags & 0x12) === 0x02;
    const synAck = p.protocol === 6 && (p.tcpFlags & 0x12) === 0x12;
    if (synOnly) srcIsClient = true;
    else if (synAck) srcIsClient = false;
    const src = formatAddress(p.buf, p.srcOff, p.ipVersion);
    const dst = formatAddress(p.buf, p.dstOff, p.ipVersion);
    const index = p.protocol === 6 ? this.tcpStreams++ : this.udpStreams++;
    const flow = srcIsClient
      ? new Flow(key, p.protocol, index, src, dst, p.srcPort, p.dstPort, p.ipVersion, p.tunnelKey, p.tsUs)
      : new Flow(key, p.protocol, index, dst, src, p.dstPort, p.srcPort, p.ipVersion, p.tunnelKey, p.tsUs);
    flow.clientIsLow = srcIsClient ? srcIsLow : !srcIsLow;
    flow.orientationFixed = synOnly || synAck || serverHint !== undefined;
    flow.idleUs = p.protocol === 6 ? this.opts.tcpIdleUs : this.opts.udpIdleUs;
    this.map.set(key, flow);
    this.flowsCreated++;
    return flow;
  }

  private unlink(f: Flow): void {
    if (f.prev !== null) f.prev.next = f.next;
    else if (this.head === f) this.head = f.next;
    if (f.next !== null) f.next.prev = f.prev;
    else if (this.tail === f) this.tail = f.prev;
    f.prev = null;
    f.next = null;
  }

  private append(f: Flow): void {
    f.prev = this.tail;
    f.next = null;
    if (this.tail !== null) this.tail.next = f;
    else this.head = f;
    this.tail = f;
  }
}
