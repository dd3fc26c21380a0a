import type { Counters } from "../../util/counters.js";
import { asciiText } from "../ascii-text.js";
import { Http2ClientReader } from "./http2.js";
import type { HttpHeader, HttpRequest } from "./request.js";
import { httpStats } from "./stats.js";

/**
 * Where a reader stands. "request", "body" and "chunked" go on; the others are final and
 * later pushes are ignored at the cost of one comparison.
 * - "request": before or inside a request head.
 * - "body" / "chunked": skipping a request body (Content-Length / chunked coding).
 * - "resync": bytes were lost (`gap()`); waiting for a piece that starts with a request
 *   line, as tshark resumes after a lost segment.
 * - "tunnel": a CONNECT request was seen; what follows is tunnelled data.
 * - "http2": the HTTP/2 connection preface came (prior knowledge, or after an
 *   "Upgrade: h2c" request): the rest of the stream goes to `http2`, which hands its
 *   requests to the same handler.
 * - "not_http": the stream does not start like an HTTP request.
 * - "error": broke HTTP/1 framing after a good start (bad body length, garbage where a
 *   request should start).
 * - "limit": a head over `maxHeadBytes`, or more than `maxRequests` requests.
 */
export type Http1ReaderState =
  | "request"
  | "body"
  | "chunked"
  | "resync"
  | "tunnel"
  | "http2"
  | "not_http"
  | "error"
  | "limit";

export interface Http1ReaderOptions {
  counters?: Counters;
  /** Largest request head (request line + headers + blank line) accepted; default 16 KiB. */
  maxHeadBytes?: number;
  /** Requests parsed at most on one stream; default 100. */
  maxRequests?: number;
}

/** Receives each complete request head. The object is the caller's to keep. */
export type Http1RequestHandler = (req: HttpRequest) => void;

export const DEFAULT_MAX_HEAD = 16 * 1024;
export const DEFAULT_MAX_REQUESTS = 100;
/** Empty lines tolerated before a request line (RFC 9112 §2.2 asks to ignore at least one). */
const MAX_LEADING_EMPTY = 8;
/** A method longer than this is no method (the longest registered ones have 17 characters). */
const MAX_METHOD = 24;
/** A chunk-size line (size, extensions) longer than this is an attack, not HTTP. */
const MAX_CHUNK_LINE = 1024;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

enum Chunk {
  Size = 0,
  Data = 1,
  DataEnd = 2,
  Trailer = 3,
}

/**
 * Reads the CLIENT direction of an HTTP/1.x connection: stream bytes in pieces of any
 * size, each complete request head handed to `onRequest`, pipelined requests included.
 * Bodies are skipped by Content-Length or chunked coding without being buffered.
 *
 * Lines end at LF, CR LF or a lone CR, as tshark (whose view the reference JA4H has) splits
 * them. The header list stops at the first line without a colon: tshark lists no header
 * after such a line either. A line that starts with SP or HT (obs-fold) but has a colon
 * is a header like any other, its name keeping the leading blanks, as tshark lists it.
 *
 * After `gap()` (lost bytes) nothing is joined across the hole: unless the lost bytes are
 * known to lie inside a body, the head or body in progress is dropped and reading resumes
 * only at a push that starts with a complete request line (method SP target SP HTTP/d.d,
 * one of the nine methods JA4H fingerprints).
 *
 * Bounded: one head of at most `maxHeadBytes` is held (copied only when it spans
 * pushes); at most `maxRequests` requests. Gives up on the first bytes when they do not
 * look like a request line (a method token and a space). Never throws.
 */
export class Http1RequestReader {
  state: Http1ReaderState = "request";
  /** Requests handed out. */
  requests = 0;
  /** Why the reader stopped in "error"/"limit"/"not_http" (a counter key). */
  error: string | undefined;
  /** The HTTP/2 reader the stream was handed to in state "http2" (its `akamai` is there). */
  http2: Http2ClientReader | undefined;

  private readonly onRequest: Http1RequestHandler;
  private readonly counters: Counters;
  private readonly maxHead: number;
  private readonly maxRequests: number;

