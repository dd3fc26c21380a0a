import type { EncodedFieldRun, Observation } from "../sniffer/observation.js";
import { latin1WriteAt } from "../util/buffer-write.js";
import { attackerIp, formatRecordTimestamp, makeJsonRecord } from "./json-record.js";
import type { LineWriter } from "./line-writer.js";
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

/** Both timestamp forms change once a second: formatted then, reused within it. */
function refreshSecond(tsUs: number): void {
  const sec = Math.floor(tsUs / 1_000_000);
  if (sec === lastSecond) return;
  lastSecond = sec;
  lastRecordTs = formatRecordTimestamp(tsUs);
  lastSyslogPrefix = formatRfc5424Timestamp(sec * 1_000_000).slice(0, 20); // YYYY-MM-DDTHH:MM:SS.
}

/** Header parts already found PLAIN and within their limits (decky names, event types). */
const goodHeader = new Set<string>();
const MAX_GOOD_HEADERS = 4096;

/** A header token (decky, app name, event type) that needs no escaping nor truncation. */
function headerOk(v: string, max: number): boolean {
  if (v.length > max) return false;
  if (goodHeader.has(v)) return true;
  if (v === "" || !PLAIN.test(v) || v.includes(" ")) return false;
  if (goodHeader.size >= MAX_GOOD_HEADERS) goodHeader.clear();
  goodHeader.add(v);
  return true;
}

function headersOk(o: Observation, appName: string): boolean {
  return headerOk(o.decky, 255) && headerOk(appName, 48) && headerOk(o.eventType, 32);
}

/** A field name usable as it is in both forms. */
function keyOk(k: string): boolean {
  if (goodKeys.has(k)) return true;
  if (!FIELD_KEY.test(k)) return false;
  if (goodKeys.size < MAX_GOOD_KEYS) goodKeys.add(k);
  return true;
}

/** A field whose name and value need no escaping, as the fields object's text. */
function plainJsonPair(k: string, v: string): string {
  return `"${k}":"${v}"`;
}

/** The same field as raw_line's text, inside the JSON string: ` k=\"v\"`. */
function plainRawPair(k: string, v: string): string {
  return ` ${k}=\\"${v}\\"`;
}

/**
 * DECNET's JSON record of an observation as one line of text — byte for byte
 * `JSON.stringify(makeJsonRecord(...))` (tested), built in one pass: the common values
 * (hashes, numbers, names) need no escaping, so the line is assembled from the same
 * pieces as the syslog line instead of escaping that line a second time.
 */
