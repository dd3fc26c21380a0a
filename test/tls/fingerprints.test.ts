/**
 * JA3, JA3S, JA4, JA4S on hand-built hellos. Expected strings are written by hand from the
 * specifications (FoxIO JA4.md / JA4S.md examples, Salesforce JA3 field order); hashes of
 * hand-written raw strings are computed here with node:crypto. tshark, when present,
 * cross-checks JA3/JA3S on the same bytes.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { type ClientHello, parseClientHello } from "../../src/fingerprint/tls/client-hello.js";
import { ja3, ja3s } from "../../src/fingerprint/tls/ja3.js";
import { alpnChars, ja4, ja4VersionCode } from "../../src/fingerprint/tls/ja4.js";
import { ja4s } from "../../src/fingerprint/tls/ja4s.js";
import { parseServerHello, type ServerHello } from "../../src/fingerprint/tls/server-hello.js";
import {
  alpnExt,
  clientHelloBody,
  ext,
  groupsExt,
  handshake,
  keyShareExt,
  md5,
  pointFormatsExt,
  pskModesExt,
  record,
  serverHelloBody,
  sha12,
  sigAlgsExt,
  sniExt,
  supportedVersionsExt,
  writePcap,
} from "./build.js";
import { haveTshark } from "./tshark-streams.js";

const ch = (body: Buffer): ClientHello => {
  const c = parseClientHello(body);
  assert.ok(c, "hand-built ClientHello must parse");
  return c;
};
const sh = (body: Buffer): ServerHello => {
  const s = parseServerHello(body);
  assert.ok(s, "hand-built ServerHello must parse");
  return s;
};

/** The JA4.md example: 15 ciphers, 16 extensions in this wire order, 8 sigalgs, ALPN h2. */
const SPEC_CIPHERS = [
  0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d,
  0x002f, 0x0035,
];
const SPEC_SIGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

/** The spec example, with GREASE added to every list (ciphers, extensions, groups, sigalgs, versions, ALPN). */
function specExampleWithGrease(): Buffer {
  return clientHelloBody({
    ciphers: [0x0a0a, ...SPEC_CIPHERS],
    extensions: [
      ext(0x1a1a),
      ext(0x001b, Buffer.from([2, 0, 2])),
      sniExt("example.com"),
      keyShareExt([0x2a2a, 0x001d]),
      alpnExt([Buffer.from([0x3a, 0x3a]), "h2", "http/1.1"]),
      ext(0x4469, Buffer.from([0, 3, 2, 0x68, 0x32])),
      ext(0x0017),
      pskModesExt([1]),
      sigAlgsExt([0x4a4a, ...SPEC_SIGS]),
      ext(0x0005, Buffer.from([1, 0, 0, 0, 0])),
      ext(0x0023),
      ext(0x0012),
      supportedVersionsExt([0x5a5a, 0x0304, 0x0303]),
      ext(0xff01, Buffer.from([0])),
      pointFormatsExt([0]),
      groupsExt([0x6a6a, 0x001d, 0x0017, 0x0018]),
      ext(0x0015, Buffer.alloc(10)),
      ext(0x7a7a, Buffer.from([0])),
    ],
  });
}

