/**
 * The TLS analyzer through the engine, on hand-built TCP sessions: a handshake record may
 * be split anywhere (RFC 5246 §6.2.1), even inside its 5-byte header, and the leaf of a
 * Certificate message is its first entry (RFC 5246 §7.4.2, RFC 8446 §4.4.2).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tlsStats } from "../../src/fingerprint/tls/stats.js";
import type { Ja4Record } from "../../src/sniffer/ja4-record.js";
import type { Observation } from "../../src/sniffer/observation.js";
import { runSegments, type Segment } from "../helpers/tcp-session.js";
import {
  alpnExt,
  cat,
  certificate,
  certificateBody12,
  clientHelloBody,
  ext,
  groupsExt,
  handshake,
  rdn,
  record,
  records as recordsOf,
  seq,
  serverHelloBody,
  sha12,
  sigAlgsExt,
  sniExt,
  supportedVersionsExt,
  tlv,
  u16,
  x509Ext,
} from "./build.js";

const CLIENT = "198.51.100.7";
const SERVER = "10.13.0.10";
const CISN = 1_000_000;
const SISN = 3_000_000;
const SYN = 0x02;
const ACK = 0x10;
const PSH_ACK = 0x18;

/**
 * Runs one TCP session through the engine: handshake, then each client piece and each
 * server piece as its own in-order segment.
 */
function run(
  clientPieces: Buffer[],
  serverPieces: Buffer[] = [],
): { records: Ja4Record[]; obs: Observation[] } {
  const segs: Segment[] = [
    { fromClient: true, flags: SYN, seq: CISN },
    { fromClient: false, flags: SYN | ACK, seq: SISN, ack: CISN + 1 },
    { fromClient: true, flags: ACK, seq: CISN + 1, ack: SISN + 1 },
  ];
  let c = CISN + 1;
  for (const p of clientPieces) {
    segs.push({ fromClient: true, flags: PSH_ACK, seq: c, ack: SISN + 1, payload: p });
    c += p.length;
  }
  let s = SISN + 1;
  for (const p of serverPieces) {
    segs.push({ fromClient: false, flags: PSH_ACK, seq: s, ack: c, payload: p });
    s += p.length;
  }
  return runSegments(segs, { ends: { client: CLIENT, server: SERVER } });
}

/** `stream` cut at the given offsets. */
function cut(stream: Buffer, at: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const a of [...at, stream.length]) {
    out.push(stream.subarray(prev, a));
    prev = a;
  }
  return out;
}

const events = (obs: Observation[], type: string) => obs.filter((o) => o.eventType === type);

// GREASE in ciphers and supported_versions; SNI, ALPN h2, groups, signature algorithms.
const HELLO = record(
  22,
  handshake(
    1,
    clientHelloBody({
      ciphers: [0x0a0a, 0xc02f, 0x1301],
      extensions: [
        sniExt("decky.example"),
        alpnExt(["h2"]),
        groupsExt([0x001d]),
        sigAlgsExt([0x0804, 0x0403]),
        supportedVersionsExt([0x0a0a, 0x0304, 0x0303]),
      ],
    }),
  ),
  0x0301,
);
// JA4 by hand (FoxIO JA4.md): t; 13 (highest non-GREASE supported_versions entry); d (SNI);
// 02 ciphers and 05 extensions without GREASE (SNI and ALPN counted); "h2". Ciphers sorted:
// 1301,c02f. Extensions sorted without SNI (0000) and ALPN (0010): 000a,000d,002b; then the
// signature algorithms in wire order: 0804,0403.
const HELLO_JA4 = `t13d0205h2_${sha12("1301,c02f")}_${sha12("000a,000d,002b_0804,0403")}`;

// TLS 1.2 ServerHello: renegotiation_info, extended_master_secret, ALPN h2.
const SERVER_HELLO = record(
  22,
  handshake(
    2,
    serverHelloBody({
      cipher: 0xc02f,
      extensions: [ext(0xff01, Buffer.from([0])), ext(0x0017), alpnExt(["h2"])],
    }),
  ),
);
// JA4S by hand (FoxIO JA4S.md): t; 12 (no supported_versions: legacy 0x0303); 03 extensions;
// "h2"; cipher c02f; the extensions in wire order hashed.
const SERVER_JA4S = `t1203h2_c02f_${sha12("ff01,0017,0010")}`;

