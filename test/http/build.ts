/**
 * Test helper: HTTP/2 frames by hand (RFC 9113 §4.1) and an HttpAnalyzer on a minimal flow
 * whose events are collected. Shared by the HTTP tests; builds inputs only.
 */
import { HttpAnalyzer } from "../../src/sniffer/analyzers/http.js";
import { FlowState } from "../../src/sniffer/flow-state.js";
import { Counters } from "../../src/util/counters.js";

/** An HTTP/2 frame: 9-byte header (length, type, flags, stream) and the payload. */
export function h2Frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

const FLOW = {
  clientAddr: "10.0.0.1",
  clientPort: 40000,
  serverAddr: "10.0.0.2",
  serverPort: 80,
  streamIndex: 0,
  transport: "tcp",
};

export interface HttpEvent {
  type: string;
  fields: Record<string, string>;
}

/** An HttpAnalyzer fed by hand: `data` delivers stream bytes, `requests` the JA4H events' fields. */
export function httpAnalyzer() {
  const events: HttpEvent[] = [];
  const ctx = {
    tsUs: 0,
    emit: (_f: unknown, type: string, _s: number, fields: Record<string, string>) =>
      events.push({ type, fields }),
  };
  // biome-ignore lint/suspicious/noExplicitAny: a minimal flow is all the analyzer reads
  const a = new HttpAnalyzer(new FlowState(FLOW as any), ctx, new Counters());
  const data = (fromClient: boolean, text: string | Buffer): void => {
    const b = typeof text === "string" ? Buffer.from(text, "latin1") : text;
    a.onData(fromClient, b, 0, b.length);
  };
  const requests = () => events.filter((e) => e.type === "http_request_fingerprint").map((e) => e.fields);
  return { a, events, data, requests };
}
