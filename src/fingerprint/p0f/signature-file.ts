/**
 * Parser for the p0f v3 signature database (`p0f.fp`, format in p0f's docs/README §5).
 *
 * Accepts what p0f 3.09b accepts and rejects what it rejects (its `readfp.c`,
 * `fp_tcp.c`, `fp_mtu.c`, `fp_http.c` rules), but instead of exiting at the first problem it
 * collects every error with its line number and a description. One deliberate difference:
 * trailing blanks and a CR at the end of a line are ignored (p0f chokes on them).
 *
 * Pure: text in, data out (reading the file is `load-database.ts`). Never throws.
 */

import { detectWindowMultiple } from "./window-multiple.js";

/** Don't-care value for numeric fields (`*`). */
export const ANY = -1;

/** TCP quirk bits (our numbering; the order is p0f's raw-signature order). */
export const Quirk = {
  DF: 1 << 0,
  NZ_ID: 1 << 1,
  ZERO_ID: 1 << 2,
  ECN: 1 << 3,
  NZ_MBZ: 1 << 4,
  FLOW: 1 << 5,
  ZERO_SEQ: 1 << 6,
  NZ_ACK: 1 << 7,
  ZERO_ACK: 1 << 8,
  NZ_URG: 1 << 9,
  URG: 1 << 10,
  PUSH: 1 << 11,
  OPT_ZERO_TS1: 1 << 12,
  OPT_NZ_TS2: 1 << 13,
  OPT_EOL_NZ: 1 << 14,
  OPT_EXWS: 1 << 15,
  OPT_BAD: 1 << 16,
} as const;

/** Quirk names in p0f's order (parse and raw-signature output). */
export const QUIRK_NAMES: ReadonlyArray<readonly [number, string]> = [
  [Quirk.DF, "df"],
  [Quirk.NZ_ID, "id+"],
  [Quirk.ZERO_ID, "id-"],
  [Quirk.ECN, "ecn"],
  [Quirk.NZ_MBZ, "0+"],
  [Quirk.FLOW, "flow"],
  [Quirk.ZERO_SEQ, "seq-"],
  [Quirk.NZ_ACK, "ack+"],
  [Quirk.ZERO_ACK, "ack-"],
  [Quirk.NZ_URG, "uptr+"],
  [Quirk.URG, "urgf+"],
  [Quirk.PUSH, "pushf+"],
  [Quirk.OPT_ZERO_TS1, "ts1-"],
  [Quirk.OPT_NZ_TS2, "ts2+"],
  [Quirk.OPT_EOL_NZ, "opt+"],
  [Quirk.OPT_EXWS, "exws"],
  [Quirk.OPT_BAD, "bad"],
];

/** TCP option kinds p0f names in layouts. */
export const OPT_EOL = 0;
export const OPT_NOP = 1;
export const OPT_MSS = 2;
export const OPT_WS = 3;
export const OPT_SOK = 4;
export const OPT_SACK = 5;
export const OPT_TS = 8;

/** p0f considers at most 24 options per packet or signature. */
export const MAX_TCP_OPT = 24;

/** Window size kinds: exact value, `*`, `%N`, `mss*N`, `mtu*N`. */
export type WindowType = "normal" | "any" | "mod" | "mss" | "mtu";

export interface P0fLabel {
  line: number;
  /** Sequence number of the label in the file (p0f's label_id). */
  id: number;
  generic: boolean;
  /** OS class name as registered in `classes` (e.g. "unix"), or null for `!` (application). */
  osClass: string | null;
  /** Index into `P0fDatabase.names`. */
  nameId: number;
  /** The name as p0f prints it: the first spelling of it in the file (names are case-insensitive). */
  name: string;
  /** Flavor text, or null when empty. */
  flavor: string | null;
  /** `sys` entries in effect for this label (`@class` or OS names), as written. */
  sys: string[];
}

export interface P0fTcpSignature {
  line: number;
  /** The signature text after `sig =`. */
  text: string;
  label: P0fLabel;
  /** 4, 6, or ANY. */
  ipVersion: number;
  /** Initial TTL (ittl plus any `+dist`). */
  ttl: number;
  /** `ittl-`: random TTL tool, only TTLs ≤ ttl match and distance is reported as "<= N". */
  badTtl: boolean;
  ipOptLen: number;
  mss: number;
  winType: WindowType;
  win: number;
  wscale: number;
  layout: Uint8Array;
  eolPad: number;
  quirks: number;
  /** 0 = no payload, 1 = payload, ANY. */
  payloadClass: number;
  /** Hash of the layout, to bucket signatures (equal layouts hash equally). */
  layoutHash: number;
}

