import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { Bus } from "../bus/bus.js";
import { envelopeToJson, isJsonObject, type JsonObject } from "../bus/envelope.js";
import { stderrLog } from "../bus/log.js";
import {
  BusConfigError,
  type BusFileConfig,
  type BusFlags,
  type BusSettings,
  createBus,
  defaultSocketPath,
  parseBool,
  parseBusType,
  resolveBusSettings,
} from "../bus/select.js";
import { isValidPattern, isValidTopic } from "../bus/topics.js";
import { UnixBusServer } from "../bus/transports/unix-server.js";
import { loadConfigFile } from "./config-file.js";

/**
 * `decnet-sensor bus serve|sub|pub`. The transport is chosen as everywhere else (DESIGN §5 "Bus
 * selection"): flags, then DECNET_BUS_* / DECNET_NATS_* environment. `--transport` picks it
 * explicitly; `--type` is an alias on `serve` and `sub`, while on `pub` `--type` is the event
 * type (as DECNET's publish has it).
 */

interface CommonOpts {
  config?: string;
  transport?: string;
  socket?: string;
  natsUrl?: string;
  natsUser?: string;
  natsPass?: string;
  natsToken?: string;
}

function addTransportOptions(cmd: Command, typeAlias: boolean): Command {
  cmd
    .option("--transport <kind>", "bus transport: unix, nats or inproc (default: DECNET_BUS_TYPE, else auto)")
    .option(
      "--socket <path>",
      "UNIX bus socket (default: DECNET_BUS_SOCKET, /run/decnet/bus.sock, ~/.decnet/bus.sock)",
    )
    .option(
      "--nats-url <url>",
      "NATS server URL(s), comma-separated (default: DECNET_NATS_URL or nats://127.0.0.1:4222)",
    )
    .option("--nats-user <user>", "NATS user (default: DECNET_NATS_USER)")
    .option("--nats-pass <password>", "NATS password (default: DECNET_NATS_PASS)")
    .option("--nats-token <token>", "NATS token (default: DECNET_NATS_TOKEN)")
    .option(
      "--config <file>",
      "JSON config file; its `bus` part has the lowest precedence (after flags, environment)",
    );
  if (typeAlias) cmd.addOption(new Option("--type <kind>", "same as --transport").hideHelp());
  return cmd;
}

function fileConfig(o: CommonOpts): BusFileConfig | undefined {
  return o.config === undefined ? undefined : loadConfigFile(o.config).bus;
}

function flagsOf(o: CommonOpts & { type?: string }, typeAlias: boolean): BusFlags {
  const transport = o.transport ?? (typeAlias ? o.type : undefined);
  if (o.transport !== undefined && typeAlias && o.type !== undefined && o.type !== o.transport) {
    throw new BusConfigError("--type and --transport disagree");
  }
  return {
    type: transport,
    socket: o.socket,
    natsUrl: o.natsUrl,
    natsUser: o.natsUser,
    natsPass: o.natsPass,
    natsToken: o.natsToken,
  };
}

function describe(s: BusSettings): string {
  switch (s.kind) {
    case "unix":
      return `UNIX socket ${s.socketPath}`;
    case "nats":
      return `NATS ${s.servers.join(",")}`;
    case "inproc":
      return "in-process bus";
    case "null":
      return "no bus";
  }
}

async function openBus(settings: BusSettings, clientName: string): Promise<Bus> {
  const bus = createBus(settings, { clientName, log: stderrLog });
  await bus.connect();
  return bus;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("expected a non-negative integer");
  return n;
}

/** Resolves when SIGINT or SIGTERM arrives (handlers removed afterwards). */
function untilSignal(): { promise: Promise<void>; dispose: () => void } {
  let dispose = () => {};
  const promise = new Promise<void>((resolve) => {
    const on = () => resolve();
    process.once("SIGINT", on);
    process.once("SIGTERM", on);
    dispose = () => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
    };
  });
  return { promise, dispose };
}

async function serve(o: CommonOpts & { type?: string; healthInterval?: number }): Promise<void> {
  const flags = flagsOf(o, true);
  if (flags.type !== undefined && parseBusType("--transport", flags.type) !== "unix") {
    const t = parseBusType("--transport", flags.type);
    throw new BusConfigError(
      t === "inproc"
        ? "`bus serve` with the in-process bus makes no sense: an in-process bus lives inside one process and has nothing to serve; use --transport unix (the default for serve)"
        : "`bus serve` runs DECNET's UNIX-socket server; for NATS run nats-server itself",
    );
  }
  const env = process.env;
  if (
    flags.type === undefined &&
    env.DECNET_BUS_ENABLED !== undefined &&
    !parseBool("DECNET_BUS_ENABLED", env.DECNET_BUS_ENABLED)
  ) {
    throw new BusConfigError("the bus is disabled (DECNET_BUS_ENABLED=false); nothing to serve");
  }
  if (
    flags.type === undefined &&
    env.DECNET_BUS_TYPE &&
    parseBusType("DECNET_BUS_TYPE", env.DECNET_BUS_TYPE) !== "unix"
  ) {
    throw new BusConfigError(
      `DECNET_BUS_TYPE=${env.DECNET_BUS_TYPE}: \`bus serve\` only serves the UNIX-socket bus (pass --transport unix to override)`,
    );
  }
  const path = flags.socket ?? defaultSocketPath(env, fileConfig(o) ?? {});
  // Like DECNET, create ~/.decnet for the per-user fallback but never /run/decnet (systemd's job).
  if (dirname(path) === join(homedir(), ".decnet"))
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  const server = new UnixBusServer({
    socketPath: path,
    healthIntervalMs: o.healthInterval,
    log: stderrLog,
  });
  const stop = untilSignal();
  await server.start();
  process.stderr.write(`bus: serving on ${path} (pid ${process.pid})\n`);
  await stop.promise;
  stop.dispose();
  await server.close();
  process.stderr.write("bus: stopped\n");
}

