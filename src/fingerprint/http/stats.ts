import { Counters } from "../../util/counters.js";

/**
 * Module-level counters for the HTTP parsers (malformed input by reason, bounds hit).
 * Readers take their own `Counters` when the caller wants them apart.
 */
export const httpStats = new Counters();