export interface P0fMtuSignature {
  line: number;
  label: string;
  mtu: number;
}

export interface P0fHttpHeader {
  name: string;
  /** Substring the header value must contain, when given as `Name=[value]`. */
  value: string | null;
  /** `?Name`: may be absent, but must not appear elsewhere. */
  optional: boolean;
}

export interface P0fHttpSignature {
  line: number;
  text: string;
  label: P0fLabel;
  /** 0, 1, or ANY. */
  httpVersion: number;
  headers: P0fHttpHeader[];
  absent: string[];
  /** Expected substring of User-Agent / Server, or null. */
  expectedSoftware: string | null;
}

export interface P0fUaOs {
  name: string;
  /** Alias looked for in User-Agent (`Name=[alias]`), else the name itself. */
  match: string;
}

export interface P0fDatabase {
  source: string;
  classes: string[];
  names: string[];
  tcpRequest: P0fTcpSignature[];
  tcpResponse: P0fTcpSignature[];
  mtu: P0fMtuSignature[];
  httpRequest: P0fHttpSignature[];
  httpResponse: P0fHttpSignature[];
  uaOs: P0fUaOs[];
  /** TCP signatures by layout hash, file order kept inside a bucket. */
  tcpRequestByLayout: Map<number, P0fTcpSignature[]>;
  tcpResponseByLayout: Map<number, P0fTcpSignature[]>;
  /** Total `sig =` lines accepted (p0f's "Loaded N signatures"). */
  signatureCount: number;
}

export interface P0fParseError {
  line: number;
  message: string;
}

export interface P0fParseResult {
  database: P0fDatabase;
  /** Empty when the file is valid. p0f refuses to start on any of these. */
  errors: P0fParseError[];
}

/** Errors kept per file; a garbage file should not build an unbounded list. */
export const MAX_REPORTED_ERRORS = 100;

/** Characters allowed in OS/application names besides ASCII letters and digits (p0f's NAME_CHARS). */
const NAME_CHARS = " ./-_!?()";

/** p0f's maximum TTL distance for a non-fuzzy match. */
export const MAX_DIST = 35;

const isDigit = (c: string) => c >= "0" && c <= "9";
const isAlpha = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const isAlnum = (c: string) => isDigit(c) || isAlpha(c);
const isBlank = (c: string) => c === " " || c === "\t";
const isNameChar = (c: string) => c.length === 1 && (isAlnum(c) || NAME_CHARS.includes(c));

