/**
 * Resumable push parser for capture files: feed it chunks as they arrive (any sizes, any
 * split points) and it hands out frames through a callback.
 *
 * The format is chosen by the magic number, never by the file name (the corpus has
 * classic pcap files named *.pcapng). Frames are views into the chunk being pushed (one
 * reused CapturedFrame); only a record that straddles two chunks is copied, into the
 * carry buffer. Nothing here throws: a fatal format problem stops parsing and is
 * reported through `error`; a damaged record inside intact framing is counted in
 * `stats.malformed` and skipped.
 *
 * Memory bound: the carry buffer holds at most one record (≤ 16 MiB for a pcapng block,
 * ≤ 16 + 256 KiB for a pcap record; anything larger is fatal before it is buffered), and
 * it grows only as bytes of that record actually arrive.
 */
import { isPcapMagic, PcapReader } from "./pcap.js";
import { isPcapngMagic, PCAPNG_MAX_BLOCK, PcapngReader } from "./pcapng.js";
import type { CapturedFrame, CaptureStats, FrameHandler } from "./types.js";

/** Largest record/block the parser will ever buffer (pcapng's 16 MiB block limit). */
export const MAX_RECORD_BYTES = PCAPNG_MAX_BLOCK;
/** Carry capacity kept between uses; a larger one (after a huge record) is released. */
const CARRY_KEEP = 256 * 1024;
const CARRY_MIN = 4096;
const EMPTY = Buffer.alloc(0);

export class CaptureParser {
  readonly stats: CaptureStats = { format: "unknown", frames: 0, bytes: 0, malformed: {} };

  private err: string | undefined = undefined;
  private reader: PcapReader | PcapngReader | undefined = undefined;
  private readonly frame: CapturedFrame = {
    linktype: 0,
    tsUs: 0,
    data: EMPTY,
    offset: 0,
    length: 0,
    origLen: 0,
    interfaceId: 0,
  };
  /** Bytes of the pending (incomplete) record, copied from earlier chunks. */
  private carry: Buffer = EMPTY;
  private carryLen = 0;
  /** Total bytes pushed so far = file offset of the next chunk's first byte. */
  private pushed = 0;
  private finished = false;
  /**
   * Receives pcapng Decryption Secrets Blocks (type, a copy of the data), e.g. a TLS key
   * log (SECRETS_TLS_KEY_LOG). Set before the first push.
   */
  onSecrets: ((secretsType: number, data: Buffer) => void) | undefined = undefined;

  /** Fatal problem (bad magic, broken framing, truncated file header...): parsing has stopped. */
  get error(): string | undefined {
    return this.err;
  }

  /** Bytes held in the carry buffer (an incomplete record waiting for the next chunk). */
  get bufferedBytes(): number {
    return this.carryLen;
  }

  /** Allocated size of the carry buffer (for memory-bound checks). */
  get carryCapacity(): number {
    return this.carry.length;
  }

  /** Classic pcap header fields, once read (undefined for pcapng or before the header). */
  get pcapHeader():
    | { versionMajor: number; versionMinor: number; snaplen: number; linktype: number }
    | undefined {
    const r = this.reader;
    if (!(r instanceof PcapReader) || !r.headerDone) return undefined;
    return {
      versionMajor: r.versionMajor,
      versionMinor: r.versionMinor,
      snaplen: r.snaplen,
      linktype: r.linktype,
    };
  }

  /**
   * Parses `chunk`, calling `onFrame` for every complete frame. The frame (and its `data`)
   * is valid only during the call. Does nothing once `error` is set or after `finish()`.
   * An exception thrown by `onFrame` does not escape: it stops the parser and becomes `error`.
   */
  push(chunk: Buffer, onFrame: FrameHandler): void {
    if (this.err !== undefined || this.finished) return;
    const chunkBase = this.pushed;
    this.pushed += chunk.length;
    try {
      this.pushInner(chunk, chunkBase, onFrame);
    } catch (e) {
      this.err = `parse stopped in the chunk at offset ${chunkBase}: exception ${e instanceof Error ? e.message : String(e)}`;
      this.carryLen = 0;
    }
  }

