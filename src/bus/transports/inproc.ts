import {
  type Bus,
  BusClosedError,
  checkPattern,
  checkPublish,
  DEFAULT_SUBSCRIPTION_QUEUE,
  QueueSubscription,
  type SubscribeOptions,
  type Subscription,
} from "../bus.js";
import { BusCounters } from "../bus-counters.js";
import { type JsonObject, makeEnvelope } from "../envelope.js";
import { topicMatches } from "../match.js";

/**
 * The in-process fan-out all `InProcBus` handles of one process share: every part that runs in
 * this process and asks for the in-process bus talks to the same broker.
 */
export class InProcBroker {
  /** Live subscriptions; bounded by what the process's own code opens. */
  private readonly subs = new Set<QueueSubscription>();

  add(sub: QueueSubscription): void {
    this.subs.add(sub);
  }

  remove(sub: QueueSubscription): void {
    this.subs.delete(sub);
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  /** Delivers to every matching subscription; returns [delivered, dropped-oldest]. */
  fanout(topic: string, ev: Parameters<QueueSubscription["deliver"]>[0]): [number, number] {
    let delivered = 0;
    let dropped = 0;
    for (const s of this.subs) {
      if (!topicMatches(s.pattern, topic)) continue;
      delivered++;
      if (!s.deliver(ev)) dropped++;
    }
    return [delivered, dropped];
  }
}

let shared: InProcBroker | undefined;

/** The process-wide broker (the embedded default bus). */
export function sharedInProcBroker(): InProcBroker {
  shared ??= new InProcBroker();
  return shared;
}

export interface InProcBusOptions {
  /** Defaults to the process-wide broker. */
  broker?: InProcBroker;
  /** Default queue bound of this handle's subscriptions. */
  queueSize?: number;
}

/**
 * A handle onto an in-process broker. Events are delivered synchronously into each matching
 * subscriber's bounded queue (drop-oldest); one envelope object is shared between subscribers and
 * the payload is not copied, so treat both as read-only. Closing a handle ends its own
 * subscriptions only.
 */
export class InProcBus implements Bus {
  readonly kind = "inproc" as const;
  readonly counters = new BusCounters();
  private readonly broker: InProcBroker;
  private readonly queueSize: number;
  /** This handle's subscriptions (so close() can end them). */
  private readonly mine = new Set<QueueSubscription>();
  private closed = false;

  constructor(opts: InProcBusOptions = {}) {
    this.broker = opts.broker ?? sharedInProcBroker();
    this.queueSize = opts.queueSize ?? DEFAULT_SUBSCRIPTION_QUEUE;
  }

  async connect(): Promise<void> {
    if (this.closed) throw new BusClosedError("connect");
  }

  async publish(topic: string, payload: JsonObject, type = ""): Promise<void> {
    if (this.closed) throw new BusClosedError();
    checkPublish(topic, payload, type);
    const [delivered, dropped] = this.broker.fanout(topic, makeEnvelope(topic, payload, type));
    this.counters.published++;
    if (delivered > 0) this.counters.inc("delivered", delivered);
    if (dropped > 0) this.counters.inc("dropped_queue_full", dropped);
  }

  subscribe(pattern: string, opts: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new BusClosedError("subscribe");
    checkPattern(pattern);
    const sub = new QueueSubscription(pattern, opts.queueSize ?? this.queueSize, (s) => {
      this.broker.remove(s);
      this.mine.delete(s);
    });
    this.mine.add(sub);
    this.broker.add(sub);
    return sub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.mine) {
      this.broker.remove(s);
      s.finish();
    }
    this.mine.clear();
  }
}