/** FNV-1a over the layout bytes (and its length). */
export function layoutHash(layout: ArrayLike<number>, count: number): number {
  let h = 0x811c9dc5 ^ count;
  for (let i = 0; i < count; i++) {
    h ^= layout[i] & 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

class LineError extends Error {}

/** Cursor over one value string; reading past the end yields "" (C's NUL). */
class Cur {
  constructor(
    readonly s: string,
    public i = 0,
  ) {}
  at(k = 0): string {
    const j = this.i + k;
    return j >= 0 && j < this.s.length ? this.s[j] : "";
  }
  startsWith(t: string): boolean {
    return this.s.startsWith(t, this.i);
  }
  /** Digits from `from` on; returns [text, index after]. */
  digits(from = this.i): [string, number] {
    let j = from;
    while (j < this.s.length && isDigit(this.s[j])) j++;
    return [this.s.slice(from, j), j];
  }
  charAt(j: number): string {
    return j >= 0 && j < this.s.length ? this.s[j] : "";
  }
}

/** `atol` of a digit run ("" → 0). */
function num(digits: string): number {
  return digits.length === 0 ? 0 : Number(digits);
}

/** C `atol` from `s[i]`: leading white space, an optional sign, then digits. */
function atol(s: string, i: number): number {
  while (i < s.length && " \t\n\v\f\r".includes(s[i])) i++;
  let sign = 1;
  if (s[i] === "+" || s[i] === "-") {
    if (s[i] === "-") sign = -1;
    i++;
  }
  const [d] = new Cur(s).digits(i);
  return sign * num(d);
}

function show(c: string): string {
  return c === "" ? "end of line" : `'${c}'`;
}

type Section = "none" | "mtu" | "tcp:request" | "tcp:response" | "http:request" | "http:response";
type State = "need-section" | "need-label" | "need-sys" | "need-sig";

/** Parses p0f.fp text. `source` names the file in messages. */
export function parseP0fDatabase(text: string, source = "p0f.fp"): P0fParseResult {
  const db: P0fDatabase = {
    source,
    classes: [],
    names: [],
    tcpRequest: [],
    tcpResponse: [],
    mtu: [],
    httpRequest: [],
    httpResponse: [],
    uaOs: [],
    tcpRequestByLayout: new Map(),
    tcpResponseByLayout: new Map(),
    signatureCount: 0,
  };
  const errors: P0fParseError[] = [];
  let section: Section = "none";
  let state: State = "need-section";
  let label: P0fLabel | undefined;
  let mtuLabel: string | undefined;
  let labelId = 0;
  let sys: string[] = [];
  /** After a bad label, its signatures are skipped quietly (one error per cause). */
  let labelBroken = false;

  const lookupName = (name: string): number => {
    const lower = name.toLowerCase();
    for (let i = 0; i < db.names.length; i++) if (db.names[i].toLowerCase() === lower) return i;
    db.names.push(name);
    return db.names.length - 1;
  };
  const lookupClass = (name: string): string | undefined => {
    const lower = name.toLowerCase();
    return db.classes.find((c) => c.toLowerCase() === lower);
  };

  // p0f reads the file as a C string: nothing after a NUL byte exists for it.
  const nul = text.indexOf("\0");
  const lines = (nul < 0 ? text : text.slice(0, nul)).split("\n");
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    let line = lines[n];
    let b = 0;
    while (b < line.length && isBlank(line[b])) b++;
    line = line.slice(b).replace(/[ \t\r]+$/, "");
    if (line.length === 0 || line[0] === ";") continue;
    try {
      if (line[0] === "[") {
        const body = line.slice(1);
        if (body === "mtu]") {
          section = "mtu";
        } else {
          const colon = body.indexOf(":");
          if (colon < 0) throw new LineError(`malformed section identifier '${line}'`);
          const mod = body.slice(0, colon);
          const dir = body.slice(colon + 1);
          if (mod !== "tcp" && mod !== "http") {
            throw new LineError(`unrecognized fingerprinting module '${mod}' (expected tcp, http or [mtu])`);
          }
          if (dir !== "request]" && dir !== "response]") {
            throw new LineError(`unrecognized traffic direction '${dir}' (expected request] or response])`);
          }
          section = `${mod}:${dir.slice(0, -1)}` as Section;
        }
        state = "need-label";
        label = undefined;
        labelBroken = false;
        continue;
      }

      let v = 0;
      while (v < line.length && (isAlpha(line[v]) || line[v] === "_")) v++;
      const key = line.slice(0, v);
      while (v < line.length && isBlank(line[v])) v++;
      if (v === 0 || line[v] !== "=") {
        throw new LineError(
          `unexpected statement '${line}' (expected 'name = value', '[section]' or '; comment')`,
        );
      }
      v++;
      while (v < line.length && isBlank(line[v])) v++;
      const value = line.slice(v);

      switch (key) {
        case "classes":
          if (state !== "need-section")
            throw new LineError("misplaced 'classes' (it must come before the first section)");
          parseClasses(value, db.classes);
          break;
        case "ua_os":
          if (state !== "need-label" || section !== "http:request") {
            throw new LineError(
              "misplaced 'ua_os' (it must open the [http:request] section, before any label)",
            );
          }
          parseUaOs(value, db.uaOs, lookupName);
          break;
        case "label":
          if (state !== "need-label" && state !== "need-sig") {
            throw new LineError(
              state === "need-section"
                ? "misplaced 'label' (no section opened yet)"
                : "misplaced 'label' (the previous application label needs a 'sys =' line first)",
            );
          }
          labelId++;
          if (section === "mtu") {
            if (value.length === 0) {
              labelBroken = true;
              state = "need-sig";
              throw new LineError("empty MTU label");
            }
            mtuLabel = value;
            labelBroken = false;
            state = "need-sig";
          } else {
            try {
              label = parseLabel(value, lineNo, labelId, lookupClass, lookupName);
              label.name = db.names[label.nameId];
              labelBroken = false;
              label.sys = sys;
              state = label.osClass === null ? "need-sys" : "need-sig";
            } catch (e) {
              labelBroken = true;
              label = undefined;
              state = "need-sig";
              throw e;
            }
          }
          break;
        case "sys":
          if (state !== "need-sys") {
            throw new LineError("misplaced 'sys' (it must directly follow an application label, class '!')");
          }
          sys = parseSys(value, lookupClass, lookupName);
          if (label) label.sys = sys;
          state = "need-sig";
          break;
        case "sig": {
          if (state !== "need-sig") {
            throw new LineError(
              state === "need-sys"
                ? "misplaced 'sig' (an application label needs a 'sys =' line first)"
                : "misplaced 'sig' (no label before it)",
            );
          }
          if (labelBroken) break;
          if (section === "mtu") {
            db.mtu.push({ line: lineNo, label: mtuLabel ?? "", mtu: parseMtu(value) });
          } else if (section === "tcp:request" || section === "tcp:response") {
            if (!label) throw new LineError("misplaced 'sig' (no label before it)");
            const sig = parseTcpSignature(value, lineNo, label);
            const toServer = section === "tcp:request";
            const list = toServer ? db.tcpRequest : db.tcpResponse;
            const index = toServer ? db.tcpRequestByLayout : db.tcpResponseByLayout;
            const dupe = findDuplicate(index.get(sig.layoutHash), sig);
            if (dupe) throw new LineError(`signature is already covered by line ${dupe.line}`);
            list.push(sig);
            const bucket = index.get(sig.layoutHash);
            if (bucket) bucket.push(sig);
            else index.set(sig.layoutHash, [sig]);
          } else if (section === "http:request" || section === "http:response") {
            if (!label) throw new LineError("misplaced 'sig' (no label before it)");
            const list = section === "http:request" ? db.httpRequest : db.httpResponse;
            const sig = parseHttpSignature(value, lineNo, label);
            const dupe = findHttpDuplicate(list, sig);
            if (dupe) throw new LineError(`signature is already covered by line ${dupe.line}`);
            list.push(sig);
          }
          db.signatureCount++;
          break;
        }
        default:
          throw new LineError(`unrecognized field '${key}' (expected classes, label, sys, sig or ua_os)`);
      }
    } catch (e) {
      // LineError is the normal path; anything else would be a parser bug, still reported
      // against its line rather than thrown past the API.
      const message = e instanceof LineError ? e.message : `internal parser error: ${String(e)}`;
      if (errors.length < MAX_REPORTED_ERRORS) errors.push({ line: lineNo, message });
    }
  }
  return { database: db, errors };
}

/** Formats parse errors the way the loader reports them: `source:line: message`. */
export function formatP0fErrors(source: string, errors: readonly P0fParseError[]): string {
  return errors.map((e) => `${source}:${e.line}: ${e.message}`).join("\n");
}

function parseClasses(value: string, out: string[]): void {
  let i = 0;
  while (i < value.length) {
    while (i < value.length && (isBlank(value[i]) || value[i] === ",")) i++;
    let j = i;
    while (j < value.length && isAlnum(value[j])) j++;
    if (j === i || (j < value.length && value[j] !== ",")) {
      throw new LineError(`malformed class entry at ${show(value[j] ?? "")} in 'classes = ${value}'`);
    }
    out.push(value.slice(i, j));
    i = j;
  }
}

function parseLabel(
  value: string,
  line: number,
  id: number,
  lookupClass: (n: string) => string | undefined,
  lookupName: (n: string) => number,
): P0fLabel {
  const c = new Cur(value);
  let generic: boolean;
  if (c.at() === "g") generic = true;
  else if (c.at() === "s") generic = false;
  else throw new LineError(`malformed label: type must be 's' or 'g', found ${show(c.at())}`);
  if (c.at(1) !== ":")
    throw new LineError(`malformed label: expected ':' after the type, found ${show(c.at(1))}`);
  c.i += 2;
  let j = c.i;
  while (j < value.length && (isAlnum(value[j]) || value[j] === "!")) j++;
  if (j === c.i || c.charAt(j) !== ":") {
    throw new LineError(`malformed label: bad class field, expected letters/digits or '!' then ':'`);
  }
  let osClass: string | null;
  if (c.at() === "!" && c.at(1) === ":") {
    osClass = null;
  } else {
    const cls = value.slice(c.i, j);
    const known = lookupClass(cls);
    if (known === undefined) throw new LineError(`unknown class '${cls}' (not listed in 'classes =')`);
    osClass = known;
  }
  c.i = j + 1;
  j = c.i;
  while (j < value.length && isNameChar(value[j])) j++;
  if (j === c.i || c.charAt(j) !== ":") {
    throw new LineError(`malformed name in label (allowed: letters, digits and '${NAME_CHARS}', then ':')`);
  }
  const nameId = lookupName(value.slice(c.i, j));
  const flavor = j + 1 < value.length ? value.slice(j + 1) : null;
  return { line, id, generic, osClass, nameId, name: "", flavor, sys: [] };
}

function parseSys(
  value: string,
  lookupClass: (n: string) => string | undefined,
  lookupName: (n: string) => number,
): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && (isBlank(value[i]) || value[i] === ",")) i++;
    let isClass = false;
    if (value[i] === "@") {
      isClass = true;
      i++;
    }
    let j = i;
    while (j < value.length && isNameChar(value[j])) j++;
    if (j === i || (j < value.length && value[j] !== ",")) {
      throw new LineError(`malformed sys entry near ${show(value[j] ?? "")} in 'sys = ${value}'`);
    }
    const name = value.slice(i, j);
    if (isClass) {
      if (lookupClass(name) === undefined) throw new LineError(`unknown class '${name}' in sys`);
      out.push(`@${name}`);
    } else {
      lookupName(name);
      out.push(name);
    }
    i = j;
  }
  return out;
}

