import type { Counters } from "../../util/counters.js";
import { asciiText } from "../ascii-text.js";
import { type Kexinit, parseKexinit, SSH_MSG_KEXINIT } from "./kexinit.js";
import { sshStats } from "./stats.js";

/**
 * Where a reader stands. Every state but "banner" and "packets" is final; later pushes
 * are ignored at the cost of one comparison.
 * - "banner": looking for the identification line (other lines may come first).
 * - "packets": binary packets until the first KEXINIT.
 * - "done": KEXINIT parsed (SSH-2), or an SSH-1.x identification seen (no KEXINIT exists).
 * - "error": the stream broke the protocol (line or packet too long, bad packet header,
 *   bytes lost after the identification).
 * - "limit": too many lines before the identification.
 */
export type SshReaderState = "banner" | "packets" | "done" | "error" | "limit";

/**
 * Longest line taken, identification or not: 8192 bytes and a CR before its LF (OpenSSH's
 * SSH_MAX_BANNER_LEN). RFC 4253 §4.2 says 255 for the identification, but tshark, the
 * reference JA4+ tool and OpenSSH all read longer ones, so this sensor does too. Only an
 * identification line split across pushes is copied (at most MAX_LINE + 2 bytes); other
 * lines are skipped without a copy.
 */
export const MAX_LINE = 8192;
/** Lines a server may send before its identification: OpenSSH's SSH_MAX_PRE_BANNER_LINES. */
export const MAX_PRE_LINES = 1024;
/**
 * Longest binary packet taken (4 + packet_length): OpenSSH's PACKET_MAX_SIZE, 256 KiB.
 * RFC 4253 §6.1's 35000 is what every implementation must accept, not a maximum. Packets
 * before the KEXINIT (IGNORE may come at any time, §11.2) are skipped by their
 * length without a copy, however many there are; only a KEXINIT split across pushes is
 * copied, growing with the bytes that arrive (so at most what the caller delivers).
 */
export const MAX_PACKET = 256 * 1024;

const LF = 0x0a;
const CR = 0x0d;
/** packet_length, padding_length, message number: enough to tell a KEXINIT. */
const PACKET_HEAD = 6;

/** Whether `b` is the `i`-th byte of "SSH-", ASCII case ignored (tshark's tvb_strncaseeql). */
export function sshDashByte(b: number, i: number): boolean {
  return i === 3 ? b === 0x2d : (b | 0x20) === (i === 2 ? 0x68 : 0x73);
}

/** "SSH-" (any case) at `buf[off]`, within `len` bytes. */
export function startsSshDash(buf: Buffer, off: number, len: number): boolean {
  return (
    len >= 4 &&
    sshDashByte(buf[off], 0) &&
    sshDashByte(buf[off + 1], 1) &&
    sshDashByte(buf[off + 2], 2) &&
    sshDashByte(buf[off + 3], 3)
  );
}

/**
 * Renders an identification line as tshark shows `ssh.protocol` (ENC_ASCII): bytes below
 * 0x80 as themselves, others as U+FFFD, and the string ends at a NUL (a C string). Log
 * writers escape control characters; the text stays comparable with the references.
 */
export function identText(buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if (buf[i] === 0) {
      end = i;
      break;
    }
  }
  return asciiText(buf, start, end);
}

/**
 * Reads ONE direction of an SSH connection, in stream order: the identification line, then
 * the binary packets (RFC 4253 §6: uint32 packet_length, byte padding_length, payload,
 * padding) up to and including the first KEXINIT, which it parses. Later packets are
 * encrypted, so the reader stops there.
 *
 * Bytes come in any pieces (`push`). Bounded: the identification line (MAX_LINE, copied
 * only when split across pushes), lines before it (MAX_PRE_LINES of MAX_LINE bytes,
 * skipped), the KEXINIT (MAX_PACKET, copied only when split); other packets are skipped
 * by length. Never throws; malformed input ends in "error" and bumps a counter.
 */
export class SshStreamReader {
  state: SshReaderState = "banner";
  /** Identification line without CR LF, as tshark renders it (see identText). */
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
  /**
   * Owned copy of what spans pushes: the first bytes of a line (fewer than 4) or an
   * identification line; a packet header; a KEXINIT.
   */
  private acc: Buffer | undefined;
  private accLen = 0;
  /** Banner phase: the current line is not the identification (skipped up to its LF). */
  private skipping = false;
  /** Bytes of the line being skipped so far. */
  private skipped = 0;
  /** Packet phase: bytes still to skip of a packet that is not a KEXINIT. */
  private skip = 0;
  /** Packet phase: total length of the KEXINIT being copied (0 = none). */
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

