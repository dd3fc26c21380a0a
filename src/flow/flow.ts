import type { ReassemblyBudget } from "./reassembly.js";
import { StreamReassembler } from "./reassembly.js";

/**
 * One bidirectional conversation (TCP or UDP), oriented client → server.
 * A class (not an object literal) so every flow shares one V8 shape.
 */
export class Flow {
  /** Doubly-linked LRU list (least recently active at the head of the table). */
  prev: Flow | null = null;
  next: Flow | null = null;

  /** Whether the packet's source endpoint is the client is decided by comparing with `clientIsLow`. */
  clientIsLow = true;
  /** True once a SYN (or SYN-ACK) fixed who the client is. */
  orientationFixed = false;

  firstTsUs: number;
  lastTsUs: number;
  packets = 0;
  bytes = 0;
  packetsToServer = 0;
  packetsToClient = 0;

  /** TCP handshake timing (packet time, µs; -1 = not seen) and TTLs. */
  synTsUs = -1;
  synTtl = -1;
  synAckTsUs = -1;
  synAckTtl = -1;
  /** First client ACK after the SYN-ACK (completes the 3-way handshake). */
  ackTsUs = -1;
  ackTtl = -1;
  /** Initial sequence numbers from SYN / SYN-ACK (-1 = not seen). */
  clientIsn = -1;
  serverIsn = -1;
  finFromClient = false;
  finFromServer = false;
  rst = false;
  /** FIN from both sides or RST: analysis is over; the flow lingers to absorb late packets. */
  closed = false;
  /** Idle timeout of this flow (µs of packet time); set by the flow table, shortened on close. */
  idleUs = 0;

  /** Reassembly of the first bytes of each direction (created on demand, TCP only). */
  toServer: StreamReassembler | null = null;
  toClient: StreamReassembler | null = null;

  /** Analyzer state, owned by the engine; opaque to the flow table. */
  state: unknown = null;

  constructor(
    /** Canonical key (both directions map to it). */
    readonly key: string,
    readonly protocol: number,
    /** tshark-style conversation index per transport, in order of first packet. */
    readonly streamIndex: number,
    public clientAddr: string,
    public serverAddr: string,
    public clientPort: number,
    public serverPort: number,
    readonly ipVersion: 4 | 6,
    readonly tunnelKey: number,
    tsUs: number,
  ) {
    this.firstTsUs = tsUs;
    this.lastTsUs = tsUs;
  }

  get transport(): "tcp" | "udp" {
    return this.protocol === 6 ? "tcp" : "udp";
  }

  /** Swap client and server (a SYN showed the first guess was wrong). */
  reverse(): void {
    const a = this.clientAddr;
    this.clientAddr = this.serverAddr;
    this.serverAddr = a;
    const p = this.clientPort;
    this.clientPort = this.serverPort;
    this.serverPort = p;
    this.clientIsLow = !this.clientIsLow;
    const r = this.toServer;
    this.toServer = this.toClient;
    this.toClient = r;
  }

  reassembler(toServer: boolean, limit: number, budget: ReassemblyBudget): StreamReassembler {
    if (toServer) {
      if (this.toServer === null) this.toServer = new StreamReassembler(limit, budget);
      return this.toServer;
    }
    if (this.toClient === null) this.toClient = new StreamReassembler(limit, budget);
    return this.toClient;
  }

  releaseBuffers(): void {
    this.toServer?.release();
    this.toClient?.release();
  }
}
