import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { matchP0fSyn } from "../../src/fingerprint/p0f/matcher.js";
import { parseP0fDatabase } from "../../src/fingerprint/p0f/signature-file.js";
import {
  bucketOfP0fMatch,
  guessOs,
  hopDistance,
  initialTtl,
  synFingerprint,
} from "../../src/fingerprint/tcp/syn-fingerprint.js";
import { findP0f, runP0f } from "../p0f/p0f-log.js";
import { buildPacket, decodeIp, ethernet, opt, type PacketSpec, SYN } from "./helpers.js";

const o = (...parts: number[][]) => parts.flat();

/**
 * Hand-built SYNs, one or more per DECNET bucket. The expected bucket of each is worked out
 * by hand from DECNET's rule table (decnet/sniffer/p0f.py) plus the documented nmap fix.
 */
const SYNS: Array<{ name: string; bucket: string; spec: PacketSpec; withP0f?: string }> = [
  {
    name: "Linux 3.11+ (mss*20, ws 7, SACK + timestamps)",
    bucket: "linux",
    spec: {
      ttl: 64,
      df: true,
      ipId: 0x1234,
      flags: SYN,
      window: 29200,
      options: o(opt.mss(1460), opt.sok(), opt.ts(123456, 0), opt.nop(), opt.ws(7)),
    },
  },
  {
    name: "Linux 10 hops away, ws 10",
    bucket: "linux",
    spec: {
      ttl: 54,
      df: true,
      ipId: 77,
      flags: SYN,
      window: 64240,
      options: o(opt.mss(1460), opt.sok(), opt.ts(9, 0), opt.nop(), opt.ws(10)),
    },
  },
  {
    name: "Windows 10 (TTL 128, 64240, ws 8)",
    bucket: "windows",
    spec: {
      ttl: 128,
      df: true,
      ipId: 0x4d2,
      flags: SYN,
      window: 64240,
      options: o(opt.mss(1460), opt.nop(), opt.ws(8), opt.nop(), opt.nop(), opt.sok()),
    },
  },
  {
    name: "Windows 7 8 hops away (TTL 120, 8192)",
    bucket: "windows",
    spec: {
      ttl: 120,
      df: true,
      ipId: 99,
      flags: SYN,
      window: 8192,
      options: o(opt.mss(1460), opt.nop(), opt.ws(8), opt.nop(), opt.nop(), opt.sok()),
    },
  },
  {
    name: "Windows XP (no window scale, 65535)",
    bucket: "windows",
    spec: {
      ttl: 128,
      df: true,
      ipId: 5,
      flags: SYN,
      window: 65535,
      options: o(opt.mss(1460), opt.nop(), opt.nop(), opt.sok()),
    },
  },
  {
    name: "macOS (ws 6, EOL padding)",
    bucket: "macos_ios",
    spec: {
      ttl: 64,
      df: true,
      ipId: 0x2222,
      flags: SYN,
      window: 65535,
      options: o(
        opt.mss(1460),
        opt.nop(),
        opt.ws(6),
        opt.nop(),
        opt.nop(),
        opt.ts(1000, 0),
        opt.sok(),
        opt.eol(1),
      ),
    },
  },
  {
    name: "iOS-like (ws 5, EOL padding)",
    bucket: "macos_ios",
    spec: {
      ttl: 63,
      df: true,
      ipId: 0x2223,
      flags: SYN,
      window: 65535,
      options: o(
        opt.mss(1400),
        opt.nop(),
        opt.ws(5),
        opt.nop(),
        opt.nop(),
        opt.ts(1000, 0),
        opt.sok(),
        opt.eol(1),
      ),
    },
  },
  {
    name: "FreeBSD 9+ (65535, ws 6, no EOL)",
    bucket: "freebsd",
    spec: {
      ttl: 64,
      df: true,
      ipId: 0x3333,
      flags: SYN,
      window: 65535,
      options: o(opt.mss(1460), opt.nop(), opt.ws(6), opt.sok(), opt.ts(55, 0)),
    },
  },
  {
    name: "OpenBSD (16384, ws 3)",
    bucket: "openbsd",
    spec: {
      ttl: 64,
      df: true,
      ipId: 0x4444,
      flags: SYN,
      window: 16384,
      options: o(
        opt.mss(1460),
        opt.nop(),
        opt.nop(),
        opt.sok(),
        opt.nop(),
        opt.ws(3),
        opt.nop(),
        opt.nop(),
        opt.ts(7, 0),
      ),
    },
  },
  {
    name: "network gear (TTL 255)",
    bucket: "embedded",
    spec: { ttl: 254, ipId: 1, flags: SYN, window: 4128, options: opt.mss(536) },
  },
  {
    name: "nmap -sS (window 1024, lone MSS 1460, raw TTL 47, no DF)",
    bucket: "nmap",
    spec: { ttl: 47, ipId: 0xbeef, flags: SYN, window: 1024, options: opt.mss(1460) },
  },
  {
    name: "nmap -sS (window 4096)",
    bucket: "nmap",
    spec: { ttl: 39, ipId: 0x0102, flags: SYN, window: 4096, options: opt.mss(1460) },
  },
  {
    name: "nmap -O probe 1 (window 1, ws 10, nop, mss, ts, sok)",
    bucket: "nmap",
    spec: {
      ttl: 52,
      ipId: 0x0a0b,
      flags: SYN,
      window: 1,
      ack: 0x0100_0000 + 17,
      options: o(opt.ws(10), opt.nop(), opt.mss(1460), opt.ts(0xffffffff, 0), opt.sok()),
    },
  },
  {
    name: "DECNET's own nmap rule (M,W,T,S,S with ws 10)",
    bucket: "nmap",
    spec: {
      ttl: 60,
      ipId: 3,
      flags: SYN,
      window: 65535,
      options: o(opt.mss(1460), opt.ws(10), opt.ts(1, 0), opt.sok(), [5, 10, 0, 0, 0, 1, 0, 0, 0, 2]),
    },
  },
  {
    name: "no options, odd window",
    bucket: "unknown",
    spec: { ttl: 64, df: true, ipId: 2, flags: SYN, window: 1000 },
  },
  {
    name: "Linux without timestamps (DECNET's Linux rule wants them; p0f knows it)",
    bucket: "unknown",
    withP0f: "linux",
    spec: {
      ttl: 64,
      df: true,
      ipId: 9,
      flags: SYN,
      window: 29200,
      options: o(opt.mss(1460), opt.nop(), opt.nop(), opt.sok(), opt.nop(), opt.ws(7)),
    },
  },
];

