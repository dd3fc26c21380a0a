/**
 * QUIC variable-length integers (RFC 9000 §16): the two high bits of the first byte give the
 * length (1, 2, 4 or 8 bytes), the remaining bits are the big-endian value.
 */

/** Encoded length in bytes of the varint whose first byte is `firstByte`. */
export function varintLength(firstByte: number): number {
  return 1 << (firstByte >> 6);
}

/**
 * Reads the varint at `buf[off]`. Returns -1 when it does not fit before `end`.
 * 8-byte values above 2^53 lose precision; every caller bounds the value far below that
 * (offsets and lengths must fit in a datagram or a 64 KiB buffer), so it never matters.
 * The caller advances by `varintLength(buf[off])`.
 */
export function readVarint(buf: Buffer, off: number, end: number): number {
  if (off >= end) return -1;
  const b0 = buf[off];
  const n = 1 << (b0 >> 6);
  if (off + n > end) return -1;
  switch (n) {
    case 1:
      return b0;
    case 2:
      return ((b0 & 0x3f) << 8) | buf[off + 1];
    case 4:
      return (b0 & 0x3f) * 0x1000000 + ((buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]);
    default:
      return (
        ((b0 & 0x3f) * 0x1000000 + ((buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3])) *
          0x100000000 +
        buf.readUInt32BE(off + 4)
      );
  }
}
