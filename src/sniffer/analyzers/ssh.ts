import type { DecodedPacket } from "../../decode/packet.js";
import {
  hassh,
  hasshServer,
  Ja4SshSegmentClassifier,
  Ja4SshWindow,
  SshStreamReader,
  sshDashByte,
  sshExtras,
  startsSshDash,
} from "../../fingerprint/ssh/index.js";
import { seqDiff } from "../../flow/reassembly.js";
import type { Counters } from "../../util/counters.js";
import type { AnalyzerContext, FlowState, StreamAnalyzer } from "../flow-state.js";
import { endpointFields } from "../flow-state.js";
import { SEVERITY_INFO } from "../observation.js";

/** JA4SSH fingerprints kept per connection (one per 200 SSH packets). */
const MAX_JA4SSH = 64;

/**
 * How far each side's stream is watched for an identification line. A server may send
 * other lines first (RFC 4253 §4.2): its first DETECT_LINES lines within its first
 * DETECT_BYTES bytes are looked at. A client's identification must be its first line.
 */
export const DETECT_LINES = 16;
export const DETECT_BYTES = 4096;
/**
 * Segments with new payload noted (as lengths) while undecided, for JA4SSH to count once
 * the flow shows SSH; beyond this the flow is taken for another protocol. Fewer than one
 * JA4SSH window (200 SSH packets), so their order among the bare ACKs does not matter.
 */
export const MAX_UNDECIDED_SEGMENTS = 64;

const UNDECIDED = 0;
const SSH = 1;
const NOT_SSH = 2;
const LF = 0x0a;
/** TCP flags exactly ACK: a bare ACK for JA4SSH. */
const ACK_ONLY = 0x010;

/**
 * Watches one side's stream start for a line beginning with "SSH-". Nothing is copied:
 * only the current line's first bytes (at most 4, packed in a number) are kept, to be
 * handed to the stream reader once the flow turns out to be SSH.
 */
class LineProbe {
  /** Bytes of the current line seen, counted up to 4 (4 also once it cannot be the identification). */
  lineLen = 0;
  /** The current line's first bytes while they match "SSH-", the first in the lowest 8 bits. */
  head = 0;
  /** When scan() finds the identification: how many of its bytes came before that chunk. */
  held = 0;
  /** This side can no longer start SSH: its look-ahead ran out. */
  out = false;
  /** Lines and bytes looked at (bounded by maxLines and DETECT_BYTES). */
  private lines = 0;
  private bytes = 0;

  constructor(private readonly maxLines: number) {}

  /**
   * Scans the next stream bytes `buf[off, end)`. Returns where the identification line
   * starts in `buf` (its first `held` bytes came earlier, see `headBytes`), or -1.
   */
  scan(buf: Buffer, off: number, end: number): number {
    const stop = Math.min(end, off + (DETECT_BYTES - this.bytes));
    this.bytes += stop - off;
    let lineStart = off;
    let held = this.lineLen;
    let p = off;
    while (p < stop) {
      if (this.lineLen >= 4) {
        // Inside a line that is not the identification: on to its end.
        while (p < stop && buf[p] !== LF) p++;
        if (p === stop) break;
      }
      const b = buf[p++];
      if (b === LF) {
        this.lineLen = 0;
        this.head = 0;
        held = 0;
        lineStart = p;
        if (++this.lines >= this.maxLines) {
          this.out = true;
          return -1;
        }
      } else if (this.lineLen < 4) {
        if (!sshDashByte(b, this.lineLen)) {
          if (this.maxLines === 1) {
            this.out = true; // a client's first line that is not its identification
            return -1;
          }
          this.lineLen = 4; // not the identification: skip the rest of the line
        } else {
          this.head |= b << (8 * this.lineLen);
          if (++this.lineLen === 4) {
            this.held = held;
            return lineStart;
          }
        }
      }
    }
    if (this.bytes >= DETECT_BYTES) this.out = true;
    return -1;
  }

  /** Bytes were lost: what follows is judged as a line start. */
  gap(): void {
    this.lineLen = 0;
    this.head = 0;
  }

  /** The first `n` (< 4) bytes of the current line, as bytes. */
  headBytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = (this.head >>> (8 * i)) & 0xff;
    return b;
  }
}

/** What an SSH flow keeps: made when the flow is seen to speak SSH. */
class SshSession {
  readonly client: SshStreamReader;
  readonly server: SshStreamReader;
  readonly segments: Ja4SshSegmentClassifier;
  readonly window = new Ja4SshWindow();
  readonly ja4ssh: string[] = [];

  constructor(counters: Counters) {
    this.client = new SshStreamReader(counters);
    this.server = new SshStreamReader(counters);
    this.segments = new Ja4SshSegmentClassifier(counters);
  }
}

