import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseCertificateMessage } from "../../src/fingerprint/tls/certificate.js";
import { parseClientHello } from "../../src/fingerprint/tls/client-hello.js";
import { GREASE_VALUES, isGrease } from "../../src/fingerprint/tls/grease.js";
import { parseServerHello } from "../../src/fingerprint/tls/server-hello.js";
import { Counters } from "../../src/util/counters.js";
import {
  alpnExt,
  cat,
  certificateBody12,
  clientHelloBody,
  ext,
  groupsExt,
  keyShareExt,
  pointFormatsExt,
  pskModesExt,
  serverHelloBody,
  sigAlgsExt,
  sniExt,
  supportedVersionsExt,
  u8,
  u16,
  u24,
  vec8,
  vec16,
  vec24,
} from "./build.js";

describe("GREASE", () => {
  test("the 16 RFC 8701 values and nothing else", () => {
    assert.deepEqual(
      GREASE_VALUES.map((v) => v.toString(16).padStart(4, "0")),
      "0a0a 1a1a 2a2a 3a3a 4a4a 5a5a 6a6a 7a7a 8a8a 9a9a aaaa baba caca dada eaea fafa".split(" "),
    );
    let n = 0;
    for (let v = 0; v < 0x10000; v++) if (isGrease(v)) n++;
    assert.equal(n, 16);
    assert.equal(isGrease(0x0a1a), false);
    assert.equal(isGrease(0x0b0b), false);
  });
});

