/**
 * Fingerprints and DECNET list fields of TLS hellos, computed once per distinct hello
 * *structure*. A tool sends the same cipher suites, extensions and lists on every
 * connection (only randoms, keys, session ids, the SNI and the GREASE values differ), so
 * building the JA3/JA4 strings, sorting, hashing and formatting the lists again for each
 * connection was most of the sensor's cost per TLS session.
 *
 * Two levels, both looked up by a numeric hash of the hello's lists and confirmed by
 * comparing the lists themselves (no key string is built):
 * - the *shape*: everything the prints read except the order of the extensions (JA4 and
 *   JA4_r sort it away; Chrome shuffles its extensions on every connection);
 * - the *exact* structure, extension order included, for clients that do not shuffle.
 *   A shape seen in two orders is marked shuffling and its hellos skip this level: only
 *   the order-dependent strings (JA3, raw_extensions, JA4_o, JA4_ro) are built for them.
 * GREASE values are left out of both keys wherever every print drops them (all lists but
 * the EC point formats and the ALPN names), so a client's random GREASE does not defeat
 * the cache. A test compares cached and fresh prints over 30,000 generated hellos.
 *
 * Bounds: 4096 slots per level (direct-mapped: a colliding structure replaces the
 * entry), lists of at most MAX_LIST values and MAX_SORTED extensions (longer hellos are
 * computed without the cache), and MAX_HELD list values and ALPN bytes held by all
 * entries together (beyond it every cache starts over), so crafted hellos with long lists
 * cannot make the caches large.
 */

import { hash12, hash12Once, md5HexOnce } from "../../fingerprint/digest.js";
import { hex4 } from "../../fingerprint/tls/hash.js";
import type { ClientHello, Ja3, Ja3s, Ja4, Ja4s, ServerHello } from "../../fingerprint/tls/index.js";
import { isGrease, ja3s, ja4s } from "../../fingerprint/tls/index.js";
import { ja3Head, ja3Tail } from "../../fingerprint/tls/ja3.js";
import { type Ja4Transport, ja4Parts } from "../../fingerprint/tls/ja4.js";
import { alpnText, decimalList, hexList, tlsVersionName } from "./decnet-fields.js";

/** What every ClientHello of one structure shares. Immutable: one object serves all connections. */
export interface ClientHelloPrints {
  readonly ja3: Ja3;
  readonly ja4: Ja4;
  /** DECNET tls_version of the ClientHello (its legacy_version). */
  readonly tlsVersion: string;
  /** DECNET alpn: the protocol names, comma-joined. */
  readonly alpn: string;
  readonly rawCiphers: string;
  readonly rawExtensions: string;
  /** Hex lists (our additions); undefined without the extension. */
  readonly supportedVersions: string | undefined;
  readonly signatureAlgorithms: string | undefined;
}

/** What every ServerHello of one structure shares. */
export interface ServerHelloPrints {
  readonly ja3s: Ja3s;
  readonly ja4s: Ja4s;
  /**
   * DECNET tls_version: the ServerHello's legacy_version, as DECNET reports it (a TLS 1.3
   * session says "TLS 1.2": RFC 8446 §4.1.3 freezes that field at 0x0303).
   */
  readonly tlsVersion: string;
  /** Our negotiated_version: supported_versions' selection, else legacy_version (same text form). */
  readonly negotiatedVersion: string;
}

const SLOTS = 4096;
const MASK = SLOTS - 1;
/** Longer lists (far beyond any real client) skip the cache. */
const MAX_LIST = 1024;
/** More extensions than this skip the cache (their order-free key is sorted by insertion). */
const MAX_SORTED = 64;
/** List values and ALPN bytes the entries of all three caches hold together. */
const MAX_HELD = 256 * 1024;
let held = 0;

/** Accounts for an entry about to be stored (`cost`: its list values and ALPN bytes). */
function hold(cost: number): void {
  held += cost;
  if (held <= MAX_HELD) return;
  shapes.fill(undefined);
  exacts.fill(undefined);
  servers.fill(undefined);
  held = cost;
}

function listCost(v: readonly unknown[] | undefined): number {
  return v === undefined ? 0 : v.length;
}

function alpnCost(names: readonly Buffer[] | undefined): number {
  let n = 0;
  if (names !== undefined) for (const b of names) n += 1 + b.length;
  return n;
}

/** All-ones normally; 0 in tests, so that every structure collides and the comparisons decide. */
let hashMask = -1;

/** Testing only: the list values and ALPN bytes the caches hold (at most MAX_HELD). */
export function helloCachesHeldForTesting(): { held: number; max: number } {
  return { held, max: MAX_HELD };
}

