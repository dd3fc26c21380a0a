import { existsSync, statSync } from "node:fs";
import type { Command } from "commander";
import { readCapture } from "../capture/file-source.js";
import { SECRETS_TLS_KEY_LOG } from "../capture/pcapng.js";
import { DEFAULT_P0F_FP_PATH, loadP0fDatabase } from "../fingerprint/p0f/load-database.js";
import type { P0fDatabase } from "../fingerprint/p0f/signature-file.js";
import { TlsKeyLog } from "../fingerprint/tls/keylog.js";
import { LineWriter } from "../sink/line-writer.js";
import { writeObservationLine } from "../sink/observation-format.js";
import { DeckyMap } from "../sniffer/decky-map.js";
import { Dedup } from "../sniffer/dedup.js";
import { ALL_ANALYZERS, type AnalyzerName, SnifferEngine } from "../sniffer/engine.js";
import { ja4RecordToJson } from "../sniffer/ja4-record.js";

interface ReadOptions {
  format: string;
  decky: string[];
  stateFile?: string;
  dedupTtl: string;
  reassemblyLimit: string;
  maxFlows: string;
  maxBuffered: string;
  progress: boolean;
  summary: boolean;
  p0fDb?: string;
  analyzers: string;
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} expects a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export function registerReadCommand(program: Command): void {
  program
    .command("read")
    .description("read a pcap/pcapng capture (or - for standard input) and print its fingerprints")
    .argument("<file>", "capture file (format detected by magic number), or - for standard input")
    .option(
      "-f, --format <format>",
      "json: one DECNET JSON record per observation; ja4: one record per connection",
      "json",
    )
    .option(
      "--decky <IP=NAME>",
      "analyse only traffic to/from this decky (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option("--state-file <path>", "take the deckies from a DECNET decnet-state.json")
    .option(
      "--dedup-ttl <seconds>",
      "drop repeated observations within this window of packet time (0 = off)",
      "0",
    )
    .option(
      "--reassembly-limit <bytes>",
      "bytes reassembled per direction of each TCP stream",
      String(64 * 1024),
    )
    .option("--max-flows <n>", "hard cap on tracked flows (least recently active evicted)", "131072")
    .option(
      "--max-buffered <bytes>",
      "hard cap on out-of-order bytes buffered, all flows together",
      String(64 * 1024 * 1024),
    )
    .option(
      "--analyzers <list>",
      `comma-separated analyzers to run (${ALL_ANALYZERS.join(",")})`,
      ALL_ANALYZERS.join(","),
    )
    .option(
      "--p0f-db <path>",
      `p0f v3 signature database for p0f_label (default ${DEFAULT_P0F_FP_PATH} when present)`,
    )
    .option("--no-progress", "no progress line on standard error")
    .option("--no-summary", "no summary on standard error at the end")
    .addHelpText(
      "after",
      "\nTimeouts, idle detection and dedup run on packet time, so a file gives the same output however fast it is read.\n" +
        "Examples:\n  decnet-sensor read capture.pcapng\n  decnet-sensor read --format ja4 capture.pcap\n  tcpdump -i eth0 -w - | decnet-sensor read -",
    )
    .action(async (file: string, opts: ReadOptions) => {
      const code = await runRead(file, opts);
      process.exitCode = code;
    });
}

async function runRead(file: string, opts: ReadOptions): Promise<number> {
  if (opts.format !== "json" && opts.format !== "ja4") {
    process.stderr.write(
      `decnet-sensor read: --format must be json or ja4, got ${JSON.stringify(opts.format)}\n`,
    );
    return 2;
  }
  let deckies: DeckyMap | undefined;
  let analyzers: AnalyzerName[];
  let p0f: P0fDatabase | undefined;
  let dedupTtlS: number;
  let flowTable: { reassemblyLimit: number; maxFlows: number; maxBufferedBytes: number };
  try {
    if (opts.stateFile !== undefined) deckies = DeckyMap.fromStateFile(opts.stateFile);
    if (opts.decky.length > 0) {
      deckies ??= new DeckyMap();
      deckies.addPairs(opts.decky);
    }
    analyzers = [];
    for (const a of opts.analyzers
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x !== "")) {
      if (!(ALL_ANALYZERS as readonly string[]).includes(a)) {
        throw new Error(
          `--analyzers: unknown analyzer ${JSON.stringify(a)} (known: ${ALL_ANALYZERS.join(", ")})`,
        );
      }
      analyzers.push(a as AnalyzerName);
    }
    if (analyzers.includes("tcp")) {
      if (opts.p0fDb !== undefined) p0f = loadP0fDatabase(opts.p0fDb);
      else if (existsSync(DEFAULT_P0F_FP_PATH)) p0f = loadP0fDatabase(DEFAULT_P0F_FP_PATH);
      else
        process.stderr.write(
          `decnet-sensor read: no p0f database at ${DEFAULT_P0F_FP_PATH} (apt-get install p0f, or --p0f-db PATH): p0f_label left out\n`,
        );
    }
    dedupTtlS = Number(opts.dedupTtl);
    if (!Number.isFinite(dedupTtlS) || dedupTtlS < 0)
      throw new Error(`--dedup-ttl expects seconds ≥ 0, got ${opts.dedupTtl}`);
    flowTable = {
      reassemblyLimit: positiveInt("--reassembly-limit", opts.reassemblyLimit),
      maxFlows: positiveInt("--max-flows", opts.maxFlows),
      maxBufferedBytes: positiveInt("--max-buffered", opts.maxBuffered),
    };
  } catch (err) {
    process.stderr.write(`decnet-sensor read: ${(err as Error).message}\n`);
    return 2;
  }
  let totalBytes: number | undefined;
  if (file !== "-") {
    try {
      totalBytes = statSync(file).size;
    } catch (err) {
      process.stderr.write(
        `decnet-sensor read: cannot open ${file}: ${(err as NodeJS.ErrnoException).code ?? err}\n`,
      );
      return 1;
    }
  }

  const out = new LineWriter(process.stdout);
  const dedup = new Dedup(Math.round(dedupTtlS * 1_000_000));
  const ja4Format = opts.format === "ja4";
  let suppressed = 0;
  const keyLog = new TlsKeyLog();
  const engine = new SnifferEngine({
    analyzers,
    p0f,
    keyLog,
    deckies,
    flowTable,
    onObservation: (o) => {
      if (dedup.isDuplicate(o.tsUs, o.eventType, o.fields)) {
        suppressed++;
        return;
      }
      if (!ja4Format) writeObservationLine(out, o);
    },
    onFlowRecord: ja4Format ? (r) => out.write(ja4RecordToJson(r)) : undefined,
  });

  const started = Date.now();
  let lastProgress = 0; // the first line comes once reading has lasted 2 s
  // A terminal gets one line redrawn every second; a file or pipe (Node leaves isTTY
  // undefined there) a plain line every 5 s, so logs hold no carriage returns.
  const progress = opts.progress;
  const tty = process.stderr.isTTY === true;
  const every = tty ? 1000 : 5000;
  const result = await readCapture(file, (frame) => engine.handleFrameSafely(frame), {
    onSecrets: (type, data) => {
      if (type === SECRETS_TLS_KEY_LOG) keyLog.addText(data.toString("latin1"));
    },
    onProgress: (bytesRead) => {
      if (!progress) return;
      const now = Date.now();
      if (now - lastProgress < every || now - started < 2000) return;
      lastProgress = now;
      const pct = totalBytes ? ` ${((100 * bytesRead) / totalBytes).toFixed(1)}%` : "";
      const secs = (now - started) / 1000;
      const line = `reading${pct}  ${engine.packets.toLocaleString("en-US")} packets  ${Math.round(engine.packets / secs).toLocaleString("en-US")} pkt/s  ${engine.table.size} flows  ${engine.observations} observations`;
      process.stderr.write(tty ? `\r${line}   ` : `${line}\n`);
    },
    afterChunk: () => out.drained(),
  });
  engine.finish();
  await out.end();
  if (progress && tty && Date.now() - started >= 2000) process.stderr.write("\n");

  if (opts.summary) {
    const secs = (Date.now() - started) / 1000;
    const summary = {
      file,
      format: result.format,
      packets: engine.packets,
      bytes: engine.bytes,
      flows: engine.table.flowsCreated,
      flows_evicted: engine.table.flowsEvicted,
      observations: engine.observations,
      duplicates_suppressed: suppressed,
      connection_records: engine.records,
      seconds: Number(secs.toFixed(3)),
      packets_per_second: secs > 0 ? Math.round(engine.packets / secs) : engine.packets,
      capture_malformed: result.malformed,
      decode: engine.decoder.stats.toJSON(),
      engine: engine.stats.toJSON(),
    };
    process.stderr.write(`summary ${JSON.stringify(summary)}\n`);
  }
  if (engine.firstFailure !== undefined)
    process.stderr.write(
      `decnet-sensor read: ${file}: ${engine.stats.get("engine.packet_exception")} packet(s) failed and were skipped (first: ${engine.firstFailure}); please report this\n`,
    );
  if (result.error !== undefined) {
    process.stderr.write(`decnet-sensor read: ${file}: ${result.error}\n`);
    return 1;
  }
  const skipped = Object.entries(result.malformed);
  if (engine.packets === 0 && skipped.length > 0) {
    // Nothing readable at all (e.g. only pcapng sections of a version we cannot read): an
    // empty output must not pass for an empty capture.
    const why = skipped.map(([k, n]) => `${k} ${n}`).join(", ");
    process.stderr.write(`decnet-sensor read: ${file}: no packet could be read (skipped: ${why})\n`);
    return 1;
  }
  return 0;
}
