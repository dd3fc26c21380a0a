import type { Counters } from "../../util/counters.js";
import {
  EXT_ALPN,
  EXT_KEY_SHARE,
  EXT_SUPPORTED_VERSIONS,
  extensionBlockEnd,
  firstOfType,
  newExtensionRound,
  parseExtensionBlock,
  readAlpnList,
  type TlsExtension,
} from "./extensions.js";
import { tlsStats } from "./stats.js";

/**
 * A parsed ServerHello (or HelloRetryRequest, which shares its layout). `Buffer` members
 * are views into the body given to `parseServerHello`.
 */
export interface ServerHello {
  legacyVersion: number;
  sessionIdLength: number;
  cipherSuite: number;
  compressionMethod: number;
  /** Extensions in wire order, with views of their data. */
  extensions: TlsExtension[];
  extensionTypes: number[];
  /** The supported_versions selection (TLS 1.3); undefined without the extension. */
  selectedVersion: number | undefined;
  /** The ALPN protocol the server selected (raw bytes); undefined without the extension. */
  alpn: Buffer | undefined;
  /** key_share group (the selected group of a HelloRetryRequest, or the server's share). */
  keyShareGroup: number | undefined;
  /** The random is the HelloRetryRequest magic value (RFC 8446 §4.1.3). */
  isHelloRetryRequest: boolean;
  /** The supported_versions extension is present (parsed or not): JA4S then takes its version from it. */
  hasSupportedVersionsExt: boolean;
}

/** SHA-256("HelloRetryRequest"), the random of a HelloRetryRequest. */
const HRR_RANDOM = Buffer.from("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c", "hex");

/**
 * Parses a ServerHello handshake body (after the 4-byte handshake header). Returns
 * undefined (and bumps `tls.server_hello.malformed`) when the fixed part or the extension
 * framing is broken; a malformed known extension leaves its field undefined and bumps
 * `tls.server_hello.bad_extension`.
 */
export function parseServerHello(body: Buffer, counters: Counters = tlsStats): ServerHello | undefined {
  try {
    return parse(body, counters);
  } catch {
    counters.inc("tls.server_hello.internal_error");
    return undefined;
  }
}

function malformed(counters: Counters): undefined {
  counters.inc("tls.server_hello.malformed");
  return undefined;
}

function parse(b: Buffer, counters: Counters): ServerHello | undefined {
  const end = b.length;
  // legacy_version(2) random(32) session_id<0..32> cipher(2) compression(1) extensions
  if (end < 35) return malformed(counters);
  const legacyVersion = b.readUInt16BE(0);
  let p = 34;
  const sidLen = b[p++];
  if (sidLen > 32 || p + sidLen + 3 > end) return malformed(counters);
  p += sidLen;
  const cipherSuite = b.readUInt16BE(p);
  const compressionMethod = b[p + 2];
  p += 3;
  const extensions = parseExtensionBlock(b, p, end);
  if (extensions === undefined) return malformed(counters);
  if (p < end && extensionBlockEnd(b, p, end) < end) counters.inc("tls.server_hello.trailing_bytes");

  const sh: ServerHello = {
    legacyVersion,
    sessionIdLength: sidLen,
    cipherSuite,
    compressionMethod,
    extensions,
    extensionTypes: extensions.map((e) => e.type),
    selectedVersion: undefined,
    alpn: undefined,
    keyShareGroup: undefined,
    isHelloRetryRequest: b.compare(HRR_RANDOM, 0, 32, 2, 34) === 0,
    hasSupportedVersionsExt: false,
  };
  const r = newExtensionRound();
  for (const e of extensions) {
    if (!firstOfType(e.type, r)) continue;
    const n = e.end - e.start;
    let ok = true;
    if (e.type === EXT_SUPPORTED_VERSIONS) {
      sh.hasSupportedVersionsExt = true;
      // ServerHello form: one selected version, no list.
      if (n === 2) sh.selectedVersion = b.readUInt16BE(e.start);
      else ok = false;
    } else if (e.type === EXT_ALPN) {
      // Exactly one name in the server's list (RFC 7301 §3.1); take the first of any.
      const list = readAlpnList(e.buf, e.start, e.end);
      if (list !== undefined && list.length > 0) sh.alpn = list[0];
      else ok = false;
    } else if (e.type === EXT_KEY_SHARE) {
      // HRR: selected_group only; ServerHello: a KeyShareEntry {group, key_exchange}.
      if (n >= 2) sh.keyShareGroup = b.readUInt16BE(e.start);
      else ok = false;
    }
    if (!ok) counters.inc("tls.server_hello.bad_extension");
  }
  return sh;
}