function parseUaOs(value: string, out: P0fUaOs[], lookupName: (n: string) => number): void {
  let i = 0;
  while (i < value.length) {
    let j = i;
    while (j < value.length && isNameChar(value[j])) j++;
    if (j === i) throw new LineError(`malformed system name at ${show(value[i])} in ua_os`);
    const name = value.slice(i, j);
    lookupName(name);
    i = j;
    let match = name;
    if (value[i] === "=") {
      if (value[i + 1] !== "[") throw new LineError(`missing '[' after '=' in ua_os entry '${name}'`);
      i += 2;
      const close = value.indexOf("]", i);
      if (close < 0 || close === i)
        throw new LineError(`malformed ua_os alias for '${name}' (empty or no ']')`);
      match = value.slice(i, close);
      i = close + 1;
    }
    out.push({ name, match });
    if (value[i] === ",") i++;
  }
}

function parseMtu(value: string): number {
  const [d, end] = new Cur(value).digits();
  if (d.length === 0 || end !== value.length)
    throw new LineError(`malformed MTU value '${value}' (expected a number)`);
  const mtu = num(d);
  if (mtu <= 0 || mtu > 65535) throw new LineError(`malformed MTU value '${value}' (must be 1..65535)`);
  return mtu;
}

export const LAYOUT_TOKENS: ReadonlyArray<readonly [string, number]> = [
  ["nop", OPT_NOP],
  ["mss", OPT_MSS],
  ["ws", OPT_WS],
  ["sok", OPT_SOK],
  ["sack", OPT_SACK],
  ["ts", OPT_TS],
];