/**
 * SSH over one TCP flow, watched from the flow's first payload. Two inputs:
 * - the reassembled, in-order stream bytes (StreamAnalyzer): identification lines and
 *   KEXINITs of both sides → ssh_client_banner at once, HASSH / HASSH-server at the end;
 * - every packet in capture order (onPacket): JA4SSH counts packets as tshark dissects
 *   them, well past the handshake.
 * Until either side's stream shows a line starting with "SSH-" (a server's may follow
 * other lines), or a new segment starts with one, the flow is undecided: only the lengths
 * of its segments and its bare ACKs are noted (bounded), and counted once it is SSH.
 * Then: ssh_fingerprint (HASSH, HASSH-server, JA4SSH) and the record's ja4ssh /
 * ssh_extras at the end.
 */
export class SshAnalyzer implements StreamAnalyzer {
  private mode = UNDECIDED;
  private session: SshSession | null = null;
  private readonly counters: Counters;
  private readonly probeClient = new LineProbe(1);
  private readonly probeServer = new LineProbe(DETECT_LINES);
  /** While undecided: bare ACKs, and the TCP payload lengths of segments with new bytes (client > 0, server < 0). */
  private acksClient: number;
  private acksServer: number;
  private readonly undecided: number[] = [];
  /** Next fresh sequence number per direction (-1 until the first segment). */
  private nextClient = -1;
  private nextServer = -1;
  private bannerEmitted = false;
  private serverKexinitFirst: boolean | undefined;

  constructor(
    private readonly st: FlowState,
    private readonly ctx: AnalyzerContext,
    counters: Counters,
    /** Bare ACKs seen before the first payload (the handshake's third packet, say). */
    acksToServer: number,
    acksToClient: number,
  ) {
    this.counters = counters;
    this.acksClient = acksToServer;
    this.acksServer = acksToClient;
  }

  /** The flow was seen to speak SSH. */
  get isSsh(): boolean {
    return this.mode === SSH;
  }

  /** The flow was seen not to (final): nothing more to do. */
  get notSsh(): boolean {
    return this.mode === NOT_SSH;
  }

  /** No more stream bytes wanted: not SSH, or both KEXINITs (or their readers' ends) reached. */
  get finished(): boolean {
    const s = this.session;
    if (s !== null) return s.client.finished && s.server.finished;
    return this.mode === NOT_SSH;
  }

  onData(fromClient: boolean, buf: Buffer, off: number, len: number): void {
    const s = this.session;
    if (s !== null) {
      this.feed(s, fromClient, buf, off, len);
      return;
    }
    if (this.mode !== UNDECIDED) return;
    const probe = fromClient ? this.probeClient : this.probeServer;
    if (startsSshDash(buf, off, len)) {
      // A segment that starts with "SSH-" is an identification line to tshark, whatever
      // came before it (and however far the probe has looked).
      this.feed(this.decide(fromClient, 0), fromClient, buf, off, len);
      return;
    }
    if (probe.out) return;
    const at = probe.scan(buf, off, off + len);
    if (at >= 0) {
      this.feed(this.decide(fromClient, probe.held), fromClient, buf, at, off + len - at);
    } else if (this.probeClient.out && this.probeServer.out) {
      this.giveUp();
    }
  }

  onGap(fromClient: boolean): void {
    const s = this.session;
    if (s !== null) (fromClient ? s.client : s.server).gap();
    else (fromClient ? this.probeClient : this.probeServer).gap();
  }

  onPacket(fromClient: boolean, p: DecodedPacket): void {
    if (this.mode === NOT_SSH) return;
    let off = p.payloadOff;
    let len = p.payloadLen;
    // Only bytes not seen before in this direction are SSH data (retransmissions are not).
    if (len > 0) {
      const next = fromClient ? this.nextClient : this.nextServer;
      if (next !== -1) {
        const d = seqDiff(p.tcpSeq, next);
        if (d < 0) {
          const skip = Math.min(-d, len);
          off += skip;
          len -= skip;
        }
      }
      if (len > 0) {
        const end = (p.tcpSeq + p.payloadLen) >>> 0;
        if (fromClient) this.nextClient = end;
        else this.nextServer = end;
      }
    }
    let s = this.session;
    if (s === null) {
      // A new segment starting with "SSH-" that the stream has not delivered yet (it came
      // out of order) decides too, as it does in onData; other segments are only noted.
      if (len > 0 && startsSshDash(p.buf, off, len)) {
        s = this.decide(undefined, 0);
      } else {
        this.note(fromClient, len > 0 ? p.payloadLen : 0, p.tcpFlags === ACK_ONLY);
        return;
      }
    }
    const isSsh = len > 0 && s.segments.classify(fromClient, p.buf, off, len);
    const fp = s.window.addPacket(fromClient, p.payloadLen, p.tcpFlags === ACK_ONLY, isSsh);
    if (fp !== undefined && s.ja4ssh.length < MAX_JA4SSH) s.ja4ssh.push(fp);
  }

