/**
 * Bus benchmark: events/s and publish→receive latency (p50/p99) for the in-process bus, our
 * UNIX-socket server (1 publisher → 1 and → 10 subscribers) and NATS on loopback.
 *
 *   npx tsx bench/bus-bench.ts      (standalone; rewrites the "## Bus" section of bench/RESULTS.md)
 *   npm run bench                   (bench/index.ts calls runBusBench())
 *
 * Layout on the socket transports: the UNIX server runs in its own worker thread (nats-server is
 * its own process), the subscribers in another worker thread, the publisher on the main thread.
 * Throughput: the publisher keeps at most WINDOW events not yet received by every subscriber
 * (WINDOW ≤ the server's 1,024-event queue, so nothing can be dropped; drops are still counted),
 * and the rate is measured at the subscribers after a warm-up. Latency: the publisher sends at a
 * fixed 10,000 events/s, each event carrying its send time (process.hrtime, one clock for all
 * threads); the subscribers record receive − send for every event.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { Bus, Subscription } from "../src/bus/bus.js";
import { envelopeToJson, makeEnvelope } from "../src/bus/envelope.js";
import { encodeFrame } from "../src/bus/frame.js";
import { silentLog } from "../src/bus/log.js";
import { InProcBroker, InProcBus } from "../src/bus/transports/inproc.js";
import { NatsBus } from "../src/bus/transports/nats.js";
import { UnixBusClient } from "../src/bus/transports/unix-client.js";
import { UnixBusServer } from "../src/bus/transports/unix-server.js";

/** Events in flight at most during throughput runs (≤ the server's 1,024-event queue). */
const WINDOW = 1000;
/** The publisher resumes once this many events of the window are free (fewer, larger wake-ups). */
const REFILL = 500;
/** Throughput runs per scenario; the best is reported (the machine is shared and noisy). */
const RUNS = 3;
const RATE = 10_000;
const LATENCY_SECONDS = 3;
const TOPIC = "decky.web01.traffic";
const ROLE_KEY = "decnetBusBenchRole";
const NATS_SERVER = "/usr/sbin/nats-server";

/** A realistic summary event (tls_session fields); its frame size is reported with the figures. */
function payload(i: number, t: number): Record<string, unknown> {
  return {
    i,
    t,
    src_ip: "198.51.100.23",
    src_port: "51544",
    dst_ip: "10.0.5.12",
    dst_port: "443",
    ja3: "cd08e31494f9531f560d64c695473da9",
    ja4: "t13d1516h2_8daaf6152771_02713d6af862",
    ja4s: "t130200_1301_234ea6891581",
    sni: "portal.example",
  };
}

/** Size of one benchmark PUB frame. */
function frameBytes(): number {
  return encodeFrame(
    "PUB",
    TOPIC,
    envelopeToJson(makeEnvelope(TOPIC, payload(123_456, nowUs()), "tls_session")),
  ).length;
}

/** Microseconds on the process-wide monotonic clock (the same in every thread). */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

// ─── worker roles ──────────────────────────────────────────────────────────

type SubsData = {
  [ROLE_KEY]: "subs";
  transport: "unix" | "nats";
  target: string;
  count: number;
  expect: number;
  warm: number;
  latency: boolean;
  shared: SharedArrayBuffer;
};
type ServerData = { [ROLE_KEY]: "server"; socketPath: string };
type SubsResult = {
  tWarm: number;
  tEnd: number;
  dropped: number;
  received: number;
  /** Event-loop busy time of the subscriber thread from the first event to the last. */
  busyMs: number;
  latencies?: Float64Array;
};

/**
 * Shared Int32 cells: [0] = fewest events received by any subscriber, [1] = subscribers synced,
 * [2] = while the publisher sleeps on [0], the count at which to wake it (else 0).
 */
