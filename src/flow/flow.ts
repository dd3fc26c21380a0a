import { FlowKey } from "./flow-key.js";
import type { ReassemblyBudget } from "./reassembly.js";
import { StreamReassembler } from "./reassembly.js";

/**
 * One bidirectional conversation (TCP or UDP), oriented client → server.
 * A class (not an object literal) so every flow shares one V8 shape. The flow is its own
 * canonical key (both directions): a lookup reads one object, not two.
 */
export class Flow extends FlowKey {
  /** Doubly-linked LRU list (least recently active at the head of the table). */
  prev: Flow | null = null;
  next: Flow | null = null;
  /** Next flow in the same hash bucket. */
  hnext: Flow | null = null;
  /** False once the flow left the table. */
  live = true;
  /** Which of the flow table's LRU lists (timeout class) holds this flow. */
  lruClass = 0;
  /** Decky name when a decky map is in use (a string owned by the map). */
  decky: string | undefined = undefined;
  /**
   * True once the flow's first payload was handled: TCP, any direction (it moves the flow to
   * the longer idle timeout); UDP, the client's first datagram (which decides QUIC).
   */
  hasPayload = false;
  /** Bare ACKs (flags exactly ACK) per direction before the first payload (JA4SSH counts them). */
  acksToServer = 0;
  acksToClient = 0;
  /** UDP: client datagrams looked at for a QUIC Initial so far (the engine stops at a few). */
  udpLooks = 0;
  /** An interactive session (SSH): kept through long idle periods. */
  longLived = false;
  private loText: string | undefined = undefined;
  private hiText: string | undefined = undefined;

  /** Whether the packet's source endpoint is the client is decided by comparing with `clientIsLow`. */
  clientIsLow = true;
  /** True once a SYN (or SYN-ACK) fixed who the client is. */
  orientationFixed = false;

  firstTsUs = 0;
  lastTsUs = 0;
  packets = 0;
  bytes = 0;
  /** Inter-arrival times between the flow's packets (µs), for tcp_flow_timing. */
  iatSumUs = 0;
  iatCount = 0;
  iatMinUs = Number.POSITIVE_INFINITY;
  iatMaxUs = 0;
  /** Client payload segments that started below the highest client sequence already seen. */
  retransmits = 0;
  /** End of the highest client payload seen (-1 before any), for retransmit counting. */
  clientSeqHigh = -1;

  /** TCP handshake timing (packet time, µs; -1 = not seen) and TTLs. */
  synTsUs = -1;
  synTtl = -1;
  synAckTsUs = -1;
  synAckTtl = -1;
  /**
   * Times (µs) of the server's retransmitted SYN-ACKs (same ISN), at most
   * JA4TS_MAX_RETRANSMITS, and of a server RST before the handshake completed (-1 = none):
   * JA4TS's fifth part. Null until a retransmission is seen (most flows have none).
   */
  synAckRetransUs: number[] | null = null;
  synAckRstUs = -1;
  /** First plain ACK after the SYN-ACK (JA4L's third step; FIN/RST do not count). */
  ackTsUs = -1;
  /** Initial sequence numbers from SYN / SYN-ACK (-1 = not seen). */
  clientIsn = -1;
  serverIsn = -1;
  finFromClient = false;
  finFromServer = false;
  /**
   * Sequence number just past the last byte (SYN and FIN count one) each side has sent, as
   * int32 (compared modulo 2^32); meaningful once that side's `…NextKnown`. A RST is taken
   * only when it carries exactly this number, as a receiver checking RFC 5961 §3.2 does.
   */
  clientNext = 0;
  serverNext = 0;
  clientNextKnown = false;
  serverNextKnown = false;
  /** FIN from both sides or RST: analysis is over; the flow lingers to absorb late packets. */
  closed = false;
  /** The engine has written this flow's results (at close, or when it leaves the table). */
  finalized = false;

  /** Reassembly of the first bytes of each direction (created on demand, TCP only). */
  toServer: StreamReassembler | null = null;
  toClient: StreamReassembler | null = null;

