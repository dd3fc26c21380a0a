import type { Counters } from "../../util/counters.js";
import {
  EXT_ALPN,
  EXT_EARLY_DATA,
  EXT_EC_POINT_FORMATS,
  EXT_KEY_SHARE,
  EXT_PRE_SHARED_KEY,
  EXT_PSK_KEY_EXCHANGE_MODES,
  EXT_SERVER_NAME,
  EXT_SESSION_TICKET,
  EXT_SIGNATURE_ALGORITHMS,
  EXT_SUPPORTED_GROUPS,
  EXT_SUPPORTED_VERSIONS,
  extensionBlockEnd,
  extensionTypesOf,
  firstOfType,
  newExtensionRound,
  parseExtensionBlock,
  readAlpnList,
  readU8List,
  readU16List,
  type TlsExtension,
} from "./extensions.js";
import { tlsStats } from "./stats.js";

/** Signals that the client tries to resume a session (or send 0-RTT data). */
export interface ResumptionSignals {
  /** session_ticket extension present. */
  sessionTicketExt: boolean;
  /** session_ticket extension carries a ticket (non-empty): a TLS 1.2 resumption attempt. */
  sessionTicketNonEmpty: boolean;
  /** pre_shared_key extension present: a TLS 1.3 resumption (PSK) attempt. */
  preSharedKey: boolean;
  /** psk_key_exchange_modes extension present. */
  pskKeyExchangeModes: boolean;
  /** early_data extension present (0-RTT). */
  earlyData: boolean;
  /** Non-empty legacy session id (TLS 1.2 session-id resumption, or TLS 1.3 compatibility mode). */
  sessionIdNonEmpty: boolean;
}

/**
 * A parsed ClientHello. Lists are in wire order and still contain GREASE values (the
 * fingerprints drop them). `Buffer` members are views into the message body given to
 * `parseClientHello`; copy that body first if it must outlive the capture buffer.
 */
export interface ClientHello {
  /** legacy_version (0x0303 for TLS 1.2 and 1.3 clients). */
  legacyVersion: number;
  sessionIdLength: number;
  cipherSuites: number[];
  compressionMethods: number[];
  /** Extensions in wire order, with views of their data. */
  extensions: TlsExtension[];
  /** Extension types in wire order (same order as `extensions`). */
  extensionTypes: number[];
  /** First host_name of the server_name extension, decoded as UTF-8. */
  serverName: string | undefined;
  /** The server_name extension is present (parsed or not): JA4's "d". */
  hasServerNameExt: boolean;
  /** The supported_versions extension is present (parsed or not): JA4 then takes its version from it. */
  hasSupportedVersionsExt: boolean;
  /** ALPN protocol names as raw bytes, in order; undefined without a (well-formed) ALPN extension. */
  alpn: Buffer[] | undefined;
  /** supported_versions entries; undefined without the extension. */
  supportedVersions: number[] | undefined;
  /** signature_algorithms entries in wire order; undefined without the extension. */
  signatureAlgorithms: number[] | undefined;
  /** supported_groups entries; undefined without the extension. */
  supportedGroups: number[] | undefined;
  /** ec_point_formats entries; undefined without the extension. */
  ecPointFormats: number[] | undefined;
  /** Groups of the key_share entries offered; undefined without the extension. */
  keyShareGroups: number[] | undefined;
  /** psk_key_exchange_modes entries; undefined without the extension. */
  pskModes: number[] | undefined;
  resumption: ResumptionSignals;
}

/**
 * Parses a ClientHello handshake body (after the 4-byte handshake header). Returns
 * undefined (and bumps `tls.client_hello.malformed`) when the fixed part or the extension
 * framing is broken. A broken *inside* of a known extension leaves that one field
 * undefined and bumps `tls.client_hello.bad_extension`; the extension still counts.
 */
