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
import {
  clientHelloPrints,
  collideHelloHashesForTesting,
  helloCachesHeldForTesting,
  serverHelloPrints,
} from "../../src/sniffer/analyzers/hello-prints.js";
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

function checkClientHellos(seed: number, numRuns: number): void {
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
    { seed, numRuns },
  );
  // Structures must repeat, or no cache hit was ever checked.
  assert.ok(hits > numRuns / 30, `only ${hits} repeated structures`);
}

function checkServerHellos(seed: number, numRuns: number): void {
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
      // DECNET (fingerprint.py, tls_session): "tls_version": _tls_version_str(sh["tls_version"]),
      // where _parse_server_hello's tls_version is the body's first two bytes (legacy_version).
      assert.equal(p.tlsVersion, tlsVersionName(sh.legacyVersion));
      // Ours: what supported_versions selected, else the legacy version.
      assert.equal(p.negotiatedVersion, tlsVersionName(sh.selectedVersion ?? sh.legacyVersion));
    }),
    { seed, numRuns },
  );
}

describe("hello prints cache", () => {
  test("ClientHello: cached prints equal a fresh computation (30,000 hellos, TLS and QUIC)", () => {
    checkClientHellos(0xc4e11, 30_000);
  });

  test("ServerHello: cached prints equal a fresh computation (20,000 hellos)", () => {
    checkServerHellos(0x5e4e, 20_000);
  });

  test("bounded: hellos with long lists never make the caches hold more than their bound", () => {
    const { max } = helloCachesHeldForTesting();
    // 2,000 distinct hellos of 1,000 ciphers each: 2 M list values offered.
    for (let i = 0; i < 2000; i++) {
      const ciphers = Array.from({ length: 1000 }, (_, k) => (i * 1000 + k) & 0xffff);
      const ch = parseClientHello(
        clientHelloBody({ version: 0x0303, ciphers, extensions: [sniExt("a.example")] }),
      );
      assert.ok(ch !== undefined);
      const p = clientHelloPrints(ch, "t");
      if (i % 199 === 0) assert.deepEqual(p.ja4, ja4(ch, "t"));
      assert.ok(helloCachesHeldForTesting().held <= max);
    }
  });

  test("a hello past the cache's bounds (70 extensions) gets the same prints uncached", () => {
    const extensions = Array.from({ length: 70 }, (_, i) => ext(0x1000 + ((i * 37) % 70)));
    for (const transport of ["t", "q"] as const) {
      const ch = parseClientHello(
        clientHelloBody({ version: 0x0303, ciphers: [0x0a0a, 0x1301], extensions }),
      );
      assert.ok(ch !== undefined);
      const p = clientHelloPrints(ch, transport);
      assert.deepEqual({ ja3: p.ja3, ja4: p.ja4 }, { ja3: ja3(ch), ja4: ja4(ch, transport) });
      assert.equal(p.rawExtensions, decimalList(ch.extensionTypes));
      assert.equal(p.rawCiphers, decimalList(ch.cipherSuites));
    }
  });

  // Pairs of hellos that differ in exactly one input of the prints, looked up one after the
  // other with every hash colliding: the second must not get the first one's prints.
  test("hellos differing in one input never share prints (hashes colliding)", () => {
    const base = {
      version: 0x0303,
      ciphers: [0x1301, 0xc02b],
      extensions: [
        sniExt("a.example"),
        groupsExt([0x001d, 0x0017]),
        pointFormatsExt([0]),
        sigAlgsExt([0x0403, 0x0804]),
        supportedVersionsExt([0x0304, 0x0303]),
        alpnExt(["h2", "http/1.1"]),
        ext(0x0017),
      ],
    };
    const withExt = (i: number, e: Buffer) => ({
      ...base,
      extensions: base.extensions.map((x, j) => (j === i ? e : x)),
    });
    const variants = [
      { ...base, version: 0x0301 },
      { ...base, ciphers: [0x1301, 0xc02c] },
      { ...base, ciphers: [0xc02b, 0x1301] },
      { ...base, extensions: [...base.extensions.slice(1), base.extensions[0]] },
      withExt(1, groupsExt([0x001d, 0x0018])),
      withExt(2, pointFormatsExt([1])),
      withExt(3, sigAlgsExt([0x0804, 0x0403])),
      withExt(4, supportedVersionsExt([0x0303])),
      withExt(5, alpnExt(["h2", "http/1.0"])),
      withExt(5, alpnExt(["h3", "http/1.1"])),
    ];
    collideHelloHashesForTesting(true);
    try {
      for (const [i, v] of variants.entries()) {
        for (const transport of ["t", "q"] as const) {
          const a = parseClientHello(clientHelloBody(base));
          const b = parseClientHello(clientHelloBody(v));
          assert.ok(a !== undefined && b !== undefined);
          clientHelloPrints(a, "t");
          const p = clientHelloPrints(b, transport);
          const fresh = { ja3: ja3(b), ja4: ja4(b, transport) };
          assert.deepEqual({ ja3: p.ja3, ja4: p.ja4 }, fresh, `variant ${i} over ${transport}`);
          assert.equal(p.rawExtensions, decimalList(b.extensionTypes), `variant ${i}`);
          assert.equal(p.alpn, alpnText(b.alpn), `variant ${i}`);
        }
      }
      const sBase = {
        version: 0x0303,
        cipher: 0x1301,
        extensions: [ext(0x002b, u16(0x0304)), alpnExt(["h2"])],
      };
      const sVariants = [
        { ...sBase, version: 0x0301 },
        { ...sBase, cipher: 0x1302 },
        { ...sBase, extensions: [ext(0x002b, u16(0x0303)), alpnExt(["h2"])] },
        { ...sBase, extensions: [alpnExt(["h2"]), ext(0x002b, u16(0x0304))] },
        { ...sBase, extensions: [ext(0x002b, u16(0x0304)), alpnExt(["h3"])] },
        { ...sBase, extensions: [ext(0x002b, u16(0x0304))] },
      ];
      for (const [i, v] of sVariants.entries()) {
        for (const transport of ["t", "q"] as const) {
          const a = parseServerHello(serverHelloBody(sBase));
          const b = parseServerHello(serverHelloBody(v));
          assert.ok(a !== undefined && b !== undefined);
          serverHelloPrints(a, "t");
          const p = serverHelloPrints(b, transport);
          assert.deepEqual(p.ja3s, ja3s(b), `server variant ${i}`);
          assert.deepEqual(p.ja4s, ja4s(b, transport), `server variant ${i} over ${transport}`);
        }
      }
    } finally {
      collideHelloHashesForTesting(false);
    }
  });

  // The lookup hash only picks a slot: with every hello hashing alike, each lookup meets
  // entries of other structures, and only the list comparisons keep their prints apart.
  test("with every hash colliding, the comparisons alone keep structures apart", () => {
    collideHelloHashesForTesting(true);
    try {
      checkClientHellos(0xc011, 10_000);
      checkServerHellos(0xc012, 10_000);
    } finally {
      collideHelloHashesForTesting(false);
    }
  });
});
