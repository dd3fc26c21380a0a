import type { NatsConnection, Subscription as NatsSubscription } from "nats";
import { backoffMs, jittered } from "../backoff.js";
import {
  type Bus,
  BusClosedError,
  checkPattern,
  checkPublish,
  DEFAULT_SUBSCRIPTION_QUEUE,
  errText,
  QueueSubscription,
  type SubscribeOptions,
  type Subscription,
  wireJson,
} from "../bus.js";
import { BusCounters } from "../bus-counters.js";
import { envelopeFromBytes, type JsonObject, makeEnvelope } from "../envelope.js";
import { type BusLog, stderrLog, WarnLimiter } from "../log.js";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

export interface NatsBusOptions {
  /** One URL, a comma-separated list, or an array (default nats://127.0.0.1:4222). */
  servers?: string | string[];
  user?: string;
  pass?: string;
  token?: string;
  /** Connection name shown by the server (default `decnet-sensor[<pid>]`). */
  name?: string;
  queueSize?: number;
  reconnect?: {
    /** First retry delay (default 100 ms); the delay grows with the outage, to `maxMs`. */
    initialMs?: number;
    /** Longest delay between attempts (default 5 s). */
    maxMs?: number;
  };
  /** Bytes of publishes buffered while disconnected (default 8 MiB); more are dropped. */
  maxPendingBytes?: number;
  /** First-connection timeout (default 5 s). */
  timeoutMs?: number;
  log?: BusLog;
}

/**
 * NATS transport: subjects are the topics unchanged, the message data is the envelope JSON, and
 * the receiver takes the topic from the subject. Reconnects forever with a delay that grows with
 * the outage; the nats client re-subscribes on reconnect, so subscriptions survive a server
 * restart. Publishes made while disconnected are buffered by the client up to `maxPendingBytes`
 * and dropped (counted) beyond.
 */
export class NatsBus implements Bus {
  readonly kind = "nats" as const;
  readonly counters = new BusCounters();
  readonly servers: string[];
  private readonly opts: NatsBusOptions;
  private readonly log: BusLog;
  private readonly warnLimiter: WarnLimiter;
  private readonly queueSize: number;
  private readonly maxPendingBytes: number;
  private nc: NatsConnection | undefined;
  private connecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private up = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private downSinceMs = 0;
  private bytesWhileDown = 0;
  /** Open subscriptions and their NATS handles (bounded by the caller's own code). */
  private readonly subs = new Map<QueueSubscription, NatsSubscription | undefined>();

  constructor(opts: NatsBusOptions = {}) {
    this.opts = opts;
    this.servers = splitServers(opts.servers ?? DEFAULT_NATS_URL);
    this.log = opts.log ?? stderrLog;
    this.warnLimiter = new WarnLimiter(this.log);
    this.queueSize = opts.queueSize ?? DEFAULT_SUBSCRIPTION_QUEUE;
    this.maxPendingBytes = opts.maxPendingBytes ?? 8 * 1024 * 1024;
  }

  get connected(): boolean {
    return this.up;
  }

