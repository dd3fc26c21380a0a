import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bus, Subscription } from "../../../src/bus/bus.js";
import type { BusEvent } from "../../../src/bus/envelope.js";

/** A fresh temp dir (short path: UNIX socket paths are limited to 107 bytes). */
export function tempDir(prefix = "busT"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `cond` until true; fails after `timeoutMs` (a hang guard for event-driven waits, not a
 * timing assertion).
 */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Next event of a subscription, or an error after `timeoutMs` (hang guard). */
export async function nextEvent(sub: Subscription, timeoutMs = 15_000): Promise<BusEvent> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    sub.next(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no event on ${sub.pattern} within ${timeoutMs} ms`)),
        timeoutMs,
      );
    }),
  ]);
  clearTimeout(timer);
  if (r.done) throw new Error(`subscription ${sub.pattern} ended`);
  return r.value;
}

/**
 * Waits until `sub` (on another bus than `pub`) is live end to end: publishes `sync` events on
 * `topic` until one arrives, then a fence, and reads up to the fence so no sync is left queued.
 * Subscriptions on brokers are registered asynchronously; this replaces guessing with a round trip.
 */
export async function syncSubscription(pub: Bus, sub: Subscription, topic: string): Promise<void> {
  const end = Date.now() + 15_000;
  let pending: Promise<IteratorResult<BusEvent>> | undefined;
  for (;;) {
    await pub.publish(topic, { sync: true }, "sync");
    pending ??= sub.next();
    const r = await Promise.race([pending, sleep(50).then(() => undefined)]);
    if (r !== undefined) {
      pending = undefined;
      if (r.done) throw new Error("subscription ended while syncing");
      if (r.value.payload.sync === true) break;
    }
    if (Date.now() > end) throw new Error("subscription never became live");
  }
  const fence = `fence-${Math.random()}`;
  await pub.publish(topic, { fence }, "sync");
  for (;;) {
    const ev = await nextEvent(sub);
    if (ev.payload.fence === fence) return;
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export const NATS_SERVER = "/usr/sbin/nats-server";

/** Skip option for node:test when nats-server is not installed. */
export function skipWithoutNats(): string | false {
  if (existsSync(NATS_SERVER)) return false;
  if (!noticed) {
    noticed = true;
    process.stderr.write(
      `NOTICE: ${NATS_SERVER} not found (Debian package nats-server); NATS tests are skipped\n`,
    );
  }
  return "nats-server not installed";
}
let noticed = false;

/** A nats-server on 127.0.0.1:port that the test owns; restartable on the same port. */
export class NatsServerProcess {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private readonly extraArgs: string[] = [],
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(NATS_SERVER, ["-a", "127.0.0.1", "-p", String(this.port), ...this.extraArgs], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child = child;
    // Never leave a nats-server behind, even if the test process dies.
    const reap = () => child.kill("SIGKILL");
    process.once("exit", reap);
    child.once("exit", () => process.off("exit", reap));
    let log = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server did not start: ${log}`)), 10_000);
      child.stderr?.on("data", (d: Buffer) => {
        log += d.toString();
        if (log.includes("Server is ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited (${code}): ${log}`));
      });
    });
    child.removeAllListeners("exit");
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }
}
