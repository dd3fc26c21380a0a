/**
 * Fingerprints and DECNET list fields of TLS hellos, computed once per distinct hello
 * *structure*. A tool sends the same cipher suites, extensions and lists on every
 * connection (only randoms, keys, session ids and the SNI differ), so building the
 * JA3/JA4 strings, sorting, hashing and formatting the lists again for each connection
 * was most of the sensor's cost per TLS session. The cache key holds exactly the inputs
 * the fingerprints and list fields read, so a hit gives the same strings a fresh
 * computation would (a test compares the two on every corpus hello).
 *
 * Bounds: 4096 entries per cache and 1 Mi key characters; hellos with lists longer than
 * MAX_LIST entries are computed without the cache.
 */
import type { ClientHello, Ja3, Ja3s, Ja4, Ja4s, ServerHello } from "../../fingerprint/tls/index.js";
import { ja3, ja3s, ja4, ja4s } from "../../fingerprint/tls/index.js";
import type { Ja4Transport } from "../../fingerprint/tls/ja4.js";
import { BoundedCache } from "../../util/bounded-cache.js";
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
  /** DECNET tls_version: the negotiated version (supported_versions, else legacy_version). */
  readonly tlsVersion: string;
}

const MAX_ENTRIES = 4096;
const MAX_KEY_CHARS = 1024 * 1024;
/** Longer lists (far beyond any real client) skip the cache. */
const MAX_LIST = 1024;

const clientCache = new BoundedCache<ClientHelloPrints>(MAX_ENTRIES, MAX_KEY_CHARS);
const serverCache = new BoundedCache<ServerHelloPrints>(MAX_ENTRIES, MAX_KEY_CHARS);

/** A list as key text: its length, then one UTF-16 unit per 16-bit value; U+FFFF for "absent". */
function listKey(v: readonly number[] | undefined): string {
  if (v === undefined) return "\uffff";
  return String.fromCharCode(v.length) + String.fromCharCode.apply(null, v as number[]);
}

function alpnKey(names: readonly Buffer[] | undefined): string {
  if (names === undefined) return "\uffff";
  let k = String.fromCharCode(names.length);
  for (const n of names) k += String.fromCharCode(n.length) + n.toString("latin1");
  return k;
}

function tooLong(v: readonly unknown[] | undefined): boolean {
  return v !== undefined && v.length > MAX_LIST;
}

function computeClient(ch: ClientHello, transport: Ja4Transport): ClientHelloPrints {
  return {
    ja3: ja3(ch),
    ja4: ja4(ch, transport),
    tlsVersion: tlsVersionName(ch.legacyVersion),
    alpn: alpnText(ch.alpn),
    rawCiphers: decimalList(ch.cipherSuites),
    rawExtensions: decimalList(ch.extensionTypes),
    supportedVersions: ch.supportedVersions === undefined ? undefined : hexList(ch.supportedVersions),
    signatureAlgorithms: ch.signatureAlgorithms === undefined ? undefined : hexList(ch.signatureAlgorithms),
  };
}

/** JA3, JA4 and DECNET's list fields of a ClientHello (cached by structure). */
export function clientHelloPrints(ch: ClientHello, transport: Ja4Transport): ClientHelloPrints {
  if (
    tooLong(ch.cipherSuites) ||
    tooLong(ch.extensionTypes) ||
    tooLong(ch.supportedGroups) ||
    tooLong(ch.ecPointFormats) ||
    tooLong(ch.signatureAlgorithms) ||
    tooLong(ch.supportedVersions) ||
    tooLong(ch.alpn)
  )
    return computeClient(ch, transport);
  // Every input of computeClient except the SNI text (only its presence) and resumption.
  const key =
    transport +
    String.fromCharCode(ch.legacyVersion, ch.hasServerNameExt ? 1 : 0) +
    listKey(ch.cipherSuites) +
    listKey(ch.extensionTypes) +
    listKey(ch.supportedGroups) +
    listKey(ch.ecPointFormats) +
    listKey(ch.signatureAlgorithms) +
    listKey(ch.supportedVersions) +
    alpnKey(ch.alpn);
  let p = clientCache.get(key);
  if (p === undefined) {
    p = computeClient(ch, transport);
    clientCache.set(key, p);
  }
  return p;
}

function computeServer(sh: ServerHello, transport: Ja4Transport): ServerHelloPrints {
  return {
    ja3s: ja3s(sh),
    ja4s: ja4s(sh, transport),
    tlsVersion: tlsVersionName(sh.selectedVersion ?? sh.legacyVersion),
  };
}

/** JA3S, JA4S and DECNET's tls_version of a ServerHello (cached by structure). */
export function serverHelloPrints(sh: ServerHello, transport: Ja4Transport): ServerHelloPrints {
  if (tooLong(sh.extensionTypes)) return computeServer(sh, transport);
  const key =
    transport +
    String.fromCharCode(sh.legacyVersion, sh.cipherSuite, sh.selectedVersion === undefined ? 0 : 1) +
    String.fromCharCode(sh.selectedVersion ?? 0) +
    listKey(sh.extensionTypes) +
    (sh.alpn === undefined ? "\uffff" : String.fromCharCode(sh.alpn.length) + sh.alpn.toString("latin1"));
  let p = serverCache.get(key);
  if (p === undefined) {
    p = computeServer(sh, transport);
    serverCache.set(key, p);
  }
  return p;
}