/** The quirk names read back (same order, so prefix matching sees them as p0f does). */
const QUIRK_TOKENS: ReadonlyArray<readonly [string, number]> = QUIRK_NAMES.map(([q, name]) => [name, q]);

/**
 * A signature's quirks as compared with a packet (or signature) of `ipVersion`: a '*'
 * signature drops the quirks the other IP version cannot have, as p0f does.
 */
export function quirksFor(sig: P0fTcpSignature, ipVersion: number): number {
  if (sig.ipVersion !== ANY) return sig.quirks;
  return sig.quirks & (ipVersion === 4 ? ~Quirk.FLOW : ~(Quirk.DF | Quirk.NZ_ID | Quirk.ZERO_ID));
}

const IPV4_ONLY_QUIRKS = Quirk.DF | Quirk.NZ_ID | Quirk.ZERO_ID | Quirk.NZ_MBZ;

/**
 * `ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass`, read field by field as p0f's
 * tcp_register_sig does (including its leniency: an empty number reads as 0).
 */
export function parseTcpSignature(value: string, line: number, label: P0fLabel): P0fTcpSignature {
  const c = new Cur(value);
  let ipVersion: number;
  switch (c.at()) {
    case "4":
      ipVersion = 4;
      break;
    case "6":
      ipVersion = 6;
      break;
    case "*":
      ipVersion = ANY;
      break;
    default:
      throw new LineError(`unrecognized IP version ${show(c.at())} (expected 4, 6 or *)`);
  }
  if (c.at(1) !== ":") throw new LineError(`malformed signature: expected ':' after the IP version`);
  c.i += 2;

  // Initial TTL: N, N+D or N- (random-TTL tool).
  let [d, nxt] = c.digits();
  const t = c.charAt(nxt);
  if (t !== ":" && t !== "+" && t !== "-") {
    throw new LineError(`malformed signature: initial TTL followed by ${show(t)} (expected ':', '+' or '-')`);
  }
  // p0f reads the TTL with atol(), so a leading sign is taken ("+64:" is 64, then +64 more).
  let ttl = atol(value, c.i);
  if (ttl < 1 || ttl > 255)
    throw new LineError(`bogus initial TTL '${value.slice(c.i, nxt) || "(empty)"}' (must be 1..255)`);
  c.i = nxt + 1;
  let badTtl = false;
  if (t === "-" && c.charAt(nxt + 1) === ":") {
    badTtl = true;
    // p0f skips two characters here (past ':' and one more); kept for identical parsing.
    c.i += 2;
  } else if (t === "+") {
    [d, nxt] = c.digits(nxt + 1);
    if (c.charAt(nxt) !== ":")
      throw new LineError(`malformed signature: TTL distance followed by ${show(c.charAt(nxt))}`);
    const add = num(d);
    if (add < 0 || ttl + add > 255) throw new LineError(`bogus initial TTL ${ttl}+${d} (sum must be ≤ 255)`);
    ttl += add;
    c.i = nxt + 1;
  }

  // IP option length.
  [d, nxt] = c.digits();
  if (c.charAt(nxt) !== ":")
    throw new LineError(`malformed signature: IP option length followed by ${show(c.charAt(nxt))}`);
  const ipOptLen = num(d);
  if (ipOptLen > 255) throw new LineError(`bogus IP option length ${d} (must be 0..255)`);
  c.i = nxt + 1;

  // MSS.
  let mss: number;
  if (c.at() === "*" && c.at(1) === ":") {
    mss = ANY;
    c.i += 2;
  } else {
    [d, nxt] = c.digits();
    if (c.charAt(nxt) !== ":")
      throw new LineError(`malformed signature: MSS followed by ${show(c.charAt(nxt))}`);
    mss = num(d);
    if (mss > 65535) throw new LineError(`bogus MSS ${d} (must be 0..65535)`);
    c.i = nxt + 1;
  }

  // Window size.
  let winType: WindowType;
  let win: number;
  if (c.at() === "*" && c.at(1) === ",") {
    winType = "any";
    win = 0;
    c.i += 2;
  } else if (c.at() === "%") {
    winType = "mod";
    [d, nxt] = c.digits(c.i + 1);
    if (c.charAt(nxt) !== ",")
      throw new LineError(`malformed signature: '%' window followed by ${show(c.charAt(nxt))}`);
    win = num(d);
    if (win < 2 || win > 65535) throw new LineError(`bogus '%' window value ${d} (must be 2..65535)`);
    c.i = nxt + 1;
  } else if (c.startsWith("mss*") || c.startsWith("mtu*")) {
    winType = c.at(1) === "s" ? "mss" : "mtu";
    [d, nxt] = c.digits(c.i + 4);
    if (c.charAt(nxt) !== ",")
      throw new LineError(`malformed signature: ${winType}* window followed by ${show(c.charAt(nxt))}`);
    win = num(d);
    if (win < 1 || win > 1000) throw new LineError(`bogus MSS/MTU multiplier ${d} (must be 1..1000)`);
    c.i = nxt + 1;
  } else {
    winType = "normal";
    [d, nxt] = c.digits();
    if (c.charAt(nxt) !== ",")
      throw new LineError(
        `malformed signature: window size followed by ${show(c.charAt(nxt))} (expected ',')`,
      );
    win = num(d);
    if (win > 65535) throw new LineError(`bogus window size ${d} (must be 0..65535)`);
    c.i = nxt + 1;
  }

  // Window scale.
  let wscale: number;
  if (c.at() === "*" && c.at(1) === ":") {
    wscale = ANY;
    c.i += 2;
  } else {
    [d, nxt] = c.digits();
    if (c.charAt(nxt) !== ":")
      throw new LineError(`malformed signature: window scale followed by ${show(c.charAt(nxt))}`);
    wscale = num(d);
    if (wscale > 255) throw new LineError(`bogus window scale ${d} (must be 0..255)`);
    c.i = nxt + 1;
  }

  // Option layout.
  const layout: number[] = [];
  let eolPad = 0;
  while (c.at() !== ":") {
    if (layout.length >= MAX_TCP_OPT) throw new LineError(`too many TCP options (more than ${MAX_TCP_OPT})`);
    if (c.startsWith("eol")) {
      layout.push(OPT_EOL);
      c.i += 3;
      if (c.at() !== "+") throw new LineError("malformed EOL option (expected 'eol+N')");
      [d, nxt] = c.digits(c.i + 1);
      if (c.charAt(nxt) === "")
        throw new LineError("truncated options (signature ends inside the option layout)");
      if (c.charAt(nxt) !== ":") throw new LineError("EOL must be the last option");
      eolPad = num(d);
      if (eolPad > 255) throw new LineError(`bogus EOL padding ${d} (must be 0..255)`);
      c.i = nxt;
    } else if (c.at() === "?") {
      [d, nxt] = c.digits(c.i + 1);
      const after = c.charAt(nxt);
      if (after !== ":" && after !== ",") throw new LineError(`malformed '?' option (expected '?N')`);
      const kind = num(d);
      if (kind > 255) throw new LineError(`bogus '?' option ${d} (must be 0..255)`);
      layout.push(kind);
      c.i = nxt;
    } else {
      const tok = LAYOUT_TOKENS.find(([name]) => c.startsWith(name));
      if (!tok) throw new LineError(`unrecognized TCP option at '${value.slice(c.i, c.i + 8)}'`);
      layout.push(tok[1]);
      c.i += tok[0].length;
    }
    if (c.at() === ":") break;
    if (c.at() !== ",")
      throw new LineError(`malformed TCP options: ${show(c.at())} after an option (expected ',' or ':')`);
    c.i++;
  }
  c.i++;

  // Quirks.
  let quirks = 0;
  while (c.at() !== ":") {
    const tok = QUIRK_TOKENS.find(([name]) => c.startsWith(name));
    if (!tok) throw new LineError(`unrecognized quirk at '${value.slice(c.i, c.i + 8) || "end of line"}'`);
    if (ipVersion === 6 && tok[1] & IPV4_ONLY_QUIRKS)
      throw new LineError(`'${tok[0]}' is not valid for IPv6`);
    if (ipVersion === 4 && tok[1] === Quirk.FLOW) throw new LineError("'flow' is not valid for IPv4");
    quirks |= tok[1];
    c.i += tok[0].length;
    if (c.at() === ":") break;
    if (c.at() !== ",")
      throw new LineError(`malformed quirks: ${show(c.at())} after a quirk (expected ',' or ':')`);
    c.i++;
  }
  c.i++;

  // Payload class: the rest of the value.
  const rest = value.slice(c.i);
  let payloadClass: number;
  if (rest === "*") payloadClass = ANY;
  else if (rest === "0") payloadClass = 0;
  else if (rest === "+") payloadClass = 1;
  else throw new LineError(`malformed payload class '${rest}' (expected 0, + or *)`);

  const lay = Uint8Array.from(layout);
  return {
    line,
    text: value,
    label,
    ipVersion,
    ttl,
    badTtl,
    ipOptLen,
    mss,
    winType,
    win,
    wscale,
    layout: lay,
    eolPad,
    quirks,
    payloadClass,
    layoutHash: layoutHash(lay, lay.length),
  };
}

