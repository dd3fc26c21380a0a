/**
 * Fixed-capacity FIFO that drops its oldest item when full (the bus's backpressure rule: a slow
 * consumer loses old events rather than slow anyone down). Storage grows lazily up to `capacity`,
 * so idle queues cost nothing.
 */
export class DropOldestRing<T> {
  private readonly items: (T | undefined)[] = [];
  private head = 0;
  private len = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("ring capacity must be ≥ 1");
  }

  get length(): number {
    return this.len;
  }

  /** Appends `item`; returns the oldest item it pushed out, or undefined. */
  push(item: T): T | undefined {
    let dropped: T | undefined;
    if (this.len === this.capacity) {
      dropped = this.items[this.head];
      this.items[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
      return dropped;
    }
    this.items[(this.head + this.len) % this.capacity] = item;
    this.len++;
    return undefined;
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.len === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.len--;
    return item;
  }

  clear(): void {
    this.items.length = 0;
    this.head = 0;
    this.len = 0;
  }
}
