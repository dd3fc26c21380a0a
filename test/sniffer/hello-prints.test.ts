// The hello caches must give exactly what a fresh computation gives. Hellos are drawn from a
// small alphabet so that many share most of their structure: a cache key that missed an
// input the fingerprints read would then hand one hello another's strings, and the
// comparison with the uncached functions (ja3/ja4/ja3s/ja4s and the DECNET list helpers)
// would fail.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parseClientHello } from "../../src/fingerprint/tls/client-hello.js";
import { ja3, ja3s } from "../../src/fingerprint/tls/ja3.js";
import { ja4 } from "../../src/fingerprint/tls/ja4.js";
import { ja4s } from "../../src/fingerprint/tls/ja4s.js";
import { parseServerHello } from "../../src/fingerprint/tls/server-hello.js";
import { alpnText, decimalList, hexList, tlsVersionName } from "../../src/sniffer/analyzers/decnet-fields.js";
import { clientHelloPrints, serverHelloPrints } from "../../src/sniffer/analyzers/hello-prints.js";
import {
  alpnExt,
  clientHelloBody,
  ext,
  groupsExt,
  pointFormatsExt,
  serverHelloBody,
  sigAlgsExt,
  sniExt,
  supportedVersionsExt,
  u16,
} from "../tls/build.js";

const small = (vals: number[]) => fc.array(fc.constantFrom(...vals), { maxLength: 4 });
const VALUES = [0x0a0a, 0x1301, 0x1302, 0xc02b, 0x0017, 0x001d, 0x0303, 0x0304, 0x0403, 0x0804];

const extension = fc.oneof(
  fc.constant(sniExt("a.example")),
  fc.constant(sniExt("b.example")),
  small(VALUES).map(groupsExt),
  fc.array(fc.constantFrom(0, 1, 2), { maxLength: 3 }).map(pointFormatsExt),
  small(VALUES).map(sigAlgsExt),
  small(VALUES).map(supportedVersionsExt),
  fc.array(fc.constantFrom("h2", "http/1.1", "\u00ba\u00ad", "x"), { maxLength: 3 }).map(alpnExt),
  fc.constantFrom(0x0017, 0xff01, 0x0023, 0x002a, 0x1a1a).map((t) => ext(t)),
  fc.constantFrom(0x0023, 0x0029).map((t) => ext(t, u16(7))),
);

const clientHello = fc.record({
  version: fc.constantFrom(0x0301, 0x0303),
  ciphers: small(VALUES),
  extensions: fc.option(fc.array(extension, { maxLength: 6 }), { nil: undefined }),
});

describe("hello prints cache", () => {
  test("ClientHello: cached prints equal a fresh computation (30,000 hellos, TLS and QUIC)", () => {
    let hits = 0;
    const seen = new Set<string>();
    fc.assert(
      fc.property(clientHello, fc.constantFrom<"t" | "q">("t", "q"), (spec, transport) => {
        const ch = parseClientHello(clientHelloBody(spec));
        if (ch === undefined) return;
        const p = clientHelloPrints(ch, transport);
        const fresh3 = ja3(ch);
        const fresh4 = ja4(ch, transport);
        if (seen.has(fresh4.ja4_ro + fresh3.ja3_full)) hits++;
        seen.add(fresh4.ja4_ro + fresh3.ja3_full);
        assert.deepEqual(p.ja3, fresh3);
        assert.deepEqual(p.ja4, fresh4);
        assert.equal(p.tlsVersion, tlsVersionName(ch.legacyVersion));
        assert.equal(p.alpn, alpnText(ch.alpn));
        assert.equal(p.rawCiphers, decimalList(ch.cipherSuites));
        assert.equal(p.rawExtensions, decimalList(ch.extensionTypes));
        assert.equal(
          p.supportedVersions,
          ch.supportedVersions === undefined ? undefined : hexList(ch.supportedVersions),
        );
        assert.equal(
          p.signatureAlgorithms,
          ch.signatureAlgorithms === undefined ? undefined : hexList(ch.signatureAlgorithms),
        );
      }),
      { seed: 0xc4e11, numRuns: 30_000 },
    );
    // Structures must repeat, or no cache hit was ever checked.
    assert.ok(hits > 1000, `only ${hits} repeated structures`);
  });

  test("ServerHello: cached prints equal a fresh computation (20,000 hellos)", () => {
    const serverHello = fc.record({
      version: fc.constantFrom(0x0301, 0x0303),
      cipher: fc.constantFrom(0x1301, 0xc02b, 0x002f),
      extensions: fc.option(
        fc.array(
          fc.oneof(
            fc.constantFrom(0x0303, 0x0304, 0x7f1c).map((v) => ext(0x002b, u16(v))),
            fc.constant(ext(0x002b)), // malformed selection: no version
            fc.constantFrom("h2", "http/1.1").map((n) => alpnExt([n])),
            fc.constantFrom(0x0017, 0xff01, 0x0000).map((t) => ext(t)),
          ),
          { maxLength: 4 },
        ),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(serverHello, fc.constantFrom<"t" | "q">("t", "q"), (spec, transport) => {
        const sh = parseServerHello(serverHelloBody(spec));
        if (sh === undefined) return;
        const p = serverHelloPrints(sh, transport);
        assert.deepEqual(p.ja3s, ja3s(sh));
        assert.deepEqual(p.ja4s, ja4s(sh, transport));
        assert.equal(p.tlsVersion, tlsVersionName(sh.selectedVersion ?? sh.legacyVersion));
      }),
      { seed: 0x5e4e, numRuns: 20_000 },
    );
  });
});
