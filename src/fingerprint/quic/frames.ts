import { readVarint, varintLength } from "./varint.js";

/** What `FrameCursor.next()` found. */
export const FrameKind = {
  /** No more frames. */
  End: 0,
  /** One run of PADDING frames (0x00), however long. */
  Padding: 1,
  Ping: 2,
  /** ACK or ACK_ECN, skipped. */
  Ack: 3,
  /** CRYPTO: `cryptoOffset`, `dataOff`, `dataLen` are set. */
  Crypto: 4,
  /** CONNECTION_CLOSE (0x1c or 0x1d), skipped. */
  ConnectionClose: 5,
  /** A frame type we do not parse; its length is unknown, so the cursor stops (`frameType` says which). */
  Unknown: 6,
  /** A known frame that does not fit in the payload; the cursor stops. */
  Malformed: 7,
} as const;

const EMPTY = Buffer.alloc(0);

/**
 * Walks the frames of a decrypted packet payload (RFC 9000 §19), allocation-free: one cursor is
 * reused for every packet. Only the frames allowed in Initial packets (§12.4 Table 3) are parsed;
 * anything else ends the walk, since frame lengths are type-specific.
 */
export class FrameCursor {
  buf: Buffer = EMPTY;
  pos = 0;
  end = 0;
  /** Type of the last frame returned (the raw varint value; -1 when unreadable). */
  frameType = 0;
  /** CRYPTO frame fields: stream offset of the data, and where the data is in `buf`. */
  cryptoOffset = 0;
  dataOff = 0;
  dataLen = 0;

  reset(buf: Buffer, off: number, end: number): void {
    this.buf = buf;
    this.pos = off;
    this.end = Math.min(end, buf.length);
  }

  /** Returns the next frame's `FrameKind`, advancing past it. */
  next(): number {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    if (p >= end) return FrameKind.End;
    const type = readVarint(buf, p, end);
    this.frameType = type;
    if (type < 0) return this.stop(FrameKind.Malformed);
    p += varintLength(buf[p]);
    switch (type) {
      case 0x00:
        while (p < end && buf[p] === 0) p++;
        this.pos = p;
        return FrameKind.Padding;
      case 0x01:
        this.pos = p;
        return FrameKind.Ping;
      case 0x02:
      case 0x03: {
        // Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range.
        let rangeCount = 0;
        for (let i = 0; i < 4; i++) {
          const v = readVarint(buf, p, end);
          if (v < 0) return this.stop(FrameKind.Malformed);
          if (i === 2) rangeCount = v;
          p += varintLength(buf[p]);
        }
        // Each range is two varints (≥ 2 bytes), so the loop ends within the payload length.
        for (let r = 0; r < rangeCount; r++) {
          for (let i = 0; i < 2; i++) {
            if (readVarint(buf, p, end) < 0) return this.stop(FrameKind.Malformed);
            p += varintLength(buf[p]);
          }
        }
        if (type === 0x03) {
          for (let i = 0; i < 3; i++) {
            if (readVarint(buf, p, end) < 0) return this.stop(FrameKind.Malformed);
            p += varintLength(buf[p]);
          }
        }
        this.pos = p;
        return FrameKind.Ack;
      }
      case 0x06: {
        const offset = readVarint(buf, p, end);
        if (offset < 0) return this.stop(FrameKind.Malformed);
        p += varintLength(buf[p]);
        const len = readVarint(buf, p, end);
        if (len < 0) return this.stop(FrameKind.Malformed);
        p += varintLength(buf[p]);
        if (len > end - p) return this.stop(FrameKind.Malformed);
        this.cryptoOffset = offset;
        this.dataOff = p;
        this.dataLen = len;
        this.pos = p + len;
        return FrameKind.Crypto;
      }
      case 0x1c:
      case 0x1d: {
        // Error Code, [Frame Type (0x1c only)], Reason Phrase Length, Reason Phrase.
        const fields = type === 0x1c ? 3 : 2;
        let reasonLen = 0;
        for (let i = 0; i < fields; i++) {
          const v = readVarint(buf, p, end);
          if (v < 0) return this.stop(FrameKind.Malformed);
          reasonLen = v;
          p += varintLength(buf[p]);
        }
        if (reasonLen > end - p) return this.stop(FrameKind.Malformed);
        this.pos = p + reasonLen;
        return FrameKind.ConnectionClose;
      }
      default:
        return this.stop(FrameKind.Unknown);
    }
  }

  private stop(kind: number): number {
    this.pos = this.end;
    return kind;
  }
}
