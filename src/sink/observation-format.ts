import type { Observation } from "../sniffer/observation.js";
import { attackerIp, formatRecordTimestamp, makeJsonRecord } from "./json-record.js";
import { escapeParamValue, formatRfc5424Timestamp, formatSyslogLine, SD_ID } from "./syslog-line.js";

export const SNIFFER_APP_NAME = "sniffer";

/** The RFC 5424 line of a sniffer observation (HOSTNAME = decky name). */
export function observationToSyslog(o: Observation, appName = SNIFFER_APP_NAME): string {
  return formatSyslogLine({
    tsUs: o.tsUs,
    severity: o.severity,
    hostname: o.decky,
    appName,
    msgId: o.eventType,
    fields: o.fields,
  });
}

/** Reference implementation of the JSON line: DECNET's record, JSON.stringify'd. */
export function observationToJsonLineSlow(o: Observation, appName = SNIFFER_APP_NAME): string {
  const raw = observationToSyslog(o, appName);
  return JSON.stringify(makeJsonRecord(o.tsUs, o.decky, appName, o.eventType, o.fields, "", raw));
}

// A value made only of these characters is written as is in the syslog line (no
// escaping), inside a JSON string (no escaping) and inside the JSON-escaped raw line.
const PLAIN = /^[\x20\x21\x23-\x5b\x5e-\x7e]*$/;
const FIELD_KEY = /^[A-Za-z0-9_]+$/;
/** Field names already checked against FIELD_KEY (a few dozen constant names in practice). */
const goodKeys = new Set<string>();
const MAX_GOOD_KEYS = 1024;

let lastSecond = -1;
let lastRecordTs = "";
let lastSyslogPrefix = "";

/**
 * DECNET's JSON record of an observation as one line of text — byte for byte
 * `JSON.stringify(makeJsonRecord(...))` (tested), built in one pass: the common values
 * (hashes, numbers, names) need no escaping, so the line is assembled from the same
 * pieces as the syslog line instead of escaping that line a second time.
 */
export function observationToJsonLine(o: Observation, appName = SNIFFER_APP_NAME): string {
  const sec = Math.floor(o.tsUs / 1_000_000);
  if (sec !== lastSecond) {
    lastSecond = sec;
    lastRecordTs = formatRecordTimestamp(o.tsUs);
    lastSyslogPrefix = formatRfc5424Timestamp(sec * 1_000_000).slice(0, 20); // YYYY-MM-DDTHH:MM:SS.
  }
  const micros = String(Math.floor(o.tsUs) % 1_000_000).padStart(6, "0");
  const headerSimple =
    PLAIN.test(o.decky) &&
    o.decky !== "" &&
    o.decky.length <= 255 &&
    !o.decky.includes(" ") &&
    PLAIN.test(appName) &&
    !appName.includes(" ") &&
    appName !== "" &&
    appName.length <= 48 &&
    PLAIN.test(o.eventType) &&
    !o.eventType.includes(" ") &&
    o.eventType !== "" &&
    o.eventType.length <= 32;
  if (!headerSimple) return observationToJsonLineSlow(o, appName);
  let sdRaw = "";
  let fieldsJson = "";
  for (const k in o.fields) {
    if (!goodKeys.has(k)) {
      if (!FIELD_KEY.test(k)) return observationToJsonLineSlow(o, appName);
      if (goodKeys.size < MAX_GOOD_KEYS) goodKeys.add(k);
    }
    const v = o.fields[k];
    if (PLAIN.test(v)) {
      sdRaw += ` ${k}=\\"${v}\\"`;
      fieldsJson += fieldsJson === "" ? `"${k}":"${v}"` : `,"${k}":"${v}"`;
    } else {
      const esc = JSON.stringify(` ${k}="${escapeParamValue(v)}"`);
      sdRaw += esc.slice(1, -1);
      fieldsJson += `${fieldsJson === "" ? "" : ","}"${k}":${JSON.stringify(v)}`;
    }
  }
  const pri = 128 + o.severity;
  const sd = sdRaw === "" ? "-" : `[${SD_ID}${sdRaw}]`;
  const raw = `<${pri}>1 ${lastSyslogPrefix}${micros}+00:00 ${o.decky} ${appName} - ${o.eventType} ${sd}`;
  const attacker = attackerIp(o.fields);
  const attackerJson = PLAIN.test(attacker) ? `"${attacker}"` : JSON.stringify(attacker);
  return `{"timestamp":"${lastRecordTs}","decky":"${o.decky}","service":"${appName}","event_type":"${o.eventType}","attacker_ip":${attackerJson},"fields":{${fieldsJson}},"msg":"","raw_line":"${raw}"}`;
}
