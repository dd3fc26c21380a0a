import { Http1RequestReader, type HttpRequest, ja4h } from "../../fingerprint/http/index.js";
import type { Counters } from "../../util/counters.js";
import type { AnalyzerContext, FlowState, StreamAnalyzer } from "../flow-state.js";
import { endpointFields } from "../flow-state.js";
import { SEVERITY_INFO } from "../observation.js";

/** Requests reported per connection (pipelining attackers send many). */
const MAX_REQUESTS = 100;
/** Request targets are cut to this many characters in events. */
const MAX_PATH = 512;

/** A first client byte that can start a request line ("GET ", "PRI * HTTP/2.0", ...). */
export function mayStartHttp(buf: Buffer, off: number, len: number): boolean {
  return len > 0 && buf[off] >= 0x41 && buf[off] <= 0x5a;
}

/**
 * Request-line and header text from the attacker: printable ASCII kept, the rest as
 * \xHH, or \uHHHH above U+00FF (the U+FFFD that stands for a byte ≥ 0x80, see asciiText),
 * the forms the log line writer uses, so every escape reads back as one character.
 */
function printable(s: string, max: number): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  return cut.replace(/[^\x20-\x7e]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

function header(req: HttpRequest, name: string): string {
  for (const h of req.headers) if (h.name.toLowerCase() === name) return h.value;
  return "";
}

/** Host header, else (HTTP/2, which carries it there: RFC 9113 §8.3.1) :authority. */
function hostOf(req: HttpRequest): string {
  const host = header(req, "host");
  if (host !== "" || req.version !== "HTTP/2") return host;
  return header(req, ":authority");
}

/**
 * HTTP/1.x requests (and cleartext HTTP/2 with prior knowledge) on the client direction
 * of a TCP flow → http_request_fingerprint per request (JA4H), http2_fingerprint (Akamai
 * format) once, and the connection record's `http` list.
 */
export class HttpAnalyzer implements StreamAnalyzer {
  private readonly reader: Http1RequestReader;
  private requests = 0;
  private h2Reported = false;

  constructor(
    private readonly st: FlowState,
    private readonly ctx: AnalyzerContext,
    counters: Counters,
  ) {
    this.reader = new Http1RequestReader((req) => this.onRequest(req), { counters });
  }

  get finished(): boolean {
    const r = this.reader;
    if (r.state === "http2") return r.http2 === undefined || r.http2.finished;
    return r.finished || this.requests >= MAX_REQUESTS;
  }

  onData(fromClient: boolean, buf: Buffer, off: number, len: number): void {
    if (!fromClient) return;
    this.reader.push(buf, off, len);
    const h2 = this.reader.http2;
    if (!this.h2Reported && h2?.akamai !== undefined) {
      this.h2Reported = true;
      this.st.record.http2 = h2.akamai;
      const f = this.st.flow;
      this.ctx.emit(f, "http2_fingerprint", SEVERITY_INFO, {
        ...endpointFields(f),
        akamai: h2.akamai,
      });
    }
  }

  /** `skipped`: bytes lost, when the caller knows (lets the reader skip them in a body). */
  onGap(fromClient: boolean, skipped?: number): void {
    // Never join bytes across a hole: the reader drops the request it was reading and
    // waits for a new request line (HTTP/2 stops: its HPACK state is lost).
    if (fromClient) this.reader.gap(skipped);
  }

  private onRequest(req: HttpRequest): void {
    if (this.requests >= MAX_REQUESTS) return;
    this.requests++;
    const fp = ja4h(req);
    if (fp === undefined) return;
    const rec = this.st.record;
    if (rec.http === undefined) rec.http = [];
    rec.http.push({ ja4h: fp.ja4h });
    const f = this.st.flow;
    this.ctx.emit(f, "http_request_fingerprint", SEVERITY_INFO, {
      ...endpointFields(f),
      method: printable(req.method, 32),
      host: printable(hostOf(req), 255),
      path: printable(req.target, MAX_PATH),
      user_agent: printable(header(req, "user-agent"), 512),
      ja4h: fp.ja4h,
      ja4h_r: fp.ja4h_r,
    });
  }
}
