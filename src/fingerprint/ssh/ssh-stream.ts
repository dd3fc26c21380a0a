import type { Counters } from "../../util/counters.js";
import { type Kexinit, parseKexinit, SSH_MSG_KEXINIT } from "./kexinit.js";
import { sshStats } from "./stats.js";

/**
 * Where a reader stands. Every state but "banner" and "packets" is final; later pushes
 * are ignored at the cost of one comparison.
 * - "banner": looking for the identification line (other lines may come first).
 * - "packets": binary packets until the first KEXINIT.
 * - "done": KEXINIT parsed (SSH-2), or an SSH-1.x identification seen (no KEXINIT exists).
 * - "error": the stream broke the protocol (line or packet too long, bad packet header).
 * - "limit": too many lines before the identification or packets before KEXINIT.
 */
export type SshReaderState = "banner" | "packets" | "done" | "error" | "limit";

/** RFC 4253 §4.2: the identification line is at most 255 characters including CR LF. */
export const MAX_IDENT_LINE = 255;
/**
 * Lines a server may send before its identification (RFC 4253 §4.2 sets no length). We
 * keep at most this many bytes per line and this many lines: banners of real servers
 * (TCP wrappers messages, "Welcome" texts) fit easily.
 */
export const MAX_PRE_LINE = 1024;
export const MAX_PRE_LINES = 32;
/** RFC 4253 §6.1: implementations must handle packets of 35000 bytes in total; we take no more. */
export const MAX_PACKET = 35000;
/** Packets allowed before the KEXINIT (IGNORE/DEBUG messages may precede it). */
export const MAX_PACKETS_BEFORE_KEXINIT = 16;

const LF = 0x0a;
const CR = 0x0d;
/** "SSH-" */
const SSH_DASH = [0x53, 0x53, 0x48, 0x2d];

/**
 * Renders identification bytes as a string that can never carry a control character:
 * printable ASCII is kept, every other byte becomes `\xHH`. Real banners are printable
 * ASCII (RFC 4253 §4.2), so they come out unchanged.
 */
export function printableAscii(buf: Buffer, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) {
    const b = buf[i];
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return s;
}

/**
 * Reads ONE direction of an SSH connection: the identification line, then the binary
 * packets (RFC 4253 §6: uint32 packet_length, byte padding_length, payload, padding)
 * up to and including the first KEXINIT, which it parses. Later packets are encrypted,
 * so the reader stops there.
 *
 * Bytes come in any pieces (`push`); a line or packet split across pieces is reassembled
 * in an owned buffer of at most MAX_PACKET bytes, nothing is copied otherwise.
 * Bounded: lines before the identification (MAX_PRE_LINES of MAX_PRE_LINE bytes), the
 * identification (MAX_IDENT_LINE), packets before KEXINIT (MAX_PACKETS_BEFORE_KEXINIT of
 * MAX_PACKET bytes). Never throws; malformed input ends in "error" and bumps a counter.
 */
export class SshStreamReader {
  state: SshReaderState = "banner";
  /** Identification line without CR LF (printable ASCII, other bytes as `\xHH`). */
  banner: string | undefined;
  /** "2.0", "1.99", "1.5" ... from `SSH-protoversion-softwareversion SP comments`. */
  protoVersion: string | undefined;
  softwareVersion: string | undefined;
  /** Text after the first space of the identification, if any. */
  comments: string | undefined;
  /** Lines received before the identification line. */
  preBannerLines = 0;
  /** The first KEXINIT of this direction once parsed. */
  kexinit: Kexinit | undefined;
  /** Binary packets seen (KEXINIT included). */
  packets = 0;
  /** Why the reader stopped in "error"/"limit" (a counter key). */
  error: string | undefined;

  private readonly counters: Counters;
  /** Current line (banner phase) or current packet (packet phase), when split across pushes. */
  private acc: Buffer | undefined;
  private accLen = 0;
  /** Packet phase: total length (4 + packet_length) of the packet being assembled, 0 = unknown yet. */
  private need = 0;

  constructor(counters: Counters = sshStats) {
    this.counters = counters;
  }

  /** True once nothing more will be parsed. */
  get finished(): boolean {
    return this.state !== "banner" && this.state !== "packets";
  }

  /** Feeds the next `len` stream bytes at `buf[off]`. */
  push(buf: Buffer, off: number, len: number): void {
    if (this.finished || len <= 0) return;
    let end = off + len;
    if (off < 0 || end > buf.length) {
      if (off < 0 || off >= buf.length) return;
      end = buf.length;
    }
    let p = off;
    while (p < end && !this.finished) {
      p = this.state === "banner" ? this.bannerBytes(buf, p, end) : this.packetBytes(buf, p, end);
    }
  }

  private fail(state: "error" | "limit", reason: string): void {
    this.state = state;
    this.error = reason;
    this.acc = undefined;
    this.counters.inc(reason);
  }

  private ensureAcc(size: number): Buffer {
    if (this.acc === undefined || this.acc.length < size) {
      const next = Buffer.allocUnsafe(size);
      if (this.acc !== undefined && this.accLen > 0) this.acc.copy(next, 0, 0, this.accLen);
      this.acc = next;
    }
    return this.acc;
  }

