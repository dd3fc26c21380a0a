/**
 * RFC 5424 line in DECNET's format (DESIGN §5):
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [relay@55555 key="value" ...] MSG`
 */
import { clampTimestampUs } from "../util/timestamp-range.js";

const FACILITY_LOCAL0 = 16;
export const SD_ID = "relay@55555";
const MAX_HOSTNAME = 255;
const MAX_APPNAME = 48;
const MAX_MSGID = 32;

export interface SyslogEvent {
  tsUs: number;
  severity: number;
  hostname: string;
  appName: string;
  msgId: string;
  fields: Record<string, string>;
  msg?: string;
}

/** `2026-11-28T01:02:03.123456+00:00` — UTC, always with microseconds. */
export function formatRfc5424Timestamp(tsUs: number): string {
  tsUs = clampTimestampUs(tsUs); // never throws: Date beyond its range would
  const ms = Math.floor(tsUs / 1000);
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const micros = String(Math.floor(tsUs) % 1_000_000).padStart(6, "0");
  return `${iso.slice(0, 19)}.${micros}+00:00`;
}

// Characters an attacker could use to end the line or forge structure. Besides
// DECNET's `\`, `"` and `]`, control characters (C0, DEL, C1) and the Unicode line
// separators are escaped as \xHH / \uHHHH — the one deliberate hardening over DECNET.
const NEEDS_ESCAPE = /[\\"\]\x00-\x1f\x7f-\x9f\u2028\u2029]/;
const ESCAPE_ALL = /[\\"\]\x00-\x1f\x7f-\x9f\u2028\u2029]/g;

function escapeChar(c: string): string {
  if (c === "\\" || c === '"' || c === "]") return `\\${c}`;
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Escapes a structured-data parameter value. */
export function escapeParamValue(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replace(ESCAPE_ALL, escapeChar) : v;
}

/** Header fields (hostname etc.) are single tokens: no spaces or control characters. */
function headerToken(v: string, max: number): string {
  if (v === "") return "-";
  const t = v.replace(/[\s\x00-\x1f\x7f-\x9f\u2028\u2029]/g, "_");
  return t.length > max ? t.slice(0, max) : t;
}

export function formatSyslogLine(ev: SyslogEvent): string {
  const pri = FACILITY_LOCAL0 * 8 + ev.severity;
  let sd = "";
  for (const k in ev.fields) {
    sd += ` ${k}="${escapeParamValue(ev.fields[k])}"`;
  }
  const sdPart = sd === "" ? "-" : `[${SD_ID}${sd}]`;
  const msg = ev.msg ? ` ${ev.msg.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, escapeChar)}` : "";
  return `<${pri}>1 ${formatRfc5424Timestamp(ev.tsUs)} ${headerToken(ev.hostname, MAX_HOSTNAME)} ${headerToken(ev.appName, MAX_APPNAME)} - ${headerToken(ev.msgId, MAX_MSGID)} ${sdPart}${msg}`;
}
