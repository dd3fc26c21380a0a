/**
 * Contract between capture parsers (pcap, pcapng, live) and the decoder.
 *
 * A parser hands out frames through a callback. The frame object is reused for
 * every packet and `data` is the parser's current chunk (or its carry buffer when
 * a record straddled two reads): the bytes of the frame are
 * `data[offset, offset + length)` and are valid only during the callback. Nothing
 * is copied per packet unless a record straddles two chunks.
 */
export interface CapturedFrame {
  /**
   * LINKTYPE_* value of the interface the frame came from (pcap header or pcapng IDB),
   * low 16 bits only; the DLT_RAW aliases 12 and 14 are reported as LINKTYPE_RAW (101).
   */
  linktype: number;
  /** Capture time, microseconds since the Unix epoch (nanosecond files are truncated). */
  tsUs: number;
  /** Buffer holding the frame bytes (not a per-packet copy). */
  data: Buffer;
  /** Start of the frame in `data`. */
  offset: number;
  /** Captured length (bytes available in `data`). */
  length: number;
  /** Original length on the wire (may exceed `length` when the capture was snapped). */
  origLen: number;
  /** pcapng interface index; 0 for classic pcap and live capture. */
  interfaceId: number;
}

export type FrameHandler = (frame: CapturedFrame) => void;

/** Counts a capture parser keeps; all monotonic. */
export interface CaptureStats {
  format: "pcap" | "pcapng" | "unknown";
  /** Frames handed out. */
  frames: number;
  /** Captured bytes of the frames handed out (sum of `length`), not file bytes. */
  bytes: number;
  /** Records/blocks skipped as malformed, by reason (e.g. "pcapng.block_too_short"). */
  malformed: Record<string, number>;
}
