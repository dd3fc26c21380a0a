/**
 * DER reader, X.509 parser and JA4X. Hand-built certificates carry known values; JA4X is
 * checked against the JA4X.md example; real certificates (extracted from the corpus by
 * tshark) are cross-checked against OpenSSL through node:crypto's X509Certificate.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import {
  derChildren,
  derString,
  derTimeToIso,
  derWellFormed,
  oidToString,
  readDer,
} from "../../src/fingerprint/tls/der.js";
import { ja4x, ja4xRecord } from "../../src/fingerprint/tls/ja4x.js";
import { formatIp, formatName, parseX509 } from "../../src/fingerprint/tls/x509.js";
import { Counters } from "../../src/util/counters.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { cat, certificate, ctx, oid, rdn, seq, set, tlv, u8, x509Ext } from "./build.js";
import { haveTshark } from "./tshark-streams.js";

const execFileAsync = promisify(execFile);
const PRINTABLE = 0x13;
const UTF8 = 0x0c;
const IA5 = 0x16;
const T61 = 0x14;
const BMP = 0x1e;
const UNIVERSAL = 0x1c;

/** Issuer = subject = CN, C, ST, O (the JA4X.md example order); KU, EKU, SAN extensions. */
const spekName = [
  rdn("2.5.4.3", UTF8, "Decky Root"),
  rdn("2.5.4.6", PRINTABLE, "NL"),
  rdn("2.5.4.8", PRINTABLE, "Noord-Holland"),
  rdn("2.5.4.10", PRINTABLE, "Decoy BV"),
];
const sanValue = seq(
  tlv(0x82, Buffer.from("decky.example")),
  tlv(0x82, Buffer.from("*.decky.example")),
  tlv(0x87, Buffer.from([192, 0, 2, 7])),
  tlv(0x87, Buffer.from("20010db8000000000000000000000001", "hex")),
  tlv(0x81, Buffer.from("ops@decky.example")),
  tlv(0x86, Buffer.from("https://decky.example/")),
  ctx(0, cat(oid("1.3.6.1.4.1.311.20.2.3"), ctx(0, tlv(UTF8, Buffer.from("x"))))),
);
const specCert = certificate({
  serial: Buffer.from([0x00, 0x9f, 0x01]),
  issuer: spekName,
  subject: spekName,
  extensions: [
    x509Ext("2.5.29.15", tlv(0x03, Buffer.from([5, 0xa0])), true),
    x509Ext("2.5.29.37", seq(oid("1.3.6.1.5.5.7.3.1"))),
    x509Ext("2.5.29.17", sanValue),
  ],
});

