// Topics, builders and NATS wildcard matching, from DESIGN §5 "Topics" (and NATS subject rules):
// `*` matches exactly one non-empty token, `>` one or more trailing tokens (never zero).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { topicMatches } from "../../src/bus/match.js";
import {
  ATTACKER_FINGERPRINTED,
  assertSegment,
  deckyTraffic,
  isValidPattern,
  isValidTopic,
  MAX_TOPIC_LENGTH,
  SYSTEM_BUS_HEALTH,
  systemHealth,
  TopicError,
  TRAFFIC_SUMMARY_TYPES,
  topicOf,
} from "../../src/bus/topics.js";

describe("topic builders", () => {
  test("build the topics DESIGN §5 names", () => {
    assert.equal(deckyTraffic("web01"), "decky.web01.traffic");
    assert.equal(systemHealth("sniffer"), "system.sniffer.health");
    assert.equal(topicOf("attacker", "fingerprinted"), "attacker.fingerprinted");
    assert.equal(ATTACKER_FINGERPRINTED, "attacker.fingerprinted");
    assert.equal(SYSTEM_BUS_HEALTH, "system.bus.health");
  });

  test("decky.<name>.traffic carries DECNET's traffic-summary event types", () => {
    // DECNET decnet/sniffer/fingerprint.py (4nt11/DECNET @92632d7):
    //   _BUS_TRAFFIC_EVENTS: frozenset[str] = frozenset({"tls_session", "tcp_flow_timing",
    //     "tcp_syn_fingerprint", "ssh_client_banner", "quic_client_hello",
    //     "http_request_fingerprint", "http2_settings", "http3_settings"})
    assert.deepEqual([...TRAFFIC_SUMMARY_TYPES].sort(), [
      "http2_settings",
      "http3_settings",
      "http_request_fingerprint",
      "quic_client_hello",
      "ssh_client_banner",
      "tcp_flow_timing",
      "tcp_syn_fingerprint",
      "tls_session",
    ]);
  });

  test("reject segments with '.', '*', '>' or whitespace, and empty ones", () => {
    for (const bad of ["a.b", "a*", "*", ">", "a>", "a b", "a\tb", "a\nb", " ", "", "\u00a0"]) {
      assert.throws(() => deckyTraffic(bad), TopicError, JSON.stringify(bad));
      assert.throws(() => systemHealth(bad), TopicError, JSON.stringify(bad));
    }
  });

  test("reject control and non-ASCII characters (the wire header is ASCII)", () => {
    for (const bad of ["d\u0000", "d\u007f", "décky", "d\u2028"])
      assert.throws(() => assertSegment(bad), TopicError);
  });

  test("accept names with other punctuation", () => {
    for (const ok of ["web-01", "web_01", "10:0:0:1", "a/b", "x@y"])
      assert.equal(deckyTraffic(ok), `decky.${ok}.traffic`);
  });

  test("a topic longer than the wire allows is refused", () => {
    assert.throws(() => topicOf("a".repeat(MAX_TOPIC_LENGTH + 1)), TopicError);
    assert.equal(topicOf("a".repeat(MAX_TOPIC_LENGTH)).length, 4089);
  });
});

describe("topic and pattern validity", () => {
  test("topics: tokens only, no wildcards, no empty tokens", () => {
    for (const t of ["a", "a.b", "decky.web01.traffic", "system.bus.health"]) assert.ok(isValidTopic(t), t);
    for (const t of ["", ".", "a.", ".a", "a..b", "a.*", "a.>", "*", ">", "a b", "a.b\n"]) {
      assert.ok(!isValidTopic(t), JSON.stringify(t));
    }
  });

  test("patterns: '*' as a whole token anywhere, '>' as a whole last token", () => {
    for (const p of ["a", "*", ">", "a.*", "*.b", "a.>", "*.>", "decky.*.traffic", "system.*.health"]) {
      assert.ok(isValidPattern(p), p);
    }
    for (const p of ["", "a.", ".a", "a..b", ">.a", "a.>.b", "a*", "a>", "*a", "a b", "a.>>"]) {
      assert.ok(!isValidPattern(p), JSON.stringify(p));
    }
  });
});

describe("wildcard matching", () => {
  const table: [string, string, boolean][] = [
    ["decky.*.traffic", "decky.web01.traffic", true],
    ["decky.*.traffic", "decky.web01.x.traffic", false],
    ["decky.*.traffic", "decky.traffic", false],
    ["decky.>", "decky", false], // `>` never matches zero tokens
    ["decky.>", "decky.web01", true],
    ["decky.>", "decky.web01.traffic", true],
    [">", "a", true],
    [">", "a.b.c", true],
    ["*", "a", true],
    ["*", "a.b", false],
    ["*.*", "a.b", true],
    ["*.>", "a", false],
    ["*.>", "a.b", true],
    ["a.b", "a.b", true],
    ["a.b", "a.bc", false],
    ["a.bc", "a.b", false],
    ["a.b", "a.b.c", false],
    ["a.b.c", "a.b", false],
    ["system.*.health", "system.bus.health", true],
    ["system.*.health", "system.sniffer.health", true],
    ["attacker.fingerprinted", "attacker.fingerprinted", true],
    ["attacker.*", "attacker.fingerprinted", true],
    // Empty tokens (malformed topics) never match a wildcard or a literal.
    ["a.*", "a.", false],
    ["a.>", "a.", false],
    ["a.>", "a.b.", false],
    ["a.>", "a..b", false],
    [">", ".a", false],
    ["a..b", "a..b", false],
    // `>` not last is not a wildcard, so nothing matches.
    ["a.>.c", "a.b.c", false],
    ["", "a", false],
    ["a", "", false],
  ];
  for (const [p, t, want] of table) {
    test(`${JSON.stringify(p)} vs ${JSON.stringify(t)} → ${want}`, () =>
      assert.equal(topicMatches(p, t), want));
  }

  // An independent reference written from the rules, by splitting.
  function reference(p: string, t: string): boolean {
    const pt = p.split(".");
    const tt = t.split(".");
    if (pt.some((x) => x === "") || tt.some((x) => x === "")) return false;
    for (let i = 0; i < pt.length; i++) {
      if (pt[i] === ">") return i === pt.length - 1 && tt.length > i;
      if (i >= tt.length) return false;
      if (pt[i] !== "*" && pt[i] !== tt[i]) return false;
    }
    return pt.length === tt.length;
  }

  test("agrees with the split-based reference on random tokens (50,000 pairs)", () => {
    const tok = fc.constantFrom("a", "b", "ab", "*", ">", "");
    const name = fc.array(tok, { minLength: 1, maxLength: 5 }).map((a) => a.join("."));
    fc.assert(
      fc.property(name, name, (p, t) => {
        assert.equal(topicMatches(p, t), reference(p, t), `${p} vs ${t}`);
      }),
      { seed: 42, numRuns: 50_000 },
    );
  });
});
