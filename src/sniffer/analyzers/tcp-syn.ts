import type { DecodedPacket } from "../../decode/packet.js";
import { matchP0fSyn, type P0fMatch } from "../../fingerprint/p0f/matcher.js";
import type { P0fDatabase } from "../../fingerprint/p0f/signature-file.js";
import { ja4t, ja4ts } from "../../fingerprint/tcp/ja4t.js";
import { SequenceTracker } from "../../fingerprint/tcp/sequence-class.js";
import { synFingerprint, type TcpSynFingerprint } from "../../fingerprint/tcp/syn-fingerprint.js";
import type { Flow } from "../../flow/flow.js";
import { BoundedCache } from "../../util/bounded-cache.js";
import type { AnalyzerContext } from "../flow-state.js";
import { SEVERITY_INFO } from "../observation.js";

/** What a SYN's header says, independent of addresses, ports and counters. */
interface SynSummary {
  fp: TcpSynFingerprint | undefined;
  p0f: P0fMatch | undefined;
  ja4t: string;
}

/**
 * TCP/IP stack fingerprints of the attacker's SYN (DECNET tcp_syn_fingerprint with
 * os_guess, p0f label, sequence classes, JA4T) and of the decky's SYN-ACK (JA4TS).
 *
 * Scanners send the same SYN thousands of times, so the header-derived part is
 * memoised on the header bytes that can influence it (TTL, TOS, flags, window, the
 * option bytes with timestamp values reduced to zero/non-zero, ...). Bounded: 4096
 * distinct SYN shapes.
 */
export class SynAnalyzer {
  private readonly seq = new SequenceTracker();
  private readonly memo = new BoundedCache<SynSummary>(4096);

  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly p0f: P0fDatabase | undefined,
  ) {}

  /** A client SYN: emit tcp_syn_fingerprint, remember JA4T on the flow. */
  onSyn(flow: Flow, p: DecodedPacket): void {
    const key = synShapeKey(p);
    let s = this.memo.get(key);
    if (s === undefined) {
      const p0f = this.p0f === undefined ? undefined : matchP0fSyn(this.p0f, p);
      s = { fp: synFingerprint(p, p0f), p0f, ja4t: ja4t(p) };
      this.memo.set(key, s);
    }
    flow.ja4t = s.ja4t;
    const fp = s.fp;
    if (fp === undefined) return;
    flow.osGuess = fp.os_guess;
    flow.p0fLabel = s.p0f?.label;
    const src = flow.clientAddr;
    const cls = this.seq.observe(src, p.ipVersion === 4 ? p.ipId : -1, p.tcpSeq);
    const fields: Record<string, string> = {
      src_ip: src,
      src_port: String(flow.clientPort),
      dst_ip: flow.serverAddr,
      dst_port: String(flow.serverPort),
      ttl: fp.ttl,
      initial_ttl: fp.initial_ttl,
      hop_distance: fp.hop_distance,
      window: fp.window,
      mss: fp.mss,
      wscale: fp.wscale,
      options_sig: fp.options_sig,
      has_sack: fp.has_sack,
      has_timestamps: fp.has_timestamps,
      tos: fp.tos,
      dscp: fp.dscp,
      ecn: fp.ecn,
      df: fp.df,
      ipid_class: cls.ipid_class,
      ipid_samples: cls.ipid_samples,
      isn_class: cls.isn_class,
      isn_samples: cls.isn_samples,
      os_guess: fp.os_guess,
      ja4t: s.ja4t,
    };
    if (s.p0f !== undefined) {
      fields.p0f_label = s.p0f.label;
      fields.p0f_distance = s.p0f.distanceText;
    }
    this.ctx.emit(flow, "tcp_syn_fingerprint", SEVERITY_INFO, fields);
  }

  /** The decky's SYN-ACK: JA4TS on the flow. */
  onSynAck(flow: Flow, p: DecodedPacket): void {
    flow.ja4ts = ja4ts(p);
  }
}

/**
 * The header bytes a SYN fingerprint depends on, as a short string: IP version, TTL,
 * TOS, DF, zero IP-ID, IP header length, flow label set, TCP flags (with reserved bits),
 * window, zero sequence, non-zero ack / urgent pointer, payload present, then the option
 * bytes with timestamp values replaced by zero/non-zero markers.
 */
export function synShapeKey(p: DecodedPacket): string {
  const b = p.buf;
  let k = String.fromCharCode(
    p.ipVersion,
    p.ttl,
    p.tos,
    (p.df ? 1 : 0) | (p.ipId === 0 ? 2 : 0) | (p.flowLabel !== 0 ? 4 : 0) | (p.tcpSeq === 0 ? 8 : 0),
    p.ipHeaderLen,
    p.tcpFlags,
    b[p.l4Off + 12] & 0x0f,
    p.tcpWindow,
    (p.tcpAck !== 0 ? 1 : 0) | (p.tcpUrgent !== 0 ? 2 : 0) | (p.payloadLen > 0 ? 4 : 0),
  );
  const end = p.tcpOptOff + p.tcpOptLen;
  let i = p.tcpOptOff;
  while (i < end) {
    const kind = b[i];
    if (kind === 8 && i + 10 <= end && b[i + 1] === 10) {
      const v = b.readUInt32BE(i + 2);
      const e = b.readUInt32BE(i + 6);
      k += String.fromCharCode(8, 10, v === 0 ? 0 : 1, e === 0 ? 0 : 1);
      i += 10;
    } else {
      k += String.fromCharCode(kind);
      i++;
    }
  }
  return k;
}
