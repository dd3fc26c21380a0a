/**
 * Topic names and builders (DESIGN §5 "Topics"). Topics are dot-separated tokens. A token is one
 * or more printable ASCII characters other than `.`, `*`, `>`: the UNIX-socket header is ASCII
 * and whitespace separates header fields, so anything else could not travel on DECNET's wire.
 * (DECNET's builders reject `.`, `*`, `>` and whitespace; refusing control and non-ASCII
 * characters as well is our hardening.)
 */

/**
 * Longest topic or pattern: the longest that fits every header that carries one
 * ("UNSUB " + pattern + "\n" ≤ 4096 bytes).
 */
export const MAX_TOPIC_LENGTH = 4089;

/** Topic families used by the sensor. */
export const SYSTEM_BUS_HEALTH = "system.bus.health";
export const ATTACKER_FINGERPRINTED = "attacker.fingerprinted";
/** Envelope `type` of `system.bus.health` events (DECNET's `SYSTEM_BUS_HEALTH` leaf). */
export const BUS_HEALTH_TYPE = "bus.health";
/** Envelope `type` of `system.<worker>.health` events. */
export const WORKER_HEALTH_TYPE = "health";
/** Envelope types of `attacker.fingerprinted`. */
export const FINGERPRINT_TYPES = ["jarm", "hassh", "tcpfp", "tlscert"] as const;
export type FingerprintType = (typeof FINGERPRINT_TYPES)[number];
/**
 * Sniffer summary event types published on `decky.<name>.traffic`: DECNET's
 * `_BUS_TRAFFIC_EVENTS` (decnet/sniffer/fingerprint.py), the three DESIGN §5 names and
 * DECNET's newer summary types. Other event types are not published.
 */
export const TRAFFIC_SUMMARY_TYPES = [
  "tls_session",
  "tcp_flow_timing",
  "tcp_syn_fingerprint",
  "ssh_client_banner",
  "quic_client_hello",
  "http_request_fingerprint",
  "http2_settings",
  "http3_settings",
] as const;

/** A builder was given a segment that would corrupt the topic hierarchy. */
export class TopicError extends Error {
  override name = "TopicError";
}

const DOT = 0x2e;
const STAR = 0x2a;
const GT = 0x3e;

function isTokenChar(c: number): boolean {
  return c >= 0x21 && c <= 0x7e && c !== DOT && c !== STAR && c !== GT;
}

/** Why `segment` cannot be one topic token, or undefined when it can. */
export function segmentProblem(segment: string): string | undefined {
  if (typeof segment !== "string" || segment.length === 0) return "topic segment must not be empty";
  if (segment.length > MAX_TOPIC_LENGTH) return "topic segment is too long";
  for (let i = 0; i < segment.length; i++) {
    if (!isTokenChar(segment.charCodeAt(i))) {
      return `topic segment ${JSON.stringify(segment)} may not contain '.', '*', '>', whitespace, control or non-ASCII characters`;
    }
  }
  return undefined;
}

/** Throws TopicError unless `segment` is a valid single token. */
export function assertSegment(segment: string): void {
  const p = segmentProblem(segment);
  if (p !== undefined) throw new TopicError(p);
}

/** Joins validated segments into a topic: `topicOf("decky", name, "traffic")`. */
export function topicOf(...segments: string[]): string {
  if (segments.length === 0) throw new TopicError("a topic needs at least one segment");
  for (const s of segments) assertSegment(s);
  const t = segments.join(".");
  if (t.length > MAX_TOPIC_LENGTH) throw new TopicError("topic is too long");
  return t;
}

/** `decky.<name>.traffic` — type = the sniffer summary event type. */
export function deckyTraffic(decky: string): string {
  return topicOf("decky", decky, "traffic");
}

/** `system.<worker>.health`. */
export function systemHealth(worker: string): string {
  return topicOf("system", worker, "health");
}

/**
 * True when `t` is a concrete topic one may publish on: valid tokens, no wildcards.
 * Never throws.
 */
export function isValidTopic(t: string): boolean {
  // Publishers repeat one topic: the last valid one is remembered (the check is pure).
  if (t === lastValidTopic) return true;
  const n = t.length;
  if (n === 0 || n > MAX_TOPIC_LENGTH) return false;
  let tokenLen = 0;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c === DOT) {
      if (tokenLen === 0) return false;
      tokenLen = 0;
    } else if (isTokenChar(c)) tokenLen++;
    else return false;
  }
  if (tokenLen === 0) return false;
  lastValidTopic = t;
  return true;
}

let lastValidTopic = "\u0000"; // never a valid topic

/**
 * True when `p` is a valid subscription pattern: tokens as in a topic, or `*` alone, or `>` alone
 * as the last token. Never throws.
 */
export function isValidPattern(p: string): boolean {
  const n = p.length;
  if (n === 0 || n > MAX_TOPIC_LENGTH) return false;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    if (i < n && p.charCodeAt(i) !== DOT) continue;
    const len = i - start;
    if (len === 0) return false;
    const c0 = p.charCodeAt(start);
    if (len === 1 && c0 === GT) {
      if (i !== n) return false;
    } else if (!(len === 1 && c0 === STAR)) {
      for (let k = start; k < i; k++) if (!isTokenChar(p.charCodeAt(k))) return false;
    }
    start = i + 1;
  }
  return true;
}
