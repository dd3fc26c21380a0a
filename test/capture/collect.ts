import { CaptureParser } from "../../src/capture/capture-parser.js";
import type { CaptureStats } from "../../src/capture/types.js";
import type { ExpectedFrame } from "./fixtures.js";

export interface ParseResult {
  frames: ExpectedFrame[];
  stats: CaptureStats;
  error: string | undefined;
  /** Largest carry buffer seen, and largest amount buffered, while parsing. */
  maxCarryCapacity: number;
  maxBuffered: number;
}

/** Parses `chunks` in order with one parser and records every frame as plain values. */
export function parseChunks(chunks: Iterable<Buffer>): ParseResult {
  const p = new CaptureParser();
  const frames: ExpectedFrame[] = [];
  let maxCarryCapacity = 0;
  let maxBuffered = 0;
  const onFrame = (f: {
    linktype: number;
    tsUs: number;
    data: Buffer;
    offset: number;
    length: number;
    origLen: number;
    interfaceId: number;
  }) => {
    frames.push({
      linktype: f.linktype,
      tsUs: f.tsUs,
      hex: f.data.toString("hex", f.offset, f.offset + f.length),
      origLen: f.origLen,
      interfaceId: f.interfaceId,
    });
  };
  for (const c of chunks) {
    p.push(c, onFrame);
    if (p.carryCapacity > maxCarryCapacity) maxCarryCapacity = p.carryCapacity;
    if (p.bufferedBytes > maxBuffered) maxBuffered = p.bufferedBytes;
  }
  p.finish();
  return { frames, stats: structuredClone(p.stats), error: p.error, maxCarryCapacity, maxBuffered };
}

/** `buf` cut at the given ascending positions. */
export function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

export function* bytewise(buf: Buffer): Generator<Buffer> {
  for (let i = 0; i < buf.length; i++) yield buf.subarray(i, i + 1);
}

/** Cuts `buf` into chunks of pseudo-random sizes in [1, maxChunk] from a 32-bit seed (xorshift). */
export function randomChunks(buf: Buffer, seed: number, maxChunk: number): Buffer[] {
  let s = seed | 0 || 1;
  const out: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const n = 1 + ((s >>> 0) % maxChunk);
    out.push(buf.subarray(off, Math.min(buf.length, off + n)));
    off += n;
  }
  return out;
}
