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
  /**
   * Optional: runs of these fields already encoded for the line writer (fields that recur
   * unchanged, such as a SYN's header-derived ones), in field order. The writer checks each
   * against `fields` and copies its bytes whole; `fields` stays complete for every other
   * consumer.
   */
  runs?: readonly EncodedFieldRun[] | undefined;
}

/** Consecutive fields encoded once (see sink/observation-format `encodeFieldRun`). */
export interface EncodedFieldRun {
  /** Position of the run's first field among the observation's fields (insertion order). */
  readonly at: number;
  readonly keys: readonly string[];
  readonly values: readonly string[];
  /** The fields object's text of the run (`"k":"v"` joined by ",") and raw_line's (` k=\"v\"`...). */
  readonly json: Buffer;
  readonly raw: Buffer;
}

export const SEVERITY_INFO = 6;
export const SEVERITY_WARNING = 4;