async function subsRole(d: SubsData): Promise<void> {
  const cells = new Int32Array(d.shared);
  const buses: Bus[] = [];
  const counts = new Array<number>(d.count).fill(0);
  const lat = d.latency ? new Float64Array(d.expect * d.count) : undefined;
  let nLat = 0;
  let tWarm = 0;
  let tEnd = 0;
  let dropped = 0;
  let elu0: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  const updateMin = () => {
    let m = counts[0];
    for (let k = 1; k < counts.length; k++) if (counts[k] < m) m = counts[k];
    if (m !== Atomics.load(cells, 0)) {
      Atomics.store(cells, 0, m);
      // Wake the publisher once per refill, when it sleeps and enough of the window is free (a
      // futex wake per update would cost more than the events).
      const wakeAt = Atomics.load(cells, 2);
      if (wakeAt > 0 && m >= wakeAt) {
        Atomics.store(cells, 2, 0);
        Atomics.notify(cells, 0);
      }
      if (m >= d.warm && tWarm === 0) tWarm = nowUs();
      if (m >= d.expect && tEnd === 0) tEnd = nowUs();
    }
  };
  const loops: Promise<void>[] = [];
  for (let k = 0; k < d.count; k++) {
    const bus: Bus =
      d.transport === "unix"
        ? new UnixBusClient({ socketPath: d.target, log: silentLog, clientName: `bench-sub-${k}` })
        : new NatsBus({ servers: d.target, log: silentLog });
    buses.push(bus);
    await bus.connect();
    const sub: Subscription = bus.subscribe("decky.>", { queueSize: 1 << 20 });
    loops.push(
      (async () => {
        let synced = false;
        for await (const ev of sub) {
          if (ev.type === "sync") {
            if (!synced) {
              synced = true;
              Atomics.add(cells, 1, 1);
            }
            continue;
          }
          elu0 ??= performance.eventLoopUtilization();
          if (lat !== undefined) lat[nLat++] = (nowUs() - (ev.payload.t as number)) / 1000;
          const c = ++counts[k];
          if ((c & 63) === 0 || c >= d.expect) updateMin();
          if (c >= d.expect) break;
        }
        dropped += sub.dropped;
      })(),
    );
  }
  // "finish" (from the watchdog) ends the subscriptions early.
  parentPort?.once("message", () => {
    for (const b of buses) void b.close();
  });
  await Promise.all(loops);
  updateMin();
  for (const b of buses) await b.close();
  const received = Math.min(...counts);
  const busyMs = elu0 === undefined ? 0 : performance.eventLoopUtilization(elu0).active;
  parentPort?.postMessage({
    tWarm,
    tEnd,
    dropped,
    received,
    busyMs,
    latencies: lat?.subarray(0, nLat),
  } satisfies SubsResult);
}

async function serverRole(d: ServerData): Promise<void> {
  const server = new UnixBusServer({ socketPath: d.socketPath, log: silentLog, healthIntervalMs: 0 });
  await server.start();
  parentPort?.postMessage("ready");
  parentPort?.on("message", async (m: unknown) => {
    if (m === "elu") {
      parentPort?.postMessage(performance.eventLoopUtilization().active);
      return;
    }
    const counters = server.counters.toJSON();
    await server.close();
    parentPort?.postMessage(counters);
  });
}

// ─── main-thread helpers ───────────────────────────────────────────────────

const here = fileURLToPath(import.meta.url);

/** Starts this module in a worker; under tsx the loader is registered inside the worker first. */
function startWorker(data: object): Worker {
  if (here.endsWith(".ts")) {
    const api = import.meta.resolve("tsx/esm/api");
    const boot = `import(${JSON.stringify(api)}).then((a) => { a.register(); return import(${JSON.stringify(import.meta.url)}); })`;
    return new Worker(boot, { eval: true, workerData: data });
  }
  return new Worker(here, { workerData: data });
}

