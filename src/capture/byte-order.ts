/**
 * Unsigned reads in a byte order chosen at run time (a capture file says which one it
 * uses). Plain index arithmetic: no DataView, no allocation, inlined by V8.
 */

export function readU32(buf: Buffer, off: number, le: boolean): number {
  return le
    ? (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16)) + buf[off + 3] * 0x1000000
    : buf[off] * 0x1000000 + ((buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]);
}

export function readU16(buf: Buffer, off: number, le: boolean): number {
  return le ? buf[off] | (buf[off + 1] << 8) : (buf[off] << 8) | buf[off + 1];
}
