import { type Bus, BusClosedError, checkPattern, QueueSubscription, type Subscription } from "../bus.js";
import { BusCounters } from "../bus-counters.js";
import type { JsonObject } from "../envelope.js";

/**
 * No bus (`DECNET_BUS_ENABLED=false`): publishing is a no-op (counted as `discarded`),
 * subscriptions end at once. Like every bus, it refuses to publish once closed.
 */
export class NullBus implements Bus {
  readonly kind = "null" as const;
  readonly counters = new BusCounters();
  private closed = false;

  async connect(): Promise<void> {
    if (this.closed) throw new BusClosedError("connect");
  }

  async publish(_topic: string, _payload: JsonObject, _type = ""): Promise<void> {
    if (this.closed) throw new BusClosedError();
    this.counters.inc("discarded");
  }

  subscribe(pattern: string): Subscription {
    if (this.closed) throw new BusClosedError("subscribe");
    checkPattern(pattern);
    const sub = new QueueSubscription(pattern, 1);
    sub.finish();
    return sub;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
