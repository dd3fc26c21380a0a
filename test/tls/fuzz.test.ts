/**
 * Property/fuzz tests (fast-check, fixed seeds): random bytes and mutations of
 * well-formed handshake messages never make a parser throw or hang, and the reader hands
 * out the same messages however the stream is cut into pushes. 100,000 inputs per parser:
 * half random bytes, half mutations.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parseCertificateMessage } from "../../src/fingerprint/tls/certificate.js";
import { parseClientHello } from "../../src/fingerprint/tls/client-hello.js";
import { derWellFormed } from "../../src/fingerprint/tls/der.js";
import { MAX_HANDSHAKE_MESSAGE, TlsHandshakeReader } from "../../src/fingerprint/tls/handshake-reader.js";
import { ja3, ja3s } from "../../src/fingerprint/tls/ja3.js";
import { ja4 } from "../../src/fingerprint/tls/ja4.js";
import { ja4s } from "../../src/fingerprint/tls/ja4s.js";
import { ja4x, ja4xRecord } from "../../src/fingerprint/tls/ja4x.js";
import { parseServerHello } from "../../src/fingerprint/tls/server-hello.js";
import { formatName, parseX509 } from "../../src/fingerprint/tls/x509.js";
import { Counters } from "../../src/util/counters.js";
import {
  alpnExt,
  cat,
  certificate,
  certificateBody12,
  clientHelloBody,
  ctx,
  ext,
  groupsExt,
  handshake,
  keyShareExt,
  pointFormatsExt,
  rdn,
  record,
  records,
  seq,
  serverHelloBody,
  sigAlgsExt,
  sniExt,
  supportedVersionsExt,
  tlv,
  vec8,
  vec16,
  vec24,
  x509Ext,
} from "./build.js";

const RUNS = 50_000; // per arbitrary; two arbitraries per parser
const counters = new Counters();

// ---- seeds: well-formed messages ----------------------------------------------------------

const clientHellos = [
  clientHelloBody({
    ciphers: [0x0a0a, 0x1301, 0x1302, 0xc02b],
    sessionId: Buffer.alloc(32, 3),
    extensions: [
      ext(0x1a1a),
      sniExt("decky.example"),
      alpnExt(["h2", "http/1.1"]),
      supportedVersionsExt([0x2a2a, 0x0304, 0x0303]),
      sigAlgsExt([0x0403, 0x0804, 0x0401]),
      groupsExt([0x3a3a, 0x001d, 0x0017]),
      pointFormatsExt([0]),
      keyShareExt([0x001d]),
      ext(0x0023, Buffer.from([1, 2])),
      ext(0x002d, Buffer.from([1, 1])),
      ext(0x0029, Buffer.alloc(12, 1)),
    ],
  }),
  clientHelloBody({ version: 0x0301, ciphers: [0x002f, 0x0035] }),
  clientHelloBody({ ciphers: [], extensions: [alpnExt([Buffer.from([0xba, 0xad])])] }),
];
const serverHellos = [
  serverHelloBody({
    cipher: 0x1301,
    extensions: [
      ext(0x002b, Buffer.from([3, 4])),
      ext(0x0033, cat(Buffer.from([0, 0x1d, 0, 4]), Buffer.alloc(4))),
    ],
  }),
  serverHelloBody({ cipher: 0xc02f, extensions: [ext(0xff01, Buffer.from([0])), alpnExt(["h2"])] }),
  serverHelloBody({ version: 0x0301, cipher: 5 }),
];
const name = [rdn("2.5.4.6", 0x13, "NL"), rdn("2.5.4.10", 0x0c, "Decoy"), rdn("2.5.4.3", 0x0c, "decky")];
const certs = [
  certificate({
    issuer: name,
    subject: [rdn("2.5.4.3", 0x0c, "leaf"), rdn("2.5.4.11", 0x1e, Buffer.from("0041", "hex"))],
    extensions: [
      x509Ext("2.5.29.19", seq(tlv(0x01, Buffer.from([0xff]))), true),
      x509Ext(
        "2.5.29.17",
        seq(tlv(0x82, Buffer.from("a.example")), tlv(0x87, Buffer.from([10, 0, 0, 1])), ctx(4, seq(...name))),
      ),
    ],
  }),
  certificate({ v1: true, issuer: name, subject: name }),
  certificate({
    issuer: name,
    subject: name,
    notBefore: tlv(0x18, Buffer.from("20240229120000.5+0100")),
    extensions: [x509Ext("1.3.6.1.4.1.11129.2.4.2", tlv(0x04, Buffer.alloc(20, 1)))],
  }),
];
const certMessages = [
  certificateBody12(certs),
  certificateBody12([]),
  cat(vec8(Buffer.alloc(0)), vec24(cat(vec24(certs[0]), vec16(ext(5, Buffer.from([1])))))),
];
const streams = [
  records(cat(handshake(1, clientHellos[0])), 100),
  records(
    cat(handshake(2, serverHellos[1]), handshake(11, certMessages[0]), handshake(14, Buffer.alloc(0))),
    700,
  ),
  cat(record(22, handshake(2, serverHellos[0])), record(20, Buffer.from([1])), record(23, Buffer.alloc(30))),
  cat(
    Buffer.from([0x80, 0x0e, 1, 3, 1, 0, 3, 0, 0, 0, 2, 0, 0, 0x2f, 9, 9]),
    record(22, handshake(16, Buffer.alloc(9))),
  ),
];

// ---- arbitraries ---------------------------------------------------------------------------

const randomBytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

interface Mutation {
  kind: number;
  pos: number;
  value: number;
}

/** Byte flips, insertions, deletions, truncation, and +/- tweaks aimed at length fields. */
function mutate(seed: Buffer, muts: Mutation[]): Buffer {
  let b: Buffer = Buffer.from(seed);
  for (const m of muts) {
    if (b.length === 0) break;
    const p = m.pos % b.length;
    switch (m.kind) {
      case 0:
        b[p] = m.value;
        break;
      case 1:
        b[p] ^= 1 << (m.value & 7);
        break;
      case 2:
        b = cat(b.subarray(0, p), Buffer.from([m.value]), b.subarray(p));
        break;
      case 3:
        b = cat(b.subarray(0, p), b.subarray(p + 1 + (m.value & 15)));
        break;
      case 4:
        b = b.subarray(0, p);
        break;
      default:
        b[p] = (b[p] + (m.value & 1 ? 1 : 255)) & 0xff;
    }
  }
  return b;
}

