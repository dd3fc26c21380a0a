import type { Counters } from "../../util/counters.js";
import { SSH_MSG_KEXINIT, SSH_MSG_NEWKEYS } from "./kexinit.js";
import { sshStats } from "./stats.js";

/**
 * Which TCP segments of an SSH connection count as "SSH packets" for JA4SSH.
 *
 * The reference JA4SSH tool counts a segment as an SSH packet when tshark's SSH dissector
 * runs on it, so the count follows tshark's framing rather than the SSH packets on the
 * wire. This class re-implements that framing (tshark 4.x, TCP reassembly on, the
 * defaults the reference runs with) for one connection:
 *
 * - Identification lines: a line starting with "SSH-" is the version exchange. Only the
 *   CLIENT's line sets the protocol version for the whole connection (SSH-2.x and
 *   SSH-1.99 → 2, other SSH-1.x → 1). Data of either side seen while the version is
 *   still unknown is taken as one opaque (encrypted) blob.
 * - SSH-2 before the side's NEWKEYS: binary packets are framed by packet_length. A packet
 *   longer than the data at hand makes the dissector wait for more: segments wholly inside
 *   the rest of that packet are NOT seen by the dissector (they do not count); the segment
 *   that completes it does. Key-exchange messages are walked field by field as tshark
 *   does; a length field that points past the data at hand is a "malformed packet" and the
 *   rest of that segment is lost, NEWKEYS included. A side whose KEXINIT tshark never
 *   parsed stays in this plaintext mode for good.
 * - SSH-2 after the side's NEWKEYS: every segment is one encrypted blob (counts).
 * - SSH-1: packets framed by length (+ 8 - length % 8 padding) with the same waiting rule,
 *   including tshark's SSH-1 arithmetic (it asks for 4 bytes too few, then for the rest).
 *
 * Feed every TCP segment that carries NEW payload of the connection, in capture order
 * (retransmitted bytes are not dissected again: do not feed them, and count the segment
 * as not SSH). Bounded: one partial message per side is buffered, at most MAX_PDU_BUFFER
 * bytes; a longer one is skipped by count and its content ignored. Never throws.
 */
export class Ja4SshSegmentClassifier {
  /** Segments seen (tshark's frame number, shared by both sides). */
  private frame = 0;
  /** Protocol version decided by the client's identification line: 0 unknown, 1, 2. */
  private version = 0;
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  /** Key exchange method family once both KEXINITs were parsed. */
  private family: KexFamily = KexFamily.Dh;
  private familyChosen = false;
  /** Start of the tvb being dissected: tshark's offsets are relative to it. */
  private tvbBase = 0;
  private readonly counters: Counters;

  constructor(counters: Counters = sshStats) {
    this.counters = counters;
  }

  /**
   * One TCP segment with new payload `buf[off, off + len)`, in capture order. Returns true
   * when the reference counts it as an SSH packet.
   */
  classify(fromClient: boolean, buf: Buffer, off: number, len: number): boolean {
    if (len <= 0 || off < 0 || off + len > buf.length) return false;
    this.frame++;
    const side = this.sides[fromClient ? 0 : 1];
    try {
      if (side.pending) return this.continuePending(side, fromClient, buf, off, off + len);
      this.dissect(side, fromClient, buf, off, off + len);
      return true;
    } catch (e) {
      // Only our own Malformed marker is expected here; anything else is a bug, counted.
      if (!(e instanceof Malformed)) this.counters.inc("ssh.segments_internal_error");
      return true;
    }
  }

  /** A segment arriving while the side waits for the rest of a message. */
  private continuePending(side: Side, fromClient: boolean, buf: Buffer, off: number, end: number): boolean {
    const len = end - off;
    if (side.need !== ONE_MORE_SEGMENT && len < side.need) {
      side.append(buf, off, end);
      side.need -= len;
      return false;
    }
    // This segment completes the message (or is the "one more segment" asked for): the
    // dissector runs on the reassembled bytes.
    const take = side.need === ONE_MORE_SEGMENT ? len : side.need;
    side.append(buf, off, off + take);
    side.pending = false;
    const overflow = side.overflow;
    const acc = side.takeBuffer();
    if (overflow) {
      // Too long to keep: its content is unknown to us, so nothing in it is parsed.
      this.counters.inc("ssh.segments_pdu_skipped");
    } else {
      const redo = this.dissect(side, fromClient, acc.buf, 0, acc.len, buf, off + take, end);
      if (redo) return true;
    }
    if (off + take < end && !side.pending) this.dissect(side, fromClient, buf, off + take, end);
    return true;
  }

