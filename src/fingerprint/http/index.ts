/**
 * HTTP client fingerprints: JA4H (FoxIO) for HTTP/1.x and HTTP/2 requests, and the Akamai
 * HTTP/2 fingerprint. Pure code over the client direction's in-order stream bytes.
 *
 * Use per TCP connection, client direction:
 *
 *   const reader = new Http1RequestReader((req) => emit(ja4h(req)));  // ja4h → undefined
 *   reader.push(buf, off, len) for each piece of new in-order bytes;    for methods and
 *                                                                        versions the
 *                                                                        reference skips
 * Cleartext HTTP/2 (the preface with prior knowledge, or after an "Upgrade: h2c" request)
 * is handed over inside: state becomes "http2", requests keep coming to the same handler,
 * and `reader.http2.akamai` holds the Akamai fingerprint once the first HEADERS is decoded.
 * Http2ClientReader can also be used alone on a stream known to be HTTP/2.
 *
 * A stream that does not start with a request line ends in "not_http" on its first bytes
 * (a capture that starts in the middle of a connection is not resynchronised). Lost bytes
 * (a TCP gap) are reported with `reader.gap()`: no request is made of bytes from both
 * sides of a hole; HTTP/1 resumes at a push that starts with a request line, HTTP/2 stops.
 */
export { hash12 } from "../digest.js";
export { HpackDecoder } from "./hpack.js";
export {
  type Http1ReaderOptions,
  type Http1ReaderState,
  type Http1RequestHandler,
  Http1RequestReader,
} from "./http1-request.js";
export {
  akamaiFingerprint,
  HTTP2_PREFACE,
  Http2ClientReader,
  type Http2Fingerprint,
  type Http2Priority,
  type Http2ReaderOptions,
  type Http2ReaderState,
  type Http2RequestHandler,
} from "./http2.js";
export { type Ja4h, ja4h, primaryLanguage } from "./ja4h.js";
export type { HttpHeader, HttpRequest } from "./request.js";
export { httpStats } from "./stats.js";
