/**
 * A bounded DER (X.690) reader over Buffer views. Every function checks its bounds and
 * returns undefined on malformed input; none throws. Only definite lengths are accepted
 * (DER), lengths up to 4 bytes, tag numbers up to 4 bytes.
 */

/** Nesting accepted by derWellFormed (X.509 needs about 10). */
export const MAX_DER_DEPTH = 32;
/** Children accepted by derChildren unless the caller says otherwise. */
export const MAX_DER_CHILDREN = 1024;

export const CLASS_UNIVERSAL = 0;
export const CLASS_CONTEXT = 2;

export const TAG_BOOLEAN = 1;
export const TAG_INTEGER = 2;
export const TAG_BIT_STRING = 3;
export const TAG_OCTET_STRING = 4;
export const TAG_OID = 6;
export const TAG_UTF8_STRING = 12;
export const TAG_SEQUENCE = 16;
export const TAG_SET = 17;
export const TAG_NUMERIC_STRING = 18;
export const TAG_PRINTABLE_STRING = 19;
export const TAG_T61_STRING = 20;
export const TAG_IA5_STRING = 22;
export const TAG_UTC_TIME = 23;
export const TAG_GENERALIZED_TIME = 24;
export const TAG_VISIBLE_STRING = 26;
export const TAG_UNIVERSAL_STRING = 28;
export const TAG_BMP_STRING = 30;

/** One TLV. `start` is its first byte, `off`/`len` its contents, `end` = off + len. */
export interface DerNode {
  cls: number;
  constructed: boolean;
  tag: number;
  start: number;
  off: number;
  len: number;
  end: number;
}

