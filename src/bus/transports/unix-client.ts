import net from "node:net";
import { utf8WriteAt } from "../../util/buffer-write.js";
import { backoffMs } from "../backoff.js";
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
import { type BusEvent, envelopeFromBytes, type JsonObject, makeEnvelope } from "../envelope.js";
import { encodeFrame, FrameDecoder, headerLength, type Verb, writeHeaderLine } from "../frame.js";
import { type BusLog, stderrLog, WarnLimiter } from "../log.js";
import { topicMatches } from "../match.js";
import { DropOldestRing } from "../ring.js";

export interface ReconnectPolicy {
  /** First retry delay (default 50 ms); doubles per failed attempt. */
  initialMs?: number;
  /** Longest delay between attempts (default 5 s). */
  maxMs?: number;
}

export interface UnixBusClientOptions {
  socketPath: string;
  /** Name sent in HELLO (default `decnet-sensor[<pid>]`). */
  clientName?: string;
  /** Default queue bound of subscriptions (1024). */
  queueSize?: number;
  reconnect?: ReconnectPolicy;
  /**
   * Bytes of encoded frames the client may hold for a socket that is not draining (default
   * 8 MiB); publishes beyond it are dropped and counted (`publish_dropped`).
   */
  maxPendingBytes?: number;
  /**
   * Frames kept while disconnected, sent after reconnecting (default 1024, drop-oldest);
   * they also count against `maxPendingBytes`.
   */
  offlineQueue?: number;
  log?: BusLog;
}

/** publish() waits for the socket to drain above this many queued bytes (backpressure). */
const AWAIT_DRAIN_BYTES = 1024 * 1024;
/** Write batch: frames are gathered into one write per event-loop turn or per this many bytes. */
const SLAB_BYTES = 64 * 1024;

type State = "idle" | "connecting" | "up" | "down" | "closed";

/**
 * Client of a DECNET bus server (ours or DECNET's). One socket; publishes are PUB frames batched
 * into one write per tick; each subscription pattern is one SUB, and EVT frames are dispatched to
 * every local subscription whose pattern matches. A publish is also delivered to this client's
 * own matching subscriptions (the server never echoes to the publisher's connection), so the
 * semantics match the in-process bus and NATS. After a connection loss it reconnects with
 * exponential backoff and jitter, re-sends HELLO and every SUB, then the frames published
 * meanwhile (bounded, drop-oldest).
 */
export class UnixBusClient implements Bus {
  readonly kind = "unix" as const;
  readonly counters = new BusCounters();
  readonly socketPath: string;
  private readonly clientName: string;
  private readonly queueSize: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly maxPendingBytes: number;
  private readonly log: BusLog;
  private readonly warnLimiter: WarnLimiter;

