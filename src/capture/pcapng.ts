/**
 * pcapng (draft-ietf-opsawg-pcapng). Every block is
 * `type(4) total_length(4) body total_length(4)`, total_length a multiple of 4 and ≥ 12.
 * A Section Header Block starts each section and fixes its byte order through the
 * byte-order magic; Interface Description Blocks of the section are numbered from 0.
 *
 * Handled: SHB, IDB (link type, snaplen, if_tsresol, if_tsoffset), Enhanced Packet
 * Block, Simple Packet Block, the obsolete Packet Block. Every other block type and
 * every other option is skipped. Framing errors (length < 12, not a multiple of 4,
 * trailing copy different, > 16 MiB) are fatal: the next block cannot be found reliably.
 * Problems inside a well-framed block only skip that block and are counted. A section
 * whose SHB has an unsupported major version is counted and skipped up to the next SHB
 * (spec "Physical File Layout"), its blocks walked in that SHB's byte order.
 */
import { readU16, readU32 } from "./byte-order.js";
import { canonicalLinktype } from "./linktype.js";
import type { CapturedFrame, CaptureStats, FrameHandler } from "./types.js";

export const BLOCK_SHB = 0x0a0d0d0a; // palindromic: reads the same in both byte orders
export const BLOCK_IDB = 0x00000001;
export const BLOCK_PB = 0x00000002; // obsolete Packet Block
export const BLOCK_SPB = 0x00000003;
export const BLOCK_EPB = 0x00000006;
export const BLOCK_DSB = 0x0000000a; // Decryption Secrets Block
/** DSB secrets type of an NSS key log (SSLKEYLOGFILE text): "TLSK". */
export const SECRETS_TLS_KEY_LOG = 0x544c534b;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/**
 * Largest block accepted: 16 MiB. Real blocks are a packet plus options (≤ 256 KiB in
 * practice); a larger length is corruption or an attempt to make us buffer without limit.
 */
export const PCAPNG_MAX_BLOCK = 16 * 1024 * 1024;
/** Interfaces kept per section; IDBs beyond this are counted and ignored (bounds memory). */
export const PCAPNG_MAX_INTERFACES = 65536;

const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

const TWO32 = 4294967296;

/** How an interface's 64-bit tick count becomes microseconds. */
const TS_MUL = 0; // ticks × param (resolution 10^-e, e ≤ 6)
const TS_DIV = 1; // ticks ÷ param, param < 2^21 so the intermediate stays exact (10^-7 … 10^-12)
const TS_POW2 = 2; // ticks ÷ 2^param, param ≤ 32
const TS_BIG = 3; // anything else, through BigInt (rare, slow path)

interface Iface {
  linktype: number;
  snaplen: number;
  tsKind: number;
  tsParam: number;
  /** Ticks per second for TS_BIG. */
  tsUnits: bigint;
  /** if_tsoffset in microseconds. */
  tsOffsetUs: number;
}

export function isPcapngMagic(buf: Buffer, off: number): boolean {
  return buf[off] === 0x0a && buf[off + 1] === 0x0d && buf[off + 2] === 0x0d && buf[off + 3] === 0x0a;
}

/** Converts 64-bit ticks (hi, lo) of interface `f` to microseconds since the epoch (floor). */
function ticksToUs(f: Iface, hi: number, lo: number): number {
  let us: number;
  switch (f.tsKind) {
    case TS_MUL:
      us = (hi * TWO32 + lo) * f.tsParam;
      break;
    case TS_DIV: {
      // ticks/d = floor(hi/d)·2^32 + ((hi mod d)·2^32 + lo)/d; the second numerator < d·2^32 < 2^53.
      const d = f.tsParam;
      const hq = Math.floor(hi / d);
      us = hq * TWO32 + Math.floor(((hi - hq * d) * TWO32 + lo) / d);
      break;
    }
    case TS_POW2: {
      const k = f.tsParam;
      const div = 2 ** k;
      const secLo = Math.floor(lo / div);
      const frac = lo - secLo * div; // < 2^32, so frac·10^6 < 2^52 stays exact
      us = (hi * 2 ** (32 - k) + secLo) * 1e6 + Math.floor((frac * 1e6) / div);
      break;
    }
    default:
      us = Number(((BigInt(hi) * 4294967296n + BigInt(lo)) * 1000000n) / f.tsUnits);
  }
  return us + f.tsOffsetUs;
}