/** Testing only: make every hello hash alike (true) or restore the real hash (false). */
export function collideHelloHashesForTesting(on: boolean): void {
  hashMask = on ? 0 : -1;
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h ^ (h >>> 15)) & hashMask;
}

/** Mixes a list into h (GREASE left out when asked); undefined and empty differ. */
function mixList(h: number, v: readonly number[] | undefined, dropGrease: boolean): number {
  if (v === undefined) return mix(h, 0x7fffffff);
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (dropGrease && isGrease(x)) continue;
    h = mix(h, x);
    n++;
  }
  return mix(h, n);
}

/** Mixes one name's length and bytes into h. */
function mixBytes(h: number, b: Buffer): number {
  h = mix(h, b.length);
  for (let i = 0; i < b.length; i++) h = mix(h, b[i]);
  return h;
}

function mixAlpn(h: number, names: readonly Buffer[] | undefined): number {
  if (names === undefined) return mix(h, 0x7fffffff);
  for (const n of names) h = mixBytes(h, n);
  return mix(h, names.length);
}

/** `v` (GREASE left out when asked) equals the stored list. */
function sameList(
  stored: readonly number[] | undefined,
  v: readonly number[] | undefined,
  dropGrease: boolean,
) {
  if (stored === undefined || v === undefined) return stored === v;
  let j = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (dropGrease && isGrease(x)) continue;
    if (j >= stored.length || stored[j] !== x) return false;
    j++;
  }
  return j === stored.length;
}

function copyList(v: readonly number[] | undefined, dropGrease: boolean): number[] | undefined {
  if (v === undefined) return undefined;
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) if (!dropGrease || !isGrease(v[i])) out.push(v[i]);
  return out;
}

function sameAlpn(stored: readonly Buffer[] | undefined, v: readonly Buffer[] | undefined): boolean {
  if (stored === undefined || v === undefined) return stored === v;
  if (stored.length !== v.length) return false;
  for (let i = 0; i < v.length; i++) if (!stored[i].equals(v[i])) return false;
  return true;
}

