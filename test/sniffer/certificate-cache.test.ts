// The certificate cache looks certificates up by a hash of their tail and confirms with the
// whole DER: a hit must be the same certificate, a collision must never return another
// certificate's summary, and the bounds must hold. Expected values come from openssl.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { CertificateCache } from "../../src/sniffer/analyzers/tls.js";

const dir = new URL("../../bench/fixtures/certs/", import.meta.url);
const load = (name: string) => readFileSync(new URL(name, dir));

/** The subject CN as openssl prints it. */
function opensslCn(der: Buffer): string {
  const out = execFileSync(
    "openssl",
    ["x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "multiline"],
    {
      input: der,
    },
  ).toString();
  const m = /commonName\s*=\s*(.+)/.exec(out);
  assert.ok(m, out);
  return m[1].trim();
}

describe("CertificateCache", () => {
  const names = ["leaf-portal.der", "leaf-vpn.der", "inter-rsa.der", "root.der"];

  test("each certificate's summary is its own, on a miss and on later hits", () => {
    const cache = new CertificateCache();
    for (let round = 0; round < 3; round++) {
      for (const n of names) {
        const der = load(n);
        // A view into a larger buffer, as the reassembler hands certificates out.
        const host = Buffer.concat([Buffer.from([1, 2, 3]), der, Buffer.from([9])]);
        const s = cache.summarize(host.subarray(3, 3 + der.length));
        assert.ok(s, n);
        assert.equal(s.subjectCn, opensslCn(der), n);
      }
    }
  });

  test("certificates with the same length and tail (a forced hash collision) stay apart", () => {
    const cache = new CertificateCache();
    const a = load("leaf-portal.der");
    // Same length and same last 64 bytes, another subject name: a different certificate
    // (its signature no longer verifies, which the sensor does not check).
    const at = a.indexOf(Buffer.from("portal.havenkraan.example")); // the subject's CN (a SAN follows)
    assert.ok(at > 0);
    const variant = (c: string) => {
      const v = Buffer.from(a);
      v.write(c, at);
      return v;
    };
    const b = variant("q");
    assert.equal(cache.summarize(a)?.subjectCn, "portal.havenkraan.example");
    assert.equal(cache.summarize(b)?.subjectCn, opensslCn(b));
    assert.equal(opensslCn(b), "qortal.havenkraan.example");
    assert.equal(cache.summarize(a)?.subjectCn, opensslCn(a));
    // More colliding variants than a bucket keeps: still each judged on its own bytes.
    for (const c of "rstuvwxyz")
      assert.equal(cache.summarize(variant(c))?.subjectCn, `${c}ortal.havenkraan.example`);
    assert.equal(cache.summarize(a)?.subjectCn, opensslCn(a));
    assert.equal(cache.summarize(b)?.subjectCn, "qortal.havenkraan.example");
  });

  test("bounded: past its entry bound it starts over and keeps answering correctly", () => {
    const cache = new CertificateCache(2, 1 << 20);
    for (let round = 0; round < 3; round++) {
      for (const n of names) assert.equal(cache.summarize(load(n))?.subjectCn, opensslCn(load(n)));
    }
    const tiny = new CertificateCache(100, 100); // every DER is larger than the byte bound
    assert.equal(tiny.summarize(load("root.der"))?.subjectCn, opensslCn(load("root.der")));
  });
});
