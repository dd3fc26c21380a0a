import { Counters } from "../util/counters.js";

/**
 * Counters whose two per-event keys, `published` and `received`, are plain fields: a Map update
 * per event shows up in profiles at 200,000 events/s. Reads see them like any other key.
 */
export class BusCounters extends Counters {
  published = 0;
  received = 0;

  override get(key: string): number {
    if (key === "published") return this.published + super.get(key);
    if (key === "received") return this.received + super.get(key);
    return super.get(key);
  }

  override total(): number {
    return super.total() + this.published + this.received;
  }

  override toJSON(): Record<string, number> {
    const o = super.toJSON();
    if (this.published > 0) o.published = (o.published ?? 0) + this.published;
    if (this.received > 0) o.received = (o.received ?? 0) + this.received;
    const out: Record<string, number> = {};
    for (const k of Object.keys(o).sort()) out[k] = o[k];
    return out;
  }
}