/** Reads the TLV at `off`, which must end at or before `end`. */
export function readDer(buf: Buffer, off: number, end: number): DerNode | undefined {
  if (end > buf.length) end = buf.length;
  if (off < 0 || off >= end) return undefined;
  let p = off;
  const id = buf[p++];
  const cls = id >> 6;
  const constructed = (id & 0x20) !== 0;
  let tag = id & 0x1f;
  if (tag === 0x1f) {
    // High-tag-number form: base-128, no leading 0x80, at most 4 bytes.
    tag = 0;
    for (let i = 0; ; i++) {
      if (p >= end || i === 4) return undefined;
      const b = buf[p++];
      if (i === 0 && b === 0x80) return undefined;
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (p >= end) return undefined;
  let len = buf[p++];
  if (len & 0x80) {
    const n = len & 0x7f;
    // 0x80 = indefinite (BER only); more than 4 length bytes cannot fit a bounded buffer.
    if (n === 0 || n > 4 || p + n > end) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
  }
  if (len > end - p) return undefined;
  return { cls, constructed, tag, start: off, off: p, len, end: p + len };
}

/** True for a universal-class node with the given tag. */
export function isUniversal(n: DerNode | undefined, tag: number): n is DerNode {
  return n !== undefined && n.cls === CLASS_UNIVERSAL && n.tag === tag;
}

/** True for a context-specific node [tag]. */
export function isContext(n: DerNode | undefined, tag: number): n is DerNode {
  return n !== undefined && n.cls === CLASS_CONTEXT && n.tag === tag;
}

/**
 * The children of a constructed node, in order; undefined when one is malformed, they do
 * not exactly fill the parent, or there are more than `max`.
 */
export function derChildren(buf: Buffer, parent: DerNode, max = MAX_DER_CHILDREN): DerNode[] | undefined {
  const out: DerNode[] = [];
  let p = parent.off;
  while (p < parent.end) {
    if (out.length === max) return undefined;
    const c = readDer(buf, p, parent.end);
    if (c === undefined) return undefined;
    out.push(c);
    p = c.end;
  }
  return out;
}

/**
 * Checks that buf[off, end) is exactly one well-formed TLV whose constructed contents
 * are well-formed TLVs, down to `maxDepth` levels. Iterative, so depth costs no stack.
 */
export function derWellFormed(buf: Buffer, off: number, end: number, maxDepth = MAX_DER_DEPTH): boolean {
  const top = readDer(buf, off, end);
  if (top === undefined || top.end !== end) return false;
  // Stack of [position, end] of the constructed contents still to walk.
  const stack: number[] = [];
  if (top.constructed) stack.push(top.off, top.end);
  while (stack.length > 0) {
    const depth = stack.length / 2;
    const e = stack[stack.length - 1];
    const p = stack[stack.length - 2];
    if (p === e) {
      stack.length -= 2;
      continue;
    }
    const n = readDer(buf, p, e);
    if (n === undefined) return false;
    stack[stack.length - 2] = n.end;
    if (n.constructed) {
      if (depth >= maxDepth) return false;
      stack.push(n.off, n.end);
    }
  }
  return true;
}

/** Dotted form of OID contents buf[off, off + len), or undefined when malformed. */
export function oidToString(buf: Buffer, off: number, len: number): string | undefined {
  if (len <= 0 || off + len > buf.length) return undefined;
  const arcs: string[] = [];
  let v = 0n;
  let small = 0;
  let useBig = false;
  let first = true;
  for (let p = off; p < off + len; p++) {
    const b = buf[p];
    // A subidentifier never starts with 0x80 (non-minimal).
    if (small === 0 && !useBig && b === 0x80) return undefined;
    if (!useBig && small > 2 ** 45) {
      useBig = true;
      v = BigInt(small);
    }
    if (useBig) v = v * 128n + BigInt(b & 0x7f);
    else small = small * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (first) {
      // The first subidentifier packs two arcs: 40 * X + Y, X in 0..2.
      const whole = useBig ? v : BigInt(small);
      const x = whole < 40n ? 0n : whole < 80n ? 1n : 2n;
      arcs.push(x.toString(), (whole - 40n * x).toString());
      first = false;
    } else arcs.push(useBig ? v.toString() : String(small));
    small = 0;
    v = 0n;
    useBig = false;
  }
  // The last byte must close a subidentifier.
  if (buf[off + len - 1] & 0x80) return undefined;
  return arcs.join(".");
}

/**
 * Text of a string-typed node, decoded per its type: UTF8String as UTF-8; PrintableString,
 * IA5String, NumericString, VisibleString as ASCII-compatible Latin-1; T61String as
 * Latin-1 (the common practical reading); BMPString as UTF-16BE; UniversalString as
 * UTF-32BE. Undefined for other types or a malformed BMP/Universal length.
 */
export function derString(buf: Buffer, n: DerNode): string | undefined {
  if (n.cls !== CLASS_UNIVERSAL || n.constructed) return undefined;
  switch (n.tag) {
    case TAG_UTF8_STRING:
      return buf.toString("utf8", n.off, n.end);
    case TAG_PRINTABLE_STRING:
    case TAG_IA5_STRING:
    case TAG_NUMERIC_STRING:
    case TAG_VISIBLE_STRING:
    case TAG_T61_STRING:
      return buf.toString("latin1", n.off, n.end);
    case TAG_BMP_STRING: {
      if (n.len % 2 !== 0) return undefined;
      let s = "";
      for (let p = n.off; p < n.end; p += 2) s += String.fromCharCode(buf.readUInt16BE(p));
      return s;
    }
    case TAG_UNIVERSAL_STRING: {
      if (n.len % 4 !== 0) return undefined;
      let s = "";
      for (let p = n.off; p < n.end; p += 4) {
        const cp = buf.readUInt32BE(p);
        s += cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : "\ufffd";
      }
      return s;
    }
    default:
      return undefined;
  }
}

/**
 * UTCTime (YYMMDDHHMM[SS](Z|±hhmm), years 50–99 → 19xx) or GeneralizedTime
 * (YYYYMMDDHH[MM[SS[.fff]]](Z|±hhmm)) as an ISO 8601 UTC string
 * "YYYY-MM-DDTHH:MM:SSZ" (fractions dropped); undefined when malformed.
 */
export function derTimeToIso(buf: Buffer, n: DerNode): string | undefined {
  if (n.cls !== CLASS_UNIVERSAL || n.constructed || n.len > 32) return undefined;
  const s = buf.toString("latin1", n.off, n.end);
  let m: RegExpExecArray | null;
  let year: number;
  let rest: string[];
  if (n.tag === TAG_UTC_TIME) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/.exec(s);
    if (m === null) return undefined;
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = [m[2], m[3], m[4], m[5], m[6] ?? "00", m[7]];
  } else if (n.tag === TAG_GENERALIZED_TIME) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,]\d{1,9})?(Z|[+-]\d{4})?$/.exec(s);
    if (m === null) return undefined;
    year = Number(m[1]);
    rest = [m[2], m[3], m[4], m[5] ?? "00", m[6] ?? "00", m[7] ?? "Z"];
  } else return undefined;
  const [mo, d, h, mi, se, zone] = rest.map((x, i) => (i < 5 ? Number(x) : x)) as [
    number,
    number,
    number,
    number,
    number,
    string,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return undefined;
  const dt = new Date(Date.UTC(2000, mo - 1, d, h, mi, se === 60 ? 59 : se));
  dt.setUTCFullYear(year);
  // Reject dates the calendar does not have (Feb 30) instead of rolling them over.
  if (dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return undefined;
  if (zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(3, 5));
    if (oh > 23 || om > 59) return undefined;
    dt.setTime(dt.getTime() - sign * (oh * 60 + om) * 60000);
  }
  if (Number.isNaN(dt.getTime())) return undefined;
  const y = dt.getUTCFullYear();
  if (y < 0 || y > 9999) return undefined;
  const pad = (v: number, w = 2) => String(v).padStart(w, "0");
  return `${pad(y, 4)}-${pad(dt.getUTCMonth() + 1)}-${pad(dt.getUTCDate())}T${pad(dt.getUTCHours())}:${pad(
    dt.getUTCMinutes(),
  )}:${pad(dt.getUTCSeconds())}Z`;
}