export function parseClientHello(body: Buffer, counters: Counters = tlsStats): ClientHello | undefined {
  try {
    return parse(body, counters);
  } catch {
    // Defensive: parse() checks every bound, so this only guards against a bug.
    counters.inc("tls.client_hello.internal_error");
    return undefined;
  }
}

function malformed(counters: Counters): undefined {
  counters.inc("tls.client_hello.malformed");
  return undefined;
}

function parse(b: Buffer, counters: Counters): ClientHello | undefined {
  const end = b.length;
  // legacy_version(2) random(32) session_id<0..32>
  if (end < 35) return malformed(counters);
  const legacyVersion = b.readUInt16BE(0);
  let p = 34;
  const sidLen = b[p++];
  if (sidLen > 32 || p + sidLen > end) return malformed(counters);
  p += sidLen;
  // cipher_suites<2..2^16-2>: an empty or odd list is tolerated only as far as framing goes.
  if (p + 2 > end) return malformed(counters);
  const csLen = b.readUInt16BE(p);
  p += 2;
  if (csLen % 2 !== 0 || p + csLen > end) return malformed(counters);
  const cipherSuites: number[] = [];
  for (let i = p; i < p + csLen; i += 2) cipherSuites.push((b[i] << 8) | b[i + 1]);
  p += csLen;
  // compression_methods<1..2^8-1>
  if (p + 1 > end) return malformed(counters);
  const cmLen = b[p++];
  if (p + cmLen > end) return malformed(counters);
  const compressionMethods: number[] = [];
  for (let i = 0; i < cmLen; i++) compressionMethods.push(b[p + i]);
  p += cmLen;
  // extensions<8..2^16-1>, absent in old clients. Framing first (all or nothing), then each
  // extension read in place: no object per extension (`extensions` makes them on demand).
  const extOff = p;
  const extensionTypes = extensionTypesOf(b, p, end);
  if (extensionTypes === undefined) return malformed(counters);
  if (p < end && extensionBlockEnd(b, p, end) < end) counters.inc("tls.client_hello.trailing_bytes");

  const ch = new ParsedClientHello(
    b,
    extOff,
    end,
    legacyVersion,
    sidLen,
    cipherSuites,
    compressionMethods,
    extensionTypes,
  );
  // The first occurrence of a duplicated extension wins (a duplicate is itself a signal,
  // visible in extensionTypes).
  const r = newExtensionRound();
  for (let q = extOff + 2, i = 0; i < extensionTypes.length; i++) {
    const type = extensionTypes[i];
    const len = (b[q + 2] << 8) | b[q + 3];
    if (firstOfType(type, r) && !applyExtension(ch, type, b, q + 4, q + 4 + len))
      counters.inc("tls.client_hello.bad_extension");
    q += 4 + len;
  }
  return ch;
}

/** The parser's ClientHello: the extension list itself is made on first use. */
class ParsedClientHello implements ClientHello {
  serverName: string | undefined = undefined;
  hasServerNameExt = false;
  hasSupportedVersionsExt = false;
  alpn: Buffer[] | undefined = undefined;
  supportedVersions: number[] | undefined = undefined;
  signatureAlgorithms: number[] | undefined = undefined;
  supportedGroups: number[] | undefined = undefined;
  ecPointFormats: number[] | undefined = undefined;
  keyShareGroups: number[] | undefined = undefined;
  pskModes: number[] | undefined = undefined;
  readonly resumption: ResumptionSignals;
  private exts: TlsExtension[] | undefined = undefined;

  constructor(
    private readonly body: Buffer,
    private readonly extOff: number,
    private readonly end: number,
    readonly legacyVersion: number,
    readonly sessionIdLength: number,
    readonly cipherSuites: number[],
    readonly compressionMethods: number[],
    readonly extensionTypes: number[],
  ) {
    this.resumption = {
      sessionTicketExt: false,
      sessionTicketNonEmpty: false,
      preSharedKey: false,
      pskKeyExchangeModes: false,
      earlyData: false,
      sessionIdNonEmpty: sessionIdLength > 0,
    };
  }