function parseHttpSignature(value: string, line: number, label: P0fLabel): P0fHttpSignature {
  if (value[1] !== ":") throw new LineError("malformed HTTP signature: expected 'ver:horder:habsent:expsw'");
  let httpVersion: number;
  if (value[0] === "0") httpVersion = 0;
  else if (value[0] === "1") httpVersion = 1;
  else if (value[0] === "*") httpVersion = ANY;
  else throw new LineError(`bad HTTP version '${value[0]}' (expected 0, 1 or *)`);
  let i = 2;
  const isHdrChar = (ch: string | undefined) => ch !== undefined && (isAlnum(ch) || ch === "-" || ch === "_");
  const headers: P0fHttpHeader[] = [];
  while (value[i] !== ":") {
    if (headers.length >= 32) throw new LineError("too many headers listed (more than 32)");
    let optional = false;
    if (value[i] === "?") {
      optional = true;
      i++;
    }
    let j = i;
    while (isHdrChar(value[j])) j++;
    if (j === i) throw new LineError(`malformed header name at ${show(value[i] ?? "")}`);
    const name = value.slice(i, j);
    i = j;
    let hv: string | null = null;
    if (value[i] === "=") {
      if (value[i + 1] !== "[") throw new LineError(`missing '[' after '=' for header '${name}'`);
      i += 2;
      const close = value.indexOf("]", i);
      if (close < 0 || close === i)
        throw new LineError(`malformed value for header '${name}' (empty or no ']')`);
      hv = value.slice(i, close);
      i = close + 1;
    }
    headers.push({ name, value: hv, optional });
    if (value[i] === ",") i++;
    else if (value[i] !== ":") throw new LineError(`malformed HTTP signature after header '${name}'`);
  }
  i++;
  const absent: string[] = [];
  while (value[i] !== ":") {
    if (absent.length >= 32) throw new LineError("too many headers listed (more than 32)");
    let j = i;
    while (isHdrChar(value[j])) j++;
    if (j === i) throw new LineError(`malformed header name at ${show(value[i] ?? "")} in the absent list`);
    absent.push(value.slice(i, j));
    i = j;
    if (value[i] === ",") i++;
    else if (value[i] !== ":") throw new LineError("malformed HTTP signature in the absent-header list");
  }
  i++;
  const sw = value.slice(i);
  if (sw.includes(":"))
    throw new LineError("malformed HTTP signature: ':' inside the expected software string");
  return { line, text: value, label, httpVersion, headers, absent, expectedSoftware: sw.length ? sw : null };
}

