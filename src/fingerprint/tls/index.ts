export {
  type CertificateMessage,
  MAX_CHAIN_CERTIFICATES,
  parseCertificateMessage,
} from "./certificate.js";
export { type ClientHello, parseClientHello, type ResumptionSignals } from "./client-hello.js";
export {
  type DerNode,
  derChildren,
  derString,
  derTimeToIso,
  derWellFormed,
  MAX_DER_DEPTH,
  oidToString,
  readDer,
} from "./der.js";
export type { TlsExtension } from "./extensions.js";
export { GREASE_VALUES, isGrease } from "./grease.js";
export {
  DEFAULT_MAX_STREAM_BYTES,
  type HandshakeMessageHandler,
  MAX_HANDSHAKE_MESSAGE,
  TlsHandshakeReader,
  type TlsHandshakeReaderOptions,
  type TlsReaderState,
} from "./handshake-reader.js";
export { hash12 } from "./hash.js";
export { type Ja3, type Ja3s, ja3, ja3s } from "./ja3.js";
export { alpnChars, isGreaseAlpn, type Ja4, type Ja4Transport, ja4, ja4VersionCode } from "./ja4.js";
export { type Ja4s, ja4s } from "./ja4s.js";
export { type Ja4x, ja4x, ja4xRecord } from "./ja4x.js";
export { X509_OID_SHORT_NAMES } from "./oid-names.js";
export { parseServerHello, type ServerHello } from "./server-hello.js";
export { tlsStats } from "./stats.js";
export {
  formatIp,
  formatName,
  MAX_SANS,
  parseX509,
  type SubjectAltNames,
  type X509Attribute,
  type X509Extension,
  type X509Info,
  type X509Rdn,
} from "./x509.js";

/** Handshake message types handed out by TlsHandshakeReader that the parsers here read. */
export const HANDSHAKE_CLIENT_HELLO = 1;
export const HANDSHAKE_SERVER_HELLO = 2;
export const HANDSHAKE_CERTIFICATE = 11;
