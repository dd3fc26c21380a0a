// The SYN analyzer memoises what a SYN's header gives (fingerprint, p0f match, JA4T) by
// the header's *shape*. Every input of those functions must be in the shape, or a SYN gets
// another's answer. SYNs are drawn from a small alphabet (so shapes repeat and the memo is
// hit), covering every header bit p0f and the DECNET buckets read; each is analysed with
// the memo and afresh, and the two must agree field for field.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import { DEFAULT_P0F_FP_PATH, loadP0fDatabase } from "../../src/fingerprint/p0f/load-database.js";
import { type P0fDatabase, parseP0fDatabase } from "../../src/fingerprint/p0f/signature-file.js";
import { FlowTable } from "../../src/flow/flow-table.js";
import { SynAnalyzer } from "../../src/sniffer/analyzers/tcp-syn.js";
import type { AnalyzerContext } from "../../src/sniffer/flow-state.js";
import { buildPacket, decodeIp, opt, type PacketSpec } from "../tcp/helpers.js";

const systemP0f = existsSync(DEFAULT_P0F_FP_PATH) ? loadP0fDatabase(DEFAULT_P0F_FP_PATH) : undefined;

// Signatures that differ in one quirk each (exact matches only), so that a header bit left
// out of the memo's shape shows as a wrong label even where the stock database has no
// such pair.
const QUIRK_P0F = parseP0fDatabase(
  [
    "classes = win,unix,other",
    "[tcp:request]",
    "label = s:unix:IdPlus:1",
    "sig   = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0",
    "label = s:unix:IdZero:1",
    "sig   = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df:0",
    "label = s:unix:NoDfZero:1",
    "sig   = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:id-:0",
  ].join("\n"),
  "quirks.fp",
);

const OPTIONS: number[][] = [
  [],
  [...opt.mss(1460), ...opt.nop(), ...opt.ws(8), ...opt.nop(), ...opt.nop(), ...opt.sok()],
  [...opt.mss(1460), ...opt.sok(), ...opt.ts(0, 0), ...opt.nop(), ...opt.ws(7)],
  [...opt.mss(1460), ...opt.sok(), ...opt.ts(5, 0), ...opt.nop(), ...opt.ws(7)],
  [...opt.mss(1460), ...opt.sok(), ...opt.ts(5, 9), ...opt.nop(), ...opt.ws(7)],
  [...opt.mss(1380), ...opt.ws(15), ...opt.eol(3)],
  [...opt.mss(1460), ...opt.eol(0), 0, 7, 0], // EOL followed by a non-zero byte
  [2, 3, 5, 180], // MSS with a bad length
  // An MSS of 2058 (08 0a) is no timestamp option: the window scales after it must count.
  [2, 4, 8, 10, ...opt.ws(7), ...opt.sok(), 1, 1, 1],
  [2, 4, 8, 10, ...opt.ws(14), ...opt.sok(), 1, 1, 1],
];

/** Each header input and the values it takes. */
const ALPHABET = {
  ipVersion: [4, 6] as (4 | 6)[],
  ttl: [64, 128, 54],
  tos: [0, 1, 0x10],
  df: [false, true],
  mbz: [false, true],
  ipId: [0, 77],
  flowLabel: [0, 5],
  seq: [0, 1000],
  ack: [0, 5, 0x01000000],
  urgent: [0, 3],
  flags: [0x02, 0x02 | 0x40 | 0x80, 0x102, 0x02 | 0x20, 0x02 | 0x08],
  window: [1024, 64240, 29200],
  options: OPTIONS,
  payload: [[], [1, 2]] as number[][],
};
type Dim = keyof typeof ALPHABET;
type SynSpec = { [K in Dim]: (typeof ALPHABET)[K][number] };
const DIMS = Object.keys(ALPHABET) as Dim[];

const syn: fc.Arbitrary<SynSpec> = fc.record(
  Object.fromEntries(DIMS.map((d) => [d, fc.constantFrom(...(ALPHABET[d] as unknown[]))])) as {
    [K in Dim]: fc.Arbitrary<SynSpec[K]>;
  },
);

/** A SYN that matches the quirk database's signatures exactly (Linux 3.11+ options, DF). */
const LINUX: SynSpec = {
  ipVersion: 4,
  ttl: 64,
  tos: 0,
  df: true,
  mbz: false,
  ipId: 77,
  flowLabel: 0,
  seq: 1000,
  ack: 0,
  urgent: 0,
  flags: 0x02,
  window: 29200,
  options: OPTIONS[3],
  payload: [],
};

/** A SYN and the same SYN with one input changed (looked up right after it). */
const pairOf = (base: fc.Arbitrary<SynSpec>) =>
  fc.tuple(base, fc.constantFrom(...DIMS), fc.nat()).map(([base, dim, pick]): [SynSpec, SynSpec] => {
    const values = ALPHABET[dim] as unknown[];
    return [base, { ...base, [dim]: values[pick % values.length] }];
  });

