/**
 * Where a read's time goes: the TLS core over one capture several times in one process,
 * each pass with a fresh engine and output writer (the bytes are counted, then dropped).
 * The first pass pays what every `decnet-sensor read` pays once — the compiler turning the
 * hot code into machine code, and that code running unoptimised meanwhile — and later
 * passes run compiled code. The capture is read into memory first, so no pass includes
 * file reads, and neither does process start-up.
 *
 * Usage: node dist/bench/warm-passes.js FILE [PASSES] — prints one JSON line:
 * {"packets": n, "bytes": output bytes per pass, "passMs": [ms, ...]}.
 */
import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { CaptureParser } from "../src/capture/capture-parser.js";
import { LineWriter } from "../src/sink/line-writer.js";
import { writeObservationLine } from "../src/sink/observation-format.js";
import { SnifferEngine } from "../src/sniffer/engine.js";

/** What the CLI hands the parser at a time (file-source reads 1 MiB chunks). */
const CHUNK = 1 << 20;

export interface WarmPasses {
  packets: number;
  bytes: number;
  passMs: number[];
}

export function warmPasses(file: string, passes: number): WarmPasses {
  const data = readFileSync(file);
  const passMs: number[] = [];
  let packets = 0;
  let bytes = 0;
  for (let pass = 0; pass < passes; pass++) {
    let written = 0;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        written += chunk.length;
        cb();
      },
    });
    const out = new LineWriter(sink);
    const t0 = process.hrtime.bigint();
    const engine = new SnifferEngine({
      analyzers: ["tls"],
      onObservation: (o) => writeObservationLine(out, o),
    });
    const parser = new CaptureParser();
    for (let off = 0; off < data.length; off += CHUNK)
      parser.push(data.subarray(off, Math.min(data.length, off + CHUNK)), (frame) =>
        engine.handleFrame(frame),
      );
    parser.finish();
    engine.finish();
    out.flush();
    passMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    packets = engine.packets;
    bytes = written;
  }
  return { packets, bytes, passMs };
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write("usage: warm-passes FILE [PASSES]\n");
    process.exit(2);
  }
  const passes = Math.max(2, Number(process.argv[3] ?? 3) || 3);
  process.stdout.write(`${JSON.stringify(warmPasses(file, passes))}\n`);
}
