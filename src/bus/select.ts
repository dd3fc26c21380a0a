import { accessSync, constants, lstatSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Bus } from "./bus.js";
import type { BusLog } from "./log.js";
import { type InProcBroker, InProcBus } from "./transports/inproc.js";
import { DEFAULT_NATS_URL, NatsBus, splitServers } from "./transports/nats.js";
import { NullBus } from "./transports/null.js";
import { UnixBusClient } from "./transports/unix-client.js";

/**
 * Bus selection (DESIGN §5 "Bus selection", §4 precedence: flags > environment > config file).
 *
 * - Disabled (`DECNET_BUS_ENABLED=false`, or `enabled: false`) → the null bus.
 * - Type `unix` | `nats` | `inproc` (DECNET's `fake` is accepted as `inproc`).
 * - No type anywhere: `unix` when a `--socket` flag is given or a bus socket already exists at
 *   the default path (a DECNET host), `nats` when a `--nats-url` flag is given, else `inproc`.
 * - Socket path: `--socket`, else `DECNET_BUS_SOCKET`, else the config file, else
 *   `/run/decnet/bus.sock` when `/run/decnet` is a writable directory, else `~/.decnet/bus.sock`.
 * - NATS: `--nats-url` / `DECNET_NATS_URL` / config (default nats://127.0.0.1:4222), user and
 *   password or a token from `--nats-user`/`--nats-pass`/`--nats-token` or `DECNET_NATS_USER`,
 *   `DECNET_NATS_PASS`, `DECNET_NATS_TOKEN`.
 */

export type BusType = "inproc" | "unix" | "nats";

/** Command-line flags (highest precedence). */
export interface BusFlags {
  enabled?: boolean;
  type?: string;
  socket?: string;
  natsUrl?: string;
  natsUser?: string;
  natsPass?: string;
  natsToken?: string;
}

/** The `bus` part of a config file (lowest precedence). */
export interface BusFileConfig {
  enabled?: boolean;
  type?: string;
  socket?: string;
  nats?: { url?: string; user?: string; pass?: string; token?: string };
}

export type BusSettings =
  | { kind: "null"; reason: string }
  | { kind: "inproc"; reason: string }
  | { kind: "unix"; socketPath: string; reason: string }
  | { kind: "nats"; servers: string[]; user?: string; pass?: string; token?: string; reason: string };

/** Filesystem look-ups selection needs (replaceable in tests). */
export interface SelectProbe {
  isWritableDir(path: string): boolean;
  isSocket(path: string): boolean;
  homeDir(): string;
}

