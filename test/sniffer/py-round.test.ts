/**
 * DECNET writes its float fields with Python's str(round(x, n)); ours must be the same
 * text. Cases worked out from Python's rules (the double's exact binary value is rounded;
 * an exact tie goes to the even digit), then the system python3 as an oracle when present.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { pyRound } from "../../src/sniffer/analyzers/decnet-fields.js";

describe("pyRound = Python's str(round(x, n))", () => {
  test("hand-worked cases", () => {
    const cases: [number, number, string][] = [
      [0, 2, "0.0"],
      [5, 2, "5.0"],
      [12.5, 2, "12.5"],
      [0.015, 2, "0.01"], // 0.01499999999999999944… in binary
      [0.125, 2, "0.12"], // exact tie: to the even digit
      [0.375, 2, "0.38"], // exact tie: to the even digit
      [0.0045, 3, "0.004"], // 0.00449999999999999966…
      [3.14149, 3, "3.141"],
      [2.675, 2, "2.67"], // Python's own documented example
      [-0.001, 2, "-0.0"],
      [1e-9, 2, "0.0"],
    ];
    for (const [x, n, want] of cases) assert.equal(pyRound(x, n), want, `round(${x}, ${n})`);
  });

  test("the system python3 agrees on every µs value to 0.2 s, at 2 and 3 digits", (t) => {
    const code = `import sys
print("\\n".join([str(round(u/1000, 2)) for u in range(200001)] + [str(round(u/1e6, 3)) for u in range(200001)]))`;
    const py = spawnSync("python3", ["-c", code], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (py.error !== undefined || py.status !== 0) {
      t.skip("python3 not available: the oracle comparison is skipped");
      return;
    }
    const want = py.stdout.trimEnd().split("\n");
    const got: string[] = [];
    for (let u = 0; u <= 200000; u++) got.push(pyRound(u / 1000, 2));
    for (let u = 0; u <= 200000; u++) got.push(pyRound(u / 1e6, 3));
    assert.equal(got.length, want.length);
    for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) assert.equal(got[i], want[i], `value ${i}`);
  });
});