  /**
   * tshark's dissect_ssh on `tvb[start, end)`. When the dissector asks for more data, the
   * unconsumed tail becomes the side's pending message. `restBuf[restOff, restEnd)` is the
   * remainder of the current segment after a reassembled message: if the reassembled
   * message itself asks for more, tshark keeps extending it with those bytes, which we do
   * by appending them; returns true when it did so.
   */
  private dissect(
    side: Side,
    fromClient: boolean,
    tvb: Buffer,
    start: number,
    end: number,
    restBuf?: Buffer,
    restOff = 0,
    restEnd = 0,
  ): boolean {
    const outerBase = this.tvbBase;
    this.tvbBase = start;
    try {
      return this.dissectTvb(side, fromClient, tvb, start, end, restBuf, restOff, restEnd);
    } finally {
      this.tvbBase = outerBase;
    }
  }

  private dissectTvb(
    side: Side,
    fromClient: boolean,
    tvb: Buffer,
    start: number,
    end: number,
    restBuf: Buffer | undefined,
    restOff: number,
    restEnd: number,
  ): boolean {
    let o = start;
    while (o < end) {
      const last = o;
      const afterStart = side.versionStartFrame === 0 || this.frame >= side.versionStartFrame;
      const beforeEnd = side.versionEndFrame === 0 || this.frame <= side.versionEndFrame;
      if (afterStart && beforeEnd && startsWithSshDash(tvb, o, end)) {
        if (side.versionStartFrame === 0) side.versionStartFrame = this.frame;
        let nl = o;
        while (nl < end && tvb[nl] !== 0x0a) nl++;
        if (nl >= end) {
          // No line end: tshark asks for (-1 - remaining) bytes, unsigned — a request its
          // TCP layer can never reach, so the next segment is dissected afresh.
          return this.wait(side, tvb, o, end, (-1 - (end - o)) >>> 0, restBuf, restOff, restEnd);
        }
        if (fromClient) {
          if (startsWithCi(tvb, o, end, "SSH-2.")) this.version = 2;
          else if (startsWithCi(tvb, o, end, "SSH-1.99-")) this.version = 2;
          else if (startsWithCi(tvb, o, end, "SSH-1.")) this.version = 1;
        }
        side.versionEndFrame = this.frame;
        o = nl + 1;
        continue;
      }
      if (this.version === 0) {
        o = end; // "encrypted packet": the whole rest
      } else if (this.version === 1) {
        const r = this.ssh1(tvb, o, end);
        if (r < 0) return this.wait(side, tvb, o, end, -r - 1, restBuf, restOff, restEnd);
        o = r;
      } else {
        const r = this.ssh2(side, tvb, o, end);
        if (r < 0) return this.wait(side, tvb, o, end, -r - 1, restBuf, restOff, restEnd);
        o = r;
      }
      if (o <= last) break;
    }
    return false;
  }

  /**
   * The dissector asked for `need` more bytes (or ONE_MORE_SEGMENT) after `tvb[o, end)`.
   * Inside a reassembled message, the rest of the current segment joins it at once.
   */
  private wait(
    side: Side,
    tvb: Buffer,
    o: number,
    end: number,
    need: number,
    restBuf: Buffer | undefined,
    restOff: number,
    restEnd: number,
  ): boolean {
    // A request for 0 more bytes (tshark's SSH-1 arithmetic) reads as "nothing to
    // reassemble" to its TCP layer: the bytes are simply taken as consumed. A request
    // reaching 2^31 bytes or more ahead reads as "behind" (sequence numbers compare as
    // signed 32-bit differences): the next segment is dissected afresh.
    if (need === 0 || need > MAX_REACHABLE) return false;
    side.startPending(tvb, o, end, need);
    if (restBuf === undefined || restOff >= restEnd) return false;
    // Re-run the pending logic on the remainder of this segment (no new frame).
    const len = restEnd - restOff;
    if (side.need !== ONE_MORE_SEGMENT && len < side.need) {
      side.append(restBuf, restOff, restEnd);
      side.need -= len;
      return true;
    }
    const take = side.need === ONE_MORE_SEGMENT ? len : side.need;
    side.append(restBuf, restOff, restOff + take);
    side.pending = false;
    const overflow = side.overflow;
    const acc = side.takeBuffer();
    if (!overflow) {
      // Not a new segment: the direction flag is only used for identification lines,
      // which cannot start inside a binary message, so pass the side's own role.
      const fromClient = side === this.sides[0];
      if (this.dissect(side, fromClient, acc.buf, 0, acc.len, restBuf, restOff + take, restEnd)) return true;
      if (restOff + take < restEnd && !side.pending)
        this.dissect(side, fromClient, restBuf, restOff + take, restEnd);
    }
    return true;
  }

