import { Counters } from "../../util/counters.js";

/**
 * Default counters for the TLS parsers when the caller passes none. Keys are constant
 * strings of the form `tls.<parser>.<reason>`; the set is fixed, so the map is bounded.
 */
export const tlsStats = new Counters();
