import type { Writable } from "node:stream";

/**
 * Batches output lines into large writes (one write per ~256 KiB instead of one per
 * event) and lets the producer wait for the destination to drain, so memory stays
 * bounded when stdout is slower than the reader.
 */
export class LineWriter {
  private parts: string[] = [];
  private size = 0;
  lines = 0;

  constructor(
    private readonly out: Writable,
    private readonly flushAt = 256 * 1024,
  ) {}

  write(line: string): void {
    this.parts.push(line, "\n");
    this.size += line.length + 1;
    this.lines++;
    if (this.size >= this.flushAt) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.out.write(this.parts.join(""));
    this.parts = [];
    this.size = 0;
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