  /** Connects; rejects with a clear error when the server cannot be reached or refuses us. */
  connect(): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(new BusClosedError("connect"));
    if (this.nc !== undefined) return Promise.resolve();
    this.connecting ??= this.dial().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async dial(): Promise<void> {
    const initialMs = this.opts.reconnect?.initialMs ?? 100;
    const maxMs = this.opts.reconnect?.maxMs ?? 5000;
    let nc: NatsConnection;
    try {
      // Loaded on first use: the client library costs ~50 ms of start-up that every other
      // command (`read`, the UNIX bus) should not pay.
      const { connect: natsConnect } = await import("nats");
      nc = await natsConnect({
        servers: this.servers,
        user: this.opts.user,
        pass: this.opts.pass,
        token: this.opts.token,
        name: this.opts.name ?? `decnet-sensor[${process.pid}]`,
        reconnect: true,
        maxReconnectAttempts: -1,
        timeout: this.opts.timeoutMs ?? 5000,
        // Delay = half the outage so far, within [initialMs, maxMs], plus jitter: roughly
        // exponential (×1.5 per attempt) without counting attempts.
        reconnectDelayHandler: () => {
          const outage = this.downSinceMs > 0 ? Date.now() - this.downSinceMs : 0;
          return jittered(Math.min(maxMs, Math.max(initialMs, outage / 2)));
        },
      });
    } catch (err) {
      throw new Error(`cannot connect to NATS at ${this.servers.join(",")}: ${errText(err)}`);
    }
    if (this.closing !== undefined) {
      await nc.close().catch(() => undefined);
      throw new BusClosedError("connect");
    }
    this.nc = nc;
    this.up = true;
    this.counters.inc("connects");
    void this.watchStatus(nc);
    for (const sub of this.subs.keys()) this.subs.set(sub, this.natsSubscribe(nc, sub));
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    try {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") {
          this.up = false;
          this.downSinceMs = Date.now();
          this.bytesWhileDown = 0;
          this.counters.inc("disconnects");
          this.warnLimiter.warn("disconnect", `lost NATS server ${String(s.data)}; reconnecting`);
        } else if (s.type === "reconnect") {
          this.up = true;
          this.downSinceMs = 0;
          this.bytesWhileDown = 0;
          this.counters.inc("reconnects");
          this.log.info(`reconnected to NATS ${String(s.data)}`);
        } else if (s.type === "error") {
          this.warnLimiter.warn("nats_error", `NATS error: ${String(s.data)}`);
        }
      }
    } catch {
      // the status iterator ends with the connection
    }
  }

  private natsSubscribe(nc: NatsConnection, sub: QueueSubscription): NatsSubscription {
    return nc.subscribe(sub.pattern, {
      callback: (err, msg) => {
        if (err !== null) {
          this.warnLimiter.warn("sub_error", `subscription ${sub.pattern}: ${err.message}`);
          return;
        }
        const ev = envelopeFromBytes(msg.subject, msg.data);
        if (ev === undefined) {
          this.counters.inc("malformed_event");
          return;
        }
        this.counters.received++;
        if (!sub.deliver(ev)) this.counters.inc("dropped_queue_full");
      },
    });
  }

  async publish(topic: string, payload: JsonObject, type = ""): Promise<void> {
    if (this.closing !== undefined) throw new BusClosedError();
    checkPublish(topic, payload, type);
    const data = Buffer.from(wireJson(makeEnvelope(topic, payload, type)), "utf8");
    if (this.nc === undefined) {
      try {
        await this.connect();
      } catch (err) {
        if (err instanceof BusClosedError) throw err;
        this.counters.inc("publish_failed");
        this.warnLimiter.warn("publish_connect", `publish on ${topic} lost: ${errText(err)}`);
        return;
      }
    }
    if (!this.up) {
      if (this.bytesWhileDown + data.length > this.maxPendingBytes) {
        this.counters.inc("publish_dropped");
        this.warnLimiter.warn(
          "publish_dropped",
          "NATS is unreachable and the buffer is full; dropping events",
        );
        return;
      }
      this.bytesWhileDown += data.length;
    }
    try {
      (this.nc as NatsConnection).publish(topic, data);
      this.counters.published++;
    } catch (err) {
      if (this.closing !== undefined) throw new BusClosedError();
      this.counters.inc("publish_failed");
      this.warnLimiter.warn("publish_failed", `NATS publish on ${topic} failed: ${errText(err)}`);
    }
  }

  subscribe(pattern: string, opts: SubscribeOptions = {}): Subscription {
    if (this.closing !== undefined) throw new BusClosedError("subscribe");
    checkPattern(pattern);
    const sub = new QueueSubscription(pattern, opts.queueSize ?? this.queueSize, (s) => {
      const ns = this.subs.get(s);
      this.subs.delete(s);
      try {
        ns?.unsubscribe();
      } catch {
        // connection already closed
      }
    });
    this.subs.set(sub, this.nc === undefined ? undefined : this.natsSubscribe(this.nc, sub));
    if (this.nc === undefined) this.connectInBackground();
    return sub;
  }

  /** Subscribing connects in the background, retrying with backoff until it works or closes. */
  private connectInBackground(attempt = 0): void {
    if (this.connecting !== undefined || this.nc !== undefined || this.closing !== undefined) return;
    this.connect().catch((err: unknown) => {
      if (this.closing !== undefined) return;
      this.warnLimiter.warn("sub_connect", `${errText(err)}; retrying`);
      const initialMs = this.opts.reconnect?.initialMs ?? 100;
      const maxMs = this.opts.reconnect?.maxMs ?? 5000;
      const delay = backoffMs(attempt, initialMs, maxMs);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.connectInBackground(attempt + 1);
      }, delay);
    });
  }

  /** Waits until the server has seen everything published so far (for CLIs and tests). */
  async flush(): Promise<void> {
    if (this.nc !== undefined && this.up) await this.nc.flush();
  }

  /** Flushes (≤ 2 s when connected), closes the connection, ends subscriptions. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    try {
      await this.connecting;
    } catch {
      // never connected
    }
    for (const sub of this.subs.keys()) sub.finish();
    this.subs.clear();
    const nc = this.nc;
    if (nc === undefined) return;
    if (this.up) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        nc.flush().catch(() => undefined),
        new Promise<void>((r) => {
          timer = setTimeout(r, 2000);
        }),
      ]);
      clearTimeout(timer);
    }
    await nc.close().catch(() => undefined);
    this.up = false;
  }
}

/** "a,b" or ["a", "b"] → ["a", "b"], trimmed, empties dropped. */
export function splitServers(s: string | string[]): string[] {
  const list = (Array.isArray(s) ? s : s.split(",")).map((x) => x.trim()).filter((x) => x !== "");
  if (list.length === 0) throw new Error("no NATS server given");
  return list;
}
