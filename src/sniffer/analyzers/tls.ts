import { asciiText } from "../../fingerprint/ascii-text.js";
import {
  HANDSHAKE_CERTIFICATE,
  HANDSHAKE_CLIENT_HELLO,
  HANDSHAKE_SERVER_HELLO,
  ja4xRecord,
  parseCertificateMessage,
  parseClientHello,
  parseServerHello,
  parseX509,
  TlsHandshakeReader,
  tlsStats,
} from "../../fingerprint/tls/index.js";
import type { TlsKeyLog } from "../../fingerprint/tls/keylog.js";
import { TlsRecordSplitter } from "../../fingerprint/tls/record-splitter.js";
import { Tls13RecordOpener } from "../../fingerprint/tls/tls13-decrypt.js";
import type { X509Extension, X509Info, X509Rdn } from "../../fingerprint/tls/x509.js";
import type { AnalyzerContext, FlowState, StreamAnalyzer } from "../flow-state.js";
import { endpointFields } from "../flow-state.js";
import type { X509Entry } from "../ja4-record.js";
import { SEVERITY_INFO, SEVERITY_WARNING } from "../observation.js";
import { clientHelloFields, decnetName, handshakeRttFields, recordClientHello } from "./decnet-fields.js";
import { clientHelloPrints, serverHelloPrints } from "./hello-prints.js";

/** ClientHello / ServerHello messages reported per flow (a HelloRetryRequest makes two of each). */
const MAX_HELLOS = 4;

/**
 * TLS may start later in a direction's stream (after HTTP CONNECT, a SOCKS exchange or a
 * STARTTLS): chunks are looked at until this many bytes of that direction were not TLS.
 * Bytes, not chunks: a preamble cut into many small segments must not hide what follows.
 */
const MAX_TLS_SEEK_BYTES = 16 * 1024;

/**
 * Bytes `startsTls` needs to decide. A record may be split anywhere (RFC 5246 §6.2.1), so
 * a shorter chunk is held (at most TLS_HEAD - 1 bytes per direction) until more arrive.
 */
const TLS_HEAD = 3;

/** A chunk that begins with a TLS handshake record (or an SSLv2-compatible ClientHello). */
function startsTls(buf: Buffer, off: number, len: number): boolean {
  if (len < TLS_HEAD) return false;
  const b0 = buf[off];
  if (b0 === 0x16) return buf[off + 1] === 0x03 && buf[off + 2] <= 0x04;
  return (b0 & 0x80) !== 0 && buf[off + 2] === 0x01; // SSLv2 record header, msg type 1
}

const CONNECT = Buffer.from("CONNECT ", "latin1");
const HTTP_VERSION = Buffer.from(" HTTP/", "latin1");
/** Bytes of a first chunk searched for the end of an HTTP request line. */
const REQUEST_LINE_MAX = 1024;

/**
 * A direction's first chunk after which TLS cannot start on this connection: an SSH
 * banner (either side; SSH's binary packets that follow could otherwise pass for a TLS
 * record header), or a client HTTP request line whose method is not CONNECT (TLS through
 * HTTP comes after a CONNECT; plain requests, proxied or not, never turn into TLS). Other
 * plaintext protocols may still turn to TLS later (SMTP, IMAP, POP3, FTP STARTTLS), and
 * SOCKS may carry it, so they are watched as before.
 */
