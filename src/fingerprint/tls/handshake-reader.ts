import type { Counters } from "../../util/counters.js";
import { tlsStats } from "./stats.js";

/**
 * Where a reader stands. Every state but "start" and "records" is final: later pushes
 * are ignored at the cost of one comparison.
 * - "encrypted": an application-data record arrived, or after a ChangeCipherSpec a
 *   handshake message that is not a hello (TLS <= 1.2 Finished is ciphertext in a
 *   handshake record); the rest of this direction is ciphertext.
 * - "not_tls": the first bytes are no plausible TLS (or SSLv2-compatible) record header.
 * - "limit": the stream byte bound or the handshake message bound was hit.
 * - "error": the record layer broke after a good start (bad header, bad content type).
 * - "stopped": the caller called stop().
 */
export type TlsReaderState = "start" | "records" | "encrypted" | "not_tls" | "limit" | "error" | "stopped";

/**
 * Receives each complete handshake message: its type (1 ClientHello, 2 ServerHello,
 * 11 Certificate, ...) and its body without the 4-byte handshake header. `body` is a view
 * over the pushed buffer when the message sat in one record of one push, otherwise a
 * buffer owned by the reader that is replaced, not reused; either way copy it
 * (`Buffer.from(body)`) to keep it past the callback when the pushed buffers get reused.
 */
export type HandshakeMessageHandler = (type: number, body: Buffer) => void;

export interface TlsHandshakeReaderOptions {
  /** Counters for malformed input and bounds (default: the module-level `tlsStats`). */
  counters?: Counters;
  /** Bytes of the direction parsed at most; later bytes are ignored (default 256 KiB). */
  maxStreamBytes?: number;
  /** Largest handshake message accepted, capped at 128 KiB (default 128 KiB). */
  maxMessageBytes?: number;
}

/** Hard ceiling for one handshake message (a long certificate chain fits many times over). */
export const MAX_HANDSHAKE_MESSAGE = 128 * 1024;
/** Default stream bound per direction: the handshake is all we parse. */
export const DEFAULT_MAX_STREAM_BYTES = 256 * 1024;
/** RFC 8446 §5.1/5.2: 2^14 plaintext; accept the 2^14 + 2048 of the TLS 1.2 ciphertext bound. */
const MAX_RECORD = 16384 + 2048;

const CT_CHANGE_CIPHER_SPEC = 20;
const CT_ALERT = 21;
const CT_HANDSHAKE = 22;
const CT_APPLICATION_DATA = 23;
/** Internal content type for the body of an SSLv2-compatible ClientHello being skipped. */
const CT_SKIP = -1;

/** Initial capacity of the buffer for a message that spans records or pushes. */
const SPAN_INITIAL = 4096;

/**
 * Parses the TLS record layer of ONE direction of a TCP stream and hands out complete
 * handshake messages, reassembled across records and across pushes of any size.
 *
 * Bounded: at most `maxStreamBytes` bytes are parsed and one message of at most
 * `maxMessageBytes` is buffered (grown on demand, so a header claiming 128 KiB costs
 * only what actually arrived). Nothing is copied unless a message spans records or pushes.
 * Never throws: malformed input moves the reader to a final state and bumps a counter;
 * an exception from the handler is caught and counted.
 */
export class TlsHandshakeReader {
  state: TlsReaderState = "start";
  /** True once an SSLv2-compatible ClientHello was recognised (and skipped). */
  sslv2Seen = false;
  /**
   * True once a ChangeCipherSpec record was seen in this direction. After it only a
   * ClientHello or ServerHello is still read as plaintext: in TLS 1.3
   * middlebox-compatibility mode a server sends CCS right after its HelloRetryRequest and
   * then the real ServerHello, and a client sends CCS right before its second ClientHello.
   */
  ccsSeen = false;
  /** Stream bytes consumed so far (bounded by maxStreamBytes). */
  bytesParsed = 0;
  /** Complete handshake messages delivered. */
  messages = 0;

  private readonly onMessage: HandshakeMessageHandler;
  private readonly counters: Counters;
  private readonly maxStream: number;
  private readonly maxMessage: number;

  // Record layer: 5-byte header collected here, then `recLeft` body bytes of `recType`.
  // (Plain arrays: a Buffer per reader would be an ArrayBuffer per TLS flow direction.)
  private readonly hdr = [0, 0, 0, 0, 0];
  private hdrFill = 0;
  private recType = 0;
  private recLeft = 0;
  private firstRecord = true;