  /**
   * ssh_dissect_ssh2: packets until the end of `tvb`. Returns the new offset, or
   * -(need + 1) when the dissector waits for `need` more bytes at `o`. Throws Malformed.
   */
  private ssh2(side: Side, tvb: Buffer, o: number, end: number): number {
    while (o < end) {
      const kexPhase =
        side.keyStartFrame === 0 ||
        side.keyEndFrame === 0 ||
        this.frame < side.keyEndFrame ||
        (this.frame === side.keyEndFrame && o - this.tvbBase < side.keyEndOffset);
      if (!kexPhase) return end; // encrypted: the whole rest is one blob
      const r = this.kexPacket(side, tvb, o, end);
      if (r < 0) return r;
      if (r <= o) return r;
      o = r;
    }
    return o;
  }

  /** ssh_dissect_key_exchange for the packet at `o`; same return convention as ssh2(). */
  private kexPacket(side: Side, tvb: Buffer, o: number, end: number): number {
    const remain = end - o;
    if (remain < 4) return -(ONE_MORE_SEGMENT + 1);
    let plen = tvb.readUInt32BE(o);
    // 32-bit unsigned arithmetic, as in tshark: a length near 2^32 wraps and does not wait.
    if ((plen + 4) >>> 0 > remain) return -(((plen + 4) >>> 0) - remain + 1);
    if (plen >= 0xffff) plen = remain - 4; // tshark's "overly large" fallback
    let c = o + 4;
    need(c, 1, end);
    const padding = tvb[c];
    c += 1;
    need(c, 1, end);
    const msg = tvb[c];
    if (msg >= 30 && msg < 40) {
      c = this.kexSpecific(msg, tvb, c + 1, end);
    } else {
      c += 1;
      if (msg === SSH_MSG_KEXINIT) {
        c = this.keyInit(side, tvb, c, end);
        if (side.keyStartFrame === 0 || side.keyStartFrame === this.frame) side.keyStartFrame = this.frame;
      } else if (msg === SSH_MSG_NEWKEYS && side.keyEndFrame === 0) {
        side.keyEndFrame = this.frame;
        // Offset within the current tvb: tshark compares it with offsets of later tvbs of
        // the same frame too (the rest of a segment after a reassembled message restarts
        // at 0), so data after such a NEWKEYS can still be taken for plaintext.
        side.keyEndOffset = c - this.tvbBase;
      }
    }
    // The payload item: what the message parse left of packet_length.
    const len = plen + 4 - padding - (c - o);
    if (len !== 0) {
      if (len < 0) throw MALFORMED; // tshark's unsigned wrap → invalid item length
      need(c, len, end);
      c += len;
    }
    need(c, padding, end);
    c += padding;
    return c;
  }

  /** ssh_dissect_key_init: cookie, ten name-lists, boolean, reserved word. */
  private keyInit(side: Side, tvb: Buffer, c: number, end: number): number {
    need(c, 16, end);
    c += 16;
    for (let i = 0; i < 10; i++) {
      need(c, 4, end);
      const n = tvb.readUInt32BE(c);
      c += 4;
      need(c, n, end);
      if (i === 0) side.kexProposal = cString(tvb, c, c + n);
      c += n;
    }
    need(c, 5, end);
    c += 5;
    const client = this.sides[0].kexProposal;
    const server = this.sides[1].kexProposal;
    if (!this.familyChosen && client !== undefined && server !== undefined) {
      this.familyChosen = true;
      const kex = chooseAlgorithm(client, server);
      if (kex !== undefined) this.family = kexFamily(kex);
    }
    return c;
  }

