/**
 * `decnet-sensor read`'s progress line: carriage-return redraws belong on a terminal only;
 * a pipe or file gets plain lines.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "../helpers/shared.js";

// Classic pcap, little-endian µs, Ethernet; one 1-byte record per second of packet time.
const HEADER = Buffer.from("d4c3b2a1020004000000000000000000ffff000001000000", "hex");
function record(i: number): Buffer {
  const b = Buffer.alloc(17);
  b.writeUInt32LE(1_700_000_000 + i, 0);
  b.writeUInt32LE(1, 8);
  b.writeUInt32LE(1, 12);
  return b;
}

test("stderr a pipe (not a TTY): plain progress lines, no carriage returns, then the summary", {
  timeout: 60_000,
}, async () => {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(REPO_ROOT, "src/cli/run.ts"), "read", "--analyzers", "tls", "-"],
    { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "pipe"] },
  );
  let err = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s: string) => {
    err += s;
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  // The first line is drawn once reading has lasted 2 s, so keep chunks coming until one
  // shows (start-up time included), or for 15 s at most.
  child.stdin.write(HEADER);
  const until = Date.now() + 15_000;
  for (let i = 0; Date.now() < until && !err.includes("\r") && !err.includes("observations\n"); i++) {
    child.stdin.write(record(i));
    await sleep(200);
  }
  child.stdin.end();
  assert.equal(await exited, 0, err);
  assert.ok(!err.includes("\r"), `carriage return on a non-TTY stderr: ${JSON.stringify(err)}`);
  assert.match(err, /^reading {2}\d+ packets .* observations\n/m);
  assert.match(err, /^summary \{.*"format":"pcap"/m);
});