  /**
   * End of input. A trailing incomplete record is counted as malformed
   * (`pcap.truncated_record` / `pcapng.truncated_block`); input too short to hold a
   * capture header sets `error`.
   */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.err !== undefined) return;
    const r = this.reader;
    if (r === undefined) {
      this.err =
        this.carryLen === 0
          ? "empty input: no capture file header"
          : `input too short (${this.carryLen} bytes) to hold a capture magic number`;
    } else if (this.carryLen > 0) {
      r.base = this.pushed - this.carryLen;
      r.truncated(this.carryLen);
      if (r.error !== undefined) this.err = r.error;
    }
    this.carryLen = 0;
    this.releaseCarry();
  }

  private pushInner(chunk: Buffer, chunkBase: number, onFrame: FrameHandler): void {
    let pos = 0;
    let r = this.reader;
    if (r === undefined) {
      if (this.carryLen + chunk.length < 4) {
        this.append(chunk, 0, chunk.length);
        return;
      }
      // The magic may straddle the carry and this chunk: assemble its 4 bytes.
      const m = Buffer.allocUnsafe(4);
      for (let i = 0; i < 4; i++) m[i] = i < this.carryLen ? this.carry[i] : chunk[i - this.carryLen];
      if (isPcapngMagic(m, 0)) {
        r = new PcapngReader(this.stats, this.frame);
        r.onSecrets = this.onSecrets;
        this.stats.format = "pcapng";
      } else if (isPcapMagic(m, 0)) {
        r = new PcapReader(this.stats, this.frame);
        this.stats.format = "pcap";
      } else {
        this.err = `not a pcap or pcapng file: unknown magic number 0x${m.toString("hex")} at offset 0`;
        this.carryLen = 0;
        return;
      }
      this.reader = r;
    }

    // Complete the record pending in the carry buffer with bytes from this chunk.
    while (this.carryLen > 0) {
      r.base = chunkBase + pos - this.carryLen;
      const n = r.need(this.carry, 0, this.carryLen);
      if (n === 0) {
        this.fail(r);
        return;
      }
      const target = n > 0 ? n : -n;
      if (n < 0 && this.carryLen >= target) {
        // need() promises -n > avail; anything else would loop forever.
        this.err = `internal: inconsistent record length at offset ${r.base}`;
        this.carryLen = 0;
        return;
      }
      if (n < 0 || this.carryLen < target) {
        const take = Math.min(target - this.carryLen, chunk.length - pos);
        this.append(chunk, pos, pos + take);
        pos += take;
        if (this.carryLen < target) return; // chunk exhausted; wait for more
        continue; // the length may be known now: ask again
      }
      // The carry holds at least one whole record.
      const done = r.parse(this.carry, 0, this.carryLen, onFrame);
      if (done < 0) {
        this.fail(r);
        return;
      }
      if (done === 0) {
        this.err = `internal: no progress on a complete record at offset ${r.base}`;
        this.carryLen = 0;
        return;
      }
      this.carry.copyWithin(0, done, this.carryLen);
      this.carryLen -= done;
    }
    if (this.carry.length > CARRY_KEEP) this.releaseCarry();

    // The fast path: whole records straight out of the chunk.
    r.base = chunkBase;
    const done = r.parse(chunk, pos, chunk.length, onFrame);
    if (done < 0) {
      this.fail(r);
      return;
    }
    if (done < chunk.length) this.append(chunk, done, chunk.length);
  }

  private fail(r: PcapReader | PcapngReader): void {
    this.err = r.error ?? "parse error";
    this.carryLen = 0;
  }

  /** Appends chunk[from, to) to the carry buffer, growing it geometrically (never beyond one record's bound). */
  private append(chunk: Buffer, from: number, to: number): void {
    const need = this.carryLen + (to - from);
    if (need > this.carry.length) {
      const cap = Math.min(
        Math.max(need, this.carry.length * 2, CARRY_MIN),
        Math.max(need, MAX_RECORD_BYTES),
      );
      const next = Buffer.allocUnsafe(cap);
      this.carry.copy(next, 0, 0, this.carryLen);
      this.carry = next;
    }
    chunk.copy(this.carry, this.carryLen, from, to);
    this.carryLen = need;
  }

  private releaseCarry(): void {
    if (this.carryLen === 0 && this.carry.length > CARRY_KEEP) this.carry = EMPTY;
  }
}
