import type { Counters } from "../../util/counters.js";
import { HpackDecoder } from "./hpack.js";
import type { HttpHeader, HttpRequest } from "./request.js";
import { httpStats } from "./stats.js";

/** RFC 9113 §3.4: the client connection preface. */
export const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** One PRIORITY frame as the Akamai fingerprint lists it. */
export interface Http2Priority {
  streamId: number;
  exclusive: boolean;
  dependsOn: number;
  /** Weight 1-256 (the frame carries weight - 1). */
  weight: number;
}

/**
 * What a client shows in the first frames of an HTTP/2 connection (Akamai, "Passive
 * Fingerprinting of HTTP/2 Clients", Black Hat EU 2017): its first SETTINGS, the first
 * connection-level WINDOW_UPDATE and the PRIORITY frames sent before the first HEADERS,
 * and the order of the pseudo-header fields in that HEADERS block.
 */
export interface Http2Fingerprint {
  settings: Array<[id: number, value: number]>;
  /** Increment of the first WINDOW_UPDATE on stream 0, undefined when none came first. */
  windowUpdate: number | undefined;
  priorities: Http2Priority[];
  /** Pseudo-header names of the first HEADERS block, in order (":method", ...). */
  pseudoHeaders: string[];
}

const PSEUDO_LETTER: Record<string, string> = {
  ":method": "m",
  ":authority": "a",
  ":scheme": "s",
  ":path": "p",
};

/**
 * Akamai text form `S[;]|WU|P[,]#|PS[,]`, e.g. `1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p`:
 * SETTINGS as id:value joined by ";", the WINDOW_UPDATE increment ("00" when none),
 * PRIORITY frames as stream:exclusive:dependency:weight joined by "," ("0" when none),
 * pseudo-headers as m/a/s/p joined by "," (other pseudo-headers are not listed).
 */
export function akamaiFingerprint(fp: Http2Fingerprint): string {
  const s = fp.settings.map(([id, v]) => `${id}:${v}`).join(";");
  const wu = fp.windowUpdate === undefined ? "00" : String(fp.windowUpdate);
  const p =
    fp.priorities.length === 0
      ? "0"
      : fp.priorities.map((x) => `${x.streamId}:${x.exclusive ? 1 : 0}:${x.dependsOn}:${x.weight}`).join(",");
  const ps = fp.pseudoHeaders
    .map((n) => PSEUDO_LETTER[n])
    .filter((l) => l !== undefined)
    .join(",");
  return `${s}|${wu}|${p}|${ps}`;
}

/**
 * Where the reader stands; all but "preface" and "frames" are final.
 * - "done": `maxRequests` header blocks decoded; nothing more is needed.
 * - "not_http2": the stream does not start with the connection preface.
 * - "error": a framing or HPACK error (HPACK state is lost after one), or a gap in the
 *   stream (`gap()`: the frame boundaries and the HPACK table are lost with the bytes).
 * - "limit": a header block over `maxHeaderBlock` bytes.
 */
export type Http2ReaderState = "preface" | "frames" | "done" | "not_http2" | "error" | "limit";

export interface Http2ReaderOptions {
  counters?: Counters;
  /** Largest header block (HEADERS + CONTINUATION fragments) accepted; default 64 KiB. */
  maxHeaderBlock?: number;
  /** Header blocks decoded at most; default 100. */
  maxRequests?: number;
}

/** Receives each request (a header block with :method); the object is the caller's. */
export type Http2RequestHandler = (req: HttpRequest) => void;

const FRAME_HEADER = 9;
const TYPE_HEADERS = 0x1;
const TYPE_PRIORITY = 0x2;
const TYPE_SETTINGS = 0x4;
const TYPE_WINDOW_UPDATE = 0x8;
const TYPE_CONTINUATION = 0x9;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
/** Largest SETTINGS/WINDOW_UPDATE/PRIORITY payload kept (a SETTINGS frame lists ≤ 64 of 6 bytes here). */
const MAX_CONTROL_FRAME = 384;

/**
 * Reads the CLIENT direction of a cleartext HTTP/2 connection with prior knowledge
 * (RFC 9113 §3.3): the preface, then frames. Collects the Akamai fingerprint (ready once
 * the first HEADERS block is decoded) and hands every request to `onRequest` (header
 * blocks are decoded with a per-connection HPACK decoder, so every block is read in order;
 * DATA and other frames are skipped by count without buffering).
 *
 * Bounded: one control frame of at most 384 bytes, one header block of at most
 * `maxHeaderBlock` bytes, the HPACK table (4 KiB, RFC 7541 §4.2), a decoded header list
 * of at most 16 KiB / 256 fields per block (larger ones are refused and counted, see
 * HpackDecoder), at most `maxRequests` blocks. Never throws.
 */
export class Http2ClientReader {
  state: Http2ReaderState = "preface";
  /** Set once the first HEADERS block is decoded. */
  fingerprint: Http2Fingerprint | undefined;
  /** Akamai text of `fingerprint`. */
  akamai: string | undefined;
  /** Header blocks decoded. */
  blocks = 0;
  error: string | undefined;