describe("parseClientHello", () => {
  const full = clientHelloBody({
    version: 0x0303,
    sessionId: Buffer.alloc(32, 0x5e),
    ciphers: [0x8a8a, 0x1301, 0x1302, 0x00ff],
    compression: [0],
    extensions: [
      ext(0x9a9a),
      sniExt("decky-01.corp.example"),
      alpnExt([Buffer.from([0xaa, 0xaa]), "h2", Buffer.from([0xff, 0x00, 0x41])]),
      supportedVersionsExt([0xbaba, 0x0304, 0x0303]),
      sigAlgsExt([0xcaca, 0x0403, 0x0804]),
      groupsExt([0xdada, 0x11ec, 0x001d]),
      pointFormatsExt([0, 1]),
      keyShareExt([0xeaea, 0x001d]),
      pskModesExt([1]),
      ext(0x0023, Buffer.from([1, 2, 3])),
      ext(0x002a),
      ext(0x0029, Buffer.alloc(20, 1)),
      ext(0xfafa, Buffer.from([0])),
    ],
  });

  test("every field, in wire order, GREASE kept", () => {
    const ch = parseClientHello(full);
    assert.ok(ch);
    assert.equal(ch.legacyVersion, 0x0303);
    assert.equal(ch.sessionIdLength, 32);
    assert.deepEqual(ch.cipherSuites, [0x8a8a, 0x1301, 0x1302, 0x00ff]);
    assert.deepEqual(ch.compressionMethods, [0]);
    assert.deepEqual(
      ch.extensionTypes,
      [0x9a9a, 0, 0x10, 0x2b, 0x0d, 0x0a, 0x0b, 0x33, 0x2d, 0x23, 0x2a, 0x29, 0xfafa],
    );
    assert.deepEqual(ch.extensions[1].data, vec16(cat(u8(0), vec16(Buffer.from("decky-01.corp.example")))));
    assert.equal(ch.serverName, "decky-01.corp.example");
    assert.equal(ch.hasServerNameExt, true);
    assert.deepEqual(ch.alpn, [
      Buffer.from([0xaa, 0xaa]),
      Buffer.from("h2"),
      Buffer.from([0xff, 0x00, 0x41]),
    ]);
    assert.deepEqual(ch.supportedVersions, [0xbaba, 0x0304, 0x0303]);
    assert.deepEqual(ch.signatureAlgorithms, [0xcaca, 0x0403, 0x0804]);
    assert.deepEqual(ch.supportedGroups, [0xdada, 0x11ec, 0x001d]);
    assert.deepEqual(ch.ecPointFormats, [0, 1]);
    assert.deepEqual(ch.keyShareGroups, [0xeaea, 0x001d]);
    assert.deepEqual(ch.pskModes, [1]);
    assert.deepEqual(ch.resumption, {
      sessionTicketExt: true,
      sessionTicketNonEmpty: true,
      preSharedKey: true,
      pskKeyExchangeModes: true,
      earlyData: true,
      sessionIdNonEmpty: true,
    });
  });

  test("no SNI, no ALPN, no extensions at all", () => {
    const ch = parseClientHello(clientHelloBody({ version: 0x0301, ciphers: [0x002f] }));
    assert.ok(ch);
    assert.equal(ch.serverName, undefined);
    assert.equal(ch.hasServerNameExt, false);
    assert.equal(ch.alpn, undefined);
    assert.equal(ch.supportedVersions, undefined);
    assert.deepEqual(ch.extensions, []);
    assert.deepEqual(ch.resumption, {
      sessionTicketExt: false,
      sessionTicketNonEmpty: false,
      preSharedKey: false,
      pskKeyExchangeModes: false,
      earlyData: false,
      sessionIdNonEmpty: false,
    });
  });

  test("empty session ticket extension: present, not a resumption", () => {
    const ch = parseClientHello(clientHelloBody({ ciphers: [0x1301], extensions: [ext(0x0023)] }));
    assert.equal(ch?.resumption.sessionTicketExt, true);
    assert.equal(ch?.resumption.sessionTicketNonEmpty, false);
  });

  test("empty cipher list parses", () => {
    const ch = parseClientHello(clientHelloBody({ ciphers: [], extensions: [] }));
    assert.deepEqual(ch?.cipherSuites, []);
  });

  test("a malformed SNI extension: the hello parses, the name is unknown, the extension counts", () => {
    const counters = new Counters();
    const body = clientHelloBody({
      ciphers: [0x1301],
      extensions: [ext(0, Buffer.from([0, 9, 0, 0, 3, 0x61]))],
    });
    const ch = parseClientHello(body, counters);
    assert.ok(ch);
    assert.equal(ch.hasServerNameExt, true);
    assert.equal(ch.serverName, undefined);
    assert.equal(counters.get("tls.client_hello.bad_extension"), 1);
  });

  test("an odd-length supported_groups leaves the groups undefined", () => {
    const ch = parseClientHello(
      clientHelloBody({ ciphers: [1], extensions: [ext(0x0a, Buffer.from([0, 3, 0, 0x1d, 0]))] }),
    );
    assert.ok(ch);
    assert.equal(ch.supportedGroups, undefined);
  });

  test("a duplicated extension: listed twice, the first occurrence is the one read", () => {
    const body = clientHelloBody({
      ciphers: [1],
      extensions: [
        groupsExt([0x1d]),
        sniExt("first.example"),
        groupsExt([0x17, 0x18]),
        sniExt("second.example"),
      ],
    });
    const ch = parseClientHello(body);
    assert.ok(ch);
    assert.deepEqual(ch.extensionTypes, [0x0a, 0x00, 0x0a, 0x00]);
    assert.deepEqual(ch.supportedGroups, [0x1d]);
    assert.equal(ch.serverName, "first.example");
    // Each hello is judged on its own: a second hello's extensions are all first occurrences.
    const other = parseClientHello(
      clientHelloBody({ ciphers: [1], extensions: [groupsExt([0x19]), sniExt("other.example")] }),
    );
    assert.deepEqual(other?.supportedGroups, [0x19]);
    assert.equal(other?.serverName, "other.example");
    const sh = parseServerHello(
      serverHelloBody({
        cipher: 0x1301,
        extensions: [ext(0x2b), ext(0x2b, u16(0x0304)), ext(0x2b, u16(0x0303))],
      }),
    );
    assert.ok(sh);
    assert.deepEqual(sh.extensionTypes, [0x2b, 0x2b, 0x2b]);
    assert.equal(sh.selectedVersion, undefined);
    const sh2 = parseServerHello(
      serverHelloBody({ cipher: 0x1301, extensions: [ext(0x2b, u16(0x0304)), ext(0x2b, u16(0x0303))] }),
    );
    assert.equal(sh2?.selectedVersion, 0x0304);
  });

  test("malformed length fields: undefined and counted", () => {
    const counters = new Counters();
    const head = cat(u16(0x0303), Buffer.alloc(32));
    const cases: [string, Buffer][] = [
      ["too short", Buffer.alloc(20)],
      ["session id longer than 32", cat(head, vec8(Buffer.alloc(33)), vec16(u16(0x1301)), vec8(u8(0)))],
      ["session id past the end", cat(head, u8(10), Buffer.alloc(3))],
      ["odd cipher length", cat(head, u8(0), u16(3), Buffer.from([0x13, 0x01, 0x13]), vec8(u8(0)))],
      ["cipher list past the end", cat(head, u8(0), u16(40), u16(0x1301))],
      ["no compression", cat(head, u8(0), vec16(u16(0x1301)))],
      ["compression past the end", cat(head, u8(0), vec16(u16(0x1301)), u8(5), u8(0))],
      [
        "extensions block past the end",
        cat(head, u8(0), vec16(u16(0x1301)), vec8(u8(0)), u16(100), ext(0x17)),
      ],
      ["one byte of extension block length", cat(head, u8(0), vec16(u16(0x1301)), vec8(u8(0)), u8(0))],
      [
        "extension past the block",
        cat(head, u8(0), vec16(u16(0x1301)), vec8(u8(0)), u16(6), u16(0x17), u16(9), u16(0)),
      ],
      [
        "truncated extension header",
        cat(head, u8(0), vec16(u16(0x1301)), vec8(u8(0)), u16(3), u16(0x17), u8(0)),
      ],
    ];
    for (const [name, body] of cases) assert.equal(parseClientHello(body, counters), undefined, name);
    assert.equal(counters.get("tls.client_hello.malformed"), cases.length);
  });

  test("every truncation of a valid hello: undefined, except a cut right after compression", () => {
    const body = clientHelloBody({
      ciphers: [0x1301],
      compression: [0],
      extensions: [sniExt("a.b"), ext(0x17)],
    });
    const endOfCompression = 2 + 32 + 1 + 2 + 2 + 1 + 1;
    for (let n = 0; n < body.length; n++) {
      const ch = parseClientHello(body.subarray(0, n), new Counters());
      if (n === endOfCompression) assert.deepEqual(ch?.extensions, []);
      else assert.equal(ch, undefined, `cut at ${n}`);
    }
  });
});

