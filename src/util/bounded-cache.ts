/**
 * A small cache with a hard bound on entries and on the summed size of its keys
 * (strings, counted in UTF-16 units). Used to avoid recomputing fingerprints of inputs
 * that repeat across connections (the same certificate chain, the same cipher list).
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  private keyChars = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxKeyChars = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    // First-in first-out eviction: refreshing recency on every hit (delete + set)
    // costs more than the rare re-computation of an evicted entry.
    this.hits++;
    return v;
  }

  set(key: string, value: V): void {
    if (key.length > this.maxKeyChars) return;
    const had = this.map.get(key);
    if (had !== undefined) {
      this.map.delete(key);
      this.keyChars -= key.length;
    }
    this.map.set(key, value);
    this.keyChars += key.length;
    while (this.map.size > this.maxEntries || this.keyChars > this.maxKeyChars) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
      this.keyChars -= oldest.value.length;
    }
  }
}