describe("TLS analyzer: a record split inside its header", () => {
  const splits: [string, number[]][] = [
    ["whole", []],
    ["1 + rest", [1]],
    ["2 + rest", [2]],
    ["1 + 1 + 1 + rest", [1, 2, 3]],
    ["3 + rest", [3]],
    ["1 + 1 + rest", [1, 2]],
  ];

  test("the ClientHello gives the hand-derived JA4 however its first bytes are cut", () => {
    for (const [label, at] of splits) {
      const { records, obs } = run(cut(HELLO, at));
      const hellos = events(obs, "tls_client_hello");
      assert.equal(hellos.length, 1, label);
      assert.equal(hellos[0].fields.ja4, HELLO_JA4, label);
      assert.equal(hellos[0].fields.sni, "decky.example", label);
      assert.equal(records[0]?.ja4, HELLO_JA4, label);
    }
  });

  test("the ServerHello likewise gives the hand-derived JA4S", () => {
    for (const [label, at] of splits) {
      const { records, obs } = run([HELLO], cut(SERVER_HELLO, at));
      const sessions = events(obs, "tls_session");
      assert.equal(sessions.length, 1, label);
      assert.equal(sessions[0].fields.ja4s, SERVER_JA4S, label);
      assert.equal(sessions[0].fields.ja4, HELLO_JA4, label);
      assert.equal(records[0]?.ja4s, SERVER_JA4S, label);
    }
  });

  test("held bytes are judged with what follows, as one chunk would be: a split SSH banner still rules TLS out", () => {
    // "SSH-" as a direction's first bytes means no TLS follows (its binary packets could
    // pass for record headers): a ClientHello later on the connection is not read,
    // whether the banner's first bytes came alone or not.
    const banner = Buffer.from("SSH-2.0-OpenSSH_9.6\r\n", "latin1");
    for (const at of [[], [1], [2], [1, 2]]) {
      const { obs } = run([...cut(banner, at), HELLO]);
      assert.equal(events(obs, "tls_client_hello").length, 0, `banner cut at ${at}`);
    }
  });

  test("short plaintext ahead of a ClientHello segment (the tail of a CONNECT exchange) does not hide it", () => {
    // The held "\r\n" with the next chunk is no record; that chunk is then judged alone.
    for (const tail of ["\n", "\r\n"]) {
      const { obs } = run([
        Buffer.from(`CONNECT decky.example:443 HTTP/1.1\r\n`, "latin1"),
        Buffer.from(tail),
        HELLO,
      ]);
      const hellos = events(obs, "tls_client_hello");
      assert.equal(hellos.length, 1, JSON.stringify(tail));
      assert.equal(hellos[0].fields.ja4, HELLO_JA4);
    }
  });
});