export function tlsCannotFollow(fromClient: boolean, buf: Buffer, off: number, len: number): boolean {
  if (
    len >= 4 &&
    buf[off] === 0x53 &&
    buf[off + 1] === 0x53 &&
    buf[off + 2] === 0x48 &&
    buf[off + 3] === 0x2d
  )
    return true; // "SSH-"
  if (!fromClient) return false;
  // METHOD SP request-target SP HTTP/x.y: a token of capitals, then " HTTP/" before the line's end.
  let i = 0;
  while (i < len && i < 20 && buf[off + i] >= 0x41 && buf[off + i] <= 0x5a) i++;
  if (i === 0 || i >= len || buf[off + i] !== 0x20) return false;
  if (i === 7 && buf.compare(CONNECT, 0, 8, off, off + 8) === 0) return false;
  const end = off + Math.min(len, REQUEST_LINE_MAX);
  for (let p = off + i + 1; p + HTTP_VERSION.length <= end; p++) {
    const c = buf[p];
    if (c === 0x0a || c === 0x0d) return false;
    if (c === 0x20)
      return buf.compare(HTTP_VERSION, 0, HTTP_VERSION.length, p, p + HTTP_VERSION.length) === 0;
  }
  return false;
}

/**
 * TLS over one TCP flow: handshake messages from both directions → tls_client_hello,
 * tls_session, tls_certificate observations (DECNET fields) and the JA4 record.
 */
export class TlsAnalyzer implements StreamAnalyzer {
  private client: TlsHandshakeReader | null = null;
  private server: TlsHandshakeReader | null = null;
  /** Bytes per direction that did not start TLS (see MAX_TLS_SEEK_BYTES). */
  private seekBytesClient = 0;
  private seekBytesServer = 0;
  /** A first chunk showed TLS cannot follow on this connection (`tlsCannotFollow`). */
  private noTls = false;
  /** Each direction's first chunk was looked at (for `tlsCannotFollow`). */
  private sawClient = false;
  private sawServer = false;
  /**
   * A direction's bytes too few for `startsTls` (fewer than TLS_HEAD, a copy), judged
   * together with the bytes that follow them; `heldStarts…` has bit i set where a chunk
   * began at held byte i (TLS may start at any chunk boundary). Cleared on a gap.
   */
  private heldClient: Buffer | undefined;
  private heldServer: Buffer | undefined;
  private heldStartsClient = 0;
  private heldStartsServer = 0;
  /** The connection record was filled from a ClientHello (the first one). */
  private recorded = false;
  private chFields: Record<string, string> | undefined;
  private clientHellos = 0;
  private serverHellos = 0;
  private sessionEmitted = false;
  private certsSeen = false;
  // TLS 1.3 with a key log: the server's encrypted handshake is opened to read its Certificate.
  private clientRandom: Buffer | undefined;
  private serverRecords: TlsRecordSplitter | undefined;
  private opener: Tls13RecordOpener | undefined;
  private inner: TlsHandshakeReader | undefined;

  constructor(
    private readonly st: FlowState,
    private readonly ctx: AnalyzerContext,
    private readonly certs: CertificateCache,
    private readonly keyLog?: TlsKeyLog,
  ) {}

  get finished(): boolean {
    // Each direction past its handshake (encrypted), or without TLS and no longer looked at.
    return this.directionDone(true) && this.directionDone(false);
  }

  private directionDone(fromClient: boolean): boolean {
    const r = fromClient ? this.client : this.server;
    if (r !== null && r.state !== "not_tls") return !r.active;
    return this.gaveUp(fromClient);
  }

  private gaveUp(fromClient: boolean): boolean {
    return this.noTls || (fromClient ? this.seekBytesClient : this.seekBytesServer) >= MAX_TLS_SEEK_BYTES;
  }

