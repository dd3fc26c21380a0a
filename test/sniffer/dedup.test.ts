/** Dedup (DESIGN §5 keys) on packet time, and its bound on attacker-chosen key text. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Dedup } from "../../src/sniffer/dedup.js";

const S = 1_000_000;

describe("dedup", () => {
  test("the same key within the window is dropped; after it, or from another source, written", () => {
    const d = new Dedup(300 * S);
    const f = { src_ip: "198.51.100.7", ja3: "a", ja4: "b" };
    assert.equal(d.isDuplicate(0, "tls_client_hello", f), false);
    assert.equal(d.isDuplicate(299 * S, "tls_client_hello", f), true);
    assert.equal(d.isDuplicate(300 * S, "tls_client_hello", f), false);
    assert.equal(d.isDuplicate(300 * S, "tls_client_hello", { ...f, src_ip: "198.51.100.8" }), false);
    assert.equal(d.isDuplicate(300 * S, "tls_session", f), false);
  });

  test("quic_client_hello: DECNET's key, src_ip|ja4_quic (the SNI does not count)", () => {
    // DECNET fingerprint.py _dedup_key_for: `if event_type == "quic_client_hello": return
    // fields.get("src_ip", "") + "|" + fields.get("ja4_quic", "")`.
    const d = new Dedup(300 * S);
    const f = (ja4q: string, sni: string) => ({ src_ip: "198.51.100.7", ja4_quic: ja4q, sni });
    assert.equal(d.isDuplicate(0, "quic_client_hello", f("q13d0310h3_a_b", "one.example")), false);
    assert.equal(d.isDuplicate(1, "quic_client_hello", f("q13d0310h3_a_b", "two.example")), true);
    assert.equal(d.isDuplicate(2, "quic_client_hello", f("q13d0310h3_a_c", "one.example")), false);
    assert.equal(
      d.isDuplicate(3, "quic_client_hello", {
        ...f("q13d0310h3_a_b", "one.example"),
        src_ip: "198.51.100.8",
      }),
      false,
    );
  });

  test("long attacker-chosen keys still tell events apart and still match repeats", () => {
    const d = new Dedup(300 * S);
    const cn = "a".repeat(30_000);
    const f = (name: string) => ({ src_ip: "198.51.100.7", subject_cn: name, issuer: "CN=x" });
    assert.equal(d.isDuplicate(0, "tls_certificate", f(`${cn}1`)), false);
    assert.equal(d.isDuplicate(1, "tls_certificate", f(`${cn}2`)), false); // differs in its last character
    assert.equal(d.isDuplicate(2, "tls_certificate", f(`${cn}1`)), true);
    assert.equal(d.size, 2);
    // Held as digests: the table's memory does not follow the 30 KB names.
    assert.ok(d.keyChars < 2 * 400, `${d.keyChars} key characters`);
  });

  test("at most maxEntries keys: the oldest is forgotten first", () => {
    const d = new Dedup(300 * S, 3);
    const f = (i: number) => ({ src_ip: `198.51.100.${i}`, hassh: "h" });
    for (let i = 0; i < 4; i++) d.isDuplicate(i, "ssh_fingerprint", f(i));
    assert.equal(d.size, 3);
    assert.equal(d.isDuplicate(10, "ssh_fingerprint", f(0)), false); // forgotten
    assert.equal(d.isDuplicate(11, "ssh_fingerprint", f(3)), true);
  });
});