  // Head assembly.
  private acc: Buffer | undefined;
  private accLen = 0;
  /** Bytes of the current head so far (in `acc` or in the current push). */
  private headLen = 0;
  /** Characters in the current line so far (terminators excluded). */
  private lineLen = 0;
  /** Lines completed in the current head. */
  private lines = 0;
  /** The previous byte was a CR that ended a line: an LF right after belongs to it. */
  private pendingCr = false;
  /** The head (or a chunk line) ended at a CR: drop one LF at the start of what follows. */
  private swallowLf = false;
  private leadingEmpty = 0;
  /** Request line so far: still in the method token? */
  private inMethod = true;

  // Body skipping.
  private bodyLeft = 0;
  private chunk = Chunk.Size;
  private chunkSize = 0;
  private chunkDigits = 0;
  private chunkLineLen = 0;
  private chunkInExt = false;
  private trailerBytes = 0;
  private trailerLineLen = 0;

  constructor(onRequest: Http1RequestHandler, options: Http1ReaderOptions = {}) {
    this.onRequest = onRequest;
    this.counters = options.counters ?? httpStats;
    this.maxHead = options.maxHeadBytes ?? DEFAULT_MAX_HEAD;
    this.maxRequests = options.maxRequests ?? DEFAULT_MAX_REQUESTS;
  }

  /** True once nothing more will be parsed. */
  get finished(): boolean {
    const s = this.state;
    return s !== "request" && s !== "body" && s !== "chunked" && s !== "resync";
  }

  /**
   * `skipped` bytes of the stream (unknown: undefined) were lost (a TCP gap) before the
   * next push. Lost bytes that all lie inside a body being skipped by its length are
   * counted off it, and reading goes on where the sequence numbers say the next request
   * starts (as tshark does). Otherwise the head or body in progress cannot be completed
   * (joining bytes across the hole would make up a request): it is dropped and the reader
   * waits for a new request line. HTTP/2 cannot resume (frame boundaries and HPACK state
   * are lost): its reader stops.
   */
  gap(skipped?: number): void {
    if (this.state === "http2") {
      this.http2?.gap();
      return;
    }
    if (this.finished || this.state === "resync") return;
    this.counters.inc("http1.gap");
    // (Not while an LF after a CR may still come: whether the hole held it is unknown.)
    const inData =
      !this.swallowLf && (this.state === "body" || (this.state === "chunked" && this.chunk === Chunk.Data));
    if (inData && skipped !== undefined && skipped > 0 && skipped <= this.bodyLeft) {
      this.bodyLeft -= skipped;
      if (this.bodyLeft === 0) {
        if (this.state === "body") this.state = "request";
        else this.chunk = Chunk.DataEnd;
      }
      return;
    }
    this.state = "resync";
    this.acc = undefined;
    this.resetHead();
    this.swallowLf = false;
    this.bodyLeft = 0;
  }

  /** Feeds the next `len` stream bytes at `buf[off]`. */
  push(buf: Buffer, off: number, len: number): void {
    if (this.state === "http2") {
      this.http2?.push(buf, off, len);
      return;
    }
    if (this.finished || len <= 0 || off < 0 || off >= buf.length) return;
    const end = Math.min(buf.length, off + len);
    if (this.state === "resync") {
      // Only a piece that starts with a whole request line is clearly a new request.
      if (!startsRequestLine(buf, off, end, this.maxHead)) return;
      this.state = "request";
      this.counters.inc("http1.resynchronised");
    }
    let p = off;
    while (p < end && !this.finished) {
      if (this.swallowLf) {
        this.swallowLf = false;
        if (buf[p] === LF) {
          p++;
          continue;
        }
      }
      if (this.state === "request") {
        p = this.headBytes(buf, p, end);
        // The head may have been the HTTP/2 preface: the rest of this push is HTTP/2.
        if (p < end) this.http2?.push(buf, p, end - p);
      } else if (this.state === "body") {
        const n = Math.min(this.bodyLeft, end - p);
        this.bodyLeft -= n;
        p += n;
        if (this.bodyLeft === 0) this.state = "request";
      } else p = this.chunkBytes(buf, p, end);
    }
  }

