import { MessageChannel, type MessagePort } from "node:worker_threads";
import { type Bus, publishSafely } from "./bus.js";
import { isJsonObject, type JsonObject } from "./envelope.js";
import type { BusLog } from "./log.js";

/**
 * The one crossing between capture/analysis worker threads and the main thread, which owns the
 * bus (DESIGN §2). A worker calls `ThreadPublisher.publish()` and never waits: events are batched
 * and posted over a dedicated MessagePort; the main thread's `ThreadBusBridge` publishes each one
 * with publishSafely. A shared counter bounds the events in flight between the threads: when the
 * main thread falls behind, the worker drops new events (counted) instead of growing the port's
 * queue without limit.
 */

/** What a worker needs; pass it in `workerData` and list `transferList` in the Worker options. */
export interface ThreadBusHandle {
  readonly kind: "decnet-bus-thread-publisher";
  readonly port: MessagePort;
  /** Int32 [0] = events posted and not yet handled by the main thread. */
  readonly inflight: SharedArrayBuffer;
  readonly maxInFlight: number;
}

/** Wire format: one batch of [topic, type, payload] triples. */
interface Batch {
  readonly b: [string, string, JsonObject][];
}

export const DEFAULT_MAX_IN_FLIGHT = 8192;
/** Events per posted batch (flushed earlier at the end of the current microtask). */
const BATCH = 256;

export function isThreadBusHandle(x: unknown): x is ThreadBusHandle {
  return (
    typeof x === "object" &&
    x !== null &&
    (x as ThreadBusHandle).kind === "decnet-bus-thread-publisher" &&
    (x as ThreadBusHandle).inflight instanceof SharedArrayBuffer
  );
}

/** Main-thread side: receives batches from one or more workers and publishes them on `bus`. */
export class ThreadBusBridge {
  /** Put in workerData; add `transferList` to the Worker options. */
  readonly handle: ThreadBusHandle;
  readonly transferList: MessagePort[];
  private readonly port: MessagePort;
  private readonly inflight: Int32Array;
  private closed = false;

  constructor(
    private readonly bus: Bus,
    opts: { maxInFlight?: number; log?: BusLog } = {},
  ) {
    const { port1, port2 } = new MessageChannel();
    const sab = new SharedArrayBuffer(4);
    this.inflight = new Int32Array(sab);
    this.port = port1;
    this.handle = {
      kind: "decnet-bus-thread-publisher",
      port: port2,
      inflight: sab,
      maxInFlight: opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
    };
    this.transferList = [port2];
    const log = opts.log;
    port1.on("message", (msg: unknown) => {
      const batch = (msg as Batch | undefined)?.b;
      if (!Array.isArray(batch)) {
        this.bus.counters.inc("thread_malformed");
        return;
      }
      if (this.closed) {
        Atomics.sub(this.inflight, 0, batch.length);
        return;
      }
      for (const item of batch) {
        if (
          !Array.isArray(item) ||
          typeof item[0] !== "string" ||
          typeof item[1] !== "string" ||
          !isJsonObject(item[2])
        ) {
          this.bus.counters.inc("thread_malformed");
          this.settled();
          continue;
        }
        // An event stays in flight until the bus took it (a connecting or back-pressured
        // transport holds the promise), so maxInFlight bounds the whole path.
        void publishSafely(this.bus, item[0], item[2], item[1], log).then(this.settled);
      }
    });
    // The bridge must not keep the process alive on its own.
    port1.unref();
  }

  private readonly settled = (): void => {
    Atomics.sub(this.inflight, 0, 1);
  };

  /** Events posted by workers and not yet taken by the bus. */
  get inFlight(): number {
    return Atomics.load(this.inflight, 0);
  }

  close(): void {
    this.closed = true;
    this.port.close();
  }
}

/** Worker-thread side. `publish()` never blocks and never throws. */
export class ThreadPublisher {
  private readonly port: MessagePort;
  private readonly inflight: Int32Array;
  private readonly max: number;
  private batch: [string, string, JsonObject][] = [];
  private flushQueued = false;
  private closed = false;
  /** Events refused because the main thread was too far behind (or after close). */
  dropped = 0;

  constructor(handle: ThreadBusHandle) {
    if (!isThreadBusHandle(handle))
      throw new TypeError("not a ThreadBusHandle (pass ThreadBusBridge.handle)");
    this.port = handle.port;
    this.inflight = new Int32Array(handle.inflight);
    this.max = handle.maxInFlight;
    this.port.unref();
  }

  /**
   * Queues an event for the main thread's bus. Returns false when it was dropped (backlog full
   * or publisher closed). Validation happens on the main thread, through publishSafely.
   */
  publish(topic: string, payload: JsonObject, type = ""): boolean {
    if (this.closed || Atomics.load(this.inflight, 0) + this.batch.length >= this.max) {
      this.dropped++;
      return false;
    }
    this.batch.push([topic, type, payload]);
    if (this.batch.length >= BATCH) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
    return true;
  }

  /** Posts what is batched now. */
  flush(): void {
    const b = this.batch;
    if (b.length === 0 || this.closed) return;
    this.batch = [];
    Atomics.add(this.inflight, 0, b.length);
    try {
      this.port.postMessage({ b } satisfies Batch);
    } catch {
      // An unclonable payload: the whole batch is lost, and counted.
      Atomics.sub(this.inflight, 0, b.length);
      this.dropped += b.length;
    }
  }

  close(): void {
    this.flush();
    this.closed = true;
    this.port.close();
  }
}
