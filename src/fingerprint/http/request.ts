/** One header field as sent: the name exactly as on the wire (case kept), the value. */
export interface HttpHeader {
  name: string;
  value: string;
}

/**
 * A parsed HTTP request head, HTTP/1.x or HTTP/2, as JA4H reads it.
 *
 * HTTP/1.x: `method`, `target` and `version` are the three parts of the request line
 * (`version` "HTTP/1.1", "HTTP/1.0", or whatever the client wrote). `headers` are the
 * header lines in order; the name is everything before the first colon (untrimmed), the
 * value everything after it minus leading blanks.
 * HTTP/2: `version` is "HTTP/2"; `headers` are the decoded fields of the HEADERS block
 * in order, pseudo-header fields (":method", ":authority", ...) included, as the
 * reference counts them; `method`/`target` come from :method/:path.
 */
export interface HttpRequest {
  method: string;
  target: string;
  version: string;
  headers: HttpHeader[];
}