  private fail(state: "error" | "limit" | "not_http", reason: string): void {
    this.state = state;
    this.error = reason;
    this.acc = undefined;
    this.counters.inc(reason);
  }

  /** Head phase: scans for the blank line; returns the next offset. */
  private headBytes(buf: Buffer, p: number, end: number): number {
    // Empty lines before a request line are skipped (bounded).
    if (this.headLen === 0) {
      while (p < end && (buf[p] === CR || buf[p] === LF)) {
        if (buf[p] === LF || p + 1 >= end || buf[p + 1] !== LF) this.leadingEmpty++;
        p++;
        if (this.leadingEmpty > MAX_LEADING_EMPTY) {
          this.fail(this.requests === 0 ? "not_http" : "error", "http1.leading_empty_lines");
          return end;
        }
      }
      if (p >= end) return end;
    }
    const start = p;
    let complete = false;
    for (; p < end; p++) {
      const b = buf[p];
      if (this.pendingCr) {
        this.pendingCr = false;
        if (b === LF) continue;
      }
      if (b === CR || b === LF) {
        if (this.lineLen === 0 && this.lines > 0) {
          complete = true;
          if (b === CR) this.swallowLf = true;
          p++;
          break;
        }
        if (this.lines === 0 && !this.requestLineOk()) return end;
        this.lines++;
        this.lineLen = 0;
        if (b === CR) this.pendingCr = true;
        continue;
      }
      this.lineLen++;
      if (this.lines === 0 && this.inMethod && !this.methodByte(b)) return end;
    }
    const n = p - start;
    if (this.headLen + n > this.maxHead) {
      this.fail("limit", "http1.head_too_long");
      return end;
    }
    if (!complete) {
      // Keep what we have of the head for the next push.
      if (this.acc === undefined) this.acc = Buffer.allocUnsafe(Math.min(this.maxHead, 1024));
      if (this.accLen + n > this.acc.length) {
        const next = Buffer.allocUnsafe(
          Math.min(this.maxHead, Math.max(2 * this.acc.length, this.accLen + n)),
        );
        this.acc.copy(next, 0, 0, this.accLen);
        this.acc = next;
      }
      buf.copy(this.acc, this.accLen, start, p);
      this.accLen += n;
      this.headLen += n;
      return p;
    }
    let head: Buffer;
    let hs: number;
    let he: number;
    if (this.accLen === 0) {
      head = buf;
      hs = start;
      he = p;
    } else {
      const total = this.accLen + n;
      if (this.acc!.length < total) {
        const next = Buffer.allocUnsafe(total);
        this.acc!.copy(next, 0, 0, this.accLen);
        this.acc = next;
      }
      buf.copy(this.acc!, this.accLen, start, p);
      head = this.acc!;
      hs = 0;
      he = total;
    }
    this.resetHead();
    this.finishHead(head, hs, he);
    return p;
  }

  private resetHead(): void {
    this.accLen = 0;
    this.headLen = 0;
    this.lineLen = 0;
    this.lines = 0;
    this.pendingCr = false;
    this.leadingEmpty = 0;
    this.inMethod = true;
  }

  /** A byte of the request line while still in the method token. */
  private methodByte(b: number): boolean {
    if (b === SP) {
      if (this.lineLen === 1) return this.notRequest("http1.empty_method");
      this.inMethod = false;
      return true;
    }
    const tokenChar =
      (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39 && this.lineLen > 1) || b === 0x2d || b === 0x5f;
    if (!tokenChar || this.lineLen > MAX_METHOD) return this.notRequest("http1.bad_method");
    return true;
  }

  /** The request line ended: it must have had its method and a space. */
  private requestLineOk(): boolean {
    if (this.inMethod) return this.notRequest("http1.no_request_line");
    return true;
  }

  private notRequest(reason: string): false {
    this.fail(this.requests === 0 ? "not_http" : "error", reason);
    return false;
  }

