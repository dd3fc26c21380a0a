import type { DecodedPacket } from "../../decode/packet.js";
import { matchP0fSyn, type P0fMatch } from "../../fingerprint/p0f/matcher.js";
import type { P0fDatabase } from "../../fingerprint/p0f/signature-file.js";
import { ja4t, ja4ts } from "../../fingerprint/tcp/ja4t.js";
import { type SequenceClasses, SequenceTracker } from "../../fingerprint/tcp/sequence-class.js";
import { synFingerprint, type TcpSynFingerprint } from "../../fingerprint/tcp/syn-fingerprint.js";
import type { Flow } from "../../flow/flow.js";
import { encodeFieldRun } from "../../sink/observation-format.js";
import type { AnalyzerContext } from "../flow-state.js";
import { type EncodedFieldRun, SEVERITY_INFO } from "../observation.js";

/** What a SYN's header says, independent of addresses, ports and counters. */
interface SynSummary {
  fp: TcpSynFingerprint | undefined;
  p0f: P0fMatch | undefined;
  ja4t: string;
  /** The header-derived fields (ttl … df) encoded once for the line writer. */
  headRun: EncodedFieldRun | undefined;
  /** The same for the fields after the sequence classes (os_guess … p0f_distance). */
  tailRun: EncodedFieldRun | undefined;
}

/** The tcp_syn_fingerprint fields that come from the SYN's header alone, in their order. */
const HEADER_FIELDS = [
  "ttl",
  "initial_ttl",
  "hop_distance",
  "window",
  "mss",
  "wscale",
  "options_sig",
  "has_sack",
  "has_timestamps",
  "tos",
  "dscp",
  "ecn",
  "df",
] as const;
/** Where they start: after src_ip, src_port, dst_ip, dst_port. */
const HEADER_FIELDS_AT = 4;

function headerRun(fp: TcpSynFingerprint | undefined): EncodedFieldRun | undefined {
  if (fp === undefined) return undefined;
  return encodeFieldRun(
    HEADER_FIELDS_AT,
    HEADER_FIELDS,
    HEADER_FIELDS.map((k) => fp[k]),
  );
}

/** The sequence-class fields, after the header ones. */
const CLASS_FIELDS = ["ipid_class", "ipid_samples", "isn_class", "isn_samples"] as const;
const CLASS_FIELDS_AT = HEADER_FIELDS_AT + HEADER_FIELDS.length;
/** Then os_guess, ja4t and, with a p0f database, p0f_label and p0f_distance. */
const TAIL_FIELDS_AT = CLASS_FIELDS_AT + CLASS_FIELDS.length;

function tailRun(
  fp: TcpSynFingerprint | undefined,
  ja4tText: string,
  p0f: P0fMatch | undefined,
): EncodedFieldRun | undefined {
  if (fp === undefined) return undefined;
  return p0f === undefined
    ? encodeFieldRun(TAIL_FIELDS_AT, ["os_guess", "ja4t"], [fp.os_guess, ja4tText])
    : encodeFieldRun(
        TAIL_FIELDS_AT,
        ["os_guess", "ja4t", "p0f_label", "p0f_distance"],
        [fp.os_guess, ja4tText, p0f.label, p0f.distanceText],
      );
}

/**
 * The sequence-class fields encoded once per combination: 5 classes × 9 sample counts (0–8)
 * for each of the two, at most 2,025 entries (bounded: the key space holds 262,144, and the
 * map is cleared past 4,096). The writer uses a run only where its values are the line's,
 * so counts that share a key (two digits and more) cost speed, never correctness.
 */
class ClassRuns {
  private readonly runs = new Map<number, EncodedFieldRun | undefined>();