describe("DER reader", () => {
  test("short and long lengths, high tag numbers", () => {
    const long = tlv(0x04, Buffer.alloc(300, 1));
    const n = readDer(long, 0, long.length);
    assert.deepEqual(n && [n.cls, n.constructed, n.tag, n.off, n.len, n.end], [0, false, 4, 4, 300, 304]);
    const hi = Buffer.from([0x9f, 0x81, 0x00, 0x01, 0xaa]);
    const h = readDer(hi, 0, hi.length);
    assert.deepEqual(h && [h.cls, h.tag, h.len], [2, 128, 1]);
  });

  test("rejects indefinite, over-long, non-minimal-tag and out-of-bounds lengths", () => {
    for (const bytes of [
      [0x30, 0x80, 0, 0],
      [0x04, 0x85, 0, 0, 0, 0, 1, 0],
      [0x04, 0x05, 1, 2],
      [0x1f, 0x80, 0x01, 0x00],
      [0x04],
      [],
    ]) {
      const b = Buffer.from(bytes);
      assert.equal(readDer(b, 0, b.length), undefined, JSON.stringify(bytes));
    }
  });

  test("children must fill their parent exactly; the child count is bounded", () => {
    const good = seq(tlv(2, u8(1)), tlv(2, u8(2)));
    assert.equal(derChildren(good, readDer(good, 0, good.length)!)?.length, 2);
    const bad = Buffer.from([0x30, 0x04, 0x02, 0x01, 0x01, 0x02]);
    assert.equal(derChildren(bad, readDer(bad, 0, bad.length)!), undefined);
    assert.equal(derChildren(good, readDer(good, 0, good.length)!, 1), undefined);
  });

  test("derWellFormed enforces the depth bound", () => {
    let nested = tlv(0x05, Buffer.alloc(0));
    for (let i = 0; i < 40; i++) nested = seq(nested);
    assert.equal(derWellFormed(nested, 0, nested.length, 64), true);
    assert.equal(derWellFormed(nested, 0, nested.length, 32), false);
    assert.equal(derWellFormed(specCert, 0, specCert.length), true);
    assert.equal(derWellFormed(specCert, 0, specCert.length - 1), false);
  });

  test("OIDs", () => {
    const dotted = (s: string) => {
      const t = oid(s);
      return oidToString(t, 2, t.length - 2);
    };
    for (const s of [
      "2.5.4.3",
      "1.2.840.113549.1.1.11",
      "0.9.2342.19200300.100.1.25",
      "2.999.1",
      "1.3.6.1.4.1.99999999999999999",
    ]) {
      assert.equal(dotted(s), s);
    }
    assert.equal(oidToString(Buffer.from([0x55, 0x84]), 0, 2), undefined, "unterminated");
    assert.equal(oidToString(Buffer.from([0x55, 0x80, 0x01]), 0, 3), undefined, "non-minimal");
  });

  test("string types", () => {
    const s = (tag: number, bytes: Buffer) => {
      const t = tlv(tag, bytes);
      return derString(t, readDer(t, 0, t.length)!);
    };
    assert.equal(s(UTF8, Buffer.from("Zoë ✓", "utf8")), "Zoë ✓");
    assert.equal(s(PRINTABLE, Buffer.from("Decoy BV")), "Decoy BV");
    assert.equal(s(IA5, Buffer.from("a@b.c")), "a@b.c");
    assert.equal(s(T61, Buffer.from([0x63, 0x61, 0x66, 0xe9])), "café");
    assert.equal(s(BMP, Buffer.from("03a9006d", "hex")), "Ωm");
    assert.equal(s(UNIVERSAL, Buffer.from("0001d11e00000078", "hex")), "𝄞x");
    assert.equal(s(BMP, Buffer.from([0])), undefined);
    assert.equal(s(0x02, Buffer.from([1])), undefined);
  });

  test("times", () => {
    const t = (tag: number, text: string) => {
      const b = tlv(tag, Buffer.from(text));
      return derTimeToIso(b, readDer(b, 0, b.length)!);
    };
    assert.equal(t(0x17, "240101000000Z"), "2024-01-01T00:00:00Z");
    assert.equal(t(0x17, "491231235959Z"), "2049-12-31T23:59:59Z");
    assert.equal(t(0x17, "500101000000Z"), "1950-01-01T00:00:00Z");
    assert.equal(t(0x17, "2401010000Z"), "2024-01-01T00:00:00Z");
    assert.equal(t(0x17, "240101000000+0130"), "2023-12-31T22:30:00Z");
    assert.equal(t(0x18, "20341231235959Z"), "2034-12-31T23:59:59Z");
    assert.equal(t(0x18, "20240229120000.123Z"), "2024-02-29T12:00:00Z");
    assert.equal(t(0x18, "00500101000000Z"), "0050-01-01T00:00:00Z");
    assert.equal(t(0x18, "20230229120000Z"), undefined);
    assert.equal(t(0x17, "241301000000Z"), undefined);
    assert.equal(t(0x17, "24010100000Z"), undefined);
    assert.equal(t(0x17, "not a time"), undefined);
  });
});

/** Lowercase SHA-256 hex, first 12 digits (JA4X.md), straight from node:crypto. */
const sha256x12 = (s: string): string => createHash("sha256").update(s).digest("hex").slice(0, 12);

/** Attribute types listed by hand: dotted, and the hex of the OID's DER contents (X.690 §8.19). */
const NAME_OIDS: [string, string][] = [
  ["2.5.4.3", "550403"],
  ["2.5.4.10", "55040a"],
  ["2.5.4.11", "55040b"],
  ["2.5.4.6", "550406"],
  ["1.2.840.113549.1.9.1", "2a864886f70d010901"],
  ["1.3.6.1.4.1.311.60.2.1.3", "2b0601040182373c020103"],
];
/** Extension types listed the same way. */
const EXT_OIDS: [string, string][] = [
  ["2.5.29.15", "551d0f"],
  ["2.5.29.37", "551d25"],
  ["2.5.29.17", "551d11"],
  ["2.5.29.19", "551d13"],
  ["1.3.6.1.4.1.311.21.7", "2b0601040182371507"],
  ["1.3.6.1.5.5.7.1.1", "2b06010505070101"],
];