describe("parseServerHello", () => {
  test("fields, selected version, ALPN, key share", () => {
    const body = serverHelloBody({
      cipher: 0x1301,
      sessionId: Buffer.alloc(32, 1),
      extensions: [
        ext(0x002b, u16(0x0304)),
        ext(0x0033, cat(u16(0x001d), vec16(Buffer.alloc(32)))),
        alpnExt(["h2"]),
      ],
    });
    const sh = parseServerHello(body);
    assert.ok(sh);
    assert.equal(sh.legacyVersion, 0x0303);
    assert.equal(sh.sessionIdLength, 32);
    assert.equal(sh.cipherSuite, 0x1301);
    assert.equal(sh.compressionMethod, 0);
    assert.deepEqual(sh.extensionTypes, [0x2b, 0x33, 0x10]);
    assert.equal(sh.selectedVersion, 0x0304);
    assert.deepEqual(sh.alpn, Buffer.from("h2"));
    assert.equal(sh.keyShareGroup, 0x001d);
    assert.equal(sh.isHelloRetryRequest, false);
  });

  test("HelloRetryRequest is recognised by its random", () => {
    const random = Buffer.from("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c", "hex");
    const sh = parseServerHello(
      serverHelloBody({
        random,
        cipher: 0x1301,
        extensions: [ext(0x002b, u16(0x0304)), ext(0x0033, u16(0x0017))],
      }),
    );
    assert.equal(sh?.isHelloRetryRequest, true);
    assert.equal(sh?.keyShareGroup, 0x0017);
  });

  test("no extensions (TLS 1.0 server)", () => {
    const sh = parseServerHello(serverHelloBody({ version: 0x0301, cipher: 5 }));
    assert.deepEqual(sh?.extensionTypes, []);
    assert.equal(sh.selectedVersion, undefined);
  });

  test("malformed: undefined and counted", () => {
    const counters = new Counters();
    const good = serverHelloBody({ cipher: 0x1301, extensions: [ext(0xff01, u8(0))] });
    for (let n = 0; n < good.length; n++) {
      if (n === 2 + 32 + 1 + 3) continue; // a hello without extensions is valid
      assert.equal(parseServerHello(good.subarray(0, n), counters), undefined, `cut at ${n}`);
    }
    const longSid = cat(u16(0x0303), Buffer.alloc(32), vec8(Buffer.alloc(33)), u16(1), u8(0));
    assert.equal(parseServerHello(longSid, counters), undefined);
    assert.equal(counters.get("tls.server_hello.malformed"), good.length);
  });
});