export function observationToJsonLine(o: Observation, appName = SNIFFER_APP_NAME): string {
  if (!headersOk(o, appName)) return observationToJsonLineSlow(o, appName);
  refreshSecond(o.tsUs);
  const micros = String(Math.floor(o.tsUs) % 1_000_000).padStart(6, "0");
  let sdRaw = "";
  let fieldsJson = "";
  for (const k in o.fields) {
    if (!keyOk(k)) return observationToJsonLineSlow(o, appName);
    const v = o.fields[k];
    if (PLAIN.test(v)) {
      sdRaw += plainRawPair(k, v);
      fieldsJson += fieldsJson === "" ? plainJsonPair(k, v) : `,${plainJsonPair(k, v)}`;
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

/** 1 for the characters PLAIN accepts (printable ASCII but `"`, `\\` and `]`). */
const PLAIN_BYTE = new Uint8Array(128);
for (let c = 0x20; c <= 0x7e; c++) PLAIN_BYTE[c] = c === 0x22 || c === 0x5c || c === 0x5d ? 0 : 1;

/** Copies a string known to be ASCII (a constant, a checked key) to buf[pos...]; returns the end. */
function putAscii(buf: Buffer, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
}

/**
 * Strings at least this long are copied by Buffer#latin1Write (one native call, about
 * 0.7 ns a character) rather than a JavaScript loop (about 2.3 ns a character).
 */
const NATIVE_COPY_MIN = 24;

/**
 * Long values already found PLAIN: fingerprints and lists recur as the very same string
 * objects (cached per hello, per certificate), so the check is one lookup. A value seen
 * a second time also keeps its bytes, copied with one memcpy from then on (a native
 * Latin-1 encode costs about 0.7 ns a character). Bounded: cleared when it holds 16,384
 * strings or 8 MiB of bytes.
 */
const plainLong = new Map<string, Buffer | null>();
const MAX_PLAIN_LONG = 16384;
const MAX_PLAIN_LONG_BYTES = 8 * 1024 * 1024;
let plainLongBytes = 0;

/** Copies a long string known to be PLAIN and seen before (`bytes`: null on its second sighting). */
function putLong(buf: Buffer, pos: number, s: string, bytes: Buffer | null | undefined): number {
  if (bytes != null) {
    buf.set(bytes, pos);
    return pos + bytes.length;
  }
  if (bytes === null && plainLongBytes + s.length <= MAX_PLAIN_LONG_BYTES) {
    // Second sighting: keep the bytes.
    const b = Buffer.from(s, "latin1");
    plainLong.set(s, b);
    plainLongBytes += b.length;
    buf.set(b, pos);
    return pos + b.length;
  }
  return pos + latin1WriteAt(buf, s, pos);
}

/** Copies `s` when every character is PLAIN; returns the end, or -1 at the first other one. */
function putPlain(buf: Buffer, pos: number, s: string): number {
  if (s.length >= NATIVE_COPY_MIN) {
    const bytes = plainLong.get(s);
    if (bytes === undefined) {
      if (!PLAIN.test(s)) return -1;
      if (plainLong.size >= MAX_PLAIN_LONG) {
        plainLong.clear();
        plainLongBytes = 0;
      }
      plainLong.set(s, null);
    }
    return putLong(buf, pos, s, bytes);
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || PLAIN_BYTE[c] === 0) return -1;
    buf[pos++] = c;
  }
  return pos;
}

/**
 * Encodes fields `keys[i]: values[i]`, found at position `at` of the observations they will
 * be part of, for `Observation.runs`: undefined when a name or value would need escaping
 * (the writer copies a run only where the line needs none).
 */
export function encodeFieldRun(
  at: number,
  keys: readonly string[],
  values: readonly string[],
): EncodedFieldRun | undefined {
  if (keys.length === 0 || keys.length !== values.length) return undefined;
  let json = "";
  let raw = "";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const v = values[i];
    if (!FIELD_KEY.test(k) || !PLAIN.test(v)) return undefined;
    json += i === 0 ? plainJsonPair(k, v) : `,${plainJsonPair(k, v)}`;
    raw += plainRawPair(k, v);
  }
  return {
    at,
    keys: keys.slice(),
    values: values.slice(),
    json: Buffer.from(json, "latin1"),
    raw: Buffer.from(raw, "latin1"),
  };
}

/** Whether `run` holds exactly the line's fields at its position (names and values). */
function runMatches(run: EncodedFieldRun, keys: string[], values: string[], n: number): boolean {
  const at = run.at;
  const rk = run.keys;
  if (at + rk.length > n) return false;
  const rv = run.values;
  for (let i = 0; i < rk.length; i++) if (keys[at + i] !== rk[i] || values[at + i] !== rv[i]) return false;
  return true;
}

// One line's field names and values, read from the fields object once: the objects come
// in many shapes, and each keyed read of one costs far more than a read of these arrays.
const lineKeys: string[] = [];
const lineValues: string[] = [];
/** The names of the previous line, by position: a line of the same kind skips the key check. */
const checkedKeys: string[] = [];
/** The line's usable encoded runs (see writeObservationLine). */
const lineRuns: EncodedFieldRun[] = [];
/** Where each of them starts, then the field count (no run left: never reached). */
const runStarts: number[] = [];
/** Where each value's bytes start in the fields object just written (raw_line copies them). */
const valueStarts: number[] = [];

/** Constant pieces of the line as bytes (copied with one memcpy each). */
const ascii = (s: string): Buffer => Buffer.from(s, "latin1");
const FIELDS_OPEN = ascii('","fields":{');

function putBytes(buf: Buffer, pos: number, bytes: Buffer): number {
  buf.set(bytes, pos);
  return pos + bytes.length;
}

/**
 * The constant pieces of a line around its fields and timestamps, for one decky, event
 * type, severity and app name: built once, copied with one memcpy each.
 */
interface LineFrame {
  eventType: string;
  severity: number;
  appName: string;
  /** `","decky":"…","service":"…","event_type":"…","attacker_ip":"` (after the timestamp) */
  head: Buffer;
  /** `+00:00 DECKY APP - TYPE -` (after the microseconds, for a line without fields) */
  rawMid: Buffer;
  /** `+00:00 DECKY APP - TYPE [relay@55555` (the same, fields follow) */
  rawMidSd: Buffer;
}

/** Frames by decky name, each list short (one per event type seen). Bounded: 4,096 frames. */
const frames = new Map<string, LineFrame[]>();
const MAX_FRAMES = 4096;
let frameCount = 0;

/** The frame of a line, or undefined when its header parts need escaping (the string path). */
function frameOf(o: Observation, appName: string): LineFrame | undefined {
  let list = frames.get(o.decky);
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      const f = list[i];
      if (f.eventType === o.eventType && f.severity === o.severity && f.appName === appName) return f;
    }
  }
  if (!headersOk(o, appName)) return undefined;
  if (frameCount >= MAX_FRAMES) {
    frames.clear();
    frameCount = 0;
    list = undefined;
  }
  const f: LineFrame = {
    eventType: o.eventType,
    severity: o.severity,
    appName,
    head: ascii(
      `","decky":"${o.decky}","service":"${appName}","event_type":"${o.eventType}","attacker_ip":"`,
    ),
    rawMid: ascii(`+00:00 ${o.decky} ${appName} - ${o.eventType} -`),
    rawMidSd: ascii(`+00:00 ${o.decky} ${appName} - ${o.eventType} [${SD_ID}`),
  };
  if (list === undefined) {
    list = [];
    frames.set(o.decky, list);
  }
  list.push(f);
  frameCount++;
  return f;
}