  get extensions(): TlsExtension[] {
    // The framing was checked by the parser: this cannot fail.
    this.exts ??= parseExtensionBlock(this.body, this.extOff, this.end) ?? [];
    return this.exts;
  }
}

/** Fills the field of `ch` for a known extension; false when its inside is malformed. */
function applyExtension(ch: ClientHello, type: number, b: Buffer, start: number, end: number): boolean {
  switch (type) {
    case EXT_SERVER_NAME: {
      ch.hasServerNameExt = true;
      // An empty server_name is legal in a ServerHello only; a client's is a list.
      if (end === start) return true;
      const name = readHostName(b, start, end);
      if (name === null) return false;
      ch.serverName = name;
      return true;
    }
    case EXT_ALPN:
      ch.alpn = readAlpnList(b, start, end);
      return ch.alpn !== undefined;
    case EXT_SUPPORTED_VERSIONS:
      ch.hasSupportedVersionsExt = true;
      ch.supportedVersions = readU16List(b, start, end, 1);
      return ch.supportedVersions !== undefined;
    case EXT_SIGNATURE_ALGORITHMS:
      ch.signatureAlgorithms = readU16List(b, start, end, 2);
      return ch.signatureAlgorithms !== undefined;
    case EXT_SUPPORTED_GROUPS:
      ch.supportedGroups = readU16List(b, start, end, 2);
      return ch.supportedGroups !== undefined;
    case EXT_EC_POINT_FORMATS:
      ch.ecPointFormats = readU8List(b, start, end);
      return ch.ecPointFormats !== undefined;
    case EXT_KEY_SHARE:
      ch.keyShareGroups = readKeyShareGroups(b, start, end);
      return ch.keyShareGroups !== undefined;
    case EXT_SESSION_TICKET:
      ch.resumption.sessionTicketExt = true;
      ch.resumption.sessionTicketNonEmpty = end > start;
      return true;
    case EXT_PRE_SHARED_KEY:
      ch.resumption.preSharedKey = true;
      return true;
    case EXT_EARLY_DATA:
      ch.resumption.earlyData = true;
      return true;
    case EXT_PSK_KEY_EXCHANGE_MODES:
      ch.resumption.pskKeyExchangeModes = true;
      ch.pskModes = readU8List(b, start, end);
      return ch.pskModes !== undefined;
    default:
      return true;
  }
}

/**
 * First host_name (type 0) of a ServerNameList filling `d[start, end)`, or undefined when
 * the list has none; null when the list is malformed.
 */
function readHostName(d: Buffer, start: number, end: number): string | undefined | null {
  if (end - start < 2 || ((d[start] << 8) | d[start + 1]) !== end - start - 2) return null;
  let p = start + 2;
  let first: string | undefined;
  while (p < end) {
    if (p + 3 > end) return null;
    const type = d[p];
    const n = (d[p + 1] << 8) | d[p + 2];
    p += 3;
    if (p + n > end) return null;
    if (type === 0 && first === undefined) first = d.toString("utf8", p, p + n);
    p += n;
  }
  return first;
}

/**
 * Groups of a ClientHello key_share filling `d[start, end)`: client_shares<0..2^16-1> of
 * {group, key_exchange<1..2^16-1>}.
 */
function readKeyShareGroups(d: Buffer, start: number, end: number): number[] | undefined {
  if (end - start < 2 || ((d[start] << 8) | d[start + 1]) !== end - start - 2) return undefined;
  const out: number[] = [];
  let p = start + 2;
  while (p < end) {
    if (p + 4 > end) return undefined;
    const group = (d[p] << 8) | d[p + 1];
    const n = (d[p + 2] << 8) | d[p + 3];
    p += 4;
    if (p + n > end) return undefined;
    out.push(group);
    p += n;
  }
  return out;
}