/** Sets an interface's timestamp conversion from the if_tsresol byte. */
function setResolution(f: Iface, tsresol: number): void {
  if (tsresol & 0x80) {
    const k = tsresol & 0x7f;
    if (k <= 32) {
      f.tsKind = TS_POW2;
      f.tsParam = k;
    } else {
      f.tsKind = TS_BIG;
      f.tsUnits = 1n << BigInt(k);
    }
  } else if (tsresol <= 6) {
    f.tsKind = TS_MUL;
    f.tsParam = 10 ** (6 - tsresol);
  } else if (tsresol <= 12) {
    f.tsKind = TS_DIV;
    f.tsParam = 10 ** (tsresol - 6);
  } else {
    f.tsKind = TS_BIG;
    f.tsUnits = 10n ** BigInt(tsresol);
  }
}

export class PcapngReader {
  /** Fatal problem; parsing stops. */
  error: string | undefined = undefined;
  /** File offset of byte 0 of the buffer being parsed (for error messages). */
  base = 0;

  /** Byte order of the current section. */
  private le = true;
  /** Byte order of the block whose length `blockLength` just read (a SHB may switch it). */
  private blockLe = true;
  private sectionSeen = false;
  /**
   * Interfaces of the current section, by interface id (bounded by PCAPNG_MAX_INTERFACES).
   * null marks an IDB too short to read: it still takes its id, so later IDBs keep theirs.
   */
  private ifaces: (Iface | null)[] = [];
  /** The current section has an unsupported version: its blocks are skipped up to the next SHB. */
  private skipSection = false;
  /** Timestamp of the last EPB/PB, used for Simple Packet Blocks, which carry none. */
  private lastTsUs = 0;
  /** Receives the contents of Decryption Secrets Blocks (a copy), if set. */
  onSecrets: ((secretsType: number, data: Buffer) => void) | undefined = undefined;

  constructor(
    private readonly stats: CaptureStats,
    private readonly frame: CapturedFrame,
  ) {}

  /** Same contract as PcapReader.need: > 0 total length, < 0 -(bytes needed first), 0 fatal. */
  need(buf: Buffer, off: number, avail: number): number {
    if (avail < 12) return -12;
    return this.blockLength(buf, off);
  }

  /**
   * Parses every complete block in `buf[off, end)`. Returns the offset of the first byte
   * not consumed, or -1 on a fatal error.
   */
  parse(buf: Buffer, off: number, end: number, onFrame: FrameHandler): number {
    const frame = this.frame;
    const stats = this.stats;
    while (end - off >= 12) {
      const len = this.blockLength(buf, off);
      if (len === 0) return -1;
      if (len > end - off) break;
      const le = this.blockLe;
      const trailer = readU32(buf, off + len - 4, le);
      if (trailer !== len) {
        this.error = `pcapng: block at offset ${this.base + off} has total length ${len} but trailing copy ${trailer}`;
        return -1;
      }
      const type = readU32(buf, off, le);
      if (this.skipSection && type !== BLOCK_SHB) {
        // Unsupported section version: its block contents may mean anything; only the framing is used.
        off += len;
        continue;
      }
      if (type === BLOCK_EPB) {
        // Hot path, kept inline: interface id, ts high, ts low, caplen, origlen, data.
        const ifid = readU32(buf, off + 8, le);
        const f = this.ifaces[ifid];
        if (len < 32) this.bump("pcapng.block_too_short");
        else if (f === undefined) this.bump("pcapng.unknown_interface");
        else if (f === null) this.bump("pcapng.bad_interface");
        else {
          const caplen = readU32(buf, off + 20, le);
          if (caplen > len - 32) this.bump("pcapng.caplen_exceeds_block");
          else {
            const ts = ticksToUs(f, readU32(buf, off + 12, le), readU32(buf, off + 16, le));
            this.lastTsUs = ts;
            frame.linktype = f.linktype;
            frame.tsUs = ts;
            frame.data = buf;
            frame.offset = off + 28;
            frame.length = caplen;
            frame.origLen = readU32(buf, off + 24, le);
            frame.interfaceId = ifid;
            stats.frames++;
            stats.bytes += caplen;
            onFrame(frame);
          }
        }
      } else if (type === BLOCK_SPB) {
        this.simplePacket(buf, off, len, onFrame);
      } else if (type === BLOCK_IDB) {
        this.interfaceDescription(buf, off, len);
      } else if (type === BLOCK_SHB) {
        if (!this.sectionHeader(buf, off, len)) return -1;
      } else if (type === BLOCK_PB) {
        this.obsoletePacket(buf, off, len, onFrame);
      } else if (type === BLOCK_DSB) {
        this.decryptionSecrets(buf, off, len);
      }
      // Any other block (NRB, ISB, custom, ...) is skipped.
      off += len;
    }
    return off;
  }