/**
 * p0f's load-time duplicate check: a new signature that an earlier *specific* signature of the
 * same direction already matches exactly (non-fuzzy) is rejected.
 */
function findDuplicate(
  bucket: readonly P0fTcpSignature[] | undefined,
  sig: P0fTcpSignature,
): P0fTcpSignature | undefined {
  if (!bucket) return undefined;
  for (const ref of bucket) {
    if (ref.label.generic) continue;
    if (!sameLayout(ref, sig)) continue;
    // A '*' new signature counts as "not IPv4" there, as in p0f.
    if (quirksFor(ref, sig.ipVersion) !== sig.quirks) continue; // any quirk difference would be fuzzy at best
    if (ref.eolPad !== sig.eolPad || ref.ipOptLen !== sig.ipOptLen) continue;
    if (ref.badTtl) {
      if (ref.ttl < sig.ttl) continue;
    } else if (ref.ttl < sig.ttl || ref.ttl - sig.ttl > MAX_DIST) {
      continue; // fuzzy
    }
    if (ref.mss !== ANY && ref.mss !== sig.mss) continue;
    if (ref.wscale !== ANY && ref.wscale !== sig.wscale) continue;
    if (ref.payloadClass !== ANY && ref.payloadClass !== sig.payloadClass) continue;
    if (sig.winType !== "normal") {
      if (ref.winType !== sig.winType || ref.win !== sig.win) continue;
    } else {
      // A fixed window in the new signature, checked like traffic (its MSS is not a real
      // MSS, so multiples never match: p0f computes them from an MSS below 100 or '*').
      if (ref.winType === "normal" && ref.win !== sig.win) continue;
      if (ref.winType === "mod" && sig.win % ref.win !== 0) continue;
      if (ref.winType === "mss" || ref.winType === "mtu") {
        // The signature as a packet: no timestamp, no SYN MSS, header length 0.
        const input = { ipVersion: sig.ipVersion, win: sig.win, mss: sig.mss, ts1: 0, totHdr: 0 };
        const wm = detectWindowMultiple(input, 0);
        if (wm.multi === -1 || (ref.winType === "mtu") !== wm.mtu || ref.win !== wm.multi) continue;
      }
    }
    return ref;
  }
  return undefined;
}