describe("parseX509", () => {
  test("every field of a hand-built v3 certificate", () => {
    const x = parseX509(specCert);
    assert.ok(x);
    assert.equal(x.version, 3);
    assert.equal(x.serialHex, "009f01");
    assert.equal(x.signatureAlgorithm, "1.2.840.113549.1.1.11");
    assert.deepEqual(
      x.issuer.map((r) => r.map((a) => [a.oid, a.oidHex, a.valueTag, a.value])),
      [
        [["2.5.4.3", "550403", UTF8, "Decky Root"]],
        [["2.5.4.6", "550406", PRINTABLE, "NL"]],
        [["2.5.4.8", "550408", PRINTABLE, "Noord-Holland"]],
        [["2.5.4.10", "55040a", PRINTABLE, "Decoy BV"]],
      ],
    );
    assert.equal(x.notBefore, "2024-01-01T00:00:00Z");
    assert.equal(x.notAfter, "2034-12-31T23:59:59Z");
    // The times as encoded (build.ts: UTCTime "240101000000Z", GeneralizedTime "20341231235959Z").
    assert.equal(x.notBeforeRaw.toString("latin1"), "240101000000Z");
    assert.equal(x.notAfterRaw.toString("latin1"), "20341231235959Z");
    assert.equal(x.spkiAlgorithm, "1.2.840.10045.2.1");
    // Each extension's value sits at valueOff in the DER; the SAN's is sanValue's encoding.
    for (const e of x.extensions)
      assert.deepEqual(specCert.subarray(e.valueOff, e.valueOff + e.value.length), e.value);
    assert.deepEqual(x.extensions[2].value, sanValue);
    assert.deepEqual(
      x.extensions.map((e) => [e.oid, e.critical]),
      [
        ["2.5.29.15", true],
        ["2.5.29.37", false],
        ["2.5.29.17", false],
      ],
    );
    assert.deepEqual(x.sans, {
      dns: ["decky.example", "*.decky.example"],
      ip: ["192.0.2.7", "2001:db8::1"],
      email: ["ops@decky.example"],
      uri: ["https://decky.example/"],
    });
    assert.equal(x.subjectCN, "Decky Root");
    assert.equal(x.issuerCN, "Decky Root");
    assert.equal(x.selfSigned, true);
    assert.equal(formatName(x.subject), "O=Decoy BV,ST=Noord-Holland,C=NL,CN=Decky Root");
  });

  test("JA4X of the JA4X.md example layout", () => {
    const r = ja4x(specCert);
    assert.deepEqual(r, {
      ja4x: "96a6439c8f5c_96a6439c8f5c_aae71e8db6d7",
      ja4x_r: "550403,550406,550408,55040a_550403,550406,550408,55040a_551d0f,551d25,551d11",
    });
  });

  test("v1 certificate: no extensions, zero third part; not self-signed; multi-valued RDN", () => {
    const der = certificate({
      v1: true,
      issuer: [rdn("2.5.4.3", PRINTABLE, "CA")],
      subject: [
        // One RDN with two attributes (CN + OU), then C.
        tlv(
          0x31,
          cat(
            seq(oid("2.5.4.3"), tlv(PRINTABLE, Buffer.from("host"))),
            seq(oid("2.5.4.11"), tlv(UTF8, Buffer.from("ops"))),
          ),
        ),
        rdn("2.5.4.6", PRINTABLE, "DE"),
      ],
    });
    const x = parseX509(der);
    assert.ok(x);
    assert.equal(x.version, 1);
    assert.deepEqual(x.extensions, []);
    assert.equal(x.selfSigned, false);
    assert.deepEqual(
      x.subject.map((r) => r.map((a) => a.oid)),
      [["2.5.4.3", "2.5.4.11"], ["2.5.4.6"]],
    );
    assert.equal(formatName(x.subject), "C=DE,CN=host+OU=ops");
    assert.equal(ja4x(x)?.ja4x_r, "550403_550403,55040b,550406_");
    assert.ok(ja4x(x)?.ja4x.endsWith("_000000000000"));
  });

  test("the ja4x record names fields like the FoxIO tool and skips what it cannot read as text", () => {
    const der = certificate({
      issuer: [
        rdn("2.5.4.6", PRINTABLE, "US"),
        rdn("2.5.4.10", PRINTABLE, "Let's Encrypt"),
        rdn("2.5.4.3", PRINTABLE, "R3"),
      ],
      subject: [
        rdn("2.5.4.3", UTF8, Buffer.from("zoë.example", "utf8")),
        rdn("2.5.4.10", BMP, Buffer.from("0041", "hex")), // BMPString: not read as text
        rdn("2.5.4.11", T61, "ops"), // T61String: not read as text
        rdn("1.2.840.113549.1.9.1", IA5, "a@b.c"), // emailAddress: not an x509-registry name
        rdn("2.5.4.97", UTF8, "VATNL-1"), // organizationIdentifier: not in the registry
        rdn("1.3.6.1.4.1.311.60.2.1.3", PRINTABLE, "NL"),
        rdn("2.5.4.15", UTF8, "Private Organization"),
        rdn("2.5.4.5", PRINTABLE, "12345"),
        rdn("2.5.4.11", UTF8, "first"),
        rdn("2.5.4.7", IA5, Buffer.from([0xff])), // invalid UTF-8: no text
        rdn("2.5.4.11", PRINTABLE, "second"),
      ],
    });
    const x = parseX509(der);
    assert.ok(x);
    assert.deepEqual(Object.entries(ja4xRecord(x)), [
      ["ja4x", ja4x(x)!.ja4x],
      ["issuerCountryName", "US"],
      ["issuerOrganizationName", "Let's Encrypt"],
      ["issuerCommonName", "R3"],
      ["subjectCommonName", "zoë.example"],
      ["subjectMsJurisdictionCountry", "NL"],
      ["subjectBusinessCategory", "Private Organization"],
      ["subjectSerialNumber", "12345"],
      // Two OUs: the first position, the last value.
      ["subjectOrganizationalUnit", "second"],
    ]);
    assert.equal(x.subject[1][0].value, "A", "BMPString still decoded for our own fields");
  });

  test("validity with a bad time: parsed, field undefined, counted", () => {
    const counters = new Counters();
    const der = certificate({
      issuer: [rdn("2.5.4.3", PRINTABLE, "a")],
      subject: [rdn("2.5.4.3", PRINTABLE, "b")],
      notBefore: tlv(0x17, Buffer.from("991399000000Z")),
    });
    const x = parseX509(der, counters);
    assert.equal(x?.notBefore, undefined);
    assert.equal(x?.notAfter, "2034-12-31T23:59:59Z");
    assert.equal(counters.get("tls.x509.bad_time"), 1);
  });

  test("malformed certificates: undefined and counted", () => {
    const counters = new Counters();
    let n = 0;
    for (let cut = 0; cut < specCert.length; cut += 7) {
      assert.equal(parseX509(specCert.subarray(0, cut), counters), undefined, `cut ${cut}`);
      n++;
    }
    assert.equal(parseX509(seq(seq(tlv(2, u8(1)))), counters), undefined);
    n++;
    assert.equal(counters.get("tls.x509.malformed"), n);
  });

  test("a 65-RDN subject parses in full; JA4X covers every attribute type", () => {
    const counters = new Counters();
    // Subject: 65 RDNs cycling through these types (the first RDN multi-valued: CN + OU).
    const subject: Buffer[] = [
      set(
        seq(oid("2.5.4.3"), tlv(UTF8, Buffer.from("v0"))),
        seq(oid("2.5.4.11"), tlv(UTF8, Buffer.from("ou"))),
      ),
    ];
    const subjectHex = ["550403", "55040b"];
    for (let i = 1; i < 65; i++) {
      const [dotted, hex] = NAME_OIDS[i % NAME_OIDS.length];
      subject.push(rdn(dotted, UTF8, `v${i}`));
      subjectHex.push(hex);
    }
    const der = certificate({ issuer: [rdn("2.5.4.3", UTF8, "Decky CA")], subject });
    const x = parseX509(der, counters);
    assert.ok(x, "a long Name must not fail the certificate");
    assert.equal(x.subject.length, 65);
    assert.equal(counters.get("tls.x509.malformed"), 0);
    assert.equal(counters.get("tls.x509.many_name_attributes"), 1);
    // JA4X.md: the hex of each attribute type, in order, comma-joined, SHA-256, 12 digits.
    const raw = ["550403", subjectHex.join(","), ""];
    assert.deepEqual(ja4x(x), {
      ja4x: `${sha256x12(raw[0])}_${sha256x12(raw[1])}_000000000000`,
      ja4x_r: raw.join("_"),
    });
  });

  test("130 extensions all kept, in order; JA4X covers every extension OID", () => {
    const counters = new Counters();
    const extensions: Buffer[] = [];
    const extHex: string[] = [];
    for (let i = 0; i < 130; i++) {
      const [dotted, hex] = EXT_OIDS[i % EXT_OIDS.length];
      extensions.push(x509Ext(dotted, seq(), i % 7 === 0));
      extHex.push(hex);
    }
    const der = certificate({
      issuer: [rdn("2.5.4.6", PRINTABLE, "NL"), rdn("2.5.4.3", UTF8, "Decky CA")],
      subject: [rdn("2.5.4.3", UTF8, "decky.example")],
      extensions,
    });
    const x = parseX509(der, counters);
    assert.ok(x, "many extensions must not fail the certificate");
    assert.equal(x.extensions.length, 130);
    assert.deepEqual(
      x.extensions.map((e) => e.oidHex),
      extHex,
    );
    assert.equal(counters.get("tls.x509.many_extensions"), 1);
    const raw = ["550406,550403", "550403", extHex.join(",")];
    assert.deepEqual(ja4x(x), { ja4x: raw.map(sha256x12).join("_"), ja4x_r: raw.join("_") });
  });

  test("no hidden count limit either (beyond the DER reader's default 1024 children)", () => {
    const subject = Array.from({ length: 1100 }, (_, i) => rdn("2.5.4.11", UTF8, `u${i}`));
    const extensions = Array.from({ length: 1500 }, () => x509Ext("2.5.29.19", seq()));
    const x = parseX509(certificate({ issuer: [rdn("2.5.4.3", UTF8, "a")], subject, extensions }));
    assert.ok(x);
    assert.equal(x.subject.length, 1100);
    assert.equal(x.extensions.length, 1500);
    const r = ja4x(x);
    assert.equal(
      r?.ja4x_r,
      `550403_${Array(1100).fill("55040b").join(",")}_${Array(1500).fill("551d13").join(",")}`,
    );
  });

  test("IPv6 formatting (RFC 5952)", () => {
    const ip = (h: string) => formatIp(Buffer.from(h, "hex"));
    assert.equal(ip("00000000000000000000000000000001"), "::1");
    assert.equal(ip("20010db8000000010000000000000001"), "2001:db8:0:1::1");
    assert.equal(ip("20010db8000000000001000000000001"), "2001:db8::1:0:0:1");
    assert.equal(ip("20010db8000100020003000400050006"), "2001:db8:1:2:3:4:5:6");
    assert.equal(ip("00000000000000000000000000000000"), "::");
  });
});

