import { type Bus, publishSafely } from "./bus.js";
import type { JsonObject } from "./envelope.js";
import { systemHealth, WORKER_HEALTH_TYPE } from "./topics.js";

/** DECNET's bus heartbeat period. */
export const BUS_HEALTH_INTERVAL_MS = 10_000;

export interface Heartbeat {
  stop(): void;
}

/**
 * Calls `tick` now and then every `intervalMs` until stopped. The timer does not keep the process
 * alive, and a throwing tick never stops the heartbeat.
 */
export function startHeartbeat(intervalMs: number, tick: () => void): Heartbeat {
  const safeTick = () => {
    try {
      tick();
    } catch {
      // A heartbeat must never take its owner down; the tick logs its own failures.
    }
  };
  safeTick();
  const timer = setInterval(safeTick, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** The `system.bus.health` payload (DECNET's field names): pid, uptime in seconds, timestamp. */
export function busHealthPayload(startedAtMs: number, nowMs = Date.now()): JsonObject {
  return { pid: process.pid, uptime_sec: Math.round(nowMs - startedAtMs) / 1000, ts: nowMs / 1000 };
}

/**
 * Publishes `system.<worker>.health` (type "health", payload `{worker, ts, ...extra()}`) every
 * `intervalMs` through publishSafely.
 */
export function startWorkerHealth(
  bus: Bus,
  worker: string,
  intervalMs = 30_000,
  extra?: () => JsonObject,
): Heartbeat {
  const topic = systemHealth(worker);
  return startHeartbeat(intervalMs, () => {
    let more: JsonObject = {};
    try {
      more = extra?.() ?? {};
    } catch {
      more = {};
    }
    void publishSafely(bus, topic, { worker, ts: Date.now() / 1000, ...more }, WORKER_HEALTH_TYPE);
  });
}