  /** Parses one complete head `buf[start, end)` (it ends with its blank line). */
  private finishHead(buf: Buffer, start: number, end: number): void {
    // Request line: method SP target SP version, split as tshark does (first and second SP).
    let p = start;
    let lineEnd = start;
    while (lineEnd < end && buf[lineEnd] !== CR && buf[lineEnd] !== LF) lineEnd++;
    let sp1 = p;
    while (sp1 < lineEnd && buf[sp1] !== SP) sp1++;
    let sp2 = sp1 + 1;
    while (sp2 < lineEnd && buf[sp2] !== SP) sp2++;
    const method = asciiText(buf, start, sp1);
    const target = asciiText(buf, Math.min(sp1 + 1, lineEnd), Math.min(sp2, lineEnd));
    const version = sp2 < lineEnd ? asciiText(buf, sp2 + 1, lineEnd) : "";
    if (method === "PRI" && target === "*" && version === "HTTP/2.0") {
      // RFC 9113 §3.4 connection preface: the HTTP/2 reader takes over from its first byte
      // (it checks the rest of the preface itself); an LF held back belongs to it.
      this.state = "http2";
      this.swallowLf = false;
      this.http2 = new Http2ClientReader(this.onRequest, { counters: this.counters });
      this.http2.push(buf, start, end - start);
      this.acc = undefined;
      return;
    }
    p = nextLine(buf, lineEnd, end);
    const headers: HttpHeader[] = [];
    let listing = true;
    while (p < end) {
      let e = p;
      while (e < end && buf[e] !== CR && buf[e] !== LF) e++;
      if (e === p) break; // the blank line
      if (listing) {
        let colon = p;
        while (colon < e && buf[colon] !== COLON) colon++;
        if (colon >= e) {
          // No colon (an obs-fold continuation of the value, or junk): tshark lists nothing
          // after it. A folded line WITH a colon is listed as a header, leading blanks kept
          // in its name, as tshark does.
          listing = false;
          this.counters.inc("http1.header_line_invalid");
        } else {
          let v = colon + 1;
          while (v < e && (buf[v] === SP || buf[v] === HT)) v++;
          headers.push({ name: asciiText(buf, p, colon), value: asciiText(buf, v, e) });
        }
      }
      p = nextLine(buf, e, end);
    }
    this.requests++;
    const req: HttpRequest = { method, target, version, headers };
    try {
      this.onRequest(req);
    } catch {
      this.counters.inc("http1.handler_threw");
    }
    if (this.requests >= this.maxRequests) {
      this.fail("limit", "http1.too_many_requests");
      return;
    }
    this.startBody(req);
  }

  /** Decides how the body after `req` is delimited (RFC 9112 §6.3, request side). */
  private startBody(req: HttpRequest): void {
    if (req.method === "CONNECT") {
      this.state = "tunnel";
      this.acc = undefined;
      return;
    }
    let chunked = false;
    let te = false;
    let length = -1;
    for (const h of req.headers) {
      const name = h.name.toLowerCase();
      if (name === "transfer-encoding") {
        te = true;
        const codings = h.value.split(",");
        chunked = codings[codings.length - 1].trim().toLowerCase() === "chunked";
      } else if (name === "content-length") {
        const v = h.value.trim();
        if (!/^[0-9]{1,15}$/.test(v)) {
          this.fail("error", "http1.bad_content_length");
          return;
        }
        const n = Number(v);
        if (length >= 0 && n !== length) {
          this.fail("error", "http1.conflicting_content_length");
          return;
        }
        length = n;
      }
    }
    if (te) {
      if (!chunked) {
        this.fail("error", "http1.unknown_transfer_coding");
        return;
      }
      this.state = "chunked";
      this.chunk = Chunk.Size;
      this.resetChunkLine();
      return;
    }
    if (length > 0) {
      this.state = "body";
      this.bodyLeft = length;
      return;
    }
    this.state = "request";
  }

  private resetChunkLine(): void {
    this.chunkSize = 0;
    this.chunkDigits = 0;
    this.chunkLineLen = 0;
    this.chunkInExt = false;
  }