describe("JA4", () => {
  test("JA4.md example (with GREASE everywhere, ignored): all four forms", () => {
    const r = ja4(ch(specExampleWithGrease()), "t");
    // Strings copied from the JA4.md "Example" and "Raw Output" sections.
    assert.equal(r.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert.equal(
      r.ja4_r,
      "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
    );
    assert.equal(
      r.ja4_ro,
      "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601",
    );
    assert.equal(r.ja4_o, "t13d1516h2_acb858a92679_18f69afefd3d");
  });

  test("transport letter q / d", () => {
    assert.ok(ja4(ch(specExampleWithGrease()), "q").ja4.startsWith("q13d1516h2_"));
    assert.ok(ja4(ch(specExampleWithGrease()), "d").ja4.startsWith("d13d1516h2_"));
  });

  test("no SNI, no ALPN, TLS 1.2 legacy version, no signature algorithms", () => {
    const c = ch(
      clientHelloBody({
        version: 0x0303,
        ciphers: [0xc02f, 0x009c, 0x00ff],
        extensions: [groupsExt([0x0017]), pointFormatsExt([0]), ext(0x0023)],
      }),
    );
    const r = ja4(c, "t");
    const ciphers = "009c,00ff,c02f";
    const exts = "000a,000b,0023";
    assert.equal(r.ja4_r, `t12i030300_${ciphers}_${exts}`);
    assert.equal(r.ja4, `t12i030300_${sha12(ciphers)}_${sha12(exts)}`);
    assert.equal(r.ja4_ro, "t12i030300_c02f,009c,00ff_000a,000b,0023");
  });

  test("TLS 1.3 via supported_versions (legacy 0x0303, GREASE highest on the wire)", () => {
    const c = ch(
      clientHelloBody({
        ciphers: [0x1301],
        extensions: [supportedVersionsExt([0xfafa, 0x0303, 0x0304]), sigAlgsExt([0x0804])],
      }),
    );
    assert.equal(ja4(c, "t").ja4_r, "t13i010200_1301_000d,002b_0804");
  });

  test("supported_versions with only GREASE gives version 00", () => {
    const c = ch(clientHelloBody({ ciphers: [0x1301], extensions: [supportedVersionsExt([0x0a0a])] }));
    assert.equal(ja4(c, "t").ja4_r, "t00i010100_1301_002b");
  });

  test("SSL 3.0 and TLS 1.0/1.1 legacy versions", () => {
    for (const [v, code] of [
      [0x0300, "s3"],
      [0x0301, "10"],
      [0x0302, "11"],
      [0x0123, "00"],
    ] as const) {
      const c = ch(clientHelloBody({ version: v, ciphers: [0x002f] }));
      assert.equal(ja4(c, "t").ja4_r, `t${code}i010000_002f_`);
    }
  });

  test("version codes: exactly the JA4.md table (0x0002 is SSL 2.0; 0x0200 and 0x0100 are unknown)", () => {
    // FoxIO technical_details/JA4.md, "TLS and DTLS Version"; everything else is "00".
    const table: [number, string][] = [
      [0x0304, "13"],
      [0x0303, "12"],
      [0x0302, "11"],
      [0x0301, "10"],
      [0x0300, "s3"],
      [0x0002, "s2"],
      [0xfeff, "d1"],
      [0xfefd, "d2"],
      [0xfefc, "d3"],
      [0x0200, "00"],
      [0x0100, "00"],
      [0x0000, "00"],
      [0x7f1c, "00"],
    ];
    for (const [v, code] of table) {
      assert.equal(ja4VersionCode(v), code, v.toString(16));
      // JA4 from the legacy version (no supported_versions) and from supported_versions.
      const legacy = ch(clientHelloBody({ version: v, ciphers: [0x002f] }));
      assert.equal(ja4(legacy, "t").ja4_r, `t${code}i010000_002f_`, v.toString(16));
      const viaExt = ch(clientHelloBody({ ciphers: [0x002f], extensions: [supportedVersionsExt([v])] }));
      assert.equal(ja4(viaExt, "t").ja4_r, `t${code}i010100_002f_002b`, v.toString(16));
      // JA4S shares the table: legacy version and the supported_versions selection.
      const s = sh(serverHelloBody({ version: v, cipher: 0x002f }));
      assert.equal(ja4s(s, "t").ja4s_r, `t${code}0000_002f_`, v.toString(16));
      const s13 = sh(
        serverHelloBody({ cipher: 0x1301, extensions: [ext(0x002b, Buffer.from([v >> 8, v & 0xff]))] }),
      );
      assert.equal(ja4s(s13, "t").ja4s_r, `t${code}0100_1301_002b`, v.toString(16));
    }
  });

  test("empty cipher list and no extensions: zero hashes", () => {
    const c = ch(clientHelloBody({ ciphers: [], extensions: [] }));
    const r = ja4(c, "t");
    assert.equal(r.ja4, "t12i000000_000000000000_000000000000");
    assert.equal(r.ja4_r, "t12i000000__");
  });

  test("only SNI and ALPN: extension part empty, hash zero; _o keeps them", () => {
    const c = ch(clientHelloBody({ ciphers: [0x1301], extensions: [sniExt("a.b"), alpnExt(["h2"])] }));
    const r = ja4(c, "t");
    assert.equal(r.ja4_r, "t12d0102h2_1301_");
    assert.equal(r.ja4, `t12d0102h2_${sha12("1301")}_000000000000`);
    assert.equal(r.ja4_ro, "t12d0102h2_1301_0000,0010");
    assert.equal(r.ja4_o, `t12d0102h2_${sha12("1301")}_${sha12("0000,0010")}`);
  });

  test("signature algorithms without other hashed extensions", () => {
    const c = ch(clientHelloBody({ ciphers: [0x1301], extensions: [sigAlgsExt([0x0403, 0x0804])] }));
    assert.equal(ja4(c, "t").ja4, `t12i010100_${sha12("1301")}_${sha12("000d_0403,0804")}`);
  });

  test("counts cap at 99", () => {
    const ciphers = Array.from({ length: 120 }, (_, i) => 0x1000 + i);
    const exts = Array.from({ length: 105 }, (_, i) => ext(0x3000 + i));
    const r = ja4(ch(clientHelloBody({ ciphers, extensions: exts })), "t");
    assert.ok(r.ja4.startsWith("t12i999900_"));
  });

  test("ALPN characters: ASCII, non-ASCII (corpus rule: '9'), single byte, empty, control", () => {
    assert.equal(alpnChars(Buffer.from("http/1.1")), "h1");
    assert.equal(alpnChars(Buffer.from("h2")), "h2");
    assert.equal(alpnChars(Buffer.from([0xba, 0xad])), "99");
    assert.equal(alpnChars(Buffer.from([0xc3, 0xa9, 0x78])), "9x");
    assert.equal(alpnChars(Buffer.from([0x78, 0xc3, 0xa9])), "x9");
    assert.equal(alpnChars(Buffer.from("a")), "a0");
    assert.equal(alpnChars(Buffer.alloc(0)), "00");
    assert.equal(alpnChars(undefined), "00");
    assert.equal(alpnChars(Buffer.from([0x00, 0x61])), "9a");
    assert.equal(alpnChars(Buffer.from([0x61, 0x7f])), "a9");
  });

  test("non-ASCII ALPN in a ClientHello (as tls-non-ascii-alpn)", () => {
    const c = ch(
      clientHelloBody({ ciphers: [0x1301], extensions: [alpnExt([Buffer.from([0xba, 0xad]), "h2"])] }),
    );
    assert.deepEqual(c.alpn, [Buffer.from([0xba, 0xad]), Buffer.from("h2")]);
    assert.equal(ja4(c, "t").ja4_r, "t12i010199_1301_");
  });

  test("'d' whenever the server_name extension is present, even empty or malformed", () => {
    for (const data of [Buffer.alloc(0), Buffer.from([0, 9, 0])]) {
      const c = ch(clientHelloBody({ ciphers: [0x1301], extensions: [ext(0x0000, data)] }));
      assert.equal(c.serverName, undefined);
      assert.equal(ja4(c, "t").ja4_r, "t12d010100_1301_");
    }
  });

  test("shuffled extension order (Chrome >= 110): JA4 stays, JA3 changes", () => {
    const exts = [
      sniExt("a.example"),
      groupsExt([0x001d]),
      pointFormatsExt([0]),
      sigAlgsExt([0x0403]),
      ext(0x0017),
    ];
    const a = ch(clientHelloBody({ ciphers: [0x1301], extensions: exts }));
    const b = ch(clientHelloBody({ ciphers: [0x1301], extensions: [...exts].reverse() }));
    assert.equal(ja4(a, "t").ja4, ja4(b, "t").ja4);
    assert.notEqual(ja4(a, "t").ja4_o, ja4(b, "t").ja4_o);
    assert.notEqual(ja3(a).ja3, ja3(b).ja3);
  });

  test("ALPN present with an empty first name gives 00", () => {
    const c = ch(clientHelloBody({ ciphers: [0x1301], extensions: [alpnExt(["", "h2"])] }));
    assert.equal(ja4(c, "t").ja4_r, "t12i010100_1301_");
  });
});

describe("JA4S", () => {
  test("JA4S.md example", () => {
    const s = sh(
      serverHelloBody({
        cipher: 0xc030,
        extensions: [ext(0x0005), ext(0x0017), ext(0xff01, Buffer.from([0])), ext(0x0000)],
      }),
    );
    const r = ja4s(s, "t");
    assert.equal(r.ja4s, "t120400_c030_4e8089b08790");
    assert.equal(r.ja4s_r, "t120400_c030_0005,0017,ff01,0000");
  });

  test("TLS 1.3 selection, ALPN, wire order kept", () => {
    const s = sh(
      serverHelloBody({
        cipher: 0x1301,
        extensions: [
          ext(0x0033, Buffer.concat([Buffer.from([0, 0x1d, 0, 32]), Buffer.alloc(32)])),
          ext(0x002b, Buffer.from([3, 4])),
          alpnExt(["h2"]),
        ],
      }),
    );
    const r = ja4s(s, "q");
    assert.equal(r.ja4s_r, "q1303h2_1301_0033,002b,0010");
    assert.equal(r.ja4s, `q1303h2_1301_${sha12("0033,002b,0010")}`);
  });

  test("no extensions: zero hash", () => {
    const r = ja4s(sh(serverHelloBody({ version: 0x0301, cipher: 0x0005 })), "t");
    assert.equal(r.ja4s, "t100000_0005_000000000000");
    assert.equal(r.ja4s_r, "t100000_0005_");
  });
});

describe("JA3 / JA3S", () => {
  test("JA3 of the JA4 example: GREASE dropped from ciphers, extensions and groups", () => {
    const r = ja3(ch(specExampleWithGrease()));
    const full =
      "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53," +
      "27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0";
    assert.equal(r.ja3_full, full);
    assert.equal(r.ja3, md5(full));
  });

  test("JA3 uses the legacy version, not supported_versions; empty fields stay empty", () => {
    const r = ja3(ch(clientHelloBody({ version: 0x0301, ciphers: [0x0035, 0x002f] })));
    assert.equal(r.ja3_full, "769,53-47,,,");
    const r2 = ja3(ch(clientHelloBody({ ciphers: [0x1301], extensions: [supportedVersionsExt([0x0304])] })));
    assert.equal(r2.ja3_full, "771,4865,43,,");
  });

  test("JA3S", () => {
    const s = sh(
      serverHelloBody({ cipher: 0xc02f, extensions: [ext(0xff01, Buffer.from([0])), ext(0x000b)] }),
    );
    assert.equal(ja3s(s).ja3s_full, "771,49199,65281-11");
    assert.equal(ja3s(s).ja3s, md5("771,49199,65281-11"));
    assert.equal(ja3s(sh(serverHelloBody({ cipher: 5, version: 0x0301 }))).ja3s_full, "769,5,");
  });

  test("tshark 4.0 computes the same JA3/JA3S on the same bytes", {
    skip: !haveTshark() && "tshark absent",
  }, () => {
    const hellos = [
      specExampleWithGrease(),
      clientHelloBody({ version: 0x0301, ciphers: [0x0035, 0x002f] }),
      clientHelloBody({ ciphers: [0x0a0a], extensions: [groupsExt([0x0a0a]), pointFormatsExt([])] }),
      clientHelloBody({ ciphers: [0x1301], extensions: [alpnExt([Buffer.from([0xba, 0xad])]), ext(0x2a2a)] }),
    ];
    const servers = [
      serverHelloBody({ cipher: 0xc02f, extensions: [ext(0xff01, Buffer.from([0])), ext(0x3a3a)] }),
      serverHelloBody({ cipher: 5, version: 0x0301 }),
      serverHelloBody({ cipher: 0x1301, extensions: [] }),
      serverHelloBody({ cipher: 0x1302, extensions: [ext(0x002b, Buffer.from([3, 4]))] }),
    ];
    const dir = mkdtempSync(join(tmpdir(), "tls-ja3-"));
    try {
      const file = join(dir, "hello.pcap");
      writePcap(
        file,
        hellos.flatMap((h, i) => [
          { conn: i, clientToServer: true, payload: record(22, handshake(1, h), 0x0301) },
          { conn: i, clientToServer: false, payload: record(22, handshake(2, servers[i])) },
        ]),
      );
      const out = execFileSync(
        "tshark",
        [
          "-n",
          "-r",
          file,
          "-T",
          "fields",
          "-E",
          "separator=|",
          "-e",
          "tls.handshake.ja3_full",
          "-e",
          "tls.handshake.ja3s_full",
        ],
        { stdio: ["ignore", "pipe", "ignore"] },
      )
        .toString()
        .trim()
        .split("\n");
      assert.equal(out.length, hellos.length * 2);
      hellos.forEach((h, i) => {
        assert.equal(out[2 * i], `${ja3(ch(h)).ja3_full}|`);
        assert.equal(out[2 * i + 1], `|${ja3s(sh(servers[i])).ja3s_full}`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
