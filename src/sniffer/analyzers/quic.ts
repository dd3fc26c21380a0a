import { QuicJa4l, QuicJa4lSender, quicJa4lPacketKind } from "../../fingerprint/quic/ja4l-quic.js";
import { isQuicInitial, QuicClientHelloExtractor } from "../../fingerprint/quic/quic-client-hello.js";
import { parseClientHello } from "../../fingerprint/tls/index.js";
import type { Counters } from "../../util/counters.js";
import type { AnalyzerContext, FlowState } from "../flow-state.js";
import { endpointFields } from "../flow-state.js";
import { SEVERITY_WARNING } from "../observation.js";
import { recordClientHello, resumptionMechanisms } from "./decnet-fields.js";
import { clientHelloPrints } from "./hello-prints.js";

/**
 * QUIC over one UDP flow: the client's Initial packets are decrypted (RFC 9001/9369),
 * the ClientHello is reassembled from CRYPTO frames and fingerprinted as JA4 "q":
 * a quic_client_hello observation (the JA4 in `ja4_quic`, as DECNET names it) and the
 * connection record's ja4/SNI. The handshake's
 * packet times give the record's JA4L (ja4l_c, ja4l_s).
 */
export class QuicAnalyzer {
  private readonly extractor: QuicClientHelloExtractor;
  private readonly ja4l = new QuicJa4l();

  constructor(
    private readonly st: FlowState,
    private readonly ctx: AnalyzerContext,
    counters: Counters,
  ) {
    this.extractor = new QuicClientHelloExtractor(counters);
  }

  /** Only a client datagram starting with a QUIC Initial makes a flow worth an analyzer. */
  static accepts(buf: Buffer, off: number, len: number): boolean {
    return isQuicInitial(buf, off, len);
  }

  /** ClientHello done with, and JA4L complete. */
  get finished(): boolean {
    return this.extractor.done && this.ja4l.complete;
  }

  /** One UDP payload of the flow; `ttl` is its IPv4 TTL or IPv6 hop limit (JA4L). */
  onDatagram(fromClient: boolean, buf: Buffer, off: number, len: number, ttl: number): void {
    if (!this.ja4l.complete) this.time(fromClient, buf, off, len, ttl);
    if (this.extractor.done) return;
    const msg = this.extractor.pushDatagram(buf, off, len, fromClient);
    if (msg === undefined || msg.length < 4) return;
    const ch = parseClientHello(msg.subarray(4));
    if (ch === undefined) return;
    const pr = clientHelloPrints(ch, "q");
    recordClientHello(this.st.record, ch, pr);
    const f = this.st.flow;
    // DECNET's quic_client_hello (fingerprint.py on_quic_packet): its fields in its order,
    // the JA4 named ja4_quic (DECNET's rules read that name; no `ja4` on this event),
    // severity warning. Then ours.
    const fields = endpointFields(f);
    fields.ja4_quic = pr.ja4.ja4;
    fields.sni = ch.serverName ?? "";
    fields.alpn = pr.alpn;
    fields.raw_ciphers = pr.rawCiphers;
    fields.ja3 = pr.ja3.ja3;
    fields.tls_version = pr.tlsVersion;
    fields.raw_extensions = pr.rawExtensions;
    const resumption = resumptionMechanisms(ch);
    if (resumption !== "") fields.resumption = resumption;
    fields.ja4_r = pr.ja4.ja4_r;
    fields.ja4_o = pr.ja4.ja4_o;
    fields.supported_versions = pr.supportedVersions ?? "";
    this.ctx.emit(f, "quic_client_hello", SEVERITY_WARNING, fields);
  }

  private time(fromClient: boolean, buf: Buffer, off: number, len: number, ttl: number): void {
    // The flow's own orientation (the Initial's sender is the client), where the reference
    // tool goes by port 443: the same on its captures, and a decky's QUIC on another port
    // is timed too.
    const sender = fromClient ? QuicJa4lSender.Client : QuicJa4lSender.Server;
    if (!this.ja4l.observe(sender, quicJa4lPacketKind(buf, off, len), this.ctx.tsUs, ttl)) return;
    const r = this.st.record;
    r.ja4l_c = this.ja4l.client();
    r.ja4l_s = this.ja4l.server();
  }
}