async function sub(pattern: string, o: CommonOpts & { type?: string; count?: number }): Promise<void> {
  if (!isValidPattern(pattern)) {
    throw new BusConfigError(
      `invalid pattern ${JSON.stringify(pattern)}: dot-separated tokens, '*' for one token, '>' (last) for the rest`,
    );
  }
  const settings = resolveBusSettings({ flags: flagsOf(o, true), file: fileConfig(o) });
  if (settings.kind === "null") throw new BusConfigError(`${settings.reason}; nothing to subscribe to`);
  if (settings.kind === "inproc") {
    process.stderr.write(
      `bus: using the in-process bus (${settings.reason}); only this process could publish here — pass --socket or --transport\n`,
    );
  }
  const bus = await openBus(settings, `decnet-sensor-sub[${process.pid}]`);
  const subscription = bus.subscribe(pattern, { queueSize: 65536 });
  const stop = untilSignal();
  void stop.promise.then(() => subscription.close());
  process.stderr.write(`bus: subscribed to ${pattern} on ${describe(settings)}\n`);
  let n = 0;
  try {
    for await (const ev of subscription) {
      const line = `${envelopeToJson(ev)}\n`;
      if (!process.stdout.write(line)) {
        await new Promise<void>((resolve) => process.stdout.once("drain", () => resolve()));
      }
      if (o.count !== undefined && ++n >= o.count) break;
    }
  } finally {
    stop.dispose();
    await subscription.close();
    await bus.close();
  }
  if (subscription.dropped > 0)
    process.stderr.write(`bus: ${subscription.dropped} events dropped (output too slow)\n`);
}

async function pub(topic: string, json: string, o: CommonOpts & { type?: string }): Promise<void> {
  if (!isValidTopic(topic)) {
    throw new BusConfigError(`invalid topic ${JSON.stringify(topic)}: dot-separated tokens, no wildcards`);
  }
  let payload: JsonObject;
  try {
    const v: unknown = JSON.parse(json);
    if (!isJsonObject(v)) throw new Error("not an object");
    payload = v;
  } catch {
    throw new BusConfigError(`the payload must be a JSON object, got ${JSON.stringify(json.slice(0, 80))}`);
  }
  const type = o.type ?? "";
  if (type === "unix" || type === "nats" || type === "inproc") {
    process.stderr.write(
      `bus: note: on \`bus pub\`, --type sets the event type; use --transport to pick the bus\n`,
    );
  }
  const settings = resolveBusSettings({ flags: flagsOf(o, false), file: fileConfig(o) });
  if (settings.kind === "null") throw new BusConfigError(`${settings.reason}; nothing published`);
  if (settings.kind === "inproc") {
    process.stderr.write(
      `bus: using the in-process bus (${settings.reason}); no other process will see this event\n`,
    );
  }
  const bus = await openBus(settings, `decnet-sensor-pub[${process.pid}]`);
  try {
    await bus.publish(topic, payload, type);
  } finally {
    await bus.close();
  }
  const failed = bus.counters.get("publish_failed") + bus.counters.get("publish_dropped");
  if (failed > 0) throw new Error(`the event could not be delivered to ${describe(settings)}`);
}

/** `decnet-sensor bus ...` */
export function registerBusCommand(program: Command): void {
  const bus = program
    .command("bus")
    .description(
      "service bus tools: serve DECNET's UNIX-socket bus, subscribe, publish (unix, nats or inproc)",
    );

  addTransportOptions(
    bus
      .command("serve")
      .description("run the UNIX-socket bus server (DECNET wire protocol) until SIGINT/SIGTERM"),
    true,
  )
    .option("--health-interval <ms>", "system.bus.health period in ms (0 = off)", nonNegativeInt, 10_000)
    .action(serve);

  addTransportOptions(
    bus
      .command("sub")
      .description("print each event matching PATTERN as one JSON line")
      .argument("<pattern>", "topic pattern (* one token, > the rest)"),
    true,
  )
    .option("--count <n>", "exit after N events", positiveInt)
    .action(sub);

  addTransportOptions(
    bus
      .command("pub")
      .description("publish one event")
      .argument("<topic>", "topic, e.g. decky.web01.traffic")
      .argument("<json>", "payload: a JSON object"),
    false,
  )
    .option("--type <type>", "event type (the envelope's type field)", "")
    .action(pub);
}