function message<T>(w: Worker): Promise<T> {
  return new Promise((res, rej) => {
    const onError = (err: Error) => rej(err);
    w.once("error", onError);
    w.once("message", (m: T) => {
      w.off("error", onError);
      res(m);
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Atomics.waitAsync (Node ≥ 16; not in the ES2023 lib typings). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      i: number,
      v: number,
      t: number,
    ): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

interface RunResult {
  events: number;
  seconds: number;
  eventsPerSec: number;
  deliveriesPerSec: number;
  dropped: number;
  /** Busy (event-loop active) µs per event: publisher thread, server thread, subscriber thread. */
  cpuUs?: { pub: number; server?: number; subs: number };
  p50?: number;
  p99?: number;
  max?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Publishes sync events until every subscriber has seen one. */
async function syncSubs(pub: Bus, cells: Int32Array, count: number): Promise<void> {
  for (let i = 0; Atomics.load(cells, 1) < count; i++) {
    if (i > 500) throw new Error("subscribers never became live");
    await pub.publish(TOPIC, { sync: true }, "sync");
    await sleep(20);
  }
}

/**
 * Windowed publishing of `n` events as fast as the subscribers take them: at most WINDOW events
 * in flight; once the window is full, wait until half of it is free (fewer, larger wake-ups).
 */
async function publishWindowed(pub: Bus, cells: Int32Array, n: number): Promise<void> {
  let sent = 0;
  while (sent < n) {
    const done = Atomics.load(cells, 0);
    if (sent - done > WINDOW - REFILL) {
      Atomics.store(cells, 2, sent - (WINDOW - REFILL));
      const w = waitAsync(cells, 0, done, 10_000);
      if (w.async) await w.value;
      Atomics.store(cells, 2, 0);
      if (Atomics.load(cells, 0) === done) return; // events were lost: the watchdog reports it
      if (sent - Atomics.load(cells, 0) > WINDOW - REFILL) continue;
    }
    const limit = Math.min(n, Atomics.load(cells, 0) + WINDOW);
    let last: Promise<void> | undefined;
    while (sent < limit) {
      last = pub.publish(TOPIC, payload(sent++, 0), "tls_session");
      if ((sent & 63) === 0) await last;
    }
    await last;
  }
}

/** Publishes `n` events at `rate`/s, in small bursts on a ~1 ms timer. */
async function publishPaced(pub: Bus, n: number, rate: number): Promise<void> {
  const start = performance.now();
  let sent = 0;
  while (sent < n) {
    const due = Math.min(n, Math.floor(((performance.now() - start) / 1000) * rate));
    let last: Promise<void> | undefined;
    while (sent < due) last = pub.publish(TOPIC, payload(sent++, nowUs()), "tls_session");
    await last;
    await sleep(1);
  }
}

async function socketRun(
  transport: "unix" | "nats",
  target: string,
  subs: number,
  mode: "throughput" | "latency",
  n: number,
  warm: number,
  server?: Worker,
): Promise<RunResult> {
  const shared = new SharedArrayBuffer(12);
  const cells = new Int32Array(shared);
  const w = startWorker({
    [ROLE_KEY]: "subs",
    transport,
    target,
    count: subs,
    expect: n,
    warm,
    latency: mode === "latency",
    shared,
  } satisfies SubsData);
  const done = message<SubsResult>(w);
  const pub: Bus =
    transport === "unix"
      ? new UnixBusClient({ socketPath: target, log: silentLog, clientName: "bench-pub" })
      : new NatsBus({ servers: target, log: silentLog });
  let stalled = false;
  try {
    await pub.connect();
    await syncSubs(pub, cells, subs);
    const serverBusy0 = server === undefined ? 0 : await serverBusyMs(server);
    const elu0 = performance.eventLoopUtilization();
    const t0 = nowUs();
    if (mode === "throughput") await publishWindowed(pub, cells, n);
    else await publishPaced(pub, n, RATE);
    const pubBusyMs = performance.eventLoopUtilization(elu0).active;
    // Events lost on the way would leave the subscribers short forever: a watchdog ends the run
    // when they stop making progress.
    let last = -1;
    let r: SubsResult | undefined;
    while (r === undefined) {
      r = await Promise.race([done, sleep(5000).then(() => undefined)]);
      if (r === undefined) {
        const now = Atomics.load(cells, 0);
        if (now === last) {
          stalled = true;
          w.postMessage("finish");
          r = await done;
        }
        last = now;
      }
    }
    const measured = mode === "throughput" ? n - warm : n;
    const seconds = (r.tEnd - (mode === "throughput" ? r.tWarm : t0)) / 1e6;
    const out: RunResult = {
      events: measured,
      seconds,
      eventsPerSec: stalled ? Number.NaN : measured / seconds,
      deliveriesPerSec: stalled ? Number.NaN : (measured * subs) / seconds,
      dropped: r.dropped + (stalled ? n - r.received : 0),
      cpuUs: {
        pub: (pubBusyMs * 1000) / n,
        server: server === undefined ? undefined : (((await serverBusyMs(server)) - serverBusy0) * 1000) / n,
        subs: (r.busyMs * 1000) / n,
      },
    };
    if (r.latencies !== undefined) {
      const sorted = Float64Array.from(r.latencies).sort();
      out.p50 = percentile(sorted, 50);
      out.p99 = percentile(sorted, 99);
      out.max = sorted[sorted.length - 1];
    }
    return out;
  } finally {
    await pub.close();
    await w.terminate();
  }
}

/** The server worker's total event-loop busy time, in ms. */
async function serverBusyMs(server: Worker): Promise<number> {
  server.postMessage("elu");
  return message<number>(server);
}

/** Best of RUNS throughput runs (by events/s); drops add up over all runs. */
async function bestOf(run: () => Promise<RunResult>): Promise<RunResult> {
  let best: RunResult | undefined;
  let dropped = 0;
  for (let k = 0; k < RUNS; k++) {
    const r = await run();
    dropped += r.dropped;
    if (best === undefined || !(r.eventsPerSec <= best.eventsPerSec)) best = r;
  }
  return { ...(best as RunResult), dropped };
}

async function inprocRun(mode: "throughput" | "latency", n: number, warm: number): Promise<RunResult> {
  const broker = new InProcBroker();
  const pub = new InProcBus({ broker });
  const subBus = new InProcBus({ broker });
  const sub = subBus.subscribe("decky.>", { queueSize: 1 << 20 });
  const lat = new Float64Array(n);
  let got = 0;
  let tEnd = 0;
  const reading = (async () => {
    for await (const ev of sub) {
      if (mode === "latency") lat[got] = (nowUs() - (ev.payload.t as number)) / 1000;
      got++;
      if (got === n) {
        tEnd = nowUs();
        break;
      }
    }
  })();
  const t0 = nowUs();
  let tPubWarm = 0;
  if (mode === "throughput") {
    for (let i = 0; i < n; i++) {
      if (i === warm) tPubWarm = nowUs();
      const p = pub.publish(TOPIC, payload(i, 0), "tls_session");
      if ((i & 63) === 63) await p;
    }
  } else await publishPaced(pub, n, RATE);
  await reading;
  await pub.close();
  await subBus.close();
  // Publisher and subscriber share the thread: from the publisher passing the warm-up to the
  // subscriber receiving the last event.
  const measured = mode === "throughput" ? n - warm : n;
  const seconds = (tEnd - (mode === "throughput" ? tPubWarm : t0)) / 1e6;
  const out: RunResult = {
    events: measured,
    seconds,
    eventsPerSec: measured / seconds,
    deliveriesPerSec: measured / seconds,
    dropped: sub.dropped,
  };
  if (mode === "latency") {
    const s = lat.sort();
    out.p50 = percentile(s, 50);
    out.p99 = percentile(s, 99);
    out.max = s[s.length - 1];
  }
  return out;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

async function startNats(port: number): Promise<() => Promise<void>> {
  const child = spawn(NATS_SERVER, ["-a", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  let log = "";
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`nats-server did not start: ${log}`)), 10_000);
    child.stderr?.on("data", (d: Buffer) => {
      log += d.toString();
      if (log.includes("Server is ready")) {
        clearTimeout(timer);
        res();
      }
    });
  });
  return async () => {
    process.off("exit", reap);
    if (child.exitCode !== null) return;
    await new Promise<void>((r) => {
      child.once("exit", () => r());
      child.kill("SIGKILL");
    });
  };
}

// ─── report ────────────────────────────────────────────────────────────────

const fmtInt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "—");
const fmtCpu = (c: RunResult["cpuUs"]) =>
  c === undefined
    ? "—"
    : `${c.pub.toFixed(1)} / ${c.server === undefined ? "—" : c.server.toFixed(1)} / ${c.subs.toFixed(1)}`;
const fmtMs = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(2));

interface Row {
  transport: string;
  subs: number;
  tput: RunResult;
  lat: RunResult;
}

function machine(): string {
  let model = cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) model = m[1].trim();
  } catch {
    // not Linux
  }
  const nproc = spawnSync("nproc").stdout?.toString().trim() || String(cpus().length);
  const nats = existsSync(NATS_SERVER)
    ? spawnSync(NATS_SERVER, ["--version"]).stdout?.toString().trim()
    : "absent";
  return `${model}, nproc ${nproc}, Node ${process.version}, ${nats}`;
}

