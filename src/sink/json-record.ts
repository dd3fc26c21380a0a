/**
 * DECNET's parsed JSON record (DESIGN §5), one per line in `<name>.json`:
 * {"timestamp": "YYYY-MM-DD HH:MM:SS", "decky", "service", "event_type", "attacker_ip",
 *  "fields": {string: string}, "msg", "raw_line"}
 */
import { clampTimestampUs } from "../util/timestamp-range.js";

export interface JsonRecord {
  timestamp: string;
  decky: string;
  service: string;
  event_type: string;
  attacker_ip: string;
  fields: Record<string, string>;
  msg: string;
  raw_line: string;
}

const ATTACKER_IP_FIELDS = ["src_ip", "src", "client_ip", "remote_ip", "ip", "target_ip"] as const;

export function attackerIp(fields: Record<string, string>): string {
  for (const f of ATTACKER_IP_FIELDS) {
    const v = fields[f];
    if (v !== undefined) return v;
  }
  return "Unknown";
}

/** `YYYY-MM-DD HH:MM:SS` in UTC. */
export function formatRecordTimestamp(tsUs: number): string {
  const iso = new Date(Math.floor(clampTimestampUs(tsUs) / 1000)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

export function makeJsonRecord(
  tsUs: number,
  decky: string,
  service: string,
  eventType: string,
  fields: Record<string, string>,
  msg: string,
  rawLine: string,
): JsonRecord {
  return {
    timestamp: formatRecordTimestamp(tsUs),
    decky,
    service,
    event_type: eventType,
    attacker_ip: attackerIp(fields),
    fields,
    msg,
    raw_line: rawLine,
  };
}
