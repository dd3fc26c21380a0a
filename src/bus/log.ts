/** What the bus logs through. Messages are single lines; values from peers are JSON-quoted. */
export interface BusLog {
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

/** Logs to stderr; debug lines only when DECNET_BUS_DEBUG is set. */
export const stderrLog: BusLog = {
  warn: (m) => process.stderr.write(`bus: warning: ${m}\n`),
  info: (m) => process.stderr.write(`bus: ${m}\n`),
  debug: (m) => {
    if (process.env.DECNET_BUS_DEBUG) process.stderr.write(`bus: debug: ${m}\n`);
  },
};

/** Drops everything (tests, benchmarks). */
export const silentLog: BusLog = { warn: () => {}, info: () => {}, debug: () => {} };

/**
 * Rate-limits repeated warnings: the first of each key is logged, then at most one per
 * `intervalMs` with the count suppressed meanwhile. Keys are constant strings, so the map stays
 * small.
 */
export class WarnLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: BusLog,
    private readonly intervalMs = 10_000,
  ) {}

  warn(key: string, msg: string): void {
    const now = Date.now();
    const st = this.last.get(key);
    if (st !== undefined && now - st.at < this.intervalMs) {
      st.suppressed++;
      return;
    }
    const extra = st !== undefined && st.suppressed > 0 ? ` (${st.suppressed} similar suppressed)` : "";
    this.last.set(key, { at: now, suppressed: 0 });
    this.log.warn(msg + extra);
  }
}