  of(c: SequenceClasses): EncodedFieldRun | undefined {
    const key =
      (((c.ipid_class.charCodeAt(0) & 31) * 16 + countKey(c.ipid_samples)) * 32 +
        (c.isn_class.charCodeAt(0) & 31)) *
        16 +
      countKey(c.isn_samples);
    let run = this.runs.get(key);
    if (run === undefined && !this.runs.has(key)) {
      if (this.runs.size >= 4096) this.runs.clear();
      run = encodeFieldRun(CLASS_FIELDS_AT, CLASS_FIELDS, [
        c.ipid_class,
        c.ipid_samples,
        c.isn_class,
        c.isn_samples,
      ]);
      this.runs.set(key, run);
    }
    return run;
  }
}

/** A sample count's text as a number below 16 (its value for one digit; counts are small). */
function countKey(s: string): number {
  return s.length === 1 ? s.charCodeAt(0) & 15 : 15;
}

/** A memo slot: the shape of a SYN (see `synShape`) and what it gives. */
interface SynMemoEntry {
  hash: number;
  shape: Int32Array;
  summary: SynSummary;
}

const MEMO_SLOTS = 4096;

/**
 * TCP/IP stack fingerprints of the attacker's SYN (DECNET tcp_syn_fingerprint with
 * os_guess, p0f label, sequence classes, JA4T) and of the decky's SYN-ACK (JA4TS).
 *
 * Scanners send the same SYN thousands of times, so the header-derived part is
 * memoised on the header values that can influence it (`synShape`), looked up by a
 * numeric hash of them and confirmed by comparing them. Bounded: 4096 slots,
 * direct-mapped (a colliding shape replaces the entry).
 */
export class SynAnalyzer {
  private readonly seq = new SequenceTracker();
  private readonly classRuns = new ClassRuns();
  private readonly memo: (SynMemoEntry | undefined)[] = new Array<SynMemoEntry | undefined>(MEMO_SLOTS).fill(
    undefined,
  );
  private readonly shape = new SynShape();
  /** Testing only: compute every SYN afresh (the reference the memo is checked against). */
  memoOff = false;

  constructor(
    private readonly ctx: AnalyzerContext,
    private readonly p0f: P0fDatabase | undefined,
  ) {}

  private summary(p: DecodedPacket): SynSummary {
    const shape = this.shape;
    const h = synShape(p, shape);
    const slot = h & (MEMO_SLOTS - 1);
    const e = this.memo[slot];
    if (!this.memoOff && e !== undefined && e.hash === h && sameShape(e.shape, shape)) return e.summary;
    const p0f = this.p0f === undefined ? undefined : matchP0fSyn(this.p0f, p);
    const fp = synFingerprint(p, p0f);
    const ja4tText = ja4t(p);
    const summary = { fp, p0f, ja4t: ja4tText, headRun: headerRun(fp), tailRun: tailRun(fp, ja4tText, p0f) };
    this.memo[slot] = { hash: h, shape: shape.values.slice(0, shape.length), summary };
    return summary;
  }

  /** A client SYN: emit tcp_syn_fingerprint, remember JA4T on the flow. */
  onSyn(flow: Flow, p: DecodedPacket): void {
    const s = this.summary(p);
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
    const runs: EncodedFieldRun[] = [];
    if (s.headRun !== undefined) runs.push(s.headRun);
    const classRun = this.classRuns.of(cls);
    if (classRun !== undefined) runs.push(classRun);
    if (s.tailRun !== undefined) runs.push(s.tailRun);
    this.ctx.emit(flow, "tcp_syn_fingerprint", SEVERITY_INFO, fields, runs);
  }

  /** The decky's SYN-ACK: JA4TS on the flow. */
  onSynAck(flow: Flow, p: DecodedPacket): void {
    flow.ja4ts = ja4ts(p);
  }
}

function sameShape(a: Int32Array, b: SynShape): boolean {
  const n = b.length;
  if (a.length !== n) return false;
  const v = b.values;
  for (let i = 0; i < n; i++) if (a[i] !== v[i]) return false;
  return true;
}

