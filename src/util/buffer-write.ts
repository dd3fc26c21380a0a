/**
 * Node's Buffer has had `utf8Write(string, offset)` and `latin1Write(string, offset)` since
 * its first versions; they are what `buf.write(s, off, encoding)` calls after normalising its
 * arguments, which costs more than the copy itself for short strings. Typed here because
 * @types/node omits them. Both return the bytes written; the caller guarantees room.
 */
type RawWritable = Buffer & {
  utf8Write(s: string, offset: number): number;
  latin1Write(s: string, offset: number): number;
};

/** Writes `s` as UTF-8 at `offset` (room for `s.length * 3` bytes must be there). */
export function utf8WriteAt(buf: Buffer, s: string, offset: number): number {
  return (buf as RawWritable).utf8Write(s, offset);
}

/** Writes `s` (code units ≤ 0xff) as Latin-1 at `offset`. */
export function latin1WriteAt(buf: Buffer, s: string, offset: number): number {
  return (buf as RawWritable).latin1Write(s, offset);
}