/** The line's opening up to the end of its timestamp, for the current second (see `refreshSecond`). */
let recordTsBytes: Buffer = Buffer.alloc(0);
/** `},"msg":"","raw_line":"<PRI>1 YYYY-MM-DDTHH:MM:SS.` of the current second, by severity. */
const rawHeads: (Buffer | undefined)[] = [];
let bytesSecond = -1;

function refreshSecondBytes(tsUs: number): void {
  refreshSecond(tsUs);
  if (bytesSecond === lastSecond) return;
  bytesSecond = lastSecond;
  recordTsBytes = ascii(`{"timestamp":"${lastRecordTs}`);
  rawHeads.length = 0;
}

function rawHeadOf(severity: number): Buffer {
  const cached = severity >= 0 && severity < 8 ? rawHeads[severity] : undefined;
  if (cached !== undefined) return cached;
  const b = ascii(`},"msg":"","raw_line":"<${128 + severity}>1 ${lastSyslogPrefix}`);
  if (severity >= 0 && severity < 8) rawHeads[severity] = b;
  return b;
}

/** DECNET's attacker address field (json-record `attackerIp`), found among the line's names. */
function attackerAmong(keys: string[], values: string[], n: number): string {
  for (let c = 0; c < ATTACKER_KEYS.length; c++) {
    const want = ATTACKER_KEYS[c];
    for (let i = 0; i < n; i++) if (keys[i] === want && values[i] !== undefined) return values[i];
  }
  return "Unknown";
}
const ATTACKER_KEYS = ["src_ip", "src", "client_ip", "remote_ip", "ip", "target_ip"];

/**
 * Writes `observationToJsonLine(o)` and a newline straight into the writer's buffer,
 * byte for byte the same line (tested), without building the line as a string: the
 * common line — every value PLAIN — is written once into the fields object, and raw_line
 * copies those bytes back (pre-encoded runs, `Observation.runs`, are copied whole). A line
 * with anything to escape is written through `observationToJsonLine` instead.
 */