  onData(fromClient: boolean, buf: Buffer, off: number, len: number): void {
    const r = fromClient ? this.client : this.server;
    if (r !== null && r.state !== "not_tls") {
      this.feed(fromClient, r, buf, off, len);
      return;
    }
    if (this.gaveUp(fromClient)) return;
    const held = fromClient ? this.heldClient : this.heldServer;
    if (held === undefined) {
      this.seek(fromClient, buf, off, len);
      return;
    }
    const starts = fromClient ? this.heldStartsClient : this.heldStartsServer;
    if (fromClient) this.heldClient = undefined;
    else this.heldServer = undefined;
    // Judge the held bytes with what follows them, at each place a chunk began, exactly as
    // if they had come in one chunk. Only the prefix any judgement reads is copied
    // (tlsCannotFollow reads the most).
    const head = Buffer.concat([held, buf.subarray(off, off + Math.min(len, REQUEST_LINE_MAX))]);
    for (let at = 0; at < held.length; at++) {
      if ((starts & (1 << at)) === 0) continue;
      const v = this.judge(fromClient, head, at, head.length - at, held.length - at);
      if (v === "held") {
        // Still too few bytes from here: hold them, this chunk's start marked too.
        this.hold(fromClient, head, at, head.length - at, (starts >> at) | (1 << (held.length - at)));
        return;
      }
      if (v === "tls") {
        const reader = this.openReader(fromClient);
        this.feed(fromClient, reader, held, at, held.length - at);
        this.feed(fromClient, reader, buf, off, len);
        return;
      }
      if (this.gaveUp(fromClient)) return;
    }
    this.seek(fromClient, buf, off, len);
  }

  /** A chunk beginning where no held bytes precede it: TLS from here, or not, or too short. */
  private seek(fromClient: boolean, buf: Buffer, off: number, len: number): void {
    const v = this.judge(fromClient, buf, off, len, len);
    if (v === "held") this.hold(fromClient, buf, off, len, 1);
    else if (v === "tls") this.feed(fromClient, this.openReader(fromClient), buf, off, len);
  }

  private hold(fromClient: boolean, buf: Buffer, off: number, len: number, starts: number): void {
    const copy = Buffer.from(buf.subarray(off, off + len));
    if (fromClient) {
      this.heldClient = copy;
      this.heldStartsClient = starts;
    } else {
      this.heldServer = copy;
      this.heldStartsServer = starts;
    }
  }

  /**
   * Whether the bytes at `buf[off, off + len)` start TLS ("held": too few to tell). Bytes
   * that do not are counted against the direction's budget (`counted` of them: the chunk
   * they stand for).
   */
  private judge(
    fromClient: boolean,
    buf: Buffer,
    off: number,
    len: number,
    counted: number,
  ): "tls" | "not_tls" | "held" {
    if (len < TLS_HEAD) return "held";
    const first = fromClient ? !this.sawClient : !this.sawServer;
    if (fromClient) this.sawClient = true;
    else this.sawServer = true;
    if (startsTls(buf, off, len)) return "tls";
    if (fromClient) this.seekBytesClient += counted;
    else this.seekBytesServer += counted;
    if (first && tlsCannotFollow(fromClient, buf, off, len)) this.noTls = true;
    return "not_tls";
  }

  private openReader(fromClient: boolean): TlsHandshakeReader {
    const r = new TlsHandshakeReader((type, body) => this.onMessage(fromClient, type, body));
    if (fromClient) this.client = r;
    else {
      this.server = r;
      if (this.keyLog !== undefined && this.keyLog.size > 0) {
        this.serverRecords = new TlsRecordSplitter((t, h, b) => this.onServerRecord(t, h, b));
      }
    }
    return r;
  }

  private feed(fromClient: boolean, r: TlsHandshakeReader, buf: Buffer, off: number, len: number): void {
    r.push(buf, off, len);
    // After the reader (which may just have armed decryption on a ServerHello).
    if (!fromClient && this.serverRecords !== undefined && !this.serverRecords.dead) {
      this.serverRecords.push(buf, off, len);
    }
  }

  private onServerRecord(type: number, header: Buffer, body: Buffer): void {
    if (type !== 23 || this.opener === undefined || this.inner === undefined) return;
    const rec = this.opener.open(header, body);
    if (rec === undefined) {
      // Keys changed (application traffic) or were wrong: the handshake part is over.
      this.serverRecords = undefined;
      return;
    }
    if (rec.type !== 22) return;
    const h = Buffer.from([22, 3, 3, rec.data.length >> 8, rec.data.length & 0xff]);
    this.inner.push(h, 0, 5);
    if (rec.data.length > 0) this.inner.push(rec.data, 0, rec.data.length);
  }

