import { Counters } from "../../util/counters.js";

/**
 * Module-level counters for the SSH parsers (malformed input by reason, bounds hit).
 * Readers take their own `Counters` when the caller wants them apart.
 */
export const sshStats = new Counters();