export function writeObservationLine(out: LineWriter, o: Observation, appName = SNIFFER_APP_NAME): void {
  const frame = o.tsUs >= 0 ? frameOf(o, appName) : undefined;
  if (frame === undefined) {
    out.write(observationToJsonLine(o, appName));
    return;
  }
  const fields = o.fields;
  const keys = lineKeys;
  const values = lineValues;
  let n = 0;
  // Bytes needed when every value is PLAIN (one byte per character).
  let need = 150 + frame.head.length + frame.rawMidSd.length;
  for (const k in fields) {
    const v = fields[k];
    if (checkedKeys[n] !== k) {
      if (!keyOk(k)) {
        out.write(observationToJsonLine(o, appName));
        return;
      }
      checkedKeys[n] = k;
    }
    keys[n] = k;
    values[n] = v;
    need += 2 * k.length + 2 * v.length + 12;
    n++;
  }
  const attacker = attackerAmong(keys, values, n);
  need += attacker.length;
  // The encoded runs that hold exactly the fields at their place, in order, not overlapping.
  let nRuns = 0;
  const runs = o.runs;
  if (runs !== undefined) {
    let free = 0;
    for (let r = 0; r < runs.length; r++) {
      const run = runs[r];
      if (run.at >= free && runMatches(run, keys, values, n)) {
        runStarts[nRuns] = run.at;
        lineRuns[nRuns++] = run;
        free = run.at + run.keys.length;
      }
    }
  }
  runStarts[nRuns] = n;
  // The next run to copy, in each of the two passes over the fields.
  let nextRun = 0;
  const start = out.reserve(need + 1);
  if (start < 0) {
    out.write(observationToJsonLine(o, appName));
    return;
  }
  refreshSecondBytes(o.tsUs);
  const b = out.buffer;
  let p = putBytes(b, start, recordTsBytes);
  p = putBytes(b, p, frame.head);
  p = putPlain(b, p, attacker);
  if (p < 0) {
    out.write(observationToJsonLine(o, appName));
    return;
  }
  p = putBytes(b, p, FIELDS_OPEN);
  for (let i = 0; i < n; i++) {
    if (i > 0) b[p++] = 0x2c; // ,
    if (i === runStarts[nextRun]) {
      const r = lineRuns[nextRun++];
      p = putBytes(b, p, r.json);
      i += r.keys.length - 1;
      continue;
    }
    b[p++] = 0x22;
    p = putAscii(b, p, keys[i]);
    b[p++] = 0x22;
    b[p++] = 0x3a;
    b[p++] = 0x22;
    valueStarts[i] = p;
    p = putPlain(b, p, values[i]);
    if (p < 0) {
      out.write(observationToJsonLine(o, appName));
      return;
    }
    b[p++] = 0x22;
  }
  p = putBytes(b, p, rawHeadOf(o.severity));
  let micros = Math.floor(o.tsUs) % 1_000_000;
  for (let i = 5; i >= 0; i--) {
    b[p + i] = 0x30 + (micros % 10);
    micros = Math.floor(micros / 10);
  }
  if (n === 0) p = putBytes(b, p + 6, frame.rawMid);
  else {
    p = putBytes(b, p + 6, frame.rawMidSd);
    // Checked PLAIN above: copied without checks, each inside \"...\" of the JSON string.
    nextRun = 0;
    for (let i = 0; i < n; i++) {
      if (i === runStarts[nextRun]) {
        const r = lineRuns[nextRun++];
        p = putBytes(b, p, r.raw);
        i += r.keys.length - 1;
        continue;
      }
      b[p++] = 0x20;
      p = putAscii(b, p, keys[i]);
      b[p++] = 0x3d; // =
      b[p++] = 0x5c; // \
      b[p++] = 0x22;
      // The value's bytes, as written into the fields object above (PLAIN: one byte a character).
      const from = valueStarts[i];
      const len = values[i].length;
      if (len >= NATIVE_COPY_MIN) {
        b.copyWithin(p, from, from + len);
        p += len;
      } else for (let j = 0; j < len; j++) b[p++] = b[from + j];
      b[p++] = 0x5c;
      b[p++] = 0x22;
    }
    b[p++] = 0x5d; // ]
  }
  b[p++] = 0x22;
  b[p++] = 0x7d;
  out.endLine(p);
}
