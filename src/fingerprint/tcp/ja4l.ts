/**
 * JA4L light-distance values for TCP (FoxIO `technical_details/JA4L.md`), as pure functions
 * of capture timestamps (µs) and TTLs.
 *
 *   A = client SYN seen (client TTL recorded), B = server SYN-ACK seen (server TTL recorded),
 *   C = client ACK seen.
 *   JA4L-C = `${(C − B) / 2}_${client TTL}`   (DESIGN §3: SYN-ACK→ACK with the client TTL)
 *   JA4L-S = `${(B − A) / 2}_${server TTL}`   (SYN→SYN-ACK with the server TTL)
 *
 * Halves are integer microseconds truncated toward zero, as the reference tool computes them
 * (`7_64`, `2219_255` in the corpus). TTL is the IPv4 TTL or IPv6 hop limit.
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "../../decode/packet.js";

/** One JA4L value: half the gap between two capture times, then the TTL. */
export function ja4lValue(fromUs: number, toUs: number, ttl: number): string {
  return `${Math.trunc((toUs - fromUs) / 2)}_${ttl}`;
}

/** JA4L-C: SYN-ACK → ACK, with the client's TTL (taken from its SYN). */
export function ja4lClient(synAckUs: number, ackUs: number, clientTtl: number): string {
  return ja4lValue(synAckUs, ackUs, clientTtl);
}

/** JA4L-S: SYN → SYN-ACK, with the server's TTL (taken from its SYN-ACK). */
export function ja4lServer(synUs: number, synAckUs: number, serverTtl: number): string {
  return ja4lValue(synUs, synAckUs, serverTtl);
}

/** Which handshake step a TCP flags byte is, for JA4L. */
export const HandshakeStep = { None: 0, Syn: 1, SynAck: 2, Ack: 3 } as const;
export type HandshakeStep = (typeof HandshakeStep)[keyof typeof HandshakeStep];

/**
 * Classifies TCP flags for JA4L: SYN = SYN without ACK; SYN-ACK = SYN with ACK; ACK = ACK
 * with none of SYN, FIN, RST (a pure ACK or an ACK carrying data). ECN bits are ignored.
 */
export function handshakeStep(tcpFlags: number): HandshakeStep {
  if (tcpFlags & TCP_SYN) return tcpFlags & TCP_ACK ? HandshakeStep.SynAck : HandshakeStep.Syn;
  if ((tcpFlags & (TCP_ACK | TCP_FIN | TCP_RST)) === TCP_ACK) return HandshakeStep.Ack;
  return HandshakeStep.None;
}

/**
 * Per-connection JA4L state (five numbers; the flow table owns one per flow). Feed it the
 * connection's packets in capture order; the first SYN, then the first SYN-ACK after it, then
 * the first ACK after that complete it, like the reference's state machine. Anything out of
 * that order is ignored.
 */
export class Ja4lHandshake {
  private state = 0; // 0 want SYN, 1 want SYN-ACK, 2 want ACK, 3 done
  private synUs = 0;
  private synAckUs = 0;
  private ackUs = 0;
  private clientTtl = 0;
  private serverTtl = 0;

  /** Records one packet of the connection. Returns true once both values are known. */
  observe(tcpFlags: number, tsUs: number, ttl: number): boolean {
    const step = handshakeStep(tcpFlags);
    if (this.state === 0 && step === HandshakeStep.Syn) {
      this.synUs = tsUs;
      this.clientTtl = ttl;
      this.state = 1;
    } else if (this.state === 1 && step === HandshakeStep.SynAck) {
      this.synAckUs = tsUs;
      this.serverTtl = ttl;
      this.state = 2;
    } else if (this.state === 2 && step === HandshakeStep.Ack) {
      this.ackUs = tsUs;
      this.state = 3;
    }
    return this.state === 3;
  }

  get complete(): boolean {
    return this.state === 3;
  }

  /** JA4L-C, once complete. */
  client(): string | undefined {
    return this.state === 3 ? ja4lClient(this.synAckUs, this.ackUs, this.clientTtl) : undefined;
  }

  /** JA4L-S, once the SYN-ACK was seen. */
  server(): string | undefined {
    return this.state >= 2 ? ja4lServer(this.synUs, this.synAckUs, this.serverTtl) : undefined;
  }

  /** SYN→SYN-ACK gap in ms rounded to 2 decimals (DECNET's `ja4l_rtt_ms`), once seen. */
  synToSynAckMs(): number | undefined {
    return this.state >= 2 ? Math.round((this.synAckUs - this.synUs) / 10) / 100 : undefined;
  }

  /** TTL of the client SYN (DECNET's `ja4l_client_ttl`). */
  get clientTtlValue(): number {
    return this.clientTtl;
  }

  reset(): void {
    this.state = 0;
  }
}