export const defaultProbe: SelectProbe = {
  isWritableDir(path) {
    try {
      if (!statSync(path).isDirectory()) return false;
      accessSync(path, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  isSocket(path) {
    try {
      return lstatSync(path).isSocket();
    } catch {
      return false;
    }
  },
  homeDir: () => homedir(),
};

export const RUNTIME_DIR = "/run/decnet";

export class BusConfigError extends Error {
  override name = "BusConfigError";
}

export interface SelectInput {
  flags?: BusFlags;
  env?: NodeJS.ProcessEnv;
  file?: BusFileConfig;
  probe?: SelectProbe;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}

/** Parses a boolean setting the way operators write them; throws on anything else. */
export function parseBool(name: string, v: string): boolean {
  const s = v.trim().toLowerCase();
  if (s === "false" || s === "0" || s === "no" || s === "off") return false;
  if (s === "true" || s === "1" || s === "yes" || s === "on" || s === "") return true;
  throw new BusConfigError(`${name} must be true or false, got ${JSON.stringify(v)}`);
}

/** Normalises a bus type name; throws a clear error for unknown ones. */
export function parseBusType(source: string, v: string): BusType {
  const s = v.trim().toLowerCase();
  if (s === "unix" || s === "nats" || s === "inproc") return s;
  if (s === "fake") return "inproc";
  throw new BusConfigError(`${source} must be unix, nats or inproc, got ${JSON.stringify(v)}`);
}

/** The socket path by DESIGN §5's rules, ignoring flags. */
export function defaultSocketPath(
  env: NodeJS.ProcessEnv = process.env,
  file: BusFileConfig = {},
  probe: SelectProbe = defaultProbe,
): string {
  const fromEnv = nonEmpty(env.DECNET_BUS_SOCKET);
  if (fromEnv !== undefined) return fromEnv;
  const fromFile = nonEmpty(file.socket);
  if (fromFile !== undefined) return fromFile;
  if (probe.isWritableDir(RUNTIME_DIR)) return join(RUNTIME_DIR, "bus.sock");
  return join(probe.homeDir(), ".decnet", "bus.sock");
}

/** Resolves which bus to use and how to reach it. Pure apart from `probe`; throws BusConfigError. */
export function resolveBusSettings(input: SelectInput = {}): BusSettings {
  const flags = input.flags ?? {};
  const env = input.env ?? process.env;
  const file = input.file ?? {};
  const probe = input.probe ?? defaultProbe;

  let enabled = true;
  let enabledFrom = "default";
  if (flags.enabled !== undefined) {
    enabled = flags.enabled;
    enabledFrom = "flag";
  } else if (env.DECNET_BUS_ENABLED !== undefined) {
    enabled = parseBool("DECNET_BUS_ENABLED", env.DECNET_BUS_ENABLED);
    enabledFrom = "DECNET_BUS_ENABLED";
  } else if (file.enabled !== undefined) {
    enabled = file.enabled;
    enabledFrom = "config file";
  }
  if (!enabled) return { kind: "null", reason: `bus disabled (${enabledFrom})` };

  let type: BusType | undefined;
  let reason = "";
  if (nonEmpty(flags.type) !== undefined) {
    type = parseBusType("--transport", flags.type as string);
    reason = "flag";
  } else if (nonEmpty(env.DECNET_BUS_TYPE) !== undefined) {
    type = parseBusType("DECNET_BUS_TYPE", env.DECNET_BUS_TYPE as string);
    reason = "DECNET_BUS_TYPE";
  } else if (nonEmpty(file.type) !== undefined) {
    type = parseBusType("config bus.type", file.type as string);
    reason = "config file";
  }

  const socketPath = nonEmpty(flags.socket) ?? defaultSocketPath(env, file, probe);
  if (type === undefined) {
    if (nonEmpty(flags.socket) !== undefined) {
      type = "unix";
      reason = "--socket given";
    } else if (nonEmpty(flags.natsUrl) !== undefined) {
      type = "nats";
      reason = "--nats-url given";
    } else if (probe.isSocket(socketPath)) {
      type = "unix";
      reason = `bus socket found at ${socketPath}`;
    } else {
      type = "inproc";
      reason = `no bus socket at ${socketPath}`;
    }
  }

  if (type === "inproc") return { kind: "inproc", reason };
  if (type === "unix") return { kind: "unix", socketPath, reason };

  const url =
    nonEmpty(flags.natsUrl) ?? nonEmpty(env.DECNET_NATS_URL) ?? nonEmpty(file.nats?.url) ?? DEFAULT_NATS_URL;
  const user = nonEmpty(flags.natsUser) ?? nonEmpty(env.DECNET_NATS_USER) ?? nonEmpty(file.nats?.user);
  const pass = nonEmpty(flags.natsPass) ?? nonEmpty(env.DECNET_NATS_PASS) ?? nonEmpty(file.nats?.pass);
  const token = nonEmpty(flags.natsToken) ?? nonEmpty(env.DECNET_NATS_TOKEN) ?? nonEmpty(file.nats?.token);
  if ((user === undefined) !== (pass === undefined)) {
    throw new BusConfigError(
      "NATS user and password go together (--nats-user/--nats-pass or DECNET_NATS_USER/_PASS)",
    );
  }
  if (token !== undefined && user !== undefined) {
    throw new BusConfigError("give either a NATS token or a NATS user and password, not both");
  }
  const servers = splitServers(url);
  for (const s of servers) {
    if (!/^((nats|tls|ws|wss):\/\/)?[^\s/]+(:\d+)?\/?$/.test(s)) {
      throw new BusConfigError(`not a NATS server URL: ${JSON.stringify(s)} (expected nats://host:port)`);
    }
  }
  return { kind: "nats", servers, user, pass, token, reason };
}

export interface CreateBusOptions {
  clientName?: string;
  queueSize?: number;
  log?: BusLog;
  /** In-process broker (defaults to the process-wide one). */
  broker?: InProcBroker;
  reconnect?: { initialMs?: number; maxMs?: number };
}

/** Instantiates the transport `settings` describe (not connected yet). */
export function createBus(settings: BusSettings, opts: CreateBusOptions = {}): Bus {
  switch (settings.kind) {
    case "null":
      return new NullBus();
    case "inproc":
      return new InProcBus({ broker: opts.broker, queueSize: opts.queueSize });
    case "unix":
      return new UnixBusClient({
        socketPath: settings.socketPath,
        clientName: opts.clientName,
        queueSize: opts.queueSize,
        reconnect: opts.reconnect,
        log: opts.log,
      });
    case "nats":
      return new NatsBus({
        servers: settings.servers,
        user: settings.user,
        pass: settings.pass,
        token: settings.token,
        name: opts.clientName,
        queueSize: opts.queueSize,
        reconnect: opts.reconnect,
        log: opts.log,
      });
  }
}

/** resolveBusSettings + createBus. */
export function selectBus(input: SelectInput = {}, opts: CreateBusOptions = {}): Bus {
  return createBus(resolveBusSettings(input), opts);
}