  // Handshake layer: 4-byte message header, then `msgLen` body bytes.
  private readonly msgHdr = [0, 0, 0, 0];
  private msgHdrFill = 0;
  private msgType = 0;
  private msgLen = 0;
  private span: Buffer | undefined;
  private spanFill = 0;

  constructor(onMessage: HandshakeMessageHandler, options: TlsHandshakeReaderOptions = {}) {
    this.onMessage = onMessage;
    this.counters = options.counters ?? tlsStats;
    const ms = options.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES;
    this.maxStream = Number.isFinite(ms) && ms > 0 ? Math.floor(ms) : DEFAULT_MAX_STREAM_BYTES;
    const mm = options.maxMessageBytes ?? MAX_HANDSHAKE_MESSAGE;
    this.maxMessage =
      Number.isFinite(mm) && mm >= 0
        ? Math.min(Math.floor(mm), MAX_HANDSHAKE_MESSAGE)
        : MAX_HANDSHAKE_MESSAGE;
  }

  /** True while further pushes can still produce messages. */
  get active(): boolean {
    return this.state === "start" || this.state === "records";
  }

  /** Ends parsing (for a caller that has what it wanted); later pushes are ignored. */
  stop(): void {
    if (this.active) this.state = "stopped";
    this.span = undefined;
  }