  private armDecryption(cipherSuite: number): void {
    if (this.keyLog === undefined || this.clientRandom === undefined || this.serverRecords === undefined)
      return;
    const secret = this.keyLog.secret(this.clientRandom, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
    if (secret === undefined) return;
    this.opener = Tls13RecordOpener.create(cipherSuite, secret);
    if (this.opener === undefined) return;
    this.inner = new TlsHandshakeReader((t, b) => this.onMessage(false, t, b, true));
    this.certsSeen = false;
  }

  onGap(fromClient: boolean): void {
    // A lost segment desynchronises the record layer: restart at the next chunk that
    // begins with a record header.
    if (fromClient) {
      this.client = null;
      this.heldClient = undefined;
    } else {
      this.server = null;
      this.heldServer = undefined;
    }
  }

  private onMessage(fromClient: boolean, type: number, body: Buffer, decrypted = false): void {
    // After a ChangeCipherSpec the only plaintext handshake messages are the second
    // ClientHello / ServerHello of a TLS 1.3 HelloRetryRequest exchange (middlebox
    // compatibility mode); in TLS <= 1.2 what follows is ciphertext. The hello parsers
    // validate their whole structure, so only a Certificate is refused there.
    const reader = fromClient ? this.client : this.server;
    if (!decrypted && reader?.ccsSeen && type === HANDSHAKE_CERTIFICATE) return;
    if (fromClient) {
      if (type === HANDSHAKE_CLIENT_HELLO && this.clientHellos < MAX_HELLOS) this.onClientHello(body);
      return;
    }
    if (type === HANDSHAKE_SERVER_HELLO && this.serverHellos < MAX_HELLOS) this.onServerHello(body);
    else if (type === HANDSHAKE_CERTIFICATE && !this.certsSeen) this.onCertificate(body);
  }

  private onClientHello(body: Buffer): void {
    const ch = parseClientHello(body);
    if (ch === undefined) return;
    this.clientHellos++;
    if (this.keyLog !== undefined && this.keyLog.size > 0 && body.length >= 34) {
      this.clientRandom = Buffer.from(body.subarray(2, 34));
    }
    const pr = clientHelloPrints(ch, "t");
    if (!this.recorded) {
      // The connection record describes the first ClientHello, as the reference tool does.
      this.recorded = true;
      recordClientHello(this.st.record, ch, pr);
    }

    const fields = endpointFields(this.st.flow);
    clientHelloFields(fields, ch, pr);
    const flow = this.st.flow;
    handshakeRttFields(fields, flow);
    // Additions beyond DECNET: the raw/original JA4 forms and the lists JA4 reads.
    fields.ja3_full = pr.ja3.ja3_full;
    fields.ja4_r = pr.ja4.ja4_r;
    fields.ja4_o = pr.ja4.ja4_o;
    if (pr.supportedVersions !== undefined) fields.supported_versions = pr.supportedVersions;
    if (pr.signatureAlgorithms !== undefined) fields.signature_algorithms = pr.signatureAlgorithms;
    this.chFields = fields;
    this.ctx.emit(flow, "tls_client_hello", SEVERITY_INFO, fields);
  }

  private onServerHello(body: Buffer): void {
    const sh = parseServerHello(body);
    if (sh === undefined) return;
    this.serverHellos++;
    const pr = serverHelloPrints(sh, "t");
    const j3s = pr.ja3s;
    const j4s = pr.ja4s;
    if (!this.sessionEmitted) {
      this.sessionEmitted = true;
      const rec = this.st.record;
      rec.ja4s = j4s.ja4s;
      rec.ja4s_r = j4s.ja4s_r;
      rec.ja3s = j3s.ja3s;
      rec.ja3s_full = j3s.ja3s_full;
    }
    // TLS 1.3 encrypts the certificate: nothing more to read from the server.
    if (sh.selectedVersion === 0x0304 && !sh.isHelloRetryRequest) {
      this.certsSeen = true;
      this.armDecryption(sh.cipherSuite);
    }
    // Nothing to decrypt on this connection (no TLS 1.3, no secret, an unknown suite): stop
    // copying the server's records. After a HelloRetryRequest the real ServerHello decides.
    if (this.opener === undefined && !sh.isHelloRetryRequest) this.serverRecords = undefined;

    const fields = endpointFields(this.st.flow);
    fields.ja3s = j3s.ja3s;
    fields.ja4s = j4s.ja4s;
    fields.tls_version = pr.tlsVersion;
    const chf = this.chFields;
    if (chf !== undefined) {
      fields.ja3 = chf.ja3;
      fields.ja4 = chf.ja4;
      fields.sni = chf.sni;
      fields.alpn = chf.alpn;
      fields.raw_ciphers = chf.raw_ciphers;
      fields.raw_extensions = chf.raw_extensions;
      if (chf.resumption !== undefined) fields.resumption = chf.resumption;
    }
    const flow = this.st.flow;
    handshakeRttFields(fields, flow);
    fields.ja3s_full = j3s.ja3s_full;
    // tls_version is DECNET's (the legacy_version field); this one says what was agreed.
    fields.negotiated_version = pr.negotiatedVersion;
    if (sh.isHelloRetryRequest) fields.hello_retry_request = "true";
    this.ctx.emit(flow, "tls_session", SEVERITY_WARNING, fields);
  }

  private onCertificate(body: Buffer): void {
    const msg = parseCertificateMessage(body);
    if (msg === undefined || msg.certificates.length === 0) return;
    this.certsSeen = true;
    const entries: X509Entry[] = [];
    // The sender's own certificate is the first entry (RFC 5246 §7.4.2, RFC 8446 §4.4.2):
    // when that one does not parse there is no leaf to report, never a CA in its place.
    let leaf: CertSummary | undefined;
    for (let i = 0; i < msg.certificates.length; i++) {
      const c = this.certs.summarize(msg.certificates[i]);
      if (c === undefined) continue;
      entries.push(c.entry);
      if (i === 0) leaf = c;
    }
    if (entries.length > 0) {
      const rec = this.st.record;
      if (rec.tls_certs === undefined) rec.tls_certs = [];
      rec.tls_certs.push({ x509: entries });
    }
    if (leaf === undefined) {
      tlsStats.inc("tls.certificate.leaf_unparseable");
      return;
    }
    const fields = endpointFields(this.st.flow);
    fields.subject_cn = leaf.subjectCn;
    fields.issuer = leaf.issuer;
    fields.self_signed = leaf.selfSigned;
    fields.not_before = leaf.notBefore;
    fields.not_after = leaf.notAfter;
    if (leaf.sans !== "") fields.sans = leaf.sans;
    if (this.chFields !== undefined) fields.sni = this.chFields.sni;
    if (leaf.notBeforeIso !== undefined) fields.not_before_iso = leaf.notBeforeIso;
    if (leaf.notAfterIso !== undefined) fields.not_after_iso = leaf.notAfterIso;
    fields.subject = leaf.subject;
    fields.ja4x = leaf.entry.ja4x;
    fields.chain_length = String(msg.certificates.length);
    this.ctx.emit(this.st.flow, "tls_certificate", SEVERITY_INFO, fields);
  }
}

/** What the sensor reports of one certificate; immutable, shared by every connection presenting it. */
export interface CertSummary {
  entry: X509Entry;
  subjectCn: string;
  issuer: string;
  subject: string;
  /** DECNET's self_signed: "true" / "false". */
  selfSigned: string;
  /** DECNET's not_before / not_after: the DER time text as encoded. */
  notBefore: string;
  notAfter: string;
  /** Ours: the same times in ISO 8601 UTC; undefined when not a valid UTCTime / GeneralizedTime. */
  notBeforeIso: string | undefined;
  notAfterIso: string | undefined;
  /** DECNET's sans ("" when it has none). */
  sans: string;
}

/** Certificates whose DER bytes hash alike, with what was made of them (null: unparseable). */
interface CertBucket {
  ders: Buffer[];
  summaries: (CertSummary | null)[];
}

/** DERs kept per hash bucket: crafted certificates that collide beyond it are parsed each time. */
const MAX_PER_BUCKET = 4;

/**
 * Certificates repeat on every connection to the same server: parse each distinct DER
 * once. Looked up by a hash of the length and the last 64 bytes (the signature, which
 * differs between certificates) and confirmed by comparing the whole DER, so no string
 * of the certificate is built per connection. Bounded: 2048 certificates and 16 MiB of
 * DER copies; past either bound the cache starts over.
 */
export class CertificateCache {
  private readonly buckets = new Map<number, CertBucket>();
  private entries = 0;
  private bytes = 0;

