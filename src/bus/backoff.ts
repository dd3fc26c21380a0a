/** Reconnect delays shared by the transports: exponential, capped, with ±20 % jitter. */

/** `base` ms with ±20 % jitter, so clients that lost one server do not return in step. */
export function jittered(base: number): number {
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Delay before retry number `attempt` (0-based): initialMs doubled per attempt, at most maxMs. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number): number {
  return jittered(Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 20)));
}