  /**
   * The stream is picked up inside a line (its start went to someone else, and it was not
   * an identification): the bytes up to the next LF are a line before the identification.
   */
  skipPartialLine(): void {
    if (this.state !== "banner") return;
    this.accLen = 0;
    this.skipping = true;
    this.skipped = 0;
  }

  /**
   * Stream bytes were lost before the next push. Before the identification the next byte
   * is taken as a line start (as tshark judges each segment by its start); after it the
   * packet framing is lost, so the reader stops.
   */
  gap(): void {
    if (this.state === "banner") {
      this.accLen = 0;
      this.skipping = false;
    } else if (this.state === "packets") {
      this.fail("error", "ssh.stream_gap");
    }
  }

  private fail(state: "error" | "limit", reason: string): void {
    this.state = state;
    this.error = reason;
    this.acc = undefined;
    this.accLen = 0;
    this.counters.inc(reason);
  }

  /** Appends `buf[p, q)` to the owned copy, which grows with what it holds up to `cap` bytes. */
  private hold(buf: Buffer, p: number, q: number, cap: number): void {
    const size = this.accLen + (q - p);
    let acc = this.acc;
    if (acc === undefined || acc.length < size) {
      const next = Buffer.allocUnsafe(Math.min(cap, Math.max(size, 2 * (acc?.length ?? 0), 64)));
      if (acc !== undefined && this.accLen > 0) acc.copy(next, 0, 0, this.accLen);
      acc = next;
      this.acc = acc;
    }
    buf.copy(acc, this.accLen, p, q);
    this.accLen = size;
  }

  /** Banner phase: consumes up to one line end; returns the next offset. */
  private bannerBytes(buf: Buffer, p: number, end: number): number {
    if (this.skipping) return this.skipLine(buf, p, end);
    if (this.accLen < 4) {
      // A line's first four bytes tell whether it is the identification; fewer are held.
      let q = p;
      while (this.accLen + (q - p) < 4 && q < end && buf[q] !== LF) q++;
      const known = this.accLen + (q - p);
      if (known < 4) {
        if (q === end) {
          this.hold(buf, p, q, MAX_LINE + 2);
          return end;
        }
        this.accLen = 0; // a line of fewer than 4 bytes
        this.preLine();
        return q + 1;
      }
      let ident = true;
      for (let i = 0; i < 4 && ident; i++)
        ident = sshDashByte(i < this.accLen ? this.acc![i] : buf[p + i - this.accLen], i);
      if (!ident) {
        this.skipping = true;
        this.skipped = known;
        this.accLen = 0;
        return q;
      }
    }
    return this.identBytes(buf, p, end);
  }

  /** A line before the identification: only where it ends matters. */
  private skipLine(buf: Buffer, p: number, end: number): number {
    const room = MAX_LINE + 1 - this.skipped; // bytes still allowed before the LF (a CR included)
    const limit = Math.min(end, p + room + 1);
    let nl = p;
    while (nl < limit && buf[nl] !== LF) nl++;
    if (nl < limit) {
      this.skipping = false;
      this.preLine();
      return nl + 1;
    }
    if (limit - p > room) {
      this.fail("error", "ssh.preline_too_long");
      return end;
    }
    this.skipped += limit - p;
    return limit;
  }

  /** The identification line: owned bytes `acc[0, accLen)`, then `buf[p, end)`. */
  private identBytes(buf: Buffer, p: number, end: number): number {
    const room = MAX_LINE + 1 - this.accLen;
    const limit = Math.min(end, p + room + 1);
    let nl = p;
    while (nl < limit && buf[nl] !== LF) nl++;
    if (nl === limit) {
      if (limit - p > room) {
        this.fail("error", "ssh.banner_too_long");
        return end;
      }
      this.hold(buf, p, limit, MAX_LINE + 2);
      return limit;
    }
    if (this.accLen === 0) {
      this.line(buf, p, nl + 1);
    } else {
      this.hold(buf, p, nl + 1, MAX_LINE + 2);
      const n = this.accLen;
      this.accLen = 0;
      this.line(this.acc!, 0, n);
    }
    return nl + 1;
  }