  private state: State = "idle";
  private socket: net.Socket | undefined;
  private connecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Open subscriptions (bounded by the caller's own code). */
  private readonly subs = new Set<QueueSubscription>();
  /** Pattern → number of open subscriptions using it (one SUB per distinct pattern). */
  private readonly patterns = new Map<string, number>();
  /** Frames published while disconnected. */
  private readonly offline: DropOldestRing<Buffer>;
  /** Bytes held in `offline` (bounded by maxPendingBytes, one frame at least). */
  private offlineBytes = 0;
  // Write batching.
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private used = 0;
  private flushQueued = false;
  private drainWait: Promise<void> | undefined;
  private drainRelease: (() => void) | undefined;

  constructor(opts: UnixBusClientOptions) {
    this.socketPath = opts.socketPath;
    this.clientName = sanitizeName(opts.clientName ?? `decnet-sensor[${process.pid}]`);
    this.queueSize = opts.queueSize ?? DEFAULT_SUBSCRIPTION_QUEUE;
    this.initialMs = opts.reconnect?.initialMs ?? 50;
    this.maxMs = opts.reconnect?.maxMs ?? 5000;
    this.maxPendingBytes = opts.maxPendingBytes ?? 8 * 1024 * 1024;
    this.offline = new DropOldestRing(opts.offlineQueue ?? 1024);
    this.log = opts.log ?? stderrLog;
    this.warnLimiter = new WarnLimiter(this.log);
  }

  /** True while a connection to the server is up. */
  get connected(): boolean {
    return this.state === "up";
  }

  /**
   * Connects now. Rejects with a clear error when no server answers (the client then stays
   * idle; call again to retry). Resolves at once when already connected; after a later loss the
   * client reconnects by itself.
   */
  connect(): Promise<void> {
    if (this.state === "closed") return Promise.reject(new BusClosedError("connect"));
    if (this.state === "up" || this.state === "down") return Promise.resolve();
    this.connecting ??= this.dial().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private dial(): Promise<void> {
    this.state = "connecting";
    return new Promise<void>((resolve, reject) => {
      const s = net.connect(this.socketPath);
      const onError = (err: NodeJS.ErrnoException) => {
        s.destroy();
        if (this.state === "connecting") this.state = "idle";
        reject(new Error(`no bus server at ${this.socketPath} (${err.code ?? errText(err)})`));
      };
      s.once("error", onError);
      s.once("connect", () => {
        s.off("error", onError);
        if (this.state === "closed") {
          s.destroy();
          reject(new BusClosedError("connect"));
          return;
        }
        this.attach(s);
        resolve();
      });
    });
  }

  /** Wires a fresh connection: HELLO, every SUB, then what was published while away. */
  private attach(s: net.Socket): void {
    this.socket = s;
    this.state = "up";
    this.attempt = 0;
    const decoder = new FrameDecoder((verb, arg, body) => this.onFrame(s, verb, arg, body));
    s.on("data", (chunk: Buffer) => {
      if (!decoder.push(chunk) && decoder.fault !== undefined) {
        this.counters.inc(`malformed_${decoder.fault}`);
        this.warnLimiter.warn("malformed", `malformed frame from server (${decoder.fault}); reconnecting`);
        s.destroy();
      }
    });
    s.on("drain", () => this.releaseDrain());
    s.on("error", (err: NodeJS.ErrnoException) =>
      this.log.debug(`socket error: ${err.code ?? errText(err)}`),
    );
    s.on("close", () => this.onSocketClose(s));
    const hello = encodeFrame("HELLO", this.clientName);
    const frames: Buffer[] = [hello];
    for (const p of this.patterns.keys()) frames.push(encodeFrame("SUB", p));
    // Frames batched before the socket existed go first (they were encoded earlier).
    if (this.used > 0) {
      frames.push(Buffer.from(this.slab.subarray(0, this.used)));
      this.used = 0;
    }
    for (let f = this.offline.shift(); f !== undefined; f = this.offline.shift()) frames.push(f);
    this.offlineBytes = 0;
    s.write(Buffer.concat(frames));
    this.counters.inc("connects");
  }

  private onSocketClose(s: net.Socket): void {
    if (this.socket !== s) return;
    this.socket = undefined;
    this.releaseDrain();
    if (this.state === "closed") return;
    this.state = "down";
    this.counters.inc("disconnects");
    this.warnLimiter.warn("disconnect", `lost the bus server at ${this.socketPath}; reconnecting`);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.state !== "down" || this.retryTimer !== undefined) return;
    const delay = backoffMs(this.attempt, this.initialMs, this.maxMs);
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.state !== "down") return;
      const s = net.connect(this.socketPath);
      s.once("error", () => {
        s.destroy();
        this.scheduleRetry();
      });
      s.once("connect", () => {
        s.removeAllListeners("error");
        if (this.state !== "down") {
          s.destroy();
          return;
        }
        this.attach(s);
        this.log.info(`reconnected to ${this.socketPath}`);
      });
    }, delay);
  }

  private onFrame(s: net.Socket, verb: Verb, arg: string, body: Buffer): boolean {
    if (verb === "EVT") {
      if (body.length === 0) {
        this.deliver(makeEnvelope(arg, {}, ""));
        return true;
      }
      const ev = envelopeFromBytes(arg, body);
      if (ev === undefined) this.counters.inc("malformed_event");
      else this.deliver(ev);
      return true;
    }
    if (verb === "BYE") {
      // The server is going away; the close that follows triggers the reconnect.
      s.end();
      return false;
    }
    this.counters.inc("unexpected_verb");
    return true;
  }

  private deliver(ev: BusEvent, fromServer = true): void {
    if (fromServer) this.counters.received++;
    for (const sub of this.subs) {
      if (topicMatches(sub.pattern, ev.topic) && !sub.deliver(ev)) this.counters.inc("dropped_queue_full");
    }
  }

  async publish(topic: string, payload: JsonObject, type = ""): Promise<void> {
    if (this.state === "closed") throw new BusClosedError();
    checkPublish(topic, payload, type);
    const ev = makeEnvelope(topic, payload, type);
    const json = wireJson(ev);
    if (this.subs.size > 0) this.deliver(ev, false);
    if (this.state === "idle" || this.state === "connecting") {
      try {
        await this.connect();
      } catch (err) {
        this.counters.inc("publish_failed");
        this.warnLimiter.warn("publish_connect", `publish on ${topic} lost: ${errText(err)}`);
        return;
      }
    }
    // close() may have run while connecting.
    if ((this.state as State) === "closed") throw new BusClosedError();
    if (this.state === "down") {
      this.keepOffline(encodeFrame("PUB", topic, json));
      this.counters.published++;
      return;
    }
    const s = this.socket as net.Socket;
    if (s.writableLength + this.used > this.maxPendingBytes) {
      this.counters.inc("publish_dropped");
      this.warnLimiter.warn("publish_dropped", "bus server is not reading; dropping new events");
      return;
    }
    this.append(topic, json);
    this.counters.published++;
    if (s.writableLength > AWAIT_DRAIN_BYTES) await this.waitDrain();
  }

  /** Queues a frame for after the reconnect, dropping the oldest past the count or byte bound. */
  private keepOffline(frame: Buffer): void {
    const q = this.offline;
    const old = q.push(frame);
    this.offlineBytes += frame.length;
    if (old !== undefined) {
      this.offlineBytes -= old.length;
      this.counters.inc("publish_dropped");
    }
    while (this.offlineBytes > this.maxPendingBytes && q.length > 1) {
      this.offlineBytes -= (q.shift() as Buffer).length;
      this.counters.inc("publish_dropped");
    }
  }

  /** Encodes `PUB <topic>\n` + length + body into the write batch. */
  private append(topic: string, json: string): void {
    const hl = headerLength("PUB", topic);
    const worst = hl + 4 + json.length * 3;
    if (worst > this.slab.length - this.used) {
      this.flush();
      if (worst > this.slab.length) {
        // Bigger than a batch: its own buffer, sent on its own.
        this.socket?.write(encodeFrame("PUB", topic, json));
        return;
      }
    }
    const b = this.slab;
    const o = this.used;
    writeHeaderLine(b, o, "PUB", topic);
    const n = utf8WriteAt(b, json, o + hl + 4);
    b.writeUInt32BE(n, o + hl);
    this.used = o + hl + 4 + n;
    if (!this.flushQueued) {
      // A macrotask, not a microtask: a publisher looping on `await publish()` stays inside the
      // microtask queue, so a microtask flush would mean one write per event.
      this.flushQueued = true;
      setImmediate(this.flushSoon);
    }
  }

  private readonly flushSoon = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  /** Sends the batch. Small batches are copied out so the slab is reused. */
  private flush(): void {
    if (this.used === 0) return;
    const s = this.socket;
    if (s === undefined) return; // kept; attach() sends it
    let out: Buffer;
    if (this.used <= SLAB_BYTES / 2) out = Buffer.from(this.slab.subarray(0, this.used));
    else {
      out = this.slab.subarray(0, this.used);
      this.slab = Buffer.allocUnsafe(SLAB_BYTES);
    }
    this.used = 0;
    s.write(out);
  }

  private waitDrain(): Promise<void> {
    this.drainWait ??= new Promise<void>((resolve) => {
      this.drainRelease = resolve;
    });
    return this.drainWait;
  }

  private releaseDrain(): void {
    const r = this.drainRelease;
    this.drainWait = undefined;
    this.drainRelease = undefined;
    r?.();
  }

  subscribe(pattern: string, opts: SubscribeOptions = {}): Subscription {
    if (this.state === "closed") throw new BusClosedError("subscribe");
    checkPattern(pattern);
    const sub = new QueueSubscription(pattern, opts.queueSize ?? this.queueSize, (s) => this.unsubscribe(s));
    this.subs.add(sub);
    const n = this.patterns.get(pattern) ?? 0;
    this.patterns.set(pattern, n + 1);
    if (n === 0 && this.state === "up") this.control("SUB", pattern);
    if (this.state === "idle") {
      // Subscribing connects in the background (the SUB goes out on attach); with no server
      // yet, keep retrying like after a loss.
      this.connect().catch((err: unknown) => {
        if (this.state !== "idle") return;
        this.warnLimiter.warn("sub_connect", `${errText(err)}; retrying`);
        this.state = "down";
        this.scheduleRetry();
      });
    }
    return sub;
  }

  private unsubscribe(sub: QueueSubscription): void {
    if (!this.subs.delete(sub)) return;
    const n = (this.patterns.get(sub.pattern) ?? 1) - 1;
    if (n > 0) {
      this.patterns.set(sub.pattern, n);
      return;
    }
    this.patterns.delete(sub.pattern);
    if (this.state === "up") this.control("UNSUB", sub.pattern);
  }

  /** SUB/UNSUB go through the batch so they stay ordered with publishes. */
  private control(verb: "SUB" | "UNSUB", pattern: string): void {
    this.flush();
    this.socket?.write(encodeFrame(verb, pattern));
  }

  /** Sends what is batched, says BYE, waits (≤ 1 s) for the socket to close. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    try {
      await this.connecting;
    } catch {
      // never connected
    }
    const s = this.socket;
    this.flush();
    this.state = "closed";
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const sub of this.subs) sub.finish();
    this.subs.clear();
    this.patterns.clear();
    this.offline.clear();
    this.offlineBytes = 0;
    if (s !== undefined && !s.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => s.destroy(), 1000);
        s.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
        s.end(encodeFrame("BYE"));
      });
    }
    this.socket = undefined;
    this.releaseDrain();
  }
}

/** HELLO args must be printable ASCII without edge spaces. */
function sanitizeName(name: string): string {
  const clean = name.replace(/[^\x21-\x7e]+/g, "_").slice(0, 256);
  return clean === "" ? "decnet-sensor" : clean;
}