function sameLayout(a: P0fTcpSignature, b: P0fTcpSignature): boolean {
  if (a.layout.length !== b.layout.length) return false;
  for (let i = 0; i < a.layout.length; i++) if (a.layout[i] !== b.layout[i]) return false;
  return true;
}

/**
 * p0f's load-time duplicate check for HTTP signatures (http_find_match in dupe mode): an
 * earlier specific signature whose headers all appear, in order and with matching values,
 * in the new one (optional ones absent everywhere or in order), whose forbidden headers the
 * new one neither lists nor lacks in its own forbidden list. p0f pre-filters with a Bloom
 * filter over the non-optional headers; this uses the exact sets it approximates.
 */
function findHttpDuplicate(
  list: readonly P0fHttpSignature[],
  sig: P0fHttpSignature,
): P0fHttpSignature | undefined {
  const required = new Set(sig.headers.filter((h) => !h.optional).map((h) => h.name));
  next: for (const ref of list) {
    if (ref.label.generic) continue;
    if (ref.httpVersion !== ANY && ref.httpVersion !== sig.httpVersion) continue;
    for (const h of ref.headers) if (!h.optional && !required.has(h.name)) continue next;
    let t = 0;
    for (const rh of ref.headers) {
      const orig = t;
      while (t < sig.headers.length && sig.headers[t].name !== rh.name) t++;
      if (t === sig.headers.length) {
        if (!rh.optional) continue next;
        if (sig.headers.some((h) => h.name === rh.name)) continue next;
        t = orig;
        continue;
      }
      const tv = sig.headers[t].value;
      if (rh.value !== null && (tv === null || !tv.includes(rh.value))) continue next;
      t++;
    }
    for (const m of ref.absent) if (required.has(m)) continue next;
    if (ref.absent.length > sig.absent.length) continue;
    for (const m of ref.absent) if (!sig.absent.includes(m)) continue next;
    return ref;
  }
  return undefined;
}