describe("parseCertificateMessage", () => {
  const a = Buffer.alloc(700, 0x30);
  const b = Buffer.alloc(300, 0x31);

  test("TLS ≤ 1.2 chain", () => {
    const msg = parseCertificateMessage(certificateBody12([a, b]));
    assert.ok(msg);
    assert.equal(msg.form, "tls12");
    assert.deepEqual(msg.certificates, [a, b]);
    assert.equal(msg.requestContext, undefined);
  });

  test("empty chain (a client without a certificate)", () => {
    assert.deepEqual(parseCertificateMessage(u24(0))?.certificates, []);
  });

  test("TLS 1.3 form with request context and per-entry extensions", () => {
    const e1 = ext(5, Buffer.from([1, 2]));
    const body = cat(
      vec8(Buffer.from([7, 7])),
      vec24(cat(vec24(a), vec16(e1), vec24(b), vec16(Buffer.alloc(0)))),
    );
    const msg = parseCertificateMessage(body);
    assert.ok(msg);
    assert.equal(msg.form, "tls13");
    assert.deepEqual(msg.requestContext, Buffer.from([7, 7]));
    assert.deepEqual(msg.certificates, [a, b]);
    assert.deepEqual(msg.entryExtensions, [e1, Buffer.alloc(0)]);
    assert.deepEqual(parseCertificateMessage(body, "tls13")?.certificates, [a, b]);
    assert.equal(parseCertificateMessage(body, "tls12", new Counters()), undefined);
  });

  test("malformed: undefined and counted", () => {
    const counters = new Counters();
    const good = certificateBody12([a, b]);
    assert.equal(parseCertificateMessage(good.subarray(0, good.length - 1), "tls12", counters), undefined);
    assert.equal(parseCertificateMessage(cat(u24(3), u24(0)), "tls12", counters), undefined, "empty entry");
    assert.equal(parseCertificateMessage(cat(u24(5), u24(9), u16(0)), "tls12", counters), undefined);
    assert.equal(parseCertificateMessage(Buffer.alloc(0), "auto", counters), undefined);
    assert.equal(counters.get("tls.certificate.malformed"), 4);
  });

  test("over-long chains are cut at 32 entries and counted", () => {
    const counters = new Counters();
    const ders = Array.from({ length: 40 }, (_, i) => Buffer.from([0x30, i]));
    const msg = parseCertificateMessage(certificateBody12(ders), "auto", counters);
    assert.equal(msg?.certificates.length, 32);
    assert.equal(msg?.dropped, 8);
    assert.equal(counters.get("tls.certificate.chain_truncated"), 1);
  });
});
