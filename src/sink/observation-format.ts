import type { Observation } from "../sniffer/observation.js";
import { makeJsonRecord } from "./json-record.js";
import { formatSyslogLine } from "./syslog-line.js";

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

/** DECNET's JSON record of an observation, as one line of text. */
export function observationToJsonLine(o: Observation, appName = SNIFFER_APP_NAME): string {
  const raw = observationToSyslog(o, appName);
  return JSON.stringify(makeJsonRecord(o.tsUs, o.decky, appName, o.eventType, o.fields, "", raw));
}