  private readonly onRequest: Http2RequestHandler | undefined;
  private readonly counters: Counters;
  private readonly maxBlock: number;
  private readonly maxRequests: number;
  private readonly hpack = new HpackDecoder();

  private prefaceSeen = 0;
  private readonly header = Buffer.alloc(FRAME_HEADER);
  private headerFill = 0;
  private frameLen = 0;
  private frameType = 0;
  private frameFlags = 0;
  private frameStream = 0;
  /** Payload bytes of the current frame still to come. */
  private left = 0;
  /** The current frame's payload is kept (in `payload`) or skipped. */
  private keep = false;
  private payload: Buffer | undefined;
  private payloadFill = 0;

  // Header block assembly.
  private block: Buffer | undefined;
  private blockLen = 0;
  /** Stream of a block waiting for CONTINUATION frames; 0 when none. */
  private blockStream = 0;

  // Akamai parts before the first HEADERS.
  private settings: Array<[number, number]> | undefined;
  private windowUpdate: number | undefined;
  private readonly priorities: Http2Priority[] = [];

  constructor(onRequest?: Http2RequestHandler, options: Http2ReaderOptions = {}) {
    this.onRequest = onRequest;
    this.counters = options.counters ?? httpStats;
    this.maxBlock = options.maxHeaderBlock ?? 64 * 1024;
    this.maxRequests = options.maxRequests ?? 100;
  }

  get finished(): boolean {
    return this.state !== "preface" && this.state !== "frames";
  }

  /** Feeds the next `len` stream bytes at `buf[off]`. */
  push(buf: Buffer, off: number, len: number): void {
    if (this.finished || len <= 0 || off < 0 || off >= buf.length) return;
    const end = Math.min(buf.length, off + len);
    let p = off;
    while (p < end && !this.finished) {
      if (this.state === "preface") {
        while (p < end && this.prefaceSeen < HTTP2_PREFACE.length) {
          if (buf[p] !== HTTP2_PREFACE[this.prefaceSeen]) {
            this.fail("not_http2", "http2.no_preface");
            return;
          }
          p++;
          this.prefaceSeen++;
        }
        if (this.prefaceSeen === HTTP2_PREFACE.length) this.state = "frames";
        continue;
      }
      if (this.headerFill < FRAME_HEADER) {
        const n = Math.min(FRAME_HEADER - this.headerFill, end - p);
        buf.copy(this.header, this.headerFill, p, p + n);
        this.headerFill += n;
        p += n;
        if (this.headerFill === FRAME_HEADER) this.startFrame();
        continue;
      }
      const n = Math.min(this.left, end - p);
      if (this.keep) {
        buf.copy(this.payload!, this.payloadFill, p, p + n);
        this.payloadFill += n;
      }
      this.left -= n;
      p += n;
      if (this.left === 0) this.endFrame();
    }
  }

  /**
   * Bytes of the stream were lost (a TCP gap): frame boundaries and the HPACK table with
   * them, so nothing after the hole can be read; stops the reader.
   */
  gap(): void {
    if (!this.finished) this.fail("error", "http2.gap");
  }

  private fail(state: "not_http2" | "error" | "limit", reason: string): void {
    this.state = state;
    this.error = reason;
    this.payload = undefined;
    this.block = undefined;
    this.counters.inc(reason);
  }

  private startFrame(): void {
    const h = this.header;
    this.frameLen = (h[0] << 16) | (h[1] << 8) | h[2];
    this.frameType = h[3];
    this.frameFlags = h[4];
    this.frameStream = h.readUInt32BE(5) & 0x7fffffff;
    this.left = this.frameLen;
    this.payloadFill = 0;
    if (
      this.blockStream !== 0 &&
      (this.frameType !== TYPE_CONTINUATION || this.frameStream !== this.blockStream)
    ) {
      // RFC 9113 §6.10: nothing may come between HEADERS and its CONTINUATION frames.
      this.fail("error", "http2.continuation_expected");
      return;
    }
    const t = this.frameType;
    const control = t === TYPE_SETTINGS || t === TYPE_WINDOW_UPDATE || t === TYPE_PRIORITY;
    this.keep = control || t === TYPE_HEADERS || t === TYPE_CONTINUATION;
    if (control && this.frameLen > MAX_CONTROL_FRAME) {
      this.fail("error", "http2.control_frame_too_long");
      return;
    }
    if (this.keep && this.frameLen > this.maxBlock) {
      this.fail("limit", "http2.header_block_too_long");
      return;
    }
    if (this.keep) {
      if (this.payload === undefined || this.payload.length < this.frameLen) {
        this.payload = Buffer.allocUnsafe(Math.max(this.frameLen, 1024));
      }
    }
    if (this.left === 0) this.endFrame();
  }

