/** One finding of the sniffer, before dedup and sinks (DESIGN §2). */
export interface Observation {
  /** Packet time of the packet that completed the finding, µs since the epoch. */
  tsUs: number;
  /** Decky name (the decky-side address when no decky map is configured). */
  decky: string;
  /** DECNET event type, e.g. "tls_client_hello". */
  eventType: string;
  /** Syslog severity: 6 info, 4 warning. */
  severity: number;
  /** DECNET field names → string values, in emission order. */
  fields: Record<string, string>;
}

export const SEVERITY_INFO = 6;
export const SEVERITY_WARNING = 4;