  /** End of input with `pending` bytes of an incomplete block left over. */
  truncated(pending: number): void {
    if (!this.sectionSeen) {
      this.error = `pcapng: truncated section header block (${pending} bytes) at offset ${this.base}`;
      return;
    }
    this.bump("pcapng.truncated_block");
  }

  /**
   * Reads and checks the total length of the block at `off` (12 bytes available).
   * Sets `blockLe`. Returns 0 (and sets `error`) when the framing is broken.
   */
  private blockLength(buf: Buffer, off: number): number {
    let le = this.le;
    if (isPcapngMagic(buf, off)) {
      // A section header carries its own byte order, whatever the previous section used.
      const bom = readU32(buf, off + 8, true);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else {
        this.error = `pcapng: bad byte-order magic 0x${bom.toString(16).padStart(8, "0")} in section header at offset ${this.base + off}`;
        return 0;
      }
    }
    this.blockLe = le;
    const len = readU32(buf, off + 4, le);
    if (len < 12 || (len & 3) !== 0 || len > PCAPNG_MAX_BLOCK) {
      this.error = `pcapng: block at offset ${this.base + off} has invalid total length ${len} (must be a multiple of 4, ≥ 12 and ≤ ${PCAPNG_MAX_BLOCK})`;
      return 0;
    }
    return len;
  }

  private sectionHeader(buf: Buffer, off: number, len: number): boolean {
    if (len < 28) {
      this.error = `pcapng: section header block at offset ${this.base + off} too short (${len} bytes)`;
      return false;
    }
    const le = this.blockLe;
    // The section length (off + 16, 64 bits) may be -1 (unknown); blocks are walked one by one, so it is not needed.
    this.le = le;
    this.sectionSeen = true;
    this.ifaces = [];
    // A reader that does not know this major version MUST skip the whole section (spec "Physical File Layout").
    this.skipSection = readU16(buf, off + 12, le) !== 1;
    if (this.skipSection) this.bump("pcapng.unsupported_section_version");
    return true;
  }