  private preLine(): void {
    this.preBannerLines++;
    if (this.preBannerLines > MAX_PRE_LINES) this.fail("limit", "ssh.too_many_prelines");
  }

  /** The identification line `buf[start, end)` ("SSH-" known), including its LF. */
  private line(buf: Buffer, start: number, end: number): void {
    let stop = end - 1; // drop LF
    if (stop > start && buf[stop - 1] === CR) stop--;
    const banner = identText(buf, start, stop);
    this.banner = banner;
    this.acc = undefined; // (it may have held this line: read above, and packets need little)
    // SSH-protoversion-softwareversion SP comments (one character per byte: see identText)
    let idEnd = banner.indexOf(" ", 4);
    if (idEnd < 0) idEnd = banner.length;
    const dash = banner.indexOf("-", 4);
    if (dash >= 0 && dash < idEnd) {
      this.protoVersion = banner.slice(4, dash);
      this.softwareVersion = banner.slice(dash + 1, idEnd);
    } else {
      this.protoVersion = banner.slice(4, idEnd);
      this.softwareVersion = "";
      this.counters.inc("ssh.banner_no_software_version");
    }
    if (idEnd < banner.length) this.comments = banner.slice(idEnd + 1);
    // SSH-1.x (but not the SSH-2-compatible 1.99) has no KEXINIT; nothing more to read.
    if (this.protoVersion.startsWith("1.") && this.protoVersion !== "1.99") {
      this.state = "done";
      return;
    }
    this.state = "packets";
  }

  /** Packet phase: consumes up to the end of one packet (or of its header); returns the next offset. */
  private packetBytes(buf: Buffer, p: number, end: number): number {
    if (this.skip > 0) {
      const n = Math.min(this.skip, end - p);
      this.skip -= n;
      return p + n;
    }
    if (this.need > 0) {
      // The rest of a KEXINIT.
      const q = Math.min(end, p + (this.need - this.accLen));
      this.hold(buf, p, q, this.need);
      if (this.accLen === this.need) this.kexinitCopied();
      return q;
    }
    if (this.accLen === 0 && end - p >= PACKET_HEAD) {
      // Fast path: the header is in this push; a KEXINIT wholly inside it is parsed in place.
      const total = this.packetTotal(buf, p);
      if (total < 0) return end;
      this.packets++;
      if (buf[p + 5] !== SSH_MSG_KEXINIT) {
        const n = Math.min(total, end - p);
        this.skip = total - n;
        return p + n;
      }
      if (end - p >= total) {
        this.kexinitPacket(buf, p, total);
        return p + total;
      }
      this.need = total;
      this.hold(buf, p, end, total);
      return end;
    }
    // A header split across pushes.
    const q = Math.min(end, p + (PACKET_HEAD - this.accLen));
    this.hold(buf, p, q, PACKET_HEAD);
    const acc = this.acc!;
    // The lengths (5 bytes) are checked as soon as they are there, before the message number.
    const total = this.accLen >= 5 ? this.packetTotal(acc, 0) : 0;
    if (total < 0) return end;
    if (this.accLen < PACKET_HEAD) return q;
    this.packets++;
    if (acc[5] !== SSH_MSG_KEXINIT) {
      this.accLen = 0;
      this.skip = total - PACKET_HEAD;
      return q;
    }
    this.need = total;
    if (this.accLen >= total) this.kexinitCopied();
    return q;
  }

  /** Validates the lengths at `buf[p]` (5 bytes present); total packet bytes, or -1 after failing. */
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

  /** The KEXINIT copied whole into the owned buffer. */
  private kexinitCopied(): void {
    const total = this.need;
    this.need = 0;
    this.accLen = 0;
    this.kexinitPacket(this.acc!, 0, total);
  }

  /** One complete KEXINIT packet `buf[p, p + total)`. */
  private kexinitPacket(buf: Buffer, p: number, total: number): void {
    const padding = buf[p + 4];
    const kex = parseKexinit(buf, p + 5, p + total - padding, this.counters);
    if (kex === undefined) {
      this.fail("error", "ssh.kexinit_unparsable");
      return;
    }
    this.kexinit = kex;
    this.state = "done";
    this.acc = undefined;
  }
}
