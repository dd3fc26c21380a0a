/**
 * DECNET's UNIX-socket framing (DESIGN §5 "UNIX-socket wire protocol"):
 *
 *   VERB[ args]\n        ASCII header line
 *   <u32 big-endian>     body length
 *   <body>               JSON object, or nothing when the length is 0
 *
 * Limits, decided precisely: the header line counts its terminating LF, so a header is at most
 * 4096 bytes *including* the `\n` (4095 bytes of text) — DECNET measures the line returned by
 * `readuntil(b"\n")`, which includes the separator. A body is at most 1 MiB = 1,048,576 bytes.
 * Trailing `\r` before the LF is tolerated and dropped; the verb is everything before the first
 * space; args are the rest with ASCII whitespace trimmed.
 *
 * The decoder is resumable and byte-level (a small state machine, in the manner of nats.js's
 * parser): frames wholly inside one read are handed out as views of that read; bytes are copied
 * only when a header, length or body straddles reads.
 */

import { latin1WriteAt } from "../util/buffer-write.js";

export const MAX_HEADER_BYTES = 4096;
export const MAX_BODY_BYTES = 1024 * 1024;

export const VERBS = ["HELLO", "PUB", "SUB", "UNSUB", "EVT", "BYE"] as const;
export type Verb = (typeof VERBS)[number];

/** The encoder was asked for a frame that breaks the protocol (a programming error). */
export class FrameError extends Error {
  override name = "FrameError";
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const EMPTY = Buffer.alloc(0);

function isVerb(v: string): v is Verb {
  return (VERBS as readonly string[]).includes(v);
}

/** Bytes of the header line `VERB[ arg]\n`. */
export function headerLength(verb: Verb, arg: string): number {
  return verb.length + (arg.length > 0 ? 1 + arg.length : 0) + 1;
}

function checkArg(arg: string): void {
  for (let i = 0; i < arg.length; i++) {
    const c = arg.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new FrameError("frame args must be printable ASCII");
  }
  if (arg.length > 0 && (arg.charCodeAt(0) === SPACE || arg.charCodeAt(arg.length - 1) === SPACE)) {
    throw new FrameError("frame args must not start or end with a space");
  }
}

/**
 * Encodes one frame. `body` is the JSON text (or bytes) of the body, or undefined for none.
 * Throws FrameError when the verb is unknown, the args are not printable ASCII, or a limit is
 * exceeded.
 */
export function encodeFrame(verb: Verb, arg = "", body?: string | Uint8Array): Buffer {
  if (!isVerb(verb)) throw new FrameError(`unknown verb ${JSON.stringify(verb)}`);
  checkArg(arg);
  const hl = headerLength(verb, arg);
  if (hl > MAX_HEADER_BYTES) throw new FrameError(`header of ${hl} bytes exceeds ${MAX_HEADER_BYTES}`);
  const bodyBytes = body === undefined ? EMPTY : typeof body === "string" ? Buffer.from(body, "utf8") : body;
  if (bodyBytes.length > MAX_BODY_BYTES) {
    throw new FrameError(`body of ${bodyBytes.length} bytes exceeds ${MAX_BODY_BYTES}`);
  }
  const out = Buffer.allocUnsafe(hl + 4 + bodyBytes.length);
  const o = writeHeaderLine(out, 0, verb, arg);
  out.writeUInt32BE(bodyBytes.length, o);
  out.set(bodyBytes, o + 4);
  return out;
}

/**
 * Writes the header line `VERB[ arg]\n` at `off` (room for `headerLength(verb, arg)` bytes;
 * `arg` already known to be printable ASCII) and returns the offset after it, where the
 * 4-byte body length goes. Shared by every encoder of frames.
 */
export function writeHeaderLine(buf: Buffer, off: number, verb: Verb, arg: string): number {
  let o = off + latin1WriteAt(buf, verb, off);
  if (arg.length > 0) {
    buf[o++] = SPACE;
    o += latin1WriteAt(buf, arg, o);
  }
  buf[o++] = LF;
  return o;
}

/** Why the decoder gave up on a stream. After a fault the stream is unusable (close it). */
export type FrameFault =
  | "header_too_long"
  | "header_not_ascii"
  | "empty_header"
  | "unknown_verb"
  | "body_too_long";

/**
 * Receives each decoded frame. `body` is a view into the read buffer (or a fresh copy when the
 * body straddled reads): copy it if you keep it beyond the call. Return false to stop decoding
 * (for example after BYE or a semantic error); the rest of the input is then ignored.
 */
export type FrameHandler = (verb: Verb, arg: string, body: Buffer) => boolean;

const S_HEADER = 0;
const S_LENGTH = 1;
const S_BODY = 2;

/** Resumable decoder for one byte stream. Never throws on input; reports a fault instead. */
export class FrameDecoder {
  /** Set when the input broke the protocol; the decoder then ignores further input. */
  fault: FrameFault | undefined;
  /** True once the handler returned false. */
  stopped = false;

  private state = S_HEADER;
  // Partial header (allocated on first straddle; at most MAX_HEADER_BYTES bytes).
  private hbuf: Buffer | undefined;
  private hlen = 0;
  // Partial length field.
  private readonly lbuf = Buffer.alloc(4);
  private llen = 0;
  // Current frame.
  private verb: Verb = "BYE";
  private arg = "";
  private need = 0;
  // Partial body, copied as it arrives into a buffer that grows by doubling up to the declared
  // length: memory follows the bytes actually received, not what a peer claims it will send.
  private acc: Buffer | undefined;
  private got = 0;

  constructor(private readonly onFrame: FrameHandler) {}

  /** True between frames (nothing partial held): an EOF here is a clean end. */
  get atBoundary(): boolean {
    return this.state === S_HEADER && this.hlen === 0;
  }

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.hlen + this.llen + this.got;
  }