describe("X.509 on corpus certificates, cross-checked with OpenSSL (node:crypto)", {
  skip: skipWithoutCorpus() || (!haveTshark() && "tshark absent"),
}, () => {
  test("every certificate tshark finds parses, and agrees with OpenSSL", async () => {
    const dir = corpusDir()!;
    let checked = 0;
    // Certificates come from TLS servers: only captures where tshark saw a ServerHello.
    const files = readdirSync(dir).filter(
      (n) =>
        /\.(pcap|pcapng)$/.test(n) &&
        readFileSync(join(dir, `${n}.tshark.json`), "utf8").includes(`"tls.handshake.ja3s":`),
    );
    const outputs = await Promise.all(
      files.map(async (f) => {
        const { stdout } = await execFileAsync(
          "tshark",
          [
            "-n",
            "-r",
            join(dir, f),
            "-Y",
            "tls.handshake.certificate",
            "-T",
            "fields",
            "-e",
            "tls.handshake.certificate",
          ],
          { maxBuffer: 1 << 28 },
        );
        return [f, stdout] as const;
      }),
    );
    for (const [f, out] of outputs) {
      for (const hex of out.split(/[\n,]/).filter((s) => s.length > 0)) {
        const der = Buffer.from(hex.replace(/:/g, ""), "hex");
        const ours = parseX509(der);
        assert.ok(ours, `${f}: certificate did not parse`);
        const ossl = new X509Certificate(der);
        const cn = /(?:^|\n)CN=([^\n]*)/.exec(ossl.subject)?.[1];
        assert.equal(ours.subjectCN, cn, f);
        assert.equal(ours.notBefore, new Date(ossl.validFrom).toISOString().replace(".000", ""), f);
        assert.equal(ours.notAfter, new Date(ossl.validTo).toISOString().replace(".000", ""), f);
        assert.equal(
          ours.serialHex.replace(/^(00)+(?=.)/, "").toUpperCase(),
          ossl.serialNumber.replace(/^(00)+(?=.)/, ""),
          f,
        );
        const dns = (ossl.subjectAltName ?? "")
          .split(", ")
          .filter((s) => s.startsWith("DNS:"))
          .map((s) => s.slice(4));
        assert.deepEqual(ours.sans.dns, dns, f);
        assert.equal(ours.selfSigned, ossl.issuer === ossl.subject, f);
        checked++;
      }
    }
    assert.ok(checked >= 30, `only ${checked} certificates checked`);
  });
});