  /** The method-specific dissectors (messages 30-39) for the negotiated family. */
  private kexSpecific(msg: number, tvb: Buffer, c: number, end: number): number {
    switch (this.family) {
      case KexFamily.Gex:
        switch (msg) {
          case 30:
            need(c, 4, end);
            return c + 4;
          case 31:
            return mpint(tvb, mpint(tvb, c, end), end);
          case 32:
            return mpint(tvb, c, end);
          case 33:
            return hostSignature(tvb, mpint(tvb, hostKey(tvb, c, end), end), end);
          case 34:
            need(c, 12, end);
            return c + 12;
          default:
            return c;
        }
      default:
        // ECDH, and plain Diffie-Hellman read the same way.
        if (msg === 30) return mpint(tvb, c, end);
        if (msg === 31) return hostSignature(tvb, mpint(tvb, hostKey(tvb, c, end), end), end);
        return c;
    }
  }

  /** ssh_dissect_ssh1 at `o`; same return convention as ssh2(). */
  private ssh1(tvb: Buffer, o: number, end: number): number {
    const remain = end - o;
    if (remain < 4) return -(ONE_MORE_SEGMENT + 1);
    let plen = tvb.readUInt32BE(o);
    const padding = 8 - (plen % 8);
    if ((plen + 4 + padding) >>> 0 > remain) {
      // tshark asks for plen + padding - remain (unsigned): 4 bytes short, and a wrapped,
      // unreachable request when the shortfall is 4 bytes or less.
      return -(((plen + padding - remain) >>> 0) + 1);
    }
    if (plen >= 0xffff) plen = remain - 4 - padding;
    return o + 4 + padding + plen;
  }
}

/** Marker for tshark's "Malformed Packet" (an exception that ends the segment's dissection). */
class Malformed extends Error {}
const MALFORMED = new Malformed("malformed");

/** tshark's DESEGMENT_ONE_MORE_SEGMENT. */
const ONE_MORE_SEGMENT = 0x0fffffff;
/** tshark's TCP layer only reaches a message end less than 2^31 bytes ahead (signed seq compare). */
const MAX_REACHABLE = 0x7fffffff;
/** Largest partial message buffered per side; a longer one is skipped by count. */
export const MAX_PDU_BUFFER = 64 * 1024;

enum KexFamily {
  Dh = 0,
  Gex = 1,
  Ecdh = 2,
}

/** One side's dissection state (tshark's ssh_peer_data) and its pending message. */
class Side {
  versionStartFrame = 0;
  versionEndFrame = 0;
  keyStartFrame = 0;
  keyEndFrame = 0;
  keyEndOffset = 0;
  kexProposal: string | undefined;
  pending = false;
  need = 0;
  overflow = false;
  private buf: Buffer | undefined;
  private len = 0;

  startPending(src: Buffer, start: number, end: number, need: number): void {
    this.pending = true;
    this.need = need;
    this.len = 0;
    this.overflow = false;
    // `src` may be our own buffer (a reassembled message asking for more): copy first.
    const n = end - start;
    if (n > MAX_PDU_BUFFER) {
      this.overflow = true;
      return;
    }
    const next = Buffer.allocUnsafe(Math.max(n, 256));
    src.copy(next, 0, start, end);
    this.buf = next;
    this.len = n;
  }