  private endFrame(): void {
    this.headerFill = 0;
    if (!this.keep) return;
    const p = this.payload!;
    const len = this.frameLen;
    const beforeHeaders = this.blocks === 0;
    switch (this.frameType) {
      case TYPE_SETTINGS:
        if (this.frameStream !== 0 || (this.frameFlags & FLAG_ACK) !== 0) break;
        if (len % 6 !== 0) {
          this.fail("error", "http2.bad_settings");
          return;
        }
        if (this.settings === undefined && beforeHeaders) {
          const list: Array<[number, number]> = [];
          for (let i = 0; i < len; i += 6) list.push([p.readUInt16BE(i), p.readUInt32BE(i + 2)]);
          this.settings = list;
        }
        break;
      case TYPE_WINDOW_UPDATE:
        if (len !== 4) {
          this.fail("error", "http2.bad_window_update");
          return;
        }
        if (this.frameStream === 0 && this.windowUpdate === undefined && beforeHeaders) {
          this.windowUpdate = p.readUInt32BE(0) & 0x7fffffff;
        }
        break;
      case TYPE_PRIORITY:
        if (len !== 5) {
          this.fail("error", "http2.bad_priority");
          return;
        }
        if (beforeHeaders && this.priorities.length < 64) {
          const dep = p.readUInt32BE(0);
          this.priorities.push({
            streamId: this.frameStream,
            exclusive: (dep & 0x80000000) !== 0,
            dependsOn: dep & 0x7fffffff,
            weight: p[4] + 1,
          });
        }
        break;
      case TYPE_HEADERS: {
        let start = 0;
        let end = len;
        if (this.frameFlags & FLAG_PADDED) {
          if (len < 1 || p[0] >= len) {
            this.fail("error", "http2.bad_padding");
            return;
          }
          end = len - p[0];
          start = 1;
        }
        if (this.frameFlags & FLAG_PRIORITY) start += 5;
        if (start > end) {
          this.fail("error", "http2.bad_headers");
          return;
        }
        if (this.frameFlags & FLAG_END_HEADERS) {
          // The whole block is in this frame (within maxBlock, checked at its start):
          // decode it where it lies instead of copying it first.
          this.decodeBlock(p, start, end);
          break;
        }
        this.blockLen = 0;
        this.appendBlock(p, start, end);
        if (this.finished) return;
        this.blockStream = this.frameStream || 0x7fffffff;
        break;
      }
      case TYPE_CONTINUATION:
        if (this.blockStream === 0) {
          this.fail("error", "http2.unexpected_continuation");
          return;
        }
        this.appendBlock(p, 0, len);
        if (this.finished) return;
        if (this.frameFlags & FLAG_END_HEADERS) {
          this.blockStream = 0;
          this.decodeBlock(this.block!, 0, this.blockLen);
        }
        break;
    }
  }

  private appendBlock(src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.blockLen + n > this.maxBlock) {
      this.fail("limit", "http2.header_block_too_long");
      return;
    }
    if (this.block === undefined || this.block.length < this.blockLen + n) {
      const next = Buffer.allocUnsafe(Math.min(this.maxBlock, Math.max(2 * (this.blockLen + n), 1024)));
      if (this.block !== undefined) this.block.copy(next, 0, 0, this.blockLen);
      this.block = next;
    }
    src.copy(this.block, this.blockLen, start, end);
    this.blockLen += n;
  }

  private decodeBlock(buf: Buffer, start: number, end: number): void {
    const fields = this.hpack.decode(buf, start, end);
    this.blockLen = 0;
    if (fields === undefined && this.hpack.refused === undefined) {
      this.fail("error", "http2.hpack_error");
      return;
    }
    this.blocks++;
    if (fields === undefined) {
      // Over the decoded-list bounds (a header bomb): no request and no fingerprint from
      // this block, but the HPACK table is in step, so later blocks are still read.
      this.counters.inc(
        this.hpack.refused === "too_many_fields" ? "http2.too_many_fields" : "http2.header_list_too_large",
      );
    } else this.handleBlock(fields);
    if (this.blocks >= this.maxRequests) {
      this.state = "done";
      this.payload = undefined;
      this.block = undefined;
    }
  }

  /** A decoded header block: the fingerprint (first block), the request (with :method). */
  private handleBlock(fields: HttpHeader[]): void {
    if (this.blocks === 1) {
      this.fingerprint = {
        settings: this.settings ?? [],
        windowUpdate: this.windowUpdate,
        priorities: this.priorities,
        pseudoHeaders: fields.filter((f) => f.name.startsWith(":")).map((f) => f.name),
      };
      this.akamai = akamaiFingerprint(this.fingerprint);
    }
    const method = fields.find((f) => f.name === ":method");
    if (method !== undefined && this.onRequest !== undefined) {
      const path = fields.find((f) => f.name === ":path");
      try {
        this.onRequest({
          method: method.value,
          target: path?.value ?? "",
          version: "HTTP/2",
          headers: fields,
        });
      } catch {
        this.counters.inc("http2.handler_threw");
      }
    }
  }
}
