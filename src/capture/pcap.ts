/**
 * Classic libpcap file format (tcpdump.org/manpages/pcap-savefile.5.txt,
 * draft-ietf-opsawg-pcap): a 24-byte file header, then records of a 16-byte header
 * (ts_sec, ts_usec|ts_nsec, incl_len, orig_len) followed by incl_len bytes.
 *
 * The reader is driven by CaptureParser: `parse` walks whole records inside one buffer
 * and stops at the first incomplete one; `need` tells the parser how many bytes the
 * pending record needs so that it can complete it across chunks.
 */
import { readU16, readU32 } from "./byte-order.js";
import { canonicalLinktype } from "./linktype.js";
import type { CapturedFrame, CaptureStats, FrameHandler } from "./types.js";

export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/**
 * Largest incl_len accepted: 256 KiB, the largest snapshot length any capture tool
 * writes (Wireshark's and libpcap's standard maximum, 262144). A record header claiming
 * more means the file is desynchronised or hostile; classic pcap has no way to resync,
 * so it is fatal rather than buffered.
 */
export const PCAP_MAX_CAPLEN = 262144;

/** Magic numbers as read little-endian from the first four bytes. */
const MAGIC_US_LE = 0xa1b2c3d4;
const MAGIC_US_BE = 0xd4c3b2a1;
const MAGIC_NS_LE = 0xa1b23c4d;
const MAGIC_NS_BE = 0x4d3cb2a1;

/** Whether the first four bytes at `off` are a classic pcap magic number (either byte order, µs or ns). */
export function isPcapMagic(buf: Buffer, off: number): boolean {
  const m = readU32(buf, off, true);
  return m === MAGIC_US_LE || m === MAGIC_US_BE || m === MAGIC_NS_LE || m === MAGIC_NS_BE;
}

export class PcapReader {
  /** Fatal problem; parsing stops. */
  error: string | undefined = undefined;
  /** File offset of byte 0 of the buffer being parsed (for error messages). */
  base = 0;

  /** True once the 24-byte file header has been read. */
  headerDone = false;
  private le = true;
  private nano = false;
  /** From the file header, once read. */
  versionMajor = 0;
  versionMinor = 0;
  snaplen = 0;
  linktype = 0;

  constructor(
    private readonly stats: CaptureStats,
    private readonly frame: CapturedFrame,
  ) {}

  /**
   * Bytes needed for the record at `off`: > 0 = its total length (may exceed `avail`);
   * < 0 = at least -n bytes must be available before the length is known (always more
   * than `avail`); 0 = fatal (see `error`).
   */
  need(buf: Buffer, off: number, avail: number): number {
    if (!this.headerDone) return avail >= PCAP_FILE_HEADER_LEN ? PCAP_FILE_HEADER_LEN : -PCAP_FILE_HEADER_LEN;
    if (avail < PCAP_RECORD_HEADER_LEN) return -PCAP_RECORD_HEADER_LEN;
    const caplen = readU32(buf, off + 8, this.le);
    if (caplen > PCAP_MAX_CAPLEN) {
      this.failCaplen(off, caplen);
      return 0;
    }
    return PCAP_RECORD_HEADER_LEN + caplen;
  }

  /**
   * Parses every complete record in `buf[off, end)`, handing out frames. Returns the
   * offset of the first byte not consumed (an incomplete record), or -1 on a fatal error.
   */
  parse(buf: Buffer, off: number, end: number, onFrame: FrameHandler): number {
    if (!this.headerDone) {
      if (end - off < PCAP_FILE_HEADER_LEN) return off;
      this.readFileHeader(buf, off);
      off += PCAP_FILE_HEADER_LEN;
    }
    const frame = this.frame;
    const stats = this.stats;
    const le = this.le;
    const nano = this.nano;
    frame.data = buf;
    frame.linktype = this.linktype;
    frame.interfaceId = 0;
    while (end - off >= PCAP_RECORD_HEADER_LEN) {
      const caplen = readU32(buf, off + 8, le);
      if (caplen > PCAP_MAX_CAPLEN) {
        this.failCaplen(off, caplen);
        return -1;
      }
      const next = off + PCAP_RECORD_HEADER_LEN + caplen;
      if (next > end) break;
      const sec = readU32(buf, off, le);
      const frac = readU32(buf, off + 4, le);
      frame.tsUs = sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac);
      frame.offset = off + PCAP_RECORD_HEADER_LEN;
      frame.length = caplen;
      frame.origLen = readU32(buf, off + 12, le);
      stats.frames++;
      stats.bytes += caplen;
      onFrame(frame);
      off = next;
    }
    return off;
  }

  /** End of input with `pending` bytes of an incomplete record left over. */
  truncated(pending: number): void {
    if (!this.headerDone) {
      this.error = `pcap: truncated file header (${pending} of ${PCAP_FILE_HEADER_LEN} bytes) at offset ${this.base}`;
      return;
    }
    this.stats.malformed["pcap.truncated_record"] = (this.stats.malformed["pcap.truncated_record"] ?? 0) + 1;
  }

  private readFileHeader(buf: Buffer, off: number): void {
    const magic = readU32(buf, off, true);
    this.le = magic === MAGIC_US_LE || magic === MAGIC_NS_LE;
    this.nano = magic === MAGIC_NS_LE || magic === MAGIC_NS_BE;
    this.versionMajor = readU16(buf, off + 4, this.le);
    this.versionMinor = readU16(buf, off + 6, this.le);
    this.snaplen = readU32(buf, off + 16, this.le);
    // The upper bits carry the FCS length and reserved flags; the link type is the low 16 bits.
    this.linktype = canonicalLinktype(readU32(buf, off + 20, this.le) & 0xffff);
    this.headerDone = true;
  }

  private failCaplen(off: number, caplen: number): void {
    this.error = `pcap: record at offset ${this.base + off} claims ${caplen} captured bytes (limit ${PCAP_MAX_CAPLEN}); file is corrupt or desynchronised`;
  }
}