  constructor(
    private readonly maxEntries = 2048,
    private readonly maxBytes = 16 * 1024 * 1024,
  ) {}

  summarize(der: Buffer): CertSummary | undefined {
    const h = derHash(der);
    let bucket = this.buckets.get(h);
    if (bucket !== undefined) {
      for (let i = 0; i < bucket.ders.length; i++) {
        if (bucket.ders[i].equals(der)) return bucket.summaries[i] ?? undefined;
      }
    }
    const s = summarizeCertificate(der);
    if (der.length > this.maxBytes) return s ?? undefined;
    if (this.entries >= this.maxEntries || this.bytes + der.length > this.maxBytes) {
      this.buckets.clear();
      this.entries = 0;
      this.bytes = 0;
      bucket = undefined;
    }
    if (bucket === undefined) {
      bucket = { ders: [], summaries: [] };
      this.buckets.set(h, bucket);
    }
    if (bucket.ders.length < MAX_PER_BUCKET) {
      // A copy: `der` is a view of a reassembly buffer that will be reused.
      bucket.ders.push(Buffer.from(der));
      bucket.summaries.push(s);
      this.entries++;
      this.bytes += der.length;
    }
    return s ?? undefined;
  }
}

/** FNV-1a over the length and the last 64 bytes of a DER. */
function derHash(der: Buffer): number {
  let h = (0x811c9dc5 ^ der.length) >>> 0;
  for (let i = Math.max(0, der.length - 64); i < der.length; i++) h = Math.imul(h ^ der[i], 0x01000193);
  return h >>> 0;
}

/**
 * Characters kept of the issuer / subject text. A Name has no attribute limit (JA4X hashes
 * them all), and its text can run to a few times the certificate's size (dotted OIDs as
 * labels), so this display, cached per certificate, is cut; real names are far shorter.
 */
const MAX_NAME_TEXT = 4096;

/** `s` cut to MAX_NAME_TEXT UTF-16 units, never between the halves of a surrogate pair. */
function nameText(s: string): string {
  if (s.length <= MAX_NAME_TEXT) return s;
  const hi = s.charCodeAt(MAX_NAME_TEXT - 1);
  return s.slice(0, hi >= 0xd800 && hi <= 0xdbff ? MAX_NAME_TEXT - 1 : MAX_NAME_TEXT);
}

function summarizeCertificate(der: Buffer): CertSummary | null {
  const info = parseX509(der);
  if (info === undefined) return null;
  return {
    entry: ja4xRecord(info) as X509Entry,
    subjectCn: info.subjectCN ?? "",
    issuer: nameText(decnetName(info.issuer)),
    subject: nameText(decnetName(info.subject)),
    selfSigned: String(decnetSelfSigned(info)),
    notBefore: asciiText(info.notBeforeRaw, 0, info.notBeforeRaw.length),
    notAfter: asciiText(info.notAfterRaw, 0, info.notAfterRaw.length),
    notBeforeIso: info.notBefore,
    notAfterIso: info.notAfter,
    sans: decnetSans(der, info).join(","),
  };
}

const OID_CN = "2.5.4.3";
const OID_SUBJECT_ALT_NAME = "2.5.29.17";

/**
 * DECNET's `_der_extract_cn`: the first commonName attribute in encoded order, whatever its
 * string type, its bytes decoded as UTF-8 with replacement (Node's decoder replaces as
 * Python's does); "" without one.
 */
function decnetCn(rdns: X509Rdn[]): string {
  for (const rdn of rdns) for (const a of rdn) if (a.oid === OID_CN) return a.raw.toString("utf8");
  return "";
}

/**
 * DECNET's self-signed rule (fingerprint.py `_parse_x509_der`):
 * `self_signed = (issuer_cn == subject_cn) and subject_cn != ""`, issuer and subject
 * commonNames compared as text (not the whole Names' bytes).
 */
function decnetSelfSigned(info: X509Info): boolean {
  const subjectCn = decnetCn(info.subject);
  return subjectCn !== "" && decnetCn(info.issuer) === subjectCn;
}

/** Python's `data[i]`: an IndexError past the end (DECNET then keeps the names read so far). */
class PastEnd extends Error {}

function byteAt(b: Buffer, i: number): number {
  if (i >= b.length) throw new PastEnd();
  return b[i];
}

/**
 * DECNET's `_der_read_tag_len` → [tag, contents start, length]: no bounds on the length
 * (a slice past the end is cut short, an index past it throws), any number of length bytes.
 */
function pyTagLen(b: Buffer, pos: number): [number, number, number] {
  const tag = byteAt(b, pos);
  const lb = byteAt(b, pos + 1);
  let p = pos + 2;
  if ((lb & 0x80) === 0) return [tag, p, lb];
  const n = lb & 0x7f;
  let len = 0;
  // int.from_bytes over data[p : p + n], which a short buffer cuts short.
  for (let i = p; i < p + n && i < b.length; i++) len = len * 256 + b[i];
  p += n;
  return [tag, p, len];
}

/**
 * DECNET's `sans`, as `_extract_sans` / `_parse_san_sequence` read them: the last
 * subjectAltName extension's GeneralNames in encoded order, keeping each entry whose tag
 * number (`tag & 0x1F`, any class) is 2 (dNSName, ASCII with U+FFFD for other bytes) or 7
 * with 4 bytes (iPAddress, dotted IPv4); IPv6 and every other kind are left out. The walk
 * goes by the encoded lengths over the whole certificate, as DECNET's does, and keeps what
 * it read before a malformed entry. DECNET joins them with ",".
 */
function decnetSans(der: Buffer, info: X509Info): string[] {
  let san: X509Extension | undefined;
  // DECNET assigns its list for every subjectAltName extension it meets: the last one wins.
  for (const e of info.extensions) if (e.oid === OID_SUBJECT_ALT_NAME) san = e;
  if (san === undefined) return [];
  const names: string[] = [];
  try {
    const [, seqStart, seqLen] = pyTagLen(der, san.valueOff);
    const end = seqStart + seqLen;
    let pos = seqStart;
    while (pos < end) {
      const tag = byteAt(der, pos);
      const [, valStart, valLen] = pyTagLen(der, pos);
      const valEnd = Math.min(valStart + valLen, der.length);
      const kind = tag & 0x1f;
      if (kind === 2) names.push(asciiText(der, valStart, valEnd));
      else if (kind === 7 && valLen === 4) {
        const parts: number[] = [];
        for (let i = valStart; i < valEnd; i++) parts.push(der[i]);
        names.push(parts.join("."));
      }
      pos = valStart + valLen;
    }
  } catch (e) {
    if (!(e instanceof PastEnd)) throw e;
  }
  return names;
}
