/** JA4SSH window size: FoxIO's default sample of 200 SSH packets per fingerprint. */
export const JA4SSH_WINDOW = 200;

/**
 * JA4SSH (FoxIO JA4+; FoxIO License 1.1) over one TCP connection, as the reference Rust
 * tool counts:
 *
 *   c{mode client payload len}s{mode server payload len}_c{client SSH pkts}s{server SSH pkts}_c{client ACKs}s{server ACKs}
 *
 * - An *SSH packet* is a TCP segment in which the reference's dissector (tshark) sees SSH;
 *   its TCP payload length (`tcp.len`) enters the mode. Feed that decision as `isSsh`
 *   (see Ja4SshSegmentClassifier); by default any segment with payload counts.
 * - Any other segment whose TCP flags are exactly ACK (0x010) counts as a bare ACK, even
 *   if it carries payload the dissector did not take (a middle segment of a reassembled
 *   message, say). Retransmissions are not SSH packets: pass `isSsh = false`.
 * - Every other packet (SYN, FIN, RST, PSH without SSH) counts for nothing.
 * - Mode: the most frequent length; on a tie the smallest; 0 for a side with no packet.
 * - A fingerprint is emitted when client + server SSH packets reach the window size, and
 *   the counts restart; ACKs seen after that belong to the next window. At the end of the
 *   connection `flush()` gives the partial window if it holds at least one SSH packet.
 *
 * Bounded: two arrays of `windowSize` lengths, reused for every window. Feed every packet
 * of the connection in capture order, from the handshake on (the client's third handshake
 * packet is a bare ACK and counts).
 */
export class Ja4SshWindow {
  readonly windowSize: number;
  private readonly clientLens: Int32Array;
  private readonly serverLens: Int32Array;
  private clientPackets = 0;
  private serverPackets = 0;
  private clientAcks = 0;
  private serverAcks = 0;

  constructor(windowSize = JA4SSH_WINDOW) {
    this.windowSize = Math.max(1, Math.floor(windowSize));
    this.clientLens = new Int32Array(this.windowSize);
    this.serverLens = new Int32Array(this.windowSize);
  }

  /**
   * One TCP packet of the connection. `isBareAck`: the TCP flags are exactly ACK, whatever
   * the payload. Returns a fingerprint when this packet completes a window.
   */
  addPacket(
    fromClient: boolean,
    payloadLen: number,
    isBareAck: boolean,
    isSsh = payloadLen > 0,
  ): string | undefined {
    if (isSsh) {
      if (fromClient) this.clientLens[this.clientPackets++] = payloadLen;
      else this.serverLens[this.serverPackets++] = payloadLen;
      if (this.clientPackets + this.serverPackets >= this.windowSize) return this.take();
    } else if (isBareAck) {
      if (fromClient) this.clientAcks++;
      else this.serverAcks++;
    }
    return undefined;
  }

  /** `n` bare ACKs from one side (as `n` calls of addPacket with isBareAck and no SSH packet). */
  addAcks(fromClient: boolean, n: number): void {
    if (fromClient) this.clientAcks += n;
    else this.serverAcks += n;
  }

  /** The partial window at the end of the connection, if it holds an SSH packet. */
  flush(): string | undefined {
    if (this.clientPackets + this.serverPackets === 0) return undefined;
    return this.take();
  }

  private take(): string {
    const c = mode(this.clientLens, this.clientPackets);
    const s = mode(this.serverLens, this.serverPackets);
    const fp = `c${c}s${s}_c${this.clientPackets}s${this.serverPackets}_c${this.clientAcks}s${this.serverAcks}`;
    this.clientPackets = 0;
    this.serverPackets = 0;
    this.clientAcks = 0;
    this.serverAcks = 0;
    return fp;
  }
}

/** Most frequent of `a[0, n)`; the smallest among equally frequent; 0 when n = 0. Sorts in place. */
function mode(a: Int32Array, n: number): number {
  if (n === 0) return 0;
  const v = a.subarray(0, n).sort();
  let best = v[0];
  let bestCount = 0;
  let run = 0;
  for (let i = 0; i < n; i++) {
    run = i > 0 && v[i] === v[i - 1] ? run + 1 : 1;
    // Ascending order: a strictly larger count wins, so ties keep the smaller length.
    if (run > bestCount) {
      bestCount = run;
      best = v[i];
    }
  }
  return best;
}