describe("TLS analyzer: the leaf is the first certificate", () => {
  const PRINTABLE = 0x13;
  const ca = certificate({
    issuer: [rdn("2.5.4.3", PRINTABLE, "Decoy Root CA")],
    subject: [rdn("2.5.4.3", PRINTABLE, "Decoy Intermediate CA")],
    extensions: [x509Ext("2.5.29.19", Buffer.from("30030101ff", "hex"), true)],
  });
  const leaf = certificate({
    issuer: [rdn("2.5.4.3", PRINTABLE, "Decoy Intermediate CA")],
    subject: [rdn("2.5.4.3", PRINTABLE, "decky.example")],
    extensions: [x509Ext("2.5.29.17", seq(tlv(0x82, Buffer.from("decky.example"))))],
  });
  // JA4X of the CA by hand (FoxIO JA4X.md): issuer CN, subject CN, basicConstraints.
  const CA_JA4X = `${sha12("550403")}_${sha12("550403")}_${sha12("551d13")}`;
  const LEAF_JA4X = `${sha12("550403")}_${sha12("550403")}_${sha12("551d11")}`;
  const serverFlight = (ders: Buffer[]) =>
    recordsOf(cat(SERVER_HELLO.subarray(5), handshake(11, certificateBody12(ders))), 16384);

  test("a parseable chain: the leaf's fields, JA4X for every entry", () => {
    const { records, obs } = run([HELLO], [serverFlight([leaf, ca])]);
    const certs = events(obs, "tls_certificate");
    assert.equal(certs.length, 1);
    assert.equal(certs[0].fields.subject_cn, "decky.example");
    assert.equal(certs[0].fields.issuer, "CN=Decoy Intermediate CA");
    assert.equal(certs[0].fields.ja4x, LEAF_JA4X);
    assert.equal(certs[0].fields.chain_length, "2");
    assert.deepEqual(
      records[0].tls_certs?.map((c) => c.x509.map((e) => e.ja4x)),
      [[LEAF_JA4X, CA_JA4X]],
    );
  });

  test("entry 0 does not parse: no leaf is reported (never the CA), the CA's JA4X still is", () => {
    const before = tlsStats.get("tls.certificate.leaf_unparseable");
    // A SEQUENCE holding one INTEGER: DER, but no certificate.
    const garbage = Buffer.from("3003020101", "hex");
    const { records, obs } = run([HELLO], [serverFlight([garbage, ca])]);
    assert.deepEqual(events(obs, "tls_certificate"), []);
    assert.equal(events(obs, "tls_session").length, 1);
    assert.deepEqual(
      records[0].tls_certs?.map((c) => c.x509.map((e) => e.ja4x)),
      [[CA_JA4X]],
    );
    assert.equal(tlsStats.get("tls.certificate.leaf_unparseable"), before + 1);
  });

  test("a leaf with a long subject (65 RDNs) is the leaf, not the CA behind it", () => {
    const subject = Array.from({ length: 65 }, (_, i) => rdn("2.5.4.3", PRINTABLE, `h${i}`));
    const longLeaf = certificate({ issuer: [rdn("2.5.4.3", PRINTABLE, "Decoy Intermediate CA")], subject });
    const { obs } = run([HELLO], [serverFlight([longLeaf, ca])]);
    const certs = events(obs, "tls_certificate");
    assert.equal(certs.length, 1);
    assert.equal(certs[0].fields.subject_cn, "h0");
    assert.equal(certs[0].fields.issuer, "CN=Decoy Intermediate CA");
    assert.equal(
      certs[0].fields.ja4x,
      `${sha12("550403")}_${sha12(Array(65).fill("550403").join(","))}_000000000000`,
    );
  });

  test("a huge subject: the displayed text is cut, the JA4X input is not", () => {
    // 3000 attributes of an unnamed type: each prints its dotted OID, longer than its DER.
    const subject = Array.from({ length: 3000 }, () => rdn("1.3.6.1.4.1.99999.1", PRINTABLE, "x"));
    const big = certificate({ issuer: [rdn("2.5.4.3", PRINTABLE, "Decoy Intermediate CA")], subject });
    const { obs } = run([HELLO], [serverFlight([big, ca])]);
    const certs = events(obs, "tls_certificate");
    assert.equal(certs.length, 1);
    assert.equal(certs[0].fields.subject.length, 4096);
    assert.ok(certs[0].fields.subject.startsWith("1.3.6.1.4.1.99999.1=x, 1.3.6.1.4.1.99999.1=x"));
    const typeHex = "2b06010401868d1f01"; // 1.3.6.1.4.1.99999.1 (99999 = 6·128² + 13·128 + 31)
    assert.equal(
      certs[0].fields.ja4x,
      `${sha12("550403")}_${sha12(Array(3000).fill(typeHex).join(","))}_000000000000`,
    );
  });

  test("entry 0 is not even DER: the same", () => {
    const { records, obs } = run([HELLO], [serverFlight([Buffer.from("not a certificate"), ca])]);
    assert.deepEqual(events(obs, "tls_certificate"), []);
    assert.deepEqual(
      records[0].tls_certs?.map((c) => c.x509.map((e) => e.ja4x)),
      [[CA_JA4X]],
    );
  });
});

