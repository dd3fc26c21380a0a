import type { DecodedPacket } from "../../decode/packet.js";
import {
  hassh,
  hasshServer,
  Ja4SshSegmentClassifier,
  Ja4SshWindow,
  SshStreamReader,
  sshExtras,
} from "../../fingerprint/ssh/index.js";
import { seqDiff } from "../../flow/reassembly.js";
import type { Counters } from "../../util/counters.js";
import type { AnalyzerContext, FlowState } from "../flow-state.js";
import { endpointFields } from "../flow-state.js";
import { SEVERITY_INFO } from "../observation.js";

/** JA4SSH fingerprints kept per connection (one per 200 SSH packets). */
const MAX_JA4SSH = 64;

/** "SSH-" at the start of a payload: the connection speaks SSH, whatever its ports. */
export function startsSsh(buf: Buffer, off: number, len: number): boolean {
  return (
    len >= 4 && buf[off] === 0x53 && buf[off + 1] === 0x53 && buf[off + 2] === 0x48 && buf[off + 3] === 0x2d
  );
}

/**
 * SSH over one TCP flow, fed every packet in capture order (JA4SSH counts packets well
 * past the reassembled handshake): identification lines and KEXINITs of both sides →
 * ssh_client_banner at once, ssh_fingerprint (HASSH, HASSH-server, JA4SSH) at the end,
 * and the connection record's ja4ssh / ssh_extras.
 */
export class SshAnalyzer {
  private readonly client: SshStreamReader;
  private readonly server: SshStreamReader;
  private readonly segments: Ja4SshSegmentClassifier;
  private readonly window = new Ja4SshWindow();
  private readonly ja4ssh: string[] = [];
  /** Next fresh sequence number per direction (-1 until the first segment). */
  private nextClient = -1;
  private nextServer = -1;
  private bannerEmitted = false;
  private serverKexinitFirst: boolean | undefined;

  constructor(
    private readonly st: FlowState,
    private readonly ctx: AnalyzerContext,
    counters: Counters,
    /** Bare ACKs seen before SSH was recognised (the handshake's third packet, say). */
    acksToServer: number,
    acksToClient: number,
  ) {
    this.client = new SshStreamReader(counters);
    this.server = new SshStreamReader(counters);
    this.segments = new Ja4SshSegmentClassifier(counters);
    for (let i = 0; i < acksToServer; i++) this.window.addPacket(true, 0, true, false);
    for (let i = 0; i < acksToClient; i++) this.window.addPacket(false, 0, true, false);
  }

  onPacket(fromClient: boolean, p: DecodedPacket): void {
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
    const isSsh = len > 0 && this.segments.classify(fromClient, p.buf, off, len);
    if (len > 0) {
      const r = fromClient ? this.client : this.server;
      if (!r.finished) {
        const other = fromClient ? this.server : this.client;
        r.push(p.buf, off, len);
        if (this.serverKexinitFirst === undefined && r.kexinit !== undefined) {
          this.serverKexinitFirst = !fromClient && other.kexinit === undefined;
        }
      }
    }
    const fp = this.window.addPacket(fromClient, p.payloadLen, p.tcpFlags === 0x010, isSsh);
    if (fp !== undefined && this.ja4ssh.length < MAX_JA4SSH) this.ja4ssh.push(fp);
    if (!this.bannerEmitted && this.client.banner !== undefined) {
      this.bannerEmitted = true;
      const f = this.st.flow;
      this.ctx.emit(f, "ssh_client_banner", SEVERITY_INFO, {
        ...endpointFields(f),
        ssh_version: this.client.banner,
      });
    }
  }

  /** End of the connection: the partial JA4SSH window, ssh_fingerprint and the record. */
  finish(): void {
    const last = this.window.flush();
    if (last !== undefined && this.ja4ssh.length < MAX_JA4SSH) this.ja4ssh.push(last);
    const rec = this.st.record;
    if (this.ja4ssh.length > 0) rec.ja4ssh = this.ja4ssh;
    const extras = sshExtras({
      clientBanner: this.client.banner,
      serverBanner: this.server.banner,
      clientKexinit: this.client.kexinit,
      serverKexinit: this.server.kexinit,
      serverKexinitFirst: this.serverKexinitFirst,
    });
    if (extras !== undefined) rec.ssh_extras = { ...extras };
    const ck = this.client.kexinit;
    const sk = this.server.kexinit;
    if (ck === undefined && sk === undefined && this.client.banner === undefined) return;
    const f = this.st.flow;
    const fields: Record<string, string> = {
      ...endpointFields(f),
      hassh: "",
      hassh_algorithms: "",
      hassh_server: "",
      hassh_server_algorithms: "",
      ssh_version: this.client.banner ?? "",
      ssh_server_version: this.server.banner ?? "",
      ja4ssh: this.ja4ssh.join(","),
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
}
