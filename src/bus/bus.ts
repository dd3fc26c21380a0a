import type { Counters } from "../util/counters.js";
import { type BusEvent, envelopeToJson, isJsonObject, type JsonObject } from "./envelope.js";
import { MAX_BODY_BYTES } from "./frame.js";
import { type BusLog, stderrLog, WarnLimiter } from "./log.js";
import { DropOldestRing } from "./ring.js";
import { isValidPattern, isValidTopic, TopicError } from "./topics.js";

export type BusKind = "inproc" | "unix" | "nats" | "null";

/** Default bound of each subscription's queue (DECNET's queue size). */
export const DEFAULT_SUBSCRIPTION_QUEUE = 1024;

export interface SubscribeOptions {
  /** Events buffered for this subscriber before its oldest are dropped (default 1024). */
  queueSize?: number;
}

/**
 * An open subscription: an async iterator of events with an explicit close. Events arrive in
 * publish order; when the consumer falls more than `queueSize` events behind, the oldest are
 * dropped (counted in `dropped`). `close()` ends the iteration at once (queued events are
 * discarded); when the bus itself closes, the iteration ends after the events already queued.
 * Breaking out of `for await` closes the subscription.
 */
export interface Subscription extends AsyncIterableIterator<BusEvent> {
  readonly pattern: string;
  /** Events lost because this subscriber's queue was full. */
  readonly dropped: number;
  /** Events queued and not yet read. */
  readonly pending: number;
  readonly closed: boolean;
  close(): Promise<void>;
}

/**
 * The service bus. Every transport follows the same rules:
 * - `connect()` and `close()` are idempotent; `publish()` connects lazily;
 * - `publish()` on a closed bus rejects with BusClosedError; a bad topic or payload rejects
 *   (programming errors); a transport failure is logged and counted, never thrown;
 * - `subscribe()` on a closed bus throws BusClosedError; a bad pattern throws TopicError.
 * Delivery is at most once.
 */
export interface Bus {
  readonly kind: BusKind;
  readonly counters: Counters;
  connect(): Promise<void>;
  publish(topic: string, payload: JsonObject, type?: string): Promise<void>;
  subscribe(pattern: string, opts?: SubscribeOptions): Subscription;
  close(): Promise<void>;
}

export class BusClosedError extends Error {
  override name = "BusClosedError";
  constructor(what = "publish") {
    super(`${what} on a closed bus`);
  }
}

/** A payload that cannot travel (not an object, not serialisable, too large). */
export class BusPayloadError extends Error {
  override name = "BusPayloadError";
}

/** Throws unless `topic` is a concrete topic and `payload` a JSON object. */
export function checkPublish(topic: string, payload: unknown, type: unknown): void {
  if (typeof topic !== "string" || !isValidTopic(topic)) {
    throw new TopicError(`invalid topic ${JSON.stringify(topic)} (dot-separated tokens, no wildcards)`);
  }
  if (!isJsonObject(payload)) throw new BusPayloadError("payload must be a JSON object");
  if (typeof type !== "string") throw new BusPayloadError("type must be a string");
}

/**
 * The wire JSON of an event being published. Throws BusPayloadError when the payload cannot
 * be serialised or the body would exceed the protocol's 1 MiB.
 */
export function wireJson(ev: BusEvent): string {
  let json: string;
  try {
    json = envelopeToJson(ev);
  } catch (err) {
    throw new BusPayloadError(`payload is not serialisable: ${errText(err)}`);
  }
  // UTF-8 takes at most 3 bytes per UTF-16 unit: only long bodies need counting.
  if (json.length * 3 > MAX_BODY_BYTES) {
    const n = Buffer.byteLength(json, "utf8");
    if (n > MAX_BODY_BYTES) throw new BusPayloadError(`event body of ${n} bytes exceeds ${MAX_BODY_BYTES}`);
  }
  return json;
}

/** Throws TopicError unless `pattern` is a valid subscription pattern. */
export function checkPattern(pattern: string): void {
  if (typeof pattern !== "string" || !isValidPattern(pattern)) {
    throw new TopicError(
      `invalid pattern ${JSON.stringify(pattern)} (tokens, '*' for one token, '>' last for the rest)`,
    );
  }
}

const DONE: IteratorResult<BusEvent> = Object.freeze({ value: undefined, done: true });

/**
 * Subscription backed by a drop-oldest queue; transports feed it with `deliver()` and end it with
 * `finish()`.
 */
export class QueueSubscription implements Subscription {
  private readonly queue: DropOldestRing<BusEvent>;
  private waiters: ((r: IteratorResult<BusEvent>) => void)[] = [];
  private finished = false;
  private closing: Promise<void> | undefined;
  dropped = 0;

  constructor(
    readonly pattern: string,
    queueSize: number,
    private readonly onClose?: (sub: QueueSubscription) => void | Promise<void>,
  ) {
    this.queue = new DropOldestRing(queueSize);
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Number of events waiting to be read. */
  get pending(): number {
    return this.queue.length;
  }

  /** Hands an event to this subscriber. Returns false when it pushed out an older one. */
  deliver(ev: BusEvent): boolean {
    if (this.closing !== undefined || this.finished) return true;
    const w = this.waiters.shift();
    if (w !== undefined) {
      w({ value: ev, done: false });
      return true;
    }
    if (this.queue.push(ev) !== undefined) {
      this.dropped++;
      return false;
    }
    return true;
  }

  /** No more events will come (the bus closed): iteration ends once the queue is read. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.releaseWaiters();
  }

  next(): Promise<IteratorResult<BusEvent>> {
    const ev = this.queue.shift();
    if (ev !== undefined) return Promise.resolve({ value: ev, done: false });
    if (this.finished || this.closing !== undefined) return Promise.resolve(DONE);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async return(): Promise<IteratorResult<BusEvent>> {
    await this.close();
    return DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  close(): Promise<void> {
    if (this.closing === undefined) {
      this.queue.clear();
      this.releaseWaiters();
      this.closing = Promise.resolve(this.onClose?.(this)).then(
        () => undefined,
        () => undefined,
      );
    }
    return this.closing;
  }

  private releaseWaiters(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w(DONE);
  }
}

let safeLimiter: WarnLimiter | undefined;

/**
 * Publishes without ever rejecting: any failure (closed bus, bad topic, bad payload) is logged
 * (rate-limited) and counted on the bus as `publish_failed`. Resolves true when the event was
 * handed to the transport. For workers, whose job must not stop because of the bus.
 */
export async function publishSafely(
  bus: Bus | undefined,
  topic: string,
  payload: JsonObject,
  type = "",
  log: BusLog = stderrLog,
): Promise<boolean> {
  if (bus === undefined) return false;
  try {
    await bus.publish(topic, payload, type);
    return true;
  } catch (err) {
    bus.counters.inc("publish_failed");
    if (log === stderrLog) {
      safeLimiter ??= new WarnLimiter(stderrLog);
      safeLimiter.warn("publishSafely", `publish on ${JSON.stringify(topic)} failed: ${errText(err)}`);
    } else log.warn(`publish on ${JSON.stringify(topic)} failed: ${errText(err)}`);
    return false;
  }
}

export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