/*
 * DECNET's tls_session / tls_certificate field values. Expected values are read off DECNET's
 * decnet/sniffer/fingerprint.py (4nt11/DECNET @92632d7), quoted beside each check.
 */
describe("TLS analyzer: DECNET's tls_session and tls_certificate values", () => {
  const PRINTABLE = 0x13;
  const UTF8 = 0x0c;
  const serverFlight = (sh: Buffer, ders: Buffer[]) =>
    recordsOf(cat(sh.subarray(5), handshake(11, certificateBody12(ders))), 16384);
  const certFields = (der: Buffer): Record<string, string> => {
    const { obs } = run([HELLO], [serverFlight(SERVER_HELLO, [der])]);
    const certs = events(obs, "tls_certificate");
    assert.equal(certs.length, 1);
    return certs[0].fields;
  };
  const cn = (v: string, tag = PRINTABLE) => rdn("2.5.4.3", tag, v);
  const sanExt = (...names: Buffer[]) => x509Ext("2.5.29.17", seq(...names));

  test("tls_version is the ServerHello's legacy version; negotiated_version the one agreed", () => {
    // DECNET tls_session: "tls_version": _tls_version_str(sh["tls_version"]), where
    // _parse_server_hello reads `tls_version = struct.unpack_from("!H", body, pos)[0]` (the
    // legacy_version) and keeps the supported_versions choice apart as selected_version;
    // _tls_version_str maps 0x0303: "TLS 1.2", 0x0304: "TLS 1.3", 0x0301: "TLS 1.0".
    const tls13 = record(
      22,
      handshake(
        2,
        serverHelloBody({ cipher: 0x1301, extensions: [ext(0x002b, u16(0x0304)), ext(0x0033, u16(0x001d))] }),
      ),
    );
    const cases: [Buffer, string, string][] = [
      [tls13, "TLS 1.2", "TLS 1.3"],
      [SERVER_HELLO, "TLS 1.2", "TLS 1.2"],
      [record(22, handshake(2, serverHelloBody({ version: 0x0301, cipher: 0x002f }))), "TLS 1.0", "TLS 1.0"],
    ];
    for (const [sh, legacy, agreed] of cases) {
      const { obs } = run([HELLO], [sh]);
      const sessions = events(obs, "tls_session");
      assert.equal(sessions.length, 1);
      assert.equal(sessions[0].severity, 4); // self._log(..., "tls_session", severity=SEVERITY_WARNING, ...)
      assert.equal(sessions[0].fields.tls_version, legacy);
      assert.equal(sessions[0].fields.negotiated_version, agreed);
    }
  });

  test("not_before / not_after are the DER time text; ISO 8601 is in not_before_iso / not_after_iso", () => {
    // DECNET _parse_x509_der: `not_before = cert_der[nb_start: nb_start + nb_len].decode("ascii",
    // errors="replace")`, the same for not_after: the time's contents as encoded, whatever
    // its tag, each byte above 0x7f replaced by U+FFFD.
    const f = certFields(
      certificate({
        issuer: [cn("CA")],
        subject: [cn("decky.example")],
        notBefore: tlv(0x17, Buffer.from("181030000000Z")),
        notAfter: tlv(0x18, Buffer.from("20341231235959Z")),
      }),
    );
    assert.equal(f.not_before, "181030000000Z");
    assert.equal(f.not_after, "20341231235959Z");
    assert.equal(f.not_before_iso, "2018-10-30T00:00:00Z");
    assert.equal(f.not_after_iso, "2034-12-31T23:59:59Z");

    const odd = certFields(
      certificate({
        issuer: [cn("CA")],
        subject: [cn("decky.example")],
        notBefore: tlv(0x17, Buffer.from("991399000000Z")), // month 13: no such time
        notAfter: tlv(0x18, Buffer.from([0x32, 0x30, 0x80, 0xff, 0x5a])),
      }),
    );
    assert.equal(odd.not_before, "991399000000Z");
    assert.equal(odd.not_after, "20\ufffd\ufffdZ");
    assert.equal(odd.not_before_iso, undefined);
    assert.equal(odd.not_after_iso, undefined);

    const frac = certFields(
      certificate({
        issuer: [cn("CA")],
        subject: [cn("decky.example")],
        notBefore: tlv(0x18, Buffer.from("20240229120000.5+0100")),
      }),
    );
    assert.equal(frac.not_before, "20240229120000.5+0100");
    assert.equal(frac.not_before_iso, "2024-02-29T11:00:00Z");
  });

  test("self_signed: issuer CN equals subject CN and is not empty", () => {
    // DECNET: `self_signed = (issuer_cn == subject_cn) and subject_cn != ""` (CNs from
    // _der_extract_cn: the first 2.5.4.3 value, decoded as UTF-8), written as
    // `"self_signed": str(cert["self_signed"]).lower()`.
    const cases: [Buffer[], Buffer[], string][] = [
      [[cn("Decky Root")], [cn("Decky Root")], "true"],
      // Names differ, CNs agree: DECNET calls it self-signed.
      [
        [rdn("2.5.4.6", PRINTABLE, "NL"), cn("Decky")],
        [cn("Decky"), rdn("2.5.4.10", PRINTABLE, "O")],
        "true",
      ],
      // Same text in another string type: compared as text.
      [[cn("Decky", UTF8)], [cn("Decky", PRINTABLE)], "true"],
      // Identical Names without a CN: subject_cn is "", so not self-signed.
      [[rdn("2.5.4.10", PRINTABLE, "Decoy BV")], [rdn("2.5.4.10", PRINTABLE, "Decoy BV")], "false"],
      [[cn("")], [cn("")], "false"],
      [[cn("CA")], [cn("decky.example")], "false"],
      // The first CN counts.
      [[cn("A"), cn("B")], [cn("A")], "true"],
      [[cn("B"), cn("A")], [cn("A")], "false"],
    ];
    for (const [issuer, subject, want] of cases) {
      assert.equal(certFields(certificate({ issuer, subject })).self_signed, want, JSON.stringify(want));
    }
  });

  test("sans: DNS names and IPv4 addresses in encoded order, comma-joined; absent when none", () => {
    // DECNET _parse_san_sequence: `context_tag = tag & 0x1F`; `if context_tag == 2:
    // names.append(data[...].decode("ascii", errors="replace"))`; `elif context_tag == 7 and
    // val_len == 4: names.append(".".join(str(b) for b in data[...]))`; and the event:
    // `if cert["sans"]: cert_fields["sans"] = ",".join(cert["sans"])`.
    const dns = (s: string | Buffer) => tlv(0x82, Buffer.isBuffer(s) ? s : Buffer.from(s));
    const ip = (hex: string) => tlv(0x87, Buffer.from(hex, "hex"));
    const f = certFields(
      certificate({
        issuer: [cn("CA")],
        subject: [cn("decky.example")],
        extensions: [
          sanExt(
            dns("decky.example"),
            ip("c0000207"), // 192.0.2.7
            tlv(0x81, Buffer.from("ops@decky.example")), // rfc822Name: left out
            ip("20010db8000000000000000000000001"), // IPv6: left out
            dns("*.decky.example"),
            ip("0a000000ff000000"), // address + mask (8 bytes): left out
            tlv(0x86, Buffer.from("https://decky.example/")), // URI: left out
            ip("0a0001"), // 3 bytes: left out
            dns(Buffer.from([0x78, 0xe9, 0x79])), // not ASCII: U+FFFD
            ip("0a000001"), // 10.0.0.1
          ),
        ],
      }),
    );
    assert.equal(f.sans, "decky.example,192.0.2.7,*.decky.example,x\ufffdy,10.0.0.1");

    const none = (exts: Buffer[] | undefined) =>
      certFields(certificate({ issuer: [cn("CA")], subject: [cn("decky.example")], extensions: exts }));
    assert.equal("sans" in none(undefined), false);
    assert.equal(
      "sans" in none([sanExt(ip("20010db8000000000000000000000001"), tlv(0x81, Buffer.from("a@b")))]),
      false,
    );
    // DECNET keeps the last subjectAltName extension it meets (`sans = _parse_san_sequence(...)`
    // for each).
    assert.equal(none([sanExt(dns("first.example")), sanExt(dns("second.example"))]).sans, "second.example");
  });
});
