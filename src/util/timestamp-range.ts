/**
 * Packet times come from capture files, which anyone can write: a pcapng interface may
 * count in seconds (2^64 of them) or carry a negative offset. Every time that leaves the
 * engine (observations, records, log lines) is kept within what the formats can express:
 * from the epoch to 2^53 − 1 µs (year 2255, the last µs a double holds exactly). NaN → 0.
 */
export const MAX_TIMESTAMP_US = Number.MAX_SAFE_INTEGER;

export function clampTimestampUs(tsUs: number): number {
  if (!(tsUs >= 0)) return 0;
  return Math.min(tsUs, MAX_TIMESTAMP_US);
}