  /** End of the connection: the partial JA4SSH window, ssh_fingerprint and the record. */
  finish(): void {
    const s = this.session;
    if (s === null) return;
    const last = s.window.flush();
    if (last !== undefined && s.ja4ssh.length < MAX_JA4SSH) s.ja4ssh.push(last);
    const rec = this.st.record;
    if (s.ja4ssh.length > 0) rec.ja4ssh = s.ja4ssh;
    const extras = sshExtras({
      clientBanner: s.client.banner,
      serverBanner: s.server.banner,
      clientKexinit: s.client.kexinit,
      serverKexinit: s.server.kexinit,
      serverKexinitFirst: this.serverKexinitFirst,
    });
    if (extras !== undefined) rec.ssh_extras = { ...extras };
    const ck = s.client.kexinit;
    const sk = s.server.kexinit;
    if (ck === undefined && sk === undefined && s.client.banner === undefined) return;
    const f = this.st.flow;
    const fields: Record<string, string> = {
      ...endpointFields(f),
      hassh: "",
      hassh_algorithms: "",
      hassh_server: "",
      hassh_server_algorithms: "",
      ssh_version: s.client.banner ?? "",
      ssh_server_version: s.server.banner ?? "",
      ja4ssh: s.ja4ssh.join(","),
    };
    if (ck !== undefined) {
      const h = hassh(ck);
      fields.hassh = h.hassh;
      fields.hassh_algorithms = h.hassh_algorithms;
    }
    if (sk !== undefined) {
      const h = hasshServer(sk);
      fields.hassh_server = h.hassh_server;
      fields.hassh_server_algorithms = h.hassh_server_algorithms;
    }
    this.ctx.emit(f, "ssh_fingerprint", SEVERITY_INFO, fields);
  }

  /** Stream bytes in order, to the side's reader (until its KEXINIT). */
  private feed(s: SshSession, fromClient: boolean, buf: Buffer, off: number, len: number): void {
    const r = fromClient ? s.client : s.server;
    if (r.finished) return;
    r.push(buf, off, len);
    if (this.serverKexinitFirst === undefined && r.kexinit !== undefined) {
      this.serverKexinitFirst = !fromClient && s.client.kexinit === undefined;
    }
    if (fromClient && !this.bannerEmitted && r.banner !== undefined) {
      this.bannerEmitted = true;
      const f = this.st.flow;
      this.ctx.emit(f, "ssh_client_banner", SEVERITY_INFO, {
        ...endpointFields(f),
        ssh_version: r.banner,
      });
    }
  }

  /** One packet while undecided: what JA4SSH will need of it. */
  private note(fromClient: boolean, payloadLen: number, bareAck: boolean): void {
    if (payloadLen > 0) {
      if (this.undecided.length >= MAX_UNDECIDED_SEGMENTS) {
        this.giveUp();
        return;
      }
      this.undecided.push(fromClient ? payloadLen : -payloadLen);
    } else if (bareAck) {
      if (fromClient) this.acksClient++;
      else this.acksServer++;
    }
  }

  /**
   * The flow speaks SSH (`decider`: the side whose stream showed it, whose identification
   * line began with `held` bytes of earlier chunks; undefined when an undelivered segment
   * did). JA4SSH counts what came before; the other readers start where their probes stand.
   */
  private decide(decider: boolean | undefined, held: number): SshSession {
    const s = new SshSession(this.counters);
    this.session = s;
    this.mode = SSH;
    // Before the decision no segment started with "SSH-", so tshark took each one with new
    // bytes for an SSH packet of unknown version (Ja4SshSegmentClassifier's opaque case).
    const w = s.window;
    w.addAcks(true, this.acksClient);
    w.addAcks(false, this.acksServer);
    for (const n of this.undecided) w.addPacket(n > 0, n > 0 ? n : -n, false, true);
    this.resume(s.client, this.probeClient, decider === true ? held : -1);
    this.resume(s.server, this.probeServer, decider === false ? held : -1);
    this.undecided.length = 0;
    return s;
  }

  /**
   * A reader picks up its side's stream: `held` bytes of the decider's identification line
   * (-1 for the other side: the start of its current line, or the rest of a line that is
   * not the identification). A probe that stopped looking no longer knows: the next
   * byte is taken as a line start, as after a gap.
   */
  private resume(r: SshStreamReader, probe: LineProbe, held: number): void {
    if (held < 0 && probe.out) return;
    const n = held >= 0 ? held : probe.lineLen;
    if (n >= 4) r.skipPartialLine();
    else if (n > 0) r.push(probe.headBytes(n), 0, n);
  }

  private giveUp(): void {
    this.mode = NOT_SSH;
    this.undecided.length = 0;
  }
}