  /** Analyzer state, owned by the engine; opaque to the flow table. */
  state: unknown = null;
  /** JA4T of the client SYN and JA4TS of the server SYN-ACK, when seen. */
  ja4t: string | undefined = undefined;
  ja4ts: string | undefined = undefined;
  /** DECNET os_guess and p0f label of the client SYN (shared strings of a memo entry). */
  osGuess: string | undefined = undefined;
  p0fLabel: string | undefined = undefined;
  /** What an IPv6 link-local endpoint leaked ("eui64 <mac>" or "random"), when it did. */
  linkLocalLeak: string | undefined = undefined;

  /** tshark-style conversation index per transport, in order of first packet. */
  streamIndex = 0;
  clientPort = 0;
  serverPort = 0;

  /**
   * (Re)initialises every field. Flow objects are recycled by the flow table: a SYN
   * scan creates a flow per probe, and reusing them keeps the garbage collector from
   * copying hundreds of thousands of medium-lived objects.
   */
  init(key: FlowKey, streamIndex: number, srcIsClient: boolean, tsUs: number): void {
    this.copyFrom(key);
    this.streamIndex = streamIndex;
    const srcPort = key.srcIsLow ? key.aPort : key.bPort;
    const dstPort = key.srcIsLow ? key.bPort : key.aPort;
    this.clientPort = srcIsClient ? srcPort : dstPort;
    this.serverPort = srcIsClient ? dstPort : srcPort;
    this.clientIsLow = srcIsClient ? key.srcIsLow : !key.srcIsLow;
    this.prev = null;
    this.next = null;
    this.hnext = null;
    this.live = true;
    this.lruClass = 0;
    this.decky = undefined;
    this.hasPayload = false;
    this.acksToServer = 0;
    this.acksToClient = 0;
    this.udpLooks = 0;
    this.longLived = false;
    this.loText = undefined;
    this.hiText = undefined;
    this.orientationFixed = false;
    this.firstTsUs = tsUs;
    this.lastTsUs = tsUs;
    this.packets = 0;
    this.bytes = 0;
    this.iatSumUs = 0;
    this.iatCount = 0;
    this.iatMinUs = Number.POSITIVE_INFINITY;
    this.iatMaxUs = 0;
    this.retransmits = 0;
    this.clientSeqHigh = -1;
    this.synTsUs = -1;
    this.synTtl = -1;
    this.synAckTsUs = -1;
    this.synAckTtl = -1;
    this.synAckRetransUs = null;
    this.synAckRstUs = -1;
    this.ackTsUs = -1;
    this.clientIsn = -1;
    this.serverIsn = -1;
    this.finFromClient = false;
    this.finFromServer = false;
    this.clientNext = 0;
    this.serverNext = 0;
    this.clientNextKnown = false;
    this.serverNextKnown = false;
    this.closed = false;
    this.finalized = false;
    this.toServer = null;
    this.toClient = null;
    this.state = null;
    this.ja4t = undefined;
    this.ja4ts = undefined;
    this.osGuess = undefined;
    this.p0fLabel = undefined;
    this.linkLocalLeak = undefined;
  }

  get transport(): "tcp" | "udp" {
    return this.protocol === 6 ? "tcp" : "udp";
  }

  /**
   * Endpoint addresses as text, decoded from the key on first use: flows that never
   * report anything (most of a SYN scan) never format an address.
   */
  get clientAddr(): string {
    return this.clientIsLow ? this.lowText() : this.highText();
  }

  get serverAddr(): string {
    return this.clientIsLow ? this.highText() : this.lowText();
  }

  private lowText(): string {
    if (this.loText === undefined) this.loText = this.addressText(0);
    return this.loText;
  }

  private highText(): string {
    if (this.hiText === undefined) this.hiText = this.addressText(1);
    return this.hiText;
  }

  /** Swap client and server (a SYN showed the first guess was wrong). */
  reverse(): void {
    const p = this.clientPort;
    this.clientPort = this.serverPort;
    this.serverPort = p;
    const n = this.clientNext;
    this.clientNext = this.serverNext;
    this.serverNext = n;
    const k = this.clientNextKnown;
    this.clientNextKnown = this.serverNextKnown;
    this.serverNextKnown = k;
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

  /** Ends the reassembly of both directions (nothing reads them any more). */
  abandonReassembly(): void {
    this.toServer?.abandon();
    this.toClient?.abandon();
  }

  releaseBuffers(): void {
    this.toServer?.release();
    this.toClient?.release();
  }
}