  private interfaceDescription(buf: Buffer, off: number, len: number): void {
    if (this.ifaces.length >= PCAPNG_MAX_INTERFACES) {
      this.bump("pcapng.too_many_interfaces");
      return;
    }
    if (len < 20) {
      this.bump("pcapng.block_too_short");
      // Keep its place: IDs are given in IDB order (spec §4.2); packets naming it are unusable.
      this.ifaces.push(null);
      return;
    }
    const le = this.le;
    const f: Iface = {
      linktype: canonicalLinktype(readU16(buf, off + 8, le)),
      snaplen: readU32(buf, off + 12, le),
      tsKind: TS_MUL,
      tsParam: 1,
      tsUnits: 1n,
      tsOffsetUs: 0,
    };
    // Options: code(2) length(2) value padded to 4 bytes; opt_endofopt ends the list.
    const optEnd = off + len - 4;
    let p = off + 16;
    while (optEnd - p >= 4) {
      const code = readU16(buf, p, le);
      const olen = readU16(buf, p + 2, le);
      if (code === OPT_ENDOFOPT) break;
      if (olen > optEnd - p - 4) {
        this.bump("pcapng.bad_option");
        break;
      }
      if (code === OPT_IF_TSRESOL && olen >= 1) setResolution(f, buf[p + 4]);
      else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        // Signed 64-bit seconds; the high word carries the sign.
        const hi = le ? readU32(buf, p + 8, le) | 0 : readU32(buf, p + 4, le) | 0;
        const lo = le ? readU32(buf, p + 4, le) : readU32(buf, p + 8, le);
        f.tsOffsetUs = (hi * TWO32 + lo) * 1e6;
      }
      p += 4 + ((olen + 3) & ~3);
    }
    this.ifaces.push(f);
  }

  private decryptionSecrets(buf: Buffer, off: number, len: number): void {
    if (this.onSecrets === undefined) return;
    if (len < 20) {
      this.bump("pcapng.block_too_short");
      return;
    }
    const secretsType = readU32(buf, off + 8, this.blockLe);
    const secretsLen = readU32(buf, off + 12, this.blockLe);
    if (secretsLen > len - 20) {
      this.bump("pcapng.secrets_exceed_block");
      return;
    }
    this.onSecrets(secretsType, Buffer.from(buf.subarray(off + 16, off + 16 + secretsLen)));
  }

  private simplePacket(buf: Buffer, off: number, len: number, onFrame: FrameHandler): void {
    if (len < 16) {
      this.bump("pcapng.block_too_short");
      return;
    }
    const f = this.ifaces[0];
    if (f === undefined) {
      this.bump("pcapng.unknown_interface");
      return;
    }
    if (f === null) {
      this.bump("pcapng.bad_interface");
      return;
    }
    const origLen = readU32(buf, off + 8, this.le);
    // No captured length field: spec §4.4 makes it min(original length, interface 0's
    // snaplen, 0 = no limit). The rest of the block is padding, never packet bytes.
    const caplen = f.snaplen > 0 && f.snaplen < origLen ? f.snaplen : origLen;
    if (caplen > len - 16) {
      this.bump("pcapng.caplen_exceeds_block");
      return;
    }
    this.emit(f.linktype, this.lastTsUs, buf, off + 12, caplen, origLen, 0, onFrame);
  }

  private obsoletePacket(buf: Buffer, off: number, len: number, onFrame: FrameHandler): void {
    // interface id(2) drops(2) ts high(4) ts low(4) caplen(4) origlen(4) data options
    if (len < 32) {
      this.bump("pcapng.block_too_short");
      return;
    }
    const le = this.le;
    const ifid = readU16(buf, off + 8, le);
    const f = this.ifaces[ifid];
    if (f === undefined) {
      this.bump("pcapng.unknown_interface");
      return;
    }
    if (f === null) {
      this.bump("pcapng.bad_interface");
      return;
    }
    const caplen = readU32(buf, off + 20, le);
    if (caplen > len - 32) {
      this.bump("pcapng.caplen_exceeds_block");
      return;
    }
    const ts = ticksToUs(f, readU32(buf, off + 12, le), readU32(buf, off + 16, le));
    this.lastTsUs = ts;
    this.emit(f.linktype, ts, buf, off + 28, caplen, readU32(buf, off + 24, le), ifid, onFrame);
  }

  private emit(
    linktype: number,
    tsUs: number,
    buf: Buffer,
    offset: number,
    length: number,
    origLen: number,
    ifid: number,
    onFrame: FrameHandler,
  ): void {
    const frame = this.frame;
    frame.linktype = linktype;
    frame.tsUs = tsUs;
    frame.data = buf;
    frame.offset = offset;
    frame.length = length;
    frame.origLen = origLen;
    frame.interfaceId = ifid;
    this.stats.frames++;
    this.stats.bytes += length;
    onFrame(frame);
  }

  private bump(reason: string): void {
    this.stats.malformed[reason] = (this.stats.malformed[reason] ?? 0) + 1;
  }
}