describe("DECNET tcp_syn_fingerprint fields", () => {
  test("initial TTL and hop distance (DECNET's examples: 59 → 64, 5 hops; 120 → 128, 8 hops)", () => {
    assert.deepEqual([initialTtl(59), hopDistance(59)], [64, 5]);
    assert.deepEqual([initialTtl(120), hopDistance(120)], [128, 8]);
    assert.deepEqual(
      [initialTtl(32), initialTtl(33), initialTtl(128), initialTtl(129), initialTtl(255)],
      [32, 64, 128, 255, 255],
    );
    assert.equal(hopDistance(1), 31);
    assert.equal(hopDistance(130), 64, "clamped to 64");
    assert.equal(hopDistance(0), 32);
  });

  test("every field of an IPv4 Linux SYN", () => {
    const fp = synFingerprint(decodeIp(buildPacket(SYNS[0].spec)));
    assert.deepEqual(fp, {
      ttl: "64",
      initial_ttl: "64",
      hop_distance: "0",
      window: "29200",
      mss: "1460",
      wscale: "7",
      options_sig: "M,S,T,N,W",
      has_sack: "true",
      has_timestamps: "true",
      tos: "0",
      dscp: "0",
      ecn: "0",
      df: "true",
      os_guess: "linux",
    });
  });

  test("IPv6 SYN: traffic class as tos/dscp/ecn, no DF, hop limit as TTL", () => {
    const ip = buildPacket({
      ipVersion: 6,
      ttl: 57,
      tos: 0x29, // DSCP 10 (AF11), ECN 1
      flowLabel: 0x12345,
      flags: SYN,
      window: 28800,
      options: o(opt.mss(1440), opt.sok(), opt.ts(5, 0), opt.nop(), opt.ws(7)),
    });
    const fp = synFingerprint(decodeIp(ip));
    assert.ok(fp);
    assert.deepEqual(
      [fp.ttl, fp.initial_ttl, fp.hop_distance, fp.tos, fp.dscp, fp.ecn, fp.df, fp.mss, fp.os_guess],
      ["57", "64", "7", "41", "10", "1", "false", "1440", "linux"],
    );
  });

  test("no options: mss 0, empty window scale and signature", () => {
    const fp = synFingerprint(decodeIp(buildPacket({ ttl: 100, flags: SYN, window: 512, tos: 0xb8 })));
    assert.ok(fp);
    assert.deepEqual(
      [fp.mss, fp.wscale, fp.options_sig, fp.has_sack, fp.has_timestamps, fp.dscp, fp.ecn, fp.df],
      ["0", "", "", "false", "false", "46", "0", "false"],
    );
  });

  for (const s of SYNS) {
    test(`os_guess ${s.bucket}: ${s.name}`, () => {
      const fp = synFingerprint(decodeIp(buildPacket(s.spec)));
      assert.equal(fp?.os_guess, s.bucket);
    });
  }

  test("p0f fills only DECNET's unknowns, and only with firm matches", () => {
    const linuxNoTs = decodeIp(buildPacket(SYNS[15].spec));
    const m = (over: object) =>
      ({ matched: true, fuzzy: false, os: "Linux", label: "Linux x", generic: true, ...over }) as never;
    assert.equal(synFingerprint(linuxNoTs, m({}))?.os_guess, "linux");
    assert.equal(synFingerprint(linuxNoTs, m({ fuzzy: true }))?.os_guess, "unknown");
    assert.equal(synFingerprint(linuxNoTs, m({ os: "Solaris" }))?.os_guess, "unknown");
    const windows = decodeIp(buildPacket(SYNS[2].spec));
    assert.equal(synFingerprint(windows, m({}))?.os_guess, "windows", "DECNET's answer kept");
    assert.equal(bucketOfP0fMatch(m({ os: "MacOS X" })), "macos_ios");
    assert.equal(bucketOfP0fMatch(m({ os: "NMap" })), "nmap");
    assert.equal(bucketOfP0fMatch(m({ matched: false, os: null })), undefined);
  });

  test("guessOs on bare inputs (DECNET rule edges)", () => {
    const base = { ttl: 64, window: 65535, mss: 1460, wscale: 6, optionsSig: "M,N,W,N,N,T,S,E" };
    assert.equal(guessOs(base), "macos_ios");
    assert.equal(guessOs({ ...base, wscale: 4 }), "unknown", "macOS rule 4 only takes ws 5 or 6");
    assert.equal(guessOs({ ...base, ttl: 128 }), "windows", "TTL bucket 128 + window 65535");
    assert.equal(
      guessOs({ ttl: 70, window: 1024, mss: 1460, wscale: -1, optionsSig: "M" }),
      "unknown",
      "nmap raw TTL ≤ 64",
    );
    assert.equal(guessOs({ ttl: 64, window: 1024, mss: 1400, wscale: -1, optionsSig: "M" }), "unknown");
  });

  const P0F_FP = "/etc/p0f/p0f.fp";
  const p0fSkip = !findP0f() ? "p0f not installed" : !existsSync(P0F_FP) ? `${P0F_FP} missing` : false;

  test("buckets agree with p0f's verdict on the same SYNs", { skip: p0fSkip }, (t) => {
    const db = parseP0fDatabase(readFileSync(P0F_FP, "latin1")).database;
    const ipv4 = SYNS.map((s, i) => ({ ...s.spec, sport: 30000 + i, src: `10.9.${i}.1` }));
    const frames = ipv4.map((spec, i) => ({ tsUs: 1_000_000 + i * 1000, data: ethernet(buildPacket(spec)) }));
    const log = runP0f(frames);
    assert.ok(log);
    const byName: Record<string, string> = {
      Linux: "linux",
      Windows: "windows",
      "Mac OS X": "macos_ios",
      "MacOS X": "macos_ios",
      iOS: "macos_ios",
      FreeBSD: "freebsd",
      OpenBSD: "openbsd",
      NMap: "nmap",
    };
    let compared = 0;
    // Fuzzy p0f matches (e.g. TTL far out of range) are p0f guessing; only firm ones count.
    for (const rec of log.filter((r) => r.mod === "syn" && !r.fields.params?.includes("fuzzy"))) {
      const label = rec.fields.os ?? rec.fields.app ?? "???";
      const name = Object.keys(byName).find((n) => label === n || label.startsWith(`${n} `));
      if (!name) continue;
      const i = Number(rec.cli.split("/")[1]) - 30000;
      const pkt = decodeIp(buildPacket(ipv4[i]));
      const ours = synFingerprint(pkt, matchP0fSyn(db, pkt))?.os_guess;
      assert.equal(ours, byName[name], `${SYNS[i].name}: p0f says ${label}`);
      assert.equal(SYNS[i].withP0f ?? SYNS[i].bucket, byName[name]);
      compared++;
    }
    t.diagnostic(`${compared} of ${SYNS.length} hand-built SYNs labelled by p0f, all in the same bucket`);
    assert.ok(compared >= 10);
  });
});