  /** Feeds one read. Returns false once the stream faulted or the handler stopped it. */
  push(chunk: Buffer): boolean {
    if (this.fault !== undefined || this.stopped) return false;
    const end = chunk.length;
    let off = 0;
    while (off < end) {
      if (this.state === S_HEADER) {
        const nl = chunk.indexOf(LF, off);
        if (nl === -1) {
          // No LF yet: keep what we have unless the line already fills the limit (the LF
          // would then be byte MAX_HEADER_BYTES + 1).
          const n = end - off;
          if (this.hlen + n >= MAX_HEADER_BYTES) return this.fail("header_too_long");
          if (this.hbuf === undefined) this.hbuf = Buffer.allocUnsafe(MAX_HEADER_BYTES);
          chunk.copy(this.hbuf, this.hlen, off, end);
          this.hlen += n;
          return true;
        }
        const n = nl + 1 - off;
        if (this.hlen + n > MAX_HEADER_BYTES) return this.fail("header_too_long");
        if (this.hlen === 0) {
          if (!this.parseHeader(chunk, off, nl)) return false;
        } else {
          const hb = this.hbuf as Buffer;
          chunk.copy(hb, this.hlen, off, nl + 1);
          const total = this.hlen + n;
          this.hlen = 0;
          if (!this.parseHeader(hb, 0, total - 1)) return false;
        }
        off = nl + 1;
        this.state = S_LENGTH;
      } else if (this.state === S_LENGTH) {
        let len: number;
        if (this.llen === 0 && end - off >= 4) {
          len = chunk.readUInt32BE(off);
          off += 4;
        } else {
          while (this.llen < 4 && off < end) this.lbuf[this.llen++] = chunk[off++];
          if (this.llen < 4) return true;
          this.llen = 0;
          len = this.lbuf.readUInt32BE(0);
        }
        if (len > MAX_BODY_BYTES) return this.fail("body_too_long");
        if (len === 0) {
          this.state = S_HEADER;
          if (!this.emit(EMPTY)) return false;
        } else {
          this.need = len;
          this.state = S_BODY;
        }
      } else {
        const avail = end - off;
        if (this.got === 0 && avail >= this.need) {
          const body = chunk.subarray(off, off + this.need);
          off += this.need;
          this.state = S_HEADER;
          if (!this.emit(body)) return false;
        } else {
          const take = Math.min(this.need - this.got, avail);
          this.reserve(this.got + take);
          const acc = this.acc as Buffer;
          chunk.copy(acc, this.got, off, off + take);
          this.got += take;
          off += take;
          if (this.got === this.need) {
            this.acc = undefined;
            this.got = 0;
            this.state = S_HEADER;
            if (!this.emit(acc)) return false;
          }
        }
      }
    }
    return true;
  }

  /** Makes `acc` hold at least `n` bytes (n ≤ need), keeping what it has. */
  private reserve(n: number): void {
    const cur = this.acc;
    if (cur !== undefined && cur.length >= n) return;
    let size = Math.max(4096, cur === undefined ? n : cur.length * 2);
    if (size < n) size = n;
    if (size > this.need) size = this.need;
    const next = Buffer.allocUnsafe(size);
    if (cur !== undefined && this.got > 0) cur.copy(next, 0, 0, this.got);
    this.acc = next;
  }

  private emit(body: Buffer): boolean {
    if (this.onFrame(this.verb, this.arg, body) === false) {
      this.stopped = true;
      return false;
    }
    return true;
  }

  private fail(f: FrameFault): boolean {
    this.fault = f;
    this.acc = undefined;
    this.hbuf = undefined;
    return false;
  }

  /** Parses buf[s, lf) (the line without its LF) into verb and arg. */
  private parseHeader(buf: Buffer, s: number, lf: number): boolean {
    let e = lf;
    while (e > s && buf[e - 1] === CR) e--;
    if (e === s) return this.fail("empty_header");
    let sp = -1;
    for (let i = s; i < e; i++) {
      const c = buf[i];
      if (c >= 0x80) return this.fail("header_not_ascii");
      if (c === SPACE && sp === -1) sp = i;
    }
    const ve = sp === -1 ? e : sp;
    const verb = verbAt(buf, s, ve);
    if (verb === undefined) return this.fail("unknown_verb");
    this.verb = verb;
    if (sp === -1) {
      this.arg = "";
    } else {
      let a = sp + 1;
      let b = e;
      while (a < b && isAsciiSpace(buf[a])) a++;
      while (b > a && isAsciiSpace(buf[b - 1])) b--;
      this.arg = a < b ? buf.toString("latin1", a, b) : "";
    }
    return true;
  }
}

/** Python's str.strip() whitespace within ASCII: \t \n \v \f \r, 0x1c–0x1f and space. */
function isAsciiSpace(c: number): boolean {
  return c === SPACE || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}

function verbAt(b: Buffer, s: number, e: number): Verb | undefined {
  const n = e - s;
  if (n === 3) {
    const c0 = b[s];
    const c1 = b[s + 1];
    const c2 = b[s + 2];
    if (c0 === 0x50 && c1 === 0x55 && c2 === 0x42) return "PUB";
    if (c0 === 0x53 && c1 === 0x55 && c2 === 0x42) return "SUB";
    if (c0 === 0x45 && c1 === 0x56 && c2 === 0x54) return "EVT";
    if (c0 === 0x42 && c1 === 0x59 && c2 === 0x45) return "BYE";
    return undefined;
  }
  if (n === 5) {
    const w = b.toString("latin1", s, e);
    if (w === "HELLO" || w === "UNSUB") return w;
  }
  return undefined;
}