/**
 * Scratch for `synShape`: the values are `values[0, length)`. A fixed array, refilled for
 * every SYN (an array emptied and pushed to anew would reallocate its store each time).
 */
export class SynShape {
  /** 9 header values and at most 40 option bytes. */
  readonly values = new Int32Array(64);
  length = 0;
}

/**
 * Fills `out` with every header value a SYN's fingerprints depend on (synFingerprint,
 * JA4T, and p0f's packet record: see p0fPacketOf) and returns a hash of them: IP version,
 * TTL, TOS, IP header length, the IPv4 flags (reserved bit, DF, fragment or not), zero
 * IP-ID, IPv6 flow label set, truncated / reassembled, TCP flags (reserved bits and NS
 * included), window, zero sequence, zero ack and ack bit 24 (p0f's quirks read those),
 * non-zero urgent pointer, payload present, then the option bytes with timestamp values
 * reduced to zero / non-zero.
 */
export function synShape(p: DecodedPacket, out: SynShape): number {
  const b = p.buf;
  const v = out.values;
  const ipFlags = p.ipVersion === 4 ? (b[p.ipOff + 6] << 8) | b[p.ipOff + 7] : 0;
  const bits =
    (ipFlags & 0x8000 ? 1 : 0) |
    (ipFlags & 0x4000 ? 2 : 0) |
    (ipFlags & 0x3fff ? 4 : 0) |
    (p.ipId === 0 ? 0x10 : 0) |
    (p.flowLabel !== 0 ? 0x20 : 0) |
    (p.truncated ? 0x40 : 0) |
    (p.reassembled ? 0x80 : 0) |
    (p.tcpSeq === 0 ? 0x100 : 0) |
    (p.tcpAck === 0 ? 0x200 : 0) |
    ((p.tcpAck >>> 24) & 1 ? 0x400 : 0) |
    (p.tcpUrgent !== 0 ? 0x800 : 0) |
    (p.payloadLen > 0 ? 0x1000 : 0);
  v[0] = p.ipVersion;
  v[1] = p.ttl;
  v[2] = p.tos;
  v[3] = p.ipHeaderLen;
  v[4] = bits;
  v[5] = p.tcpFlags;
  v[6] = b[p.l4Off + 12] & 0x0f;
  v[7] = p.tcpWindow;
  v[8] = p.tcpOptLen;
  let n = 9;
  // The decoder bounds the options to 40 bytes: at most 40 more values.
  const end = Math.min(p.tcpOptOff + p.tcpOptLen, p.tcpOptOff + v.length - n);
  // Option by option, as the parsers read them: every byte is kept but a timestamp
  // option's values, which only count as zero or not. (A byte-wise scan once took any
  // "08 0a" inside another option, e.g. an MSS of 2058, for a timestamp option and
  // dropped the bytes after it from the key.)
  let i = p.tcpOptOff;
  while (i < end) {
    const kind = b[i];
    if (kind === 8 && i + 10 <= end && b[i + 1] === 10) {
      const tv = b[i + 2] | b[i + 3] | b[i + 4] | b[i + 5];
      const te = b[i + 6] | b[i + 7] | b[i + 8] | b[i + 9];
      v[n++] = 0x10800 | (tv === 0 ? 0 : 1) | (te === 0 ? 0 : 2);
      i += 10;
    } else if (kind === 1) {
      v[n++] = 1;
      i++;
    } else {
      // EOL (what follows is padding, read raw), a malformed length, or the last byte:
      // the rest raw. Else the option whole.
      const len = kind === 0 || i + 1 >= end ? 0 : b[i + 1];
      const stop = len < 2 || i + len > end ? end : i + len;
      while (i < stop) v[n++] = b[i++];
    }
  }
  out.length = n;
  let h = 0x811c9dc5;
  for (let j = 0; j < n; j++) {
    h = Math.imul(h ^ v[j], 0x9e3779b1);
    h ^= h >>> 15;
  }
  return h >>> 0;
}
