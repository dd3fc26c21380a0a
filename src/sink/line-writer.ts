import type { Writable } from "node:stream";
import { utf8WriteAt } from "../util/buffer-write.js";

/**
 * Writes output lines through a 1 MiB byte buffer: each line is encoded straight into
 * it (no joined megabyte string, no second encoding pass) and the buffer goes out in
 * one write when full. The producer can wait for the destination to drain, so memory
 * stays bounded when stdout is slower than the reader.
 */
export class LineWriter {
  private buf: Buffer;
  private pos = 0;
  lines = 0;

  constructor(
    private readonly out: Writable,
    private readonly size = 1024 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  write(line: string): void {
    // A UTF-16 unit encodes to at most 3 bytes; +1 for the newline.
    const worst = line.length * 3 + 1;
    if (this.pos + worst > this.size) {
      this.flush();
      if (worst > this.size) {
        this.out.write(`${line}\n`);
        this.lines++;
        return;
      }
    }
    this.pos += utf8WriteAt(this.buf, line, this.pos);
    this.buf[this.pos++] = 0x0a;
    this.lines++;
  }

  /**
   * Byte-level writing, for formatters that encode a line themselves: makes room for `n`
   * bytes (flushing first when needed) and returns the offset in `buffer` to write at, or
   * -1 when `n` exceeds the whole buffer (write the line as a string instead). Finish the
   * line with `endLine`; a line abandoned half-way is simply never ended.
   */
  reserve(n: number): number {
    if (n > this.size) return -1;
    if (this.pos + n > this.size) this.flush();
    return this.pos;
  }

  /** The buffer `reserve` offsets refer to (replaced at each flush). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Ends a line encoded at `reserve`'s offset up to `end` (exclusive), adding the newline. */
  endLine(end: number): void {
    this.buf[end] = 0x0a;
    this.pos = end + 1;
    this.lines++;
  }

  flush(): void {
    if (this.pos === 0) return;
    this.out.write(this.buf.subarray(0, this.pos));
    // A fresh buffer: the stream may still hold the previous one.
    this.buf = Buffer.allocUnsafe(this.size);
    this.pos = 0;
  }

  /** Resolves once the destination has drained (call between input chunks). */
  async drained(): Promise<void> {
    if (!this.out.writableNeedDrain) return;
    await new Promise<void>((resolve) => this.out.once("drain", resolve));
  }

  async end(): Promise<void> {
    this.flush();
    await this.drained();
  }
}
