import { isQuicInitial, QuicClientHelloExtractor } from "../../fingerprint/quic/quic-client-hello.js";
import { parseClientHello } from "../../fingerprint/tls/index.js";
import type { Counters } from "../../util/counters.js";
import type { AnalyzerContext, FlowState } from "../flow-state.js";
import { endpointFields } from "../flow-state.js";
import { SEVERITY_INFO } from "../observation.js";
import { clientHelloFields, recordClientHello } from "./decnet-fields.js";
import { clientHelloPrints } from "./hello-prints.js";

/**
 * QUIC over one UDP flow: the client's Initial packets are decrypted (RFC 9001/9369),
 * the ClientHello is reassembled from CRYPTO frames and fingerprinted as JA4 "q":
 * a quic_client_hello observation and the connection record's ja4/SNI.
 */
export class QuicAnalyzer {
  private readonly extractor: QuicClientHelloExtractor;

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

  get finished(): boolean {
    return this.extractor.done;
  }

  onDatagram(fromClient: boolean, buf: Buffer, off: number, len: number): void {
    const msg = this.extractor.pushDatagram(buf, off, len, fromClient);
    if (msg === undefined || msg.length < 4) return;
    const ch = parseClientHello(msg.subarray(4));
    if (ch === undefined) return;
    const pr = clientHelloPrints(ch, "q");
    recordClientHello(this.st.record, ch, pr);
    const f = this.st.flow;
    const fields = endpointFields(f);
    clientHelloFields(fields, ch, pr);
    fields.ja4_r = pr.ja4.ja4_r;
    fields.ja4_o = pr.ja4.ja4_o;
    fields.supported_versions = pr.supportedVersions ?? "";
    this.ctx.emit(f, "quic_client_hello", SEVERITY_INFO, fields);
  }
}
