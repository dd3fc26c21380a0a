/** A named bag of monotonic counters ("malformed by reason" and the like). Keys are constant strings. */
export class Counters {
  private readonly map = new Map<string, number>();

  inc(key: string, by = 1): void {
    this.map.set(key, (this.map.get(key) ?? 0) + by);
  }

  get(key: string): number {
    return this.map.get(key) ?? 0;
  }

  total(): number {
    let t = 0;
    for (const v of this.map.values()) t += v;
    return t;
  }

  toJSON(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of [...this.map.keys()].sort()) out[k] = this.map.get(k) ?? 0;
    return out;
  }
}