/** Runs every scenario; returns the "## Bus" markdown section (and writes it to RESULTS.md). */
export async function runBusBench(opts: { write?: boolean } = {}): Promise<string> {
  const started = Date.now();
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  const rows: Row[] = [];
  const notes: string[] = [];

  // BUS_BENCH_ONLY=inproc,unix1,unix10,nats1,nats10 runs a subset (for profiling).
  const only = process.env.BUS_BENCH_ONLY?.split(",");
  const want = (k: string) => only === undefined || only.includes(k);
  if (want("inproc"))
    rows.push({
      transport: "in-process",
      subs: 1,
      tput: await bestOf(() => inprocRun("throughput", 300_000, 50_000)),
      lat: await inprocRun("latency", RATE * LATENCY_SECONDS, 0),
    });

  const dir = mkdtempSync(join(tmpdir(), "busbench"));
  const socketPath = join(dir, "bus.sock");
  const serverWorker = startWorker({ [ROLE_KEY]: "server", socketPath } satisfies ServerData);
  await message(serverWorker);
  try {
    for (const subs of [1, 10]) {
      if (!want(`unix${subs}`)) continue;
      const n = subs === 1 ? 300_000 : 60_000;
      rows.push({
        transport: "UNIX socket (our server)",
        subs,
        tput: await bestOf(() => socketRun("unix", socketPath, subs, "throughput", n, n / 5, serverWorker)),
        lat: await socketRun("unix", socketPath, subs, "latency", RATE * LATENCY_SECONDS, 0),
      });
    }
  } finally {
    serverWorker.postMessage("stop");
    const counters = await message<Record<string, number>>(serverWorker);
    await serverWorker.terminate();
    rmSync(dir, { recursive: true, force: true });
    notes.push(
      `UNIX server counters: ${fmtInt(counters.published ?? 0)} events in, ${fmtInt(counters.dropped_queue_full ?? 0)} dropped.`,
    );
  }

  if (!want("nats1") && !want("nats10")) {
    // not asked for
  } else if (existsSync(NATS_SERVER)) {
    const port = await freePort();
    const stop = await startNats(port);
    const url = `nats://127.0.0.1:${port}`;
    try {
      for (const subs of [1, 10]) {
        if (!want(`nats${subs}`)) continue;
        const n = subs === 1 ? 200_000 : 60_000;
        rows.push({
          transport: "NATS (nats-server, loopback)",
          subs,
          tput: await bestOf(() => socketRun("nats", url, subs, "throughput", n, n / 5)),
          lat: await socketRun("nats", url, subs, "latency", RATE * LATENCY_SECONDS, 0),
        });
      }
    } finally {
      await stop();
    }
  } else notes.push(`NATS skipped: ${NATS_SERVER} not found (Debian package nats-server).`);

  const unix1 = rows.find((r) => r.transport.startsWith("UNIX") && r.subs === 1);
  const section = [
    "## Bus",
    "",
    "Publish → receive through each transport (`npx tsx bench/bus-bench.ts`, or `npm run bench`). One publisher on the main thread; the UNIX server in its own worker thread, nats-server its own process, the subscribers in another worker thread (one connection each). Throughput: at most 1,000 events in flight (below the server's 1,024-event queue, so none may be dropped), measured at the subscribers after a 20 % warm-up, best of 3 runs (on a shared 2-core machine run-to-run variation of ±10 % is normal; see the load average). Latency: 10,000 events/s for 3 s, send time in the event, receive − send at every subscriber. Events are `tls_session` summaries, " +
      `${frameBytes()} bytes per PUB frame on the wire. ` +
      '"busy µs/event": event-loop active time of the publisher thread, the server thread and the subscriber thread during the best throughput run, divided by the events published (so the server\'s is its CPU cost per event; with 10 subscribers the subscriber thread does 10 deliveries per event).',
    "",
    `- Date: ${new Date(started).toISOString().replace(/\.\d+Z$/, "Z")}`,
    `- Machine: ${machine()}; load average at start ${load}`,
    "",
    "| transport | subscribers | events/s | deliveries/s | dropped | p50 ms @10k/s | p99 ms @10k/s | max ms | busy µs/event: pub / server / subs |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows.map(
      (r) =>
        `| ${r.transport} | ${r.subs} | ${fmtInt(r.tput.eventsPerSec)} | ${fmtInt(r.tput.deliveriesPerSec)} | ${r.tput.dropped + r.lat.dropped} | ${fmtMs(r.lat.p50)} | ${fmtMs(r.lat.p99)} | ${fmtMs(r.lat.max)} | ${fmtCpu(r.tput.cpuUs)} |`,
    ),
    "",
    "| target | goal | measured | status |",
    "| --- | --- | ---: | --- |",
    `| UNIX socket, 1 subscriber, throughput | ≥ 200,000 events/s | ${fmtInt(unix1?.tput.eventsPerSec ?? Number.NaN)} | ${(unix1?.tput.eventsPerSec ?? 0) >= 200_000 ? "met" : "**not met**"} |`,
    `| UNIX socket, 1 subscriber, p99 at 10,000 events/s | < 5 ms | ${fmtMs(unix1?.lat.p99)} ms | ${(unix1?.lat.p99 ?? Number.POSITIVE_INFINITY) < 5 ? "met" : "**not met**"} |`,
    "",
    ...notes.map((n) => `- ${n}`),
    `- Benchmark wall time: ${Math.round((Date.now() - started) / 1000)} s.`,
    "",
  ].join("\n");

  if (opts.write !== false && only === undefined) writeSection(section);
  return section;
}