  /** Chunked body (RFC 9112 §7.1): sizes, data, trailers; returns the next offset. */
  private chunkBytes(buf: Buffer, p: number, end: number): number {
    while (p < end) {
      const b = buf[p];
      switch (this.chunk) {
        case Chunk.Size:
          p++;
          if (b === CR || b === LF) {
            if (this.chunkDigits === 0) {
              this.fail("error", "http1.bad_chunk_size");
              return end;
            }
            if (b === CR) this.swallowLf = true;
            if (this.chunkSize === 0) {
              this.chunk = Chunk.Trailer;
              this.trailerBytes = 0;
              this.trailerLineLen = 0;
            } else {
              this.chunk = Chunk.Data;
              this.bodyLeft = this.chunkSize;
            }
            return p;
          }
          if (++this.chunkLineLen > MAX_CHUNK_LINE) {
            this.fail("error", "http1.chunk_line_too_long");
            return end;
          }
          if (this.chunkInExt) break;
          {
            const d = hexDigit(b);
            if (d >= 0 && this.chunkDigits >= 0) {
              if (++this.chunkDigits > 12) {
                this.fail("error", "http1.chunk_too_large");
                return end;
              }
              this.chunkSize = this.chunkSize * 16 + d;
            } else if (b === 0x3b || b === SP || b === HT) {
              this.chunkInExt = true; // extensions (and bad whitespace) up to the line end
            } else {
              this.fail("error", "http1.bad_chunk_size");
              return end;
            }
          }
          break;
        case Chunk.Data: {
          const n = Math.min(this.bodyLeft, end - p);
          this.bodyLeft -= n;
          p += n;
          if (this.bodyLeft === 0) this.chunk = Chunk.DataEnd;
          break;
        }
        case Chunk.DataEnd:
          // CRLF after the data (a bare LF or CR tolerated).
          p++;
          if (b !== CR && b !== LF) {
            this.fail("error", "http1.bad_chunk_end");
            return end;
          }
          if (b === CR) this.swallowLf = true;
          this.chunk = Chunk.Size;
          this.resetChunkLine();
          return p;
        case Chunk.Trailer:
          p++;
          if (++this.trailerBytes > this.maxHead) {
            this.fail("limit", "http1.trailer_too_long");
            return end;
          }
          if (b === CR || b === LF) {
            if (b === CR) this.swallowLf = true;
            if (this.trailerLineLen === 0) {
              this.state = "request";
              return p;
            }
            this.trailerLineLen = 0;
            return p;
          }
          this.trailerLineLen++;
          break;
      }
    }
    return p;
  }
}

/**
 * Methods a reader resumes at after a gap: RFC 9110's and PATCH (RFC 5789), the ones JA4H
 * fingerprints. A piece that begins inside a head can look like a request line of another
 * token ("ET / HTTP/1.1" from the end of "GET"); none of these is the tail of another.
 */
const RESYNC_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
]);
/** Longest of RESYNC_METHODS. */
const MAX_RESYNC_METHOD = 7;

/**
 * `buf[p, end)` starts with a complete request line: one of RESYNC_METHODS, SP, a target
 * of visible characters, SP, "HTTP/" digit "." digit, then a line end or the end of the
 * piece. Looks at most `max` bytes (a longer line is no head we take).
 */
function startsRequestLine(buf: Buffer, p: number, end: number, max: number): boolean {
  const stop = Math.min(end, p + max);
  let i = p;
  while (i < stop && i - p <= MAX_RESYNC_METHOD && buf[i] >= 0x41 && buf[i] <= 0x5a) i++;
  if (i >= stop || buf[i] !== SP || !RESYNC_METHODS.has(buf.toString("latin1", p, i))) return false;
  const target = ++i;
  while (i < stop && buf[i] > SP && buf[i] !== 0x7f) i++;
  if (i === target || i >= stop || buf[i] !== SP) return false;
  i++;
  if (i + 8 > stop) return false;
  for (let k = 0; k < 5; k++) if (buf[i + k] !== HTTP_SLASH[k]) return false;
  if (!isDigit(buf[i + 5]) || buf[i + 6] !== 0x2e || !isDigit(buf[i + 7])) return false;
  i += 8;
  return i === end || buf[i] === CR || buf[i] === LF;
}

const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** Offset after the line terminator at `e` (LF, CR LF or CR). */
function nextLine(buf: Buffer, e: number, end: number): number {
  if (e >= end) return end;
  if (buf[e] === CR && e + 1 < end && buf[e + 1] === LF) return e + 2;
  return e + 1;
}

function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}