/** Both absent, or the same bytes (a ServerHello's one ALPN name). */
function sameName(stored: Buffer | undefined, v: Buffer | undefined): boolean {
  return stored === undefined || v === undefined ? stored === v : stored.equals(v);
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function tooLong(v: readonly unknown[] | undefined): boolean {
  return v !== undefined && v.length > MAX_LIST;
}

/**
 * What a ClientHello gives apart from its extension order: every order-free print, and
 * the pieces the order-dependent ones (JA3, raw_extensions, JA4_o, JA4_ro) are built from.
 */
class OrderFreePrints {
  readonly ja4: string;
  readonly ja4R: string;
  readonly ja4Prefix: string;
  readonly ciphersOrig: string;
  readonly ciphersOrigHash: string;
  readonly sigPart: string;
  readonly ja3Head: string;
  readonly ja3Tail: string;
  readonly tlsVersion: string;
  readonly alpnText: string;
  readonly rawCiphers: string;
  readonly supportedVersions: string | undefined;
  readonly signatureAlgorithms: string | undefined;

  constructor(ch: ClientHello, transport: Ja4Transport) {
    const p = ja4Parts(ch, transport);
    this.ja4 = `${p.prefix}_${hash12(p.ciphersSorted)}_${hash12(p.extensionsSorted)}`;
    this.ja4R = `${p.prefix}_${p.ciphersSorted}_${p.extensionsSorted}`;
    this.ja4Prefix = p.prefix;
    this.ciphersOrig = p.ciphersOrig;
    this.ciphersOrigHash = hash12(p.ciphersOrig);
    this.sigPart = p.sigPart;
    this.ja3Head = ja3Head(ch);
    this.ja3Tail = ja3Tail(ch);
    this.tlsVersion = tlsVersionName(ch.legacyVersion);
    this.alpnText = alpnText(ch.alpn);
    this.rawCiphers = decimalList(ch.cipherSuites);
    this.supportedVersions = ch.supportedVersions === undefined ? undefined : hexList(ch.supportedVersions);
    this.signatureAlgorithms =
      ch.signatureAlgorithms === undefined ? undefined : hexList(ch.signatureAlgorithms);
  }

  /** The prints of a hello whose non-GREASE extensions came in `order`. */
  prints(order: readonly number[]): ClientHelloPrints {
    let dec = "";
    let hex = "";
    for (let i = 0; i < order.length; i++) {
      dec += i === 0 ? String(order[i]) : `-${order[i]}`;
      hex += i === 0 ? hex4(order[i]) : `,${hex4(order[i])}`;
    }
    const extensionsOrig = hex + this.sigPart;
    const full = this.ja3Head + dec + this.ja3Tail;
    // Not memoised: a shuffling client's order-dependent strings are new on (nearly) every
    // connection, and a client that keeps its order gets this result cached whole.
    return {
      ja3: { ja3: md5HexOnce(full), ja3_full: full },
      ja4: {
        ja4: this.ja4,
        ja4_r: this.ja4R,
        ja4_o: `${this.ja4Prefix}_${this.ciphersOrigHash}_${hash12Once(extensionsOrig)}`,
        ja4_ro: `${this.ja4Prefix}_${this.ciphersOrig}_${extensionsOrig}`,
      },
      tlsVersion: this.tlsVersion,
      alpn: this.alpnText,
      rawCiphers: this.rawCiphers,
      rawExtensions: dec,
      supportedVersions: this.supportedVersions,
      signatureAlgorithms: this.signatureAlgorithms,
    };
  }
}

/** A ClientHello shape: the inputs of the prints but the extension order, and what they give. */
class Shape {
  /** Whether hellos of this shape came with their extensions in more than one order. */
  shuffles = false;
  readonly out: OrderFreePrints;
  // The key (GREASE left out of every list but the point formats).
  readonly legacyVersion: number;
  readonly ciphers: number[];
  readonly groups: number[] | undefined;
  readonly formats: number[] | undefined;
  readonly sigs: number[] | undefined;
  readonly versions: number[] | undefined;
  readonly alpn: Buffer[] | undefined;

  constructor(
    readonly hash: number,
    readonly transport: Ja4Transport,
    /** Non-GREASE extension types, ascending (the order-free part of the key). */
    readonly extSorted: number[],
    /** The first order seen. */
    readonly firstOrder: number[],
    ch: ClientHello,
  ) {
    this.legacyVersion = ch.legacyVersion;
    this.ciphers = copyList(ch.cipherSuites, true) ?? [];
    this.groups = copyList(ch.supportedGroups, true);
    this.formats = copyList(ch.ecPointFormats, false);
    this.sigs = copyList(ch.signatureAlgorithms, true);
    this.versions = copyList(ch.supportedVersions, true);
    this.alpn = ch.alpn?.map((b) => Buffer.from(b));
    this.out = new OrderFreePrints(ch, transport);
  }

  matches(h: number, transport: Ja4Transport, sorted: readonly number[], ch: ClientHello): boolean {
    return (
      this.hash === h &&
      this.transport === transport &&
      this.legacyVersion === ch.legacyVersion &&
      sameNumbers(this.extSorted, sorted) &&
      sameList(this.ciphers, ch.cipherSuites, true) &&
      sameList(this.groups, ch.supportedGroups, true) &&
      sameList(this.formats, ch.ecPointFormats, false) &&
      sameList(this.sigs, ch.signatureAlgorithms, true) &&
      sameList(this.versions, ch.supportedVersions, true) &&
      sameAlpn(this.alpn, ch.alpn)
    );
  }
}

/** An exact structure: a shape and one extension order. */
interface Exact {
  readonly hash: number;
  readonly shape: Shape;
  readonly order: number[];
  readonly prints: ClientHelloPrints;
}

const shapes: (Shape | undefined)[] = new Array<Shape | undefined>(SLOTS).fill(undefined);
const exacts: (Exact | undefined)[] = new Array<Exact | undefined>(SLOTS).fill(undefined);
// Scratch lists of the hello being looked up (reused: the lookup allocates nothing on a hit).
const order: number[] = [];
const sorted: number[] = [];

/** The prints without the cache (for hellos past its list bounds). */
function computeClient(ch: ClientHello, transport: Ja4Transport): ClientHelloPrints {
  const order = copyList(ch.extensionTypes, true) ?? [];
  return new OrderFreePrints(ch, transport).prints(order);
}

/** JA3, JA4 and DECNET's list fields of a ClientHello (cached by structure). */
export function clientHelloPrints(ch: ClientHello, transport: Ja4Transport): ClientHelloPrints {
  if (
    ch.extensionTypes.length > MAX_SORTED ||
    tooLong(ch.cipherSuites) ||
    tooLong(ch.supportedGroups) ||
    tooLong(ch.ecPointFormats) ||
    tooLong(ch.signatureAlgorithms) ||
    tooLong(ch.supportedVersions) ||
    tooLong(ch.alpn)
  )
    return computeClient(ch, transport);

  // Non-GREASE extension types in wire order, and ascending (insertion sort: ≤ MAX_SORTED).
  order.length = 0;
  sorted.length = 0;
  const types = ch.extensionTypes;
  let ho = 0x2545f491;
  for (let i = 0; i < types.length; i++) {
    const t = types[i];
    if (isGrease(t)) continue;
    order.push(t);
    ho = mix(ho, t);
    let j = sorted.length;
    sorted.push(t);
    while (j > 0 && sorted[j - 1] > t) {
      sorted[j] = sorted[j - 1];
      j--;
    }
    sorted[j] = t;
  }
  let h = mix(0x6a09e667, transport.charCodeAt(0));
  // (Which extensions are present, server_name and supported_versions included, is in `sorted`.)
  h = mix(h, ch.legacyVersion);
  for (let i = 0; i < sorted.length; i++) h = mix(h, sorted[i]);
  h = mix(h, sorted.length);
  h = mixList(h, ch.cipherSuites, true);
  h = mixList(h, ch.supportedGroups, true);
  h = mixList(h, ch.ecPointFormats, false);
  h = mixList(h, ch.signatureAlgorithms, true);
  h = mixList(h, ch.supportedVersions, true);
  h = mixAlpn(h, ch.alpn);
  const he = mix(h, ho);

  const ex = exacts[he & MASK];
  if (
    ex !== undefined &&
    ex.hash === he &&
    sameNumbers(ex.order, order) &&
    ex.shape.matches(h, transport, sorted, ch)
  )
    return ex.prints;

  let shape = shapes[h & MASK];
  if (shape === undefined || !shape.matches(h, transport, sorted, ch)) {
    shape = new Shape(h, transport, sorted.slice(), order.slice(), ch);
    hold(
      2 * order.length +
        listCost(shape.ciphers) +
        listCost(shape.groups) +
        listCost(shape.formats) +
        listCost(shape.sigs) +
        listCost(shape.versions) +
        alpnCost(shape.alpn),
    );
    shapes[h & MASK] = shape;
  } else if (!shape.shuffles && !sameNumbers(shape.firstOrder, order)) {
    shape.shuffles = true;
  }
  const prints = shape.out.prints(order);
  if (!shape.shuffles) {
    hold(1 + order.length);
    exacts[he & MASK] = { hash: he, shape, order: order.slice(), prints };
  }
  return prints;
}

/** A ServerHello structure and its prints (servers send no GREASE; JA4S keeps any as sent). */
interface ServerEntry {
  readonly hash: number;
  readonly transport: Ja4Transport;
  readonly legacyVersion: number;
  readonly cipherSuite: number;
  readonly selectedVersion: number | undefined;
  readonly extensionTypes: number[];
  readonly alpn: Buffer | undefined;
  readonly prints: ServerHelloPrints;
}

const servers: (ServerEntry | undefined)[] = new Array<ServerEntry | undefined>(SLOTS).fill(undefined);

function computeServer(sh: ServerHello, transport: Ja4Transport): ServerHelloPrints {
  return {
    ja3s: ja3s(sh),
    ja4s: ja4s(sh, transport),
    tlsVersion: tlsVersionName(sh.legacyVersion),
    negotiatedVersion: tlsVersionName(sh.selectedVersion ?? sh.legacyVersion),
  };
}

/** JA3S, JA4S, DECNET's tls_version and our negotiated_version of a ServerHello (cached by structure). */
export function serverHelloPrints(sh: ServerHello, transport: Ja4Transport): ServerHelloPrints {
  if (tooLong(sh.extensionTypes)) return computeServer(sh, transport);
  let h = mix(0x3c6ef372, transport.charCodeAt(0));
  h = mix(h, sh.legacyVersion);
  h = mix(h, sh.cipherSuite);
  h = mix(h, sh.selectedVersion ?? -1);
  h = mixList(h, sh.extensionTypes, false);
  // As mixAlpn over a one-name list, without making the list.
  h = sh.alpn === undefined ? mix(h, 0x7fffffff) : mix(mixBytes(h, sh.alpn), 1);
  const e = servers[h & MASK];
  if (
    e !== undefined &&
    e.hash === h &&
    e.transport === transport &&
    e.legacyVersion === sh.legacyVersion &&
    e.cipherSuite === sh.cipherSuite &&
    e.selectedVersion === sh.selectedVersion &&
    sameNumbers(e.extensionTypes, sh.extensionTypes) &&
    sameName(e.alpn, sh.alpn)
  )
    return e.prints;
  const prints = computeServer(sh, transport);
  hold(1 + sh.extensionTypes.length + (sh.alpn === undefined ? 0 : sh.alpn.length));
  servers[h & MASK] = {
    hash: h,
    transport,
    legacyVersion: sh.legacyVersion,
    cipherSuite: sh.cipherSuite,
    selectedVersion: sh.selectedVersion,
    extensionTypes: sh.extensionTypes.slice(),
    alpn: sh.alpn === undefined ? undefined : Buffer.from(sh.alpn),
    prints,
  };
  return prints;
}