function analyzer(p0f: P0fDatabase | undefined): { a: SynAnalyzer; emitted: Record<string, string>[] } {
  const emitted: Record<string, string>[] = [];
  const ctx: AnalyzerContext = {
    tsUs: 0,
    emit: (_flow, _type, _severity, fields, runs) => {
      emitted.push(fields);
      // The pre-encoded runs are exactly the fields at their place (else the line writer
      // silently ignores them): the header fields, the sequence classes, and what follows.
      assert.ok(runs !== undefined && runs.length === 3, "a SYN observation without its three encoded runs");
      const all = Object.entries(fields);
      for (const run of runs) {
        assert.deepEqual(
          all.slice(run.at, run.at + run.keys.length),
          run.keys.map((k, i) => [k, run.values[i]]),
        );
      }
      // Together with the four endpoint fields, they cover the whole line.
      assert.equal(runs[0].at, 4);
      assert.equal(runs[2].at + runs[2].keys.length, all.length);
      assert.equal(runs[0].at + runs[0].keys.length, runs[1].at);
      assert.equal(runs[1].at + runs[1].keys.length, runs[2].at);
    },
  };
  return { a: new SynAnalyzer(ctx, p0f), emitted };
}

function checkPairs(
  p0f: P0fDatabase | undefined,
  base: fc.Arbitrary<SynSpec>,
  seed: number,
  runs: number,
): void {
  const memo = analyzer(p0f);
  const fresh = analyzer(p0f);
  fresh.a.memoOff = true;
  const table = new FlowTable({}, () => undefined);
  let n = 0;
  const check = (s: SynSpec): void => {
    const spec: PacketSpec = {
      ...s,
      src: s.ipVersion === 4 ? "198.51.100.7" : "2001:db8::7",
      dst: s.ipVersion === 4 ? "10.13.0.18" : "2001:db8::18",
      sport: 40000 + (n % 20000),
      dport: 443,
    };
    const p = decodeIp(buildPacket(spec));
    const flow = table.lookup(p);
    memo.a.onSyn(flow, p);
    const got = { ja4t: flow.ja4t, os: flow.osGuess, p0f: flow.p0fLabel };
    fresh.a.onSyn(flow, p);
    const want = { ja4t: flow.ja4t, os: flow.osGuess, p0f: flow.p0fLabel };
    assert.deepEqual(got, want, JSON.stringify(s));
    assert.deepEqual(memo.emitted[n], fresh.emitted[n], JSON.stringify(s));
    n++;
    table.end(flow, "fin");
  };
  fc.assert(
    fc.property(pairOf(base), ([first, variant]) => {
      check(first);
      check(variant);
    }),
    { seed, numRuns: runs },
  );
  assert.equal(memo.emitted.length, fresh.emitted.length);
  assert.ok(n >= 2 * runs, `only ${n} SYNs analysed`);
}

describe("SYN memo", () => {
  test("two SYNs whose options differ only after bytes that look like a timestamp option", () => {
    const memo = analyzer(systemP0f);
    const fresh = analyzer(systemP0f);
    fresh.a.memoOff = true;
    const table = new FlowTable({}, () => undefined);
    for (const ws of [7, 14]) {
      const p = decodeIp(
        buildPacket({
          ...LINUX,
          window: 29200,
          options: [2, 4, 8, 10, ...opt.ws(ws), ...opt.sok(), 1, 1, 1],
          src: "198.51.100.7",
          dst: "10.13.0.18",
          sport: 40000 + ws,
          dport: 443,
        }),
      );
      const flow = table.lookup(p);
      memo.a.onSyn(flow, p);
      const got = flow.ja4t;
      fresh.a.onSyn(flow, p);
      assert.equal(got, flow.ja4t);
      // JA4T by hand (FoxIO JA4T.md): window_option kinds_MSS_window scale.
      assert.equal(got, `29200_2-3-4-1-1-1_2058_${ws}`);
      table.end(flow, "fin");
    }
  });

  test("memoised SYN analysis equals a fresh one: the system p0f.fp (20,000 pairs one input apart)", (t) => {
    if (systemP0f === undefined) t.diagnostic(`no ${DEFAULT_P0F_FP_PATH}: p0f labels not compared`);
    checkPairs(systemP0f, syn, 0x5e17, 20_000);
  });

  test("memoised SYN analysis equals a fresh one: signatures one quirk apart (a matching SYN and 2,000 one-input variants)", () => {
    assert.deepEqual(QUIRK_P0F.errors, []);
    // The SYN matches a signature of its own, and so do its variants in ipId and DF:
    // without those bits in the shape a variant would get the SYN's label.
    const labels = (spec: SynSpec) => {
      const { a } = analyzer(QUIRK_P0F.database);
      a.memoOff = true;
      const p = decodeIp(
        buildPacket({ ...spec, src: "198.51.100.7", dst: "10.13.0.18", sport: 1, dport: 443 }),
      );
      const flow = new FlowTable({}, () => undefined).lookup(p);
      a.onSyn(flow, p);
      return flow.p0fLabel;
    };
    assert.deepEqual(
      [labels(LINUX), labels({ ...LINUX, ipId: 0 }), labels({ ...LINUX, df: false, ipId: 0 })],
      ["IdPlus 1", "IdZero 1", "NoDfZero 1"],
    );
    checkPairs(QUIRK_P0F.database, fc.constant(LINUX), 0x5e18, 2_000);
  });
});
