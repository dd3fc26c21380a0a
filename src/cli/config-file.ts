import { readFileSync } from "node:fs";
import { isJsonObject } from "../bus/envelope.js";
import type { BusFileConfig } from "../bus/select.js";

/**
 * The sensor's config file (DESIGN §4: flags win over environment, environment over the
 * file). JSON; the parts known so far:
 *
 *   { "bus": { "enabled": true, "type": "unix" | "nats" | "inproc", "socket": "/run/decnet/bus.sock",
 *              "nats": { "url": "nats://host:4222", "user": "...", "pass": "...", "token": "..." } } }
 *
 * Unknown keys are refused, so a typo is reported instead of silently ignored.
 */
export interface SensorConfig {
  bus?: BusFileConfig;
}

export class ConfigFileError extends Error {}

function fail(path: string, what: string): never {
  throw new ConfigFileError(`${path}: ${what}`);
}

function optString(path: string, where: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v === "") fail(path, `${where} must be a non-empty string`);
  return v;
}

function onlyKeys(path: string, where: string, o: Record<string, unknown>, keys: string[]): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) fail(path, `unknown key ${where}${k} (known: ${keys.join(", ")})`);
  }
}

export function loadConfigFile(path: string): SensorConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    fail(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail(path, `not valid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(doc)) fail(path, "must hold a JSON object");
  onlyKeys(path, "", doc, ["bus"]);
  const out: SensorConfig = {};
  if (doc.bus !== undefined) {
    const b = doc.bus;
    if (!isJsonObject(b)) fail(path, "bus must be an object");
    onlyKeys(path, "bus.", b, ["enabled", "type", "socket", "nats"]);
    const bus: BusFileConfig = {};
    if (b.enabled !== undefined) {
      if (typeof b.enabled !== "boolean") fail(path, "bus.enabled must be true or false");
      bus.enabled = b.enabled;
    }
    bus.type = optString(path, "bus.type", b.type);
    bus.socket = optString(path, "bus.socket", b.socket);
    if (b.nats !== undefined) {
      const n = b.nats;
      if (!isJsonObject(n)) fail(path, "bus.nats must be an object");
      onlyKeys(path, "bus.nats.", n, ["url", "user", "pass", "token"]);
      bus.nats = {
        url: optString(path, "bus.nats.url", n.url),
        user: optString(path, "bus.nats.user", n.user),
        pass: optString(path, "bus.nats.pass", n.pass),
        token: optString(path, "bus.nats.token", n.token),
      };
    }
    out.bus = bus;
  }
  return out;
}