const mutationOf = (pool: Buffer[]) =>
  fc
    .tuple(
      fc.constantFrom(...pool),
      fc.array(fc.record({ kind: fc.nat(5), pos: fc.nat(), value: fc.nat(255) }), {
        minLength: 1,
        maxLength: 6,
      }),
    )
    .map(([s, m]) => mutate(s, m));

function run(label: string, arb: fc.Arbitrary<Buffer>, check: (b: Buffer) => void, seed: number): void {
  try {
    fc.assert(
      fc.property(arb, (b) => {
        check(b);
      }),
      { seed, numRuns: RUNS, endOnFailure: true },
    );
  } catch (e) {
    throw new Error(`${label} inputs (seed ${seed}): ${(e as Error).message}`, { cause: e });
  }
}

// ---- properties ----------------------------------------------------------------------------

describe("fuzz: TLS parsers never throw", () => {
  test("parseClientHello (+ JA3/JA4 on what parses)", () => {
    assert.ok(parseClientHello(clientHellos[0], counters));
    const check = (b: Buffer) => {
      const ch = parseClientHello(b, counters);
      if (ch !== undefined) {
        ja3(ch);
        const f = ja4(ch, "t");
        assert.match(f.ja4, /^t..[di]\d{4}.._[0-9a-f]{12}_[0-9a-f]{12}$/s);
      }
    };
    run("random", randomBytes(300), check, 0x7151);
    run("mutated", mutationOf(clientHellos), check, 0x7152);
  });

  test("parseServerHello (+ JA3S/JA4S on what parses)", () => {
    const check = (b: Buffer) => {
      const sh = parseServerHello(b, counters);
      if (sh !== undefined) {
        ja3s(sh);
        assert.match(ja4s(sh, "t").ja4s, /^t..\d{2}.._[0-9a-f]{4}_[0-9a-f]{12}$/s);
      }
    };
    run("random", randomBytes(200), check, 0x5e1);
    run("mutated", mutationOf(serverHellos), check, 0x5e2);
  });

  test("parseCertificateMessage", () => {
    const check = (b: Buffer) => {
      for (const form of ["auto", "tls12", "tls13"] as const) {
        const m = parseCertificateMessage(b, form, counters);
        if (m !== undefined) for (const c of m.certificates) assert.ok(c.length > 0 && c.length <= b.length);
      }
    };
    run("random", randomBytes(200), check, 0xce1);
    run("mutated", mutationOf(certMessages), check, 0xce2);
  });

  test("parseX509 / DER (+ JA4X, record, DN formatting on what parses)", () => {
    for (const c of certs) assert.ok(parseX509(c, counters));
    const check = (b: Buffer) => {
      derWellFormed(b, 0, b.length);
      const x = parseX509(b, counters);
      if (x !== undefined) {
        ja4x(x);
        ja4xRecord(x);
        formatName(x.subject);
      }
    };
    // Random contents behind a SEQUENCE tag and a length that fits, so the parse goes deeper.
    const derish = randomBytes(300).map((b) =>
      cat(Buffer.from([0x30, 0x82, b.length >> 8, b.length & 0xff]), b),
    );
    run("random", derish, check, 0xd01);
    run("mutated", mutationOf(certs), check, 0xd02);
  });

  test("TlsHandshakeReader: never throws; bounded; same messages whatever the push sizes", () => {
    const messages = (data: Buffer, sizes: number[]): string[] => {
      const out: string[] = [];
      const r = new TlsHandshakeReader(
        (t, body) => {
          assert.ok(body.length <= MAX_HANDSHAKE_MESSAGE);
          out.push(`${t}:${body.toString("hex")}`);
        },
        { counters },
      );
      let p = 0;
      for (let i = 0; p < data.length; i++) {
        const n = Math.min(Math.max(1, sizes[i % sizes.length]), data.length - p);
        r.push(data, p, n);
        p += n;
      }
      assert.ok(r.bytesParsed <= data.length);
      out.push(`state:${r.state}:${r.sslv2Seen}`);
      return out;
    };
    const sizes = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(fc.oneof(randomBytes(400), mutationOf(streams)), sizes, (data, s) => {
        assert.deepEqual(messages(data, s), messages(data, [data.length || 1]));
      }),
      { seed: 0x4ead, numRuns: 2 * RUNS, endOnFailure: true },
    );
  });
});
