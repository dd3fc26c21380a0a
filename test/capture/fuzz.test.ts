import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { CaptureParser, MAX_RECORD_BYTES } from "../../src/capture/capture-parser.js";
import type { CapturedFrame } from "../../src/capture/types.js";
import { corpusDir } from "../helpers/shared.js";
import { randomChunks } from "./collect.js";
import { ALL_FIXTURES, BAD_INPUTS, hex } from "./fixtures.js";

const SEED = 0x5eed_ca9;
const TIMEOUT = { timeout: 120_000 };

/** Parses `chunks`, checking every frame's bounds on the way; returns a digest of everything observable. */
function run(chunks: Iterable<Buffer>, inputLen: number): string {
  const p = new CaptureParser();
  const out: string[] = [];
  const onFrame = (f: CapturedFrame) => {
    if (!(f.offset >= 0 && f.length >= 0 && f.offset + f.length <= f.data.length))
      throw new Error(`frame out of bounds: ${f.offset}+${f.length} in ${f.data.length}`);
    if (!Number.isFinite(f.tsUs)) throw new Error(`timestamp ${f.tsUs}`);
    out.push(
      `${f.linktype}/${f.interfaceId}/${f.tsUs}/${f.origLen}/${f.data.toString("hex", f.offset, f.offset + f.length)}`,
    );
  };
  let pushed = 0;
  for (const c of chunks) {
    p.push(c, onFrame);
    pushed += c.length;
    // The carry never holds more than was pushed, nor grows past twice what it holds (or 4 KiB), nor past one record.
    assert.ok(p.bufferedBytes <= pushed);
    assert.ok(
      p.carryCapacity <= Math.max(4096, 2 * inputLen),
      `carry ${p.carryCapacity} for ${inputLen} bytes`,
    );
    assert.ok(p.carryCapacity <= MAX_RECORD_BYTES);
  }
  p.finish();
  assert.equal(p.stats.frames, out.length);
  if (p.error !== undefined) assert.equal(p.bufferedBytes, 0);
  return `${JSON.stringify(p.stats)}|${p.error}|${out.join(",")}`;
}

let inputs = 0;

/** Whole input and a random chunking must agree; neither may throw. */
function check(bytes: Buffer, seed: number, maxChunk: number): void {
  inputs++;
  const whole = run([bytes], bytes.length);
  const chunked = run(randomChunks(bytes, seed, maxChunk), bytes.length);
  assert.equal(chunked, whole);
}

type Mutation =
  | { kind: "flip"; pos: number; bit: number }
  | { kind: "byte"; pos: number; value: number }
  | { kind: "u32"; pos: number; value: number; le: boolean; aligned: boolean }
  | { kind: "delta"; pos: number; delta: number; le: boolean }
  | { kind: "truncate"; pos: number }
  | { kind: "delete"; pos: number; n: number }
  | { kind: "duplicate"; pos: number; n: number };

// Values that hit every length check: below/at the minimums, odd, the 256 KiB and 16 MiB limits, all ones.
const LENGTHS = [
  0, 1, 4, 8, 11, 12, 13, 16, 20, 28, 32, 0xffff, 0x40000, 0x40001, 0xffffff, 0x1000000, 0x1000004,
  0xffffffff,
];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("byte" as const), pos: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant("u32" as const),
    pos: fc.nat(),
    value: fc.oneof(fc.constantFrom(...LENGTHS), fc.nat()),
    le: fc.boolean(),
    aligned: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("delta" as const),
    pos: fc.nat(),
    delta: fc.integer({ min: -64, max: 64 }),
    le: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("truncate" as const), pos: fc.nat() }),
  fc.record({ kind: fc.constant("delete" as const), pos: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant("duplicate" as const), pos: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }),
);

function mutate(src: Buffer, muts: Mutation[]): Buffer {
  let b = Buffer.from(src);
  for (const m of muts) {
    if (b.length === 0) break;
    const pos = m.pos % b.length;
    switch (m.kind) {
      case "flip":
        b[pos] ^= 1 << m.bit;
        break;
      case "byte":
        b[pos] = m.value;
        break;
      case "u32": {
        const at = m.aligned ? pos & ~3 : pos;
        if (at + 4 <= b.length)
          m.le ? b.writeUInt32LE(m.value >>> 0, at) : b.writeUInt32BE(m.value >>> 0, at);
        break;
      }
      case "delta": {
        const at = pos & ~3;
        if (at + 4 <= b.length) {
          const v = (m.le ? b.readUInt32LE(at) : b.readUInt32BE(at)) + m.delta;
          m.le ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at);
        }
        break;
      }
      case "truncate":
        b = b.subarray(0, pos);
        break;
      case "delete":
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + m.n)]);
        break;
      case "duplicate":
        b = Buffer.concat([b.subarray(0, pos + m.n), b.subarray(pos)]);
        break;
    }
  }
  return b;
}

const chunkingArb = fc.tuple(
  fc.integer({ min: 1, max: 0x7fffffff }),
  fc.constantFrom(1, 2, 3, 7, 16, 64, 100, 1000, 5000),
);

const handBuilt = [...ALL_FIXTURES.map((f) => f.bytes), ...BAD_INPUTS.map((b) => b.bytes)];

/** Corpus captures, the larger ones cut to their first 8 KiB (headers and first blocks are where framing lives). */
function corpusSamples(): Buffer[] {
  const dir = corpusDir();
  if (dir === undefined) return handBuilt;
  return readdirSync(dir)
    .filter((n) => /\.(pcap|pcapng)$/.test(n))
    .sort()
    .map((n) => {
      const b = readFileSync(join(dir, n));
      return b.subarray(0, Math.min(b.length, 8 * 1024));
    });
}

const HEADERS = [
  Buffer.alloc(0),
  hex("d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 01 00 00 00"),
  hex("a1 b2 3c 4d 00 02 00 04 00 00 00 00 00 00 00 00 00 00 ff ff 00 00 00 65"),
  hex("0a 0d 0d 0a 1c 00 00 00 4d 3c 2b 1a 01 00 00 00 ff ff ff ff ff ff ff ff 1c 00 00 00"),
  hex(`0a 0d 0d 0a 00 00 00 1c 1a 2b 3c 4d 00 01 00 00 ff ff ff ff ff ff ff ff 00 00 00 1c
       00 00 00 01 00 00 00 14 00 01 00 00 00 00 00 00 00 00 00 14`),
];

describe("fuzz: never throws, never hangs, carry bounded, chunking-invariant", () => {
  test("random bytes behind valid and invalid headers (30,000 inputs)", TIMEOUT, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HEADERS),
        fc.uint8Array({ maxLength: 256 }),
        chunkingArb,
        (head, tail, [seed, max]) => check(Buffer.concat([head, tail]), seed, max),
      ),
      { seed: SEED, numRuns: 30_000 },
    );
  });

  test("mutations of the hand-built captures (40,000 inputs)", TIMEOUT, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...handBuilt),
        fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
        chunkingArb,
        (src, muts, [seed, max]) => check(mutate(src, muts), seed, max),
      ),
      { seed: SEED + 1, numRuns: 40_000 },
    );
  });

  test("mutations of the corpus captures (30,000 inputs)", TIMEOUT, () => {
    const samples = corpusSamples();
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        chunkingArb,
        (src, muts, [seed, max]) => check(mutate(src, muts), seed, max),
      ),
      { seed: SEED + 2, numRuns: 30_000 },
    );
  });

  test("at least 100,000 inputs were checked", () => {
    assert.ok(inputs >= 100_000, `${inputs} inputs`);
  });
});
