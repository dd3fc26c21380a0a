/**
 * The UNIX server's fast path: is a PUB body a canonical envelope (ParsedEnvelope.canonical),
 * decided over its bytes without building any object?
 *
 * A server that forwards a well-formed event unchanged only has to *validate* it; parsing it
 * into objects (JSON.parse) and letting the garbage collector take them back was most of the
 * server's CPU per event. This scanner is a strict RFC 8259 validator plus the envelope rules
 * of `envelopeFromValue`, and it is deliberately one-sided: `true` means the slow path would
 * accept the body as canonical too; `false` only means "not sure" — the caller then runs the
 * slow path, which decides faults and rewrites. Anything unusual (escapes in a key or in the
 * topic, an exponent in `ts`, duplicate keys, nesting deeper than MAX_DEPTH, long id/type
 * strings) is left to the slow path rather than reasoned about here.
 *
 * The body must already be valid UTF-8 (the server checks with `isUtf8` first): bytes ≥ 0x80
 * are then only ever string content, which JSON allows as they are.
 */
import { MAX_ENVELOPE_STRING } from "./envelope.js";

/** Nesting the scanner follows (objects and arrays); deeper bodies go to JSON.parse. */
const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Bit per envelope key, in wire order. */
const K_V = 1;
const K_ID = 2;
const K_TOPIC = 4;
const K_TYPE = 8;
const K_TS = 16;
const K_PAYLOAD = 32;
const ALL_KEYS = 63;