  /** Banner phase: consumes up to one line end; returns the next offset. */
  private bannerBytes(buf: Buffer, p: number, end: number): number {
    // Scan no further than the longest line we accept.
    const limit = Math.min(end, p + (MAX_PRE_LINE + 1 - this.accLen));
    let nl = p;
    while (nl < limit && buf[nl] !== LF) nl++;
    const complete = nl < limit;
    const lineEnd = complete ? nl + 1 : limit;
    const total = this.accLen + (lineEnd - p);
    if (total > MAX_IDENT_LINE) {
      const ident = this.startsWithSshDash(buf, p, lineEnd);
      if (ident || total > MAX_PRE_LINE) {
        this.fail("error", ident ? "ssh.banner_too_long" : "ssh.preline_too_long");
        return end;
      }
    }
    if (!complete) {
      // No line end yet: keep the partial line.
      const acc = this.ensureAcc(MAX_PRE_LINE + 1);
      buf.copy(acc, this.accLen, p, lineEnd);
      this.accLen = total;
      return lineEnd;
    }
    if (this.accLen === 0) {
      this.line(buf, p, lineEnd);
    } else {
      const acc = this.ensureAcc(MAX_PRE_LINE + 1);
      buf.copy(acc, this.accLen, p, lineEnd);
      this.accLen = 0;
      this.line(acc, 0, total);
    }
    return lineEnd;
  }

  /** Whether the line being assembled (owned bytes, then `buf[p, end)`) starts with "SSH-". */
  private startsWithSshDash(buf: Buffer, p: number, end: number): boolean {
    for (let i = 0; i < 4; i++) {
      const b = i < this.accLen ? this.acc![i] : p + i - this.accLen < end ? buf[p + i - this.accLen] : -1;
      if (b !== SSH_DASH[i]) return false;
    }
    return true;
  }

  /** One complete line `buf[start, end)`, including its LF. */
  private line(buf: Buffer, start: number, end: number): void {
    let stop = end - 1; // drop LF
    if (stop > start && buf[stop - 1] === CR) stop--;
    let isIdent = stop - start >= 4;
    for (let i = 0; i < 4 && isIdent; i++) isIdent = buf[start + i] === SSH_DASH[i];
    if (!isIdent) {
      this.preBannerLines++;
      if (this.preBannerLines > MAX_PRE_LINES) this.fail("limit", "ssh.too_many_prelines");
      return;
    }
    this.banner = printableAscii(buf, start, stop);
    // SSH-protoversion-softwareversion SP comments
    let idEnd = start + 4;
    while (idEnd < stop && buf[idEnd] !== 0x20) idEnd++;
    let dash = start + 4;
    while (dash < idEnd && buf[dash] !== 0x2d) dash++;
    this.protoVersion = printableAscii(buf, start + 4, dash);
    if (dash < idEnd) {
      this.softwareVersion = printableAscii(buf, dash + 1, idEnd);
    } else {
      this.softwareVersion = "";
      this.counters.inc("ssh.banner_no_software_version");
    }
    if (idEnd < stop) this.comments = printableAscii(buf, idEnd + 1, stop);
    // SSH-1.x (but not the SSH-2-compatible 1.99) has no KEXINIT; nothing more to read.
    if (this.protoVersion.startsWith("1.") && this.protoVersion !== "1.99") {
      this.state = "done";
      this.acc = undefined;
      return;
    }
    this.state = "packets";
  }

  /** Packet phase: consumes up to the end of one packet; returns the next offset. */
  private packetBytes(buf: Buffer, p: number, end: number): number {
    // Fast path: a whole packet inside this push is parsed in place.
    if (this.accLen === 0 && end - p >= 5) {
      const total = this.packetTotal(buf, p);
      if (total < 0) return end;
      if (end - p >= total) {
        this.packet(buf, p, total);
        return p + total;
      }
    }
    // Slow path: assemble the 5-byte header, then the packet, in the owned buffer.
    const acc = this.ensureAcc(this.need > 0 ? this.need : 5);
    if (this.need === 0) {
      const take = Math.min(5 - this.accLen, end - p);
      buf.copy(acc, this.accLen, p, p + take);
      this.accLen += take;
      p += take;
      if (this.accLen < 5) return p;
      const total = this.packetTotal(acc, 0);
      if (total < 0) return end;
      this.need = total;
      this.ensureAcc(total);
    }
    const take = Math.min(this.need - this.accLen, end - p);
    buf.copy(this.acc!, this.accLen, p, p + take);
    this.accLen += take;
    p += take;
    if (this.accLen === this.need) {
      const total = this.need;
      this.need = 0;
      this.accLen = 0;
      this.packet(this.acc!, 0, total);
    }
    return p;
  }

  /** Validates the header at `buf[p]` (5 bytes present); total packet bytes, or -1 after failing. */
  private packetTotal(buf: Buffer, p: number): number {
    const packetLength = buf.readUInt32BE(p);
    const padding = buf[p + 4];
    // packet_length covers padding_length, payload and padding; the payload needs >= 1 byte.
    if (packetLength > MAX_PACKET - 4) {
      this.fail("error", "ssh.packet_too_long");
      return -1;
    }
    if (packetLength < padding + 2) {
      this.fail("error", "ssh.packet_bad_padding");
      return -1;
    }
    return packetLength + 4;
  }

  /** One complete packet `buf[p, p + total)`. */
  private packet(buf: Buffer, p: number, total: number): void {
    this.packets++;
    const packetLength = total - 4;
    const padding = buf[p + 4];
    const payload = p + 5;
    const payloadEnd = p + 4 + packetLength - padding;
    if (buf[payload] === SSH_MSG_KEXINIT) {
      const kex = parseKexinit(buf, payload, payloadEnd, this.counters);
      if (kex === undefined) {
        this.fail("error", "ssh.kexinit_unparsable");
        return;
      }
      this.kexinit = kex;
      this.state = "done";
      this.acc = undefined;
      return;
    }
    if (this.packets >= MAX_PACKETS_BEFORE_KEXINIT) this.fail("limit", "ssh.no_kexinit");
  }
}