/** Replaces (or appends) the "## Bus" section of bench/RESULTS.md, leaving the others alone. */
function writeSection(section: string): void {
  const path = resolve(
    dirname(here),
    here.includes(`${join("dist", "bench")}`) ? "../../bench" : ".",
    "RESULTS.md",
  );
  const doc = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmark results\n";
  const start = doc.search(/^## Bus\s*$/m);
  let out: string;
  if (start === -1) out = `${doc.trimEnd()}\n\n${section}`;
  else {
    const rest = doc.slice(start + 1);
    const next = rest.search(/^## /m);
    const end = next === -1 ? doc.length : start + 1 + next;
    out = `${doc.slice(0, start)}${section}${end < doc.length ? `\n${doc.slice(end)}` : ""}`;
  }
  writeFileSync(path, out.endsWith("\n") ? out : `${out}\n`);
}

// ─── entry ─────────────────────────────────────────────────────────────────

const role = !isMainThread ? (workerData as Record<string, unknown> | null)?.[ROLE_KEY] : undefined;
if (role === "subs") await subsRole(workerData as SubsData);
else if (role === "server") await serverRole(workerData as ServerData);
else if (
  isMainThread &&
  process.argv[1] !== undefined &&
  pathToFileURL(resolve(process.argv[1])).href === import.meta.url
) {
  const section = await runBusBench();
  process.stdout.write(`${section}\n`);
}
