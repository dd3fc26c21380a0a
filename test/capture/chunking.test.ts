import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bytewise, type ParseResult, parseChunks, splitAt } from "./collect.js";
import { ALL_FIXTURES, BAD_INPUTS } from "./fixtures.js";

const inputs = [
  ...ALL_FIXTURES.map((f) => ({ name: f.name, bytes: f.bytes })),
  ...BAD_INPUTS.map((b) => ({ name: `bad: ${b.name}`, bytes: b.bytes })),
];

function same(got: ParseResult, want: ParseResult, how: string): void {
  assert.deepEqual(got.frames, want.frames, how);
  assert.deepEqual(got.stats, want.stats, how);
  assert.equal(got.error, want.error, how);
}

describe("any chunking gives the same frames, counters and error", () => {
  for (const input of inputs) {
    test(input.name, () => {
      const whole = parseChunks([input.bytes]);
      const n = input.bytes.length;
      for (let i = 0; i <= n; i++) same(parseChunks(splitAt(input.bytes, [i])), whole, `split at ${i}`);
      same(parseChunks(bytewise(input.bytes)), whole, "byte by byte");
      // Empty chunks in between change nothing either.
      const withEmpty: Buffer[] = [];
      for (const b of bytewise(input.bytes)) withEmpty.push(Buffer.alloc(0), b);
      same(parseChunks(withEmpty), whole, "byte by byte with empty chunks");
      // Every pair of cut points (three chunks) for the small inputs.
      if (n <= 600) {
        for (let i = 0; i <= n; i++)
          for (let j = i; j <= n; j++)
            same(parseChunks(splitAt(input.bytes, [i, j])), whole, `split at ${i}, ${j}`);
      }
    });
  }
});