  append(src: Buffer, start: number, end: number): void {
    if (this.overflow) return;
    const n = end - start;
    if (this.len + n > MAX_PDU_BUFFER) {
      this.overflow = true;
      this.buf = undefined;
      this.len = 0;
      return;
    }
    if (this.buf === undefined || this.buf.length < this.len + n) {
      const next = Buffer.allocUnsafe(Math.min(MAX_PDU_BUFFER, Math.max(2 * (this.len + n), 256)));
      if (this.buf !== undefined) this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    src.copy(this.buf, this.len, start, end);
    this.len += n;
  }

  /** Hands out the assembled bytes and forgets them. */
  takeBuffer(): { buf: Buffer; len: number } {
    const out = { buf: this.buf ?? EMPTY, len: this.len };
    this.buf = undefined;
    this.len = 0;
    this.overflow = false;
    return out;
  }
}

const EMPTY = Buffer.alloc(0);

/** tvb bounds check: `n` bytes at `c` must lie before `end` (n as tshark's signed length). */
function need(c: number, n: number, end: number): void {
  if (n < 0 || n > 0x7fffffff || c + n > end) throw MALFORMED;
}

/** ssh_tree_add_mpint / ssh_tree_add_string: uint32 length + bytes. */
function mpint(tvb: Buffer, c: number, end: number): number {
  need(c, 4, end);
  const n = tvb.readUInt32BE(c);
  need(c + 4, n, end);
  return c + 4 + n;
}

/** ssh_tree_add_hostkey: walks the key blob by type; returns the offset after the blob. */
function hostKey(tvb: Buffer, c: number, end: number): number {
  need(c, 8, end);
  const keyLen = tvb.readUInt32BE(c);
  const typeLen = tvb.readUInt32BE(c + 4);
  need(c + 8, typeLen, end);
  const type = cString(tvb, c + 8, c + 8 + typeLen);
  need(c + 4, keyLen, end);
  let p = c + 8 + typeLen;
  if (type === "ssh-rsa") {
    mpint(tvb, mpint(tvb, p, end), end);
  } else if (type === "ssh-dss") {
    for (let i = 0; i < 4; i++) p = mpint(tvb, p, end);
  } else if (type.startsWith("ecdsa-sha2-")) {
    mpint(tvb, mpint(tvb, p, end), end);
  } else if (type.startsWith("ssh-ed")) {
    mpint(tvb, p, end);
  } else {
    remainingItem(p, keyLen - (typeLen + 4), end);
  }
  return c + 4 + keyLen;
}

/** ssh_tree_add_hostsignature: same idea for the signature blob. */
function hostSignature(tvb: Buffer, c: number, end: number): number {
  need(c, 8, end);
  const sigLen = tvb.readUInt32BE(c);
  const typeLen = tvb.readUInt32BE(c + 4);
  need(c + 8, typeLen, end);
  const type = cString(tvb, c + 8, c + 8 + typeLen);
  const p = c + 8 + typeLen;
  if (type === "ssh-rsa" || type === "ssh-dss") {
    mpint(tvb, p, end);
  } else if (!type.startsWith("ecdsa-sha2-") && !type.startsWith("ssh-ed")) {
    remainingItem(p, sigLen - (typeLen + 4), end);
  }
  return c + 4 + sigLen;
}

/** An item of C-computed length `n` (unsigned difference stored in an int): -1 means "to the end". */
function remainingItem(p: number, n: number, end: number): void {
  const len = n | 0;
  if (len === -1) return;
  need(p, len, end);
}

/** tshark reads strings as C strings: a NUL ends them. */
function cString(tvb: Buffer, start: number, end: number): string {
  let stop = start;
  while (stop < end && tvb[stop] !== 0) stop++;
  return tvb.toString("latin1", start, stop);
}

function startsWithSshDash(tvb: Buffer, o: number, end: number): boolean {
  return startsWithCi(tvb, o, end, "SSH-");
}

/** Case-insensitive ASCII prefix test (tvb_strncaseeql). */
function startsWithCi(tvb: Buffer, o: number, end: number, prefix: string): boolean {
  if (end - o < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    let b = tvb[o + i];
    if (b >= 0x61 && b <= 0x7a) b -= 0x20;
    let q = prefix.charCodeAt(i);
    if (q >= 0x61 && q <= 0x7a) q -= 0x20;
    if (b !== q) return false;
  }
  return true;
}

/** ssh_choose_algo: the first client algorithm the server also lists. */
function chooseAlgorithm(client: string, server: string): string | undefined {
  const offered = new Set(server.split(","));
  for (const name of client.split(",")) if (offered.has(name)) return name;
  return undefined;
}

function kexFamily(kex: string): KexFamily {
  if (kex === "diffie-hellman-group-exchange-sha1" || kex === "diffie-hellman-group-exchange-sha256") {
    return KexFamily.Gex;
  }
  if (
    kex.startsWith("ecdh-sha2-") ||
    kex === "curve25519-sha256@libssh.org" ||
    kex === "curve25519-sha256" ||
    kex === "curve448-sha512"
  ) {
    return KexFamily.Ecdh;
  }
  return KexFamily.Dh;
}