  /** Feeds the next in-order stream bytes `buf[off, off + len)`. */
  push(buf: Buffer, off: number, len: number): void {
    if (!this.active) return;
    if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len <= 0) return;
    let end = off + len;
    if (end > buf.length) end = buf.length;
    if (end <= off) return;
    const room = this.maxStream - this.bytesParsed;
    let truncated = false;
    if (end - off > room) {
      end = off + room;
      truncated = true;
    }
    this.bytesParsed += end - off;
    this.run(buf, off, end);
    if (truncated && this.active) {
      this.state = "limit";
      this.span = undefined;
      this.counters.inc("tls.reader.stream_limit");
    }
  }

  private run(buf: Buffer, p: number, end: number): void {
    while (p < end && this.active) {
      if (this.recLeft === 0) {
        // Collect the record header byte by byte so each byte is judged as soon as it arrives.
        this.hdr[this.hdrFill++] = buf[p++];
        if (!this.headerPlausible()) return;
        if (this.hdrFill < 5) continue;
        this.hdrFill = 0;
        this.beginRecord();
        continue;
      }
      const take = Math.min(end - p, this.recLeft);
      if (this.recType === CT_HANDSHAKE) this.handshakeBytes(buf, p, p + take);
      this.recLeft -= take;
      p += take;
    }
  }

  /** Checks the header bytes collected so far; on failure sets the final state. */
  private headerPlausible(): boolean {
    const h = this.hdr;
    const n = this.hdrFill;
    if (this.firstRecord && h[0] & 0x80) {
      // SSLv2-compatible ClientHello: 2-byte length with the high bit set, then
      // msg_type 1 (CLIENT-HELLO) and a version whose major byte is 0 (SSL 2) or 3.
      if (n === 2) {
        const len = ((h[0] & 0x7f) << 8) | h[1];
        if (len < 9) return this.notTls();
      } else if (n === 3 && h[2] !== 1) return this.notTls();
      else if (n === 4 && h[3] !== 0 && h[3] !== 3) return this.notTls();
      return true;
    }
    if (n === 1) {
      const t = h[0];
      if (t < CT_CHANGE_CIPHER_SPEC || t > CT_APPLICATION_DATA) return this.fail();
    } else if (n === 2) {
      if (h[1] !== 3) return this.fail();
    } else if (n === 3) {
      if (h[2] > 4) return this.fail();
    } else if (n === 5) {
      const len = (h[3] << 8) | h[4];
      if (len === 0 || len > MAX_RECORD) return this.fail();
    }
    return true;
  }

  private beginRecord(): void {
    const h = this.hdr;
    if (this.firstRecord && h[0] & 0x80) {
      // The header, msg_type and version (3 of the `len` counted bytes) are consumed.
      this.sslv2Seen = true;
      this.counters.inc("tls.reader.sslv2_client_hello");
      this.recType = CT_SKIP;
      this.recLeft = (((h[0] & 0x7f) << 8) | h[1]) - 3;
      this.firstRecord = false;
      this.state = "records";
      return;
    }
    this.firstRecord = false;
    this.state = "records";
    const type = h[0];
    if (type === CT_APPLICATION_DATA) {
      this.state = "encrypted";
      this.span = undefined;
      return;
    }
    if (type === CT_CHANGE_CIPHER_SPEC) {
      // TLS 1.3 middlebox-compatibility CCS is followed by plaintext handshake records (a
      // second ClientHello after HelloRetryRequest); in TLS <= 1.2 the next handshake
      // record is encrypted. Keep parsing and let the caller judge via `ccsSeen`.
      this.ccsSeen = true;
    }
    if (type === CT_ALERT) this.counters.inc("tls.reader.alert");
    this.recType = type;
    this.recLeft = (h[3] << 8) | h[4];
  }

  private notTls(): false {
    this.state = "not_tls";
    this.counters.inc("tls.reader.not_tls");
    return false;
  }

  private fail(): false {
    if (this.firstRecord) return this.notTls();
    this.state = "error";
    this.span = undefined;
    this.counters.inc("tls.reader.bad_record");
    return false;
  }

  /** Consumes handshake-record payload bytes buf[p, end). */
  private handshakeBytes(buf: Buffer, p: number, end: number): void {
    while (p < end && this.active) {
      if (this.msgHdrFill < 4) {
        if (this.msgHdrFill === 0 && end - p >= 4) {
          this.msgType = buf[p];
          if (!this.plaintextAfterCcs(this.msgType)) return;
          this.msgLen = (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
          p += 4;
          this.msgHdrFill = 4;
          if (!this.messageSizeOk()) return;
          if (end - p >= this.msgLen) {
            // Whole message inside this record and this push: hand out a view, copy nothing.
            const body = buf.subarray(p, p + this.msgLen);
            p += this.msgLen;
            this.msgHdrFill = 0;
            this.emit(this.msgType, body);
            continue;
          }
          this.startSpan();
          continue;
        }
        this.msgHdr[this.msgHdrFill++] = buf[p++];
        if (this.msgHdrFill === 1 && !this.plaintextAfterCcs(this.msgHdr[0])) return;
        if (this.msgHdrFill < 4) continue;
        this.msgType = this.msgHdr[0];
        this.msgLen = (this.msgHdr[1] << 16) | (this.msgHdr[2] << 8) | this.msgHdr[3];
        if (!this.messageSizeOk()) return;
        if (this.msgLen === 0) {
          this.msgHdrFill = 0;
          this.emit(this.msgType, buf.subarray(p, p));
          continue;
        }
        this.startSpan();
        continue;
      }
      // Message body spanning records/pushes: append into the span buffer.
      const take = Math.min(end - p, this.msgLen - this.spanFill);
      this.ensureSpan(this.spanFill + take);
      const span = this.span!;
      buf.copy(span, this.spanFill, p, p + take);
      this.spanFill += take;
      p += take;
      if (this.spanFill === this.msgLen) {
        const body = span.subarray(0, this.msgLen);
        this.span = undefined;
        this.spanFill = 0;
        this.msgHdrFill = 0;
        this.emit(this.msgType, body);
      }
    }
  }

  /** Before a CCS every message is plaintext; after it only a Client/ServerHello can be. */
  private plaintextAfterCcs(type: number): boolean {
    if (!this.ccsSeen || type === 1 || type === 2) return true;
    this.state = "encrypted";
    this.span = undefined;
    return false;
  }

  private messageSizeOk(): boolean {
    if (this.msgLen <= this.maxMessage) return true;
    this.state = "limit";
    this.span = undefined;
    this.counters.inc("tls.reader.message_too_large");
    return false;
  }

  private startSpan(): void {
    this.span = undefined;
    this.spanFill = 0;
  }

  /** Grows the span buffer geometrically up to the declared message length. */
  private ensureSpan(need: number): void {
    const cur = this.span;
    if (cur !== undefined && cur.length >= need) return;
    let cap = cur === undefined ? Math.min(this.msgLen, SPAN_INITIAL) : cur.length * 2;
    if (cap < need) cap = need;
    if (cap > this.msgLen) cap = this.msgLen;
    const next = Buffer.allocUnsafe(cap);
    if (cur !== undefined) cur.copy(next, 0, 0, this.spanFill);
    this.span = next;
  }

  private emit(type: number, body: Buffer): void {
    this.messages++;
    try {
      this.onMessage(type, body);
    } catch {
      this.counters.inc("tls.reader.handler_error");
    }
  }
}