/** Set by scanString: the string had a backslash escape. */
let hadEscape = false;
/** Set by scanNumber: the number had a fraction or an exponent; and its integer digits. */
let hadFraction = false;
let hadExponent = false;
let intDigits = 0;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWs(b: Buffer, i: number, end: number): number {
  while (i < end && isWs(b[i])) i++;
  return i;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** `b[i]` is the opening quote. Returns the index after the closing quote, or -1. */
function scanString(b: Buffer, i: number, end: number): number {
  hadEscape = false;
  i++;
  for (;;) {
    // The common run: plain bytes.
    let c = 0;
    while (i < end) {
      c = b[i];
      if (c === QUOTE || c === BACKSLASH || c < 0x20) break;
      i++;
    }
    if (i >= end || c < 0x20) return -1;
    if (c === QUOTE) return i + 1;
    // Backslash escape.
    hadEscape = true;
    if (i + 1 >= end) return -1;
    const e = b[i + 1];
    if (e === 0x75) {
      if (i + 5 >= end) return -1;
      if (!isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) return -1;
      i += 6;
    } else if (
      e === QUOTE ||
      e === BACKSLASH ||
      e === 0x2f ||
      e === 0x62 ||
      e === 0x66 ||
      e === 0x6e ||
      e === 0x72 ||
      e === 0x74
    ) {
      i += 2;
    } else return -1;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** RFC 8259 number at `i`. Returns the index after it, or -1. */
function scanNumber(b: Buffer, i: number, end: number): number {
  hadFraction = false;
  hadExponent = false;
  if (i < end && b[i] === 0x2d) i++;
  if (i >= end) return -1;
  const start = i;
  if (b[i] === 0x30) i++;
  else if (b[i] >= 0x31 && b[i] <= 0x39) {
    i++;
    while (i < end && isDigit(b[i])) i++;
  } else return -1;
  intDigits = i - start;
  if (i < end && b[i] === 0x2e) {
    hadFraction = true;
    i++;
    if (i >= end || !isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    hadExponent = true;
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    if (i >= end || !isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  return i;
}

function scanLiteral(b: Buffer, i: number, end: number, lit: readonly number[]): number {
  if (i + lit.length > end) return -1;
  for (let k = 0; k < lit.length; k++) if (b[i + k] !== lit[k]) return -1;
  return i + lit.length;
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/** Any JSON value at `i` (no leading whitespace). Returns the index after it, or -1. */
function scanValue(b: Buffer, i: number, end: number, depth: number): number {
  if (i >= end) return -1;
  const c = b[i];
  if (c === QUOTE) return scanString(b, i, end);
  if (c === 0x7b) return scanObject(b, i, end, depth + 1);
  if (c === 0x5b) return scanArray(b, i, end, depth + 1);
  if (c === 0x74) return scanLiteral(b, i, end, TRUE);
  if (c === 0x66) return scanLiteral(b, i, end, FALSE);
  if (c === 0x6e) return scanLiteral(b, i, end, NULL);
  return scanNumber(b, i, end);
}

function scanObject(b: Buffer, i: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH) return -1;
  i = skipWs(b, i + 1, end);
  if (i < end && b[i] === 0x7d) return i + 1;
  for (;;) {
    if (i >= end || b[i] !== QUOTE) return -1;
    i = scanString(b, i, end);
    if (i < 0) return -1;
    i = skipWs(b, i, end);
    if (i >= end || b[i] !== 0x3a) return -1;
    i = skipWs(b, i + 1, end);
    i = scanValue(b, i, end, depth);
    if (i < 0) return -1;
    i = skipWs(b, i, end);
    if (i >= end) return -1;
    if (b[i] === 0x7d) return i + 1;
    if (b[i] !== 0x2c) return -1;
    i = skipWs(b, i + 1, end);
  }
}

function scanArray(b: Buffer, i: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH) return -1;
  i = skipWs(b, i + 1, end);
  if (i < end && b[i] === 0x5d) return i + 1;
  for (;;) {
    i = scanValue(b, i, end, depth);
    if (i < 0) return -1;
    i = skipWs(b, i, end);
    if (i >= end) return -1;
    if (b[i] === 0x5d) return i + 1;
    if (b[i] !== 0x2c) return -1;
    i = skipWs(b, i + 1, end);
  }
}

/** Which envelope key the plain (escape-free) key bytes b[s, e) name; 0 for none. */
function keyBit(b: Buffer, s: number, e: number): number {
  const n = e - s;
  const c = b[s];
  if (n === 1) return c === 0x76 ? K_V : 0;
  if (n === 2) {
    if (c === 0x69 && b[s + 1] === 0x64) return K_ID;
    return c === 0x74 && b[s + 1] === 0x73 ? K_TS : 0;
  }
  if (n === 4) {
    if (c === 0x74 && b[s + 1] === 0x79 && b[s + 2] === 0x70 && b[s + 3] === 0x65) return K_TYPE;
    return 0;
  }
  if (n === 5) {
    return c === 0x74 && b[s + 1] === 0x6f && b[s + 2] === 0x70 && b[s + 3] === 0x69 && b[s + 4] === 0x63
      ? K_TOPIC
      : 0;
  }
  if (n === 7) {
    return c === 0x70 &&
      b[s + 1] === 0x61 &&
      b[s + 2] === 0x79 &&
      b[s + 3] === 0x6c &&
      b[s + 4] === 0x6f &&
      b[s + 5] === 0x61 &&
      b[s + 6] === 0x64
      ? K_PAYLOAD
      : 0;
  }
  return 0;
}

/** Whether the plain string bytes b[s, e) equal the ASCII text `t`. */
function equalsAscii(b: Buffer, s: number, e: number, t: string): boolean {
  if (e - s !== t.length) return false;
  for (let k = 0; k < t.length; k++) if (b[s + k] !== t.charCodeAt(k)) return false;
  return true;
}

/**
 * True when `body` (valid UTF-8) is certainly a canonical envelope for `topic`: one JSON object
 * with exactly the keys v (safe integer), id (non-empty string), topic (equal to `topic`), type
 * (string), ts (finite number) and payload (object), each once, and nothing after it. False
 * when it is not, or when deciding would need a real parse.
 */
export function isCanonicalEnvelope(body: Buffer, topic: string): boolean {
  const end = body.length;
  let i = skipWs(body, 0, end);
  if (i >= end || body[i] !== 0x7b) return false;
  i = skipWs(body, i + 1, end);
  let seen = 0;
  for (;;) {
    if (i >= end || body[i] !== QUOTE) return false;
    const ks = i + 1;
    i = scanString(body, i, end);
    if (i < 0 || hadEscape) return false;
    const bit = keyBit(body, ks, i - 1);
    if (bit === 0 || (seen & bit) !== 0) return false;
    seen |= bit;
    i = skipWs(body, i, end);
    if (i >= end || body[i] !== 0x3a) return false;
    i = skipWs(body, i + 1, end);
    if (i >= end) return false;
    const vs = i;
    const c = body[i];
    switch (bit) {
      case K_V:
        i = scanNumber(body, i, end);
        // A safe integer: no fraction or exponent and at most 15 digits.
        if (i < 0 || hadFraction || hadExponent || intDigits > 15) return false;
        break;
      case K_ID:
      case K_TYPE: {
        if (c !== QUOTE) return false;
        i = scanString(body, i, end);
        if (i < 0) return false;
        // UTF-16 length ≤ raw byte length (an escape or a multi-byte character is never
        // shorter as text), and ≥ 1 when a byte is there.
        const raw = i - vs - 2;
        if (raw > MAX_ENVELOPE_STRING) return false;
        if (bit === K_ID && raw === 0) return false;
        break;
      }
      case K_TOPIC:
        if (c !== QUOTE) return false;
        i = scanString(body, i, end);
        if (i < 0 || hadEscape || !equalsAscii(body, vs + 1, i - 1, topic)) return false;
        break;
      case K_TS:
        i = scanNumber(body, i, end);
        // Finite for certain: no exponent and fewer integer digits than Number.MAX_VALUE has.
        if (i < 0 || hadExponent || intDigits > 300) return false;
        break;
      default:
        // payload
        if (c !== 0x7b) return false;
        i = scanObject(body, i, end, 1);
        if (i < 0) return false;
    }
    i = skipWs(body, i, end);
    if (i >= end) return false;
    if (body[i] === 0x7d) {
      i = skipWs(body, i + 1, end);
      return i === end && seen === ALL_KEYS;
    }
    if (body[i] !== 0x2c) return false;
    i = skipWs(body, i + 1, end);
  }
}
