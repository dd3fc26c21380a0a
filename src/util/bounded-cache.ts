/**
 * A small cache with a hard bound on entries and on the summed size of its keys
 * (strings, counted in UTF-16 units). Used to avoid recomputing fingerprints of inputs
 * that repeat across connections (the same certificate chain, the same cipher list).
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  private keyChars = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxKeyChars = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /**
   * First-in first-out eviction: a hit does not refresh recency (delete + set on every
   * hit would cost more than the rare re-computation of an evicted entry).
   */
  get(key: string): V | undefined {
    return this.map.get(key);
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
