import type { FlowKey } from "./flow-key.js";

/** Slots (a power of two): 4,096 × (a 32-bit key hash + a time) = 48 KiB, cache-sized. */
const SLOTS = 4096;
const MASK = SLOTS - 1;

/**
 * Connections just ended by a RST, remembered for a moment of packet time so that the
 * packets already in flight when the RST was sent join no new flow (tshark keeps them in
 * the reset connection's stream). The flow itself is recycled at once: a SYN scan resets
 * a connection per probe, and lingering flows would cycle the pool through the caches.
 *
 * Direct-mapped by the key's hash, so bounded at SLOTS entries; a collision overwrites (a
 * forgotten reset only means that a late packet starts a flow of its own). An entry holds
 * the key's 32-bit hash, not the key: a packet of another connection whose key hashes the
 * same (one chance in 2^32 per lookup while an entry lives, 1 s) would be taken for a late
 * one and not start its flow; a SYN never is. Keeping this table small is what makes it
 * cost nothing measurable on a SYN scan, where every probe adds an entry.
 */
export class ResetTombstones {
  private readonly hashes = new Int32Array(SLOTS);
  /** Packet time (µs) until which each slot holds; 0 = empty. */
  private readonly until = new Float64Array(SLOTS);

  add(k: FlowKey, untilUs: number): void {
    const i = k.hash & MASK;
    this.hashes[i] = k.hash | 0;
    this.until[i] = untilUs;
  }

  /** Whether the connection `k` was reset and its moment has not passed at `nowUs`. */
  has(k: FlowKey, nowUs: number): boolean {
    const i = k.hash & MASK;
    // Both tests made every time (no short cut): no comparison is first made after the
    // compiler optimised the packet path, which would make it throw that code away.
    return ((nowUs < this.until[i] ? 1 : 0) & (this.hashes[i] === (k.hash | 0) ? 1 : 0)) !== 0;
  }
}
