import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  DecnetOptions,
  decnetOptionLayout,
  parseTcpOptions,
  TcpOptions,
} from "../../src/fingerprint/tcp/tcp-options.js";
import { rng } from "../p0f/synth.js";
import { buildPacket, ethernet, opt, SYN } from "./helpers.js";
import { skipWithoutTshark, tsharkTcpOptions } from "./tshark.js";

const bytes = (...parts: number[][]) => Buffer.from(parts.flat());

// Option byte layouts of the JA4T.md examples (FoxIO technical_details/JA4T.md).
const WINDOWS10 = bytes(opt.mss(1460), opt.nop(), opt.ws(8), opt.nop(), opt.nop(), opt.sok());
const MACOS = bytes(
  opt.mss(1460),
  opt.nop(),
  opt.ws(6),
  opt.nop(),
  opt.nop(),
  opt.ts(1, 0),
  opt.sok(),
  opt.eol(1),
);
const LINUX = bytes(opt.mss(1460), opt.sok(), opt.ts(1, 0), opt.nop(), opt.ws(7));

describe("parseTcpOptions (JA4T's option list)", () => {
  test("JA4T.md examples: kinds, MSS and window scale", () => {
    const w = parseTcpOptions(WINDOWS10, 0, WINDOWS10.length);
    assert.equal(w.kindsJoined(), "2-1-3-1-1-4");
    assert.equal(w.mss, 1460);
    assert.equal(w.wscale, 8);
    assert.equal(w.sackPermitted, true);
    assert.equal(w.timestamps, false);
    // "Mac OSX / iPhone | 65535_2-1-3-1-1-8-4-0-0_1460_6": the EOL padding byte is listed too.
    const m = parseTcpOptions(MACOS, 0, MACOS.length);
    assert.equal(m.kindsJoined(), "2-1-3-1-1-8-4-0-0");
    assert.equal(m.wscale, 6);
    assert.equal(m.tsVal, 1);
    const l = parseTcpOptions(LINUX, 0, LINUX.length);
    assert.equal(l.kindsJoined(), "2-4-8-1-3");
  });

  test("bounds: offsets, empty area, reuse of the output struct", () => {
    const framed = Buffer.concat([Buffer.from([9, 9, 9]), WINDOWS10, Buffer.from([2, 4, 0, 1])]);
    const out = new TcpOptions();
    assert.equal(parseTcpOptions(framed, 3, WINDOWS10.length, out).kindsJoined(), "2-1-3-1-1-4");
    assert.equal(parseTcpOptions(framed, 3, 0, out).count, 0);
    assert.equal(out.mss, -1);
    assert.equal(out.wscale, -1);
    // A length running past the buffer is clipped to it.
    assert.equal(parseTcpOptions(WINDOWS10, 9, 1000, out).kindsJoined(), "1-4");
  });

  test("agrees with tshark's tcp.option_kind / mss_val / wscale.shift", {
    skip: skipWithoutTshark(),
  }, (t) => {
    const cases: number[][] = [
      [...MACOS],
      [0, 2, 4, 5, 180],
      [0, 0, 2, 4, 5, 180, 0, 0],
      [1, 0, 1, 1],
      [2, 3, 5, 1, 1, 1, 1, 1],
      [2, 5, 5, 180, 0, 1, 1, 1],
      [30 + 1, 1, 1, 1],
      [31, 12, 1, 1],
      [31, 0, 1, 1],
      [1, 31, 12, 1],
      [...opt.mss(1000), ...opt.mss(1460)],
      [...opt.ws(3), ...opt.ws(9), 1, 1],
      [3, 2, 1, 1],
      [8, 9, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1],
      [3, 3, 20, 1],
      new Array<number>(40).fill(1),
      [253, 4, 1, 2],
      [2, 4, 5, 180, 3],
    ];
    // Generated option areas (seeded): a mix of well-formed and broken options. Kinds whose
    // tshark dissectors raise on malformed contents are left out (see parseTcpOptions).
    const r = rng(0x7c9);
    const common = [0, 1, 2, 3, 4, 8, 14, 15, 19, 28, 29, 34, 253, 254];
    const special = new Set([5, 21, 30, 76, 78]);
    const std: Record<number, number> = { 2: 4, 3: 3, 4: 2, 8: 10 };
    for (let n = 0; n < 1500; n++) {
      const want = r(41);
      const o: number[] = [];
      while (o.length < want) {
        let k = r(10) < 8 ? common[r(common.length)] : r(256);
        if (special.has(k)) k = 31;
        o.push(k);
        if (k > 1 && r(10) < 9) {
          const l = r(10) < 6 ? (std[k] ?? 2 + r(10)) : r(40);
          o.push(l);
          for (let j = 2; j < l && o.length < 40; j++) o.push(r(4) === 0 ? 0 : r(256));
        }
      }
      const area = o.slice(0, 40);
      while (area.length % 4 !== 0) area.push(r(3) === 0 ? 1 : 0);
      cases.push(area);
    }
    const frames = cases.map((o, i) => ({
      tsUs: 1_000_000 + i,
      data: ethernet(buildPacket({ ttl: 64, flags: SYN, window: 1, sport: 1000 + i, dport: 7, options: o })),
    }));
    const shark = tsharkTcpOptions(frames);
    assert.equal(shark.length, cases.length);
    const out = new TcpOptions();
    let agree = 0;
    for (const s of shark) {
      const area = cases[s.srcPort - 1000];
      const padded = [...area];
      while (padded.length % 4 !== 0) padded.push(0);
      const b = Buffer.from(padded);
      parseTcpOptions(b, 0, b.length, out);
      const ours = [out.kindsJoined(), out.mss, out.wscale];
      const theirs = [s.kinds.join("-"), s.mss[0] ?? -1, s.wscale[0] ?? -1];
      assert.deepEqual(ours, theirs, `options ${b.toString("hex")}`);
      agree++;
    }
    t.diagnostic(`tshark agreement: ${agree}/${cases.length} option areas`);
  });
});

describe("decnetOptionLayout (DECNET options_sig, scapy's option list)", () => {
  test("DECNET's own macOS example and the letter table", () => {
    // decnet/sniffer/p0f.py: "M,N,W,N,N,T,S,E (Darwin signature with EOL padding)".
    const m = decnetOptionLayout(MACOS, 0, MACOS.length);
    assert.equal(m.sig, "M,N,W,N,N,T,S,E");
    assert.deepEqual([m.mss, m.wscale, m.sack, m.timestamps], [1460, 6, true, true]);
    assert.equal(decnetOptionLayout(WINDOWS10, 0, WINDOWS10.length).sig, "M,N,W,N,N,S");
    assert.equal(decnetOptionLayout(LINUX, 0, LINUX.length).sig, "M,S,T,N,W");
    // A (14/15 alternate checksum), U (28 user timeout), S for SACK blocks (5), ? otherwise.
    const misc = bytes([14, 3, 0], [15, 2], [28, 4, 0, 30], [5, 10, 0, 0, 0, 1, 0, 0, 0, 2], [34, 2]);
    const d = decnetOptionLayout(misc, 0, misc.length);
    assert.equal(d.sig, "A,A,U,S,?");
    assert.deepEqual([d.mss, d.wscale, d.sack, d.timestamps], [0, -1, true, false]);
  });

  test("scapy's reading of broken lengths: < 2 counts as 2, overlong ends the list", () => {
    assert.equal(decnetOptionLayout(bytes([31, 0], opt.mss(1400)), 0, 6).sig, "?,M");
    assert.equal(decnetOptionLayout(bytes([31, 1], opt.mss(1400)), 0, 6).sig, "?,M");
    assert.equal(decnetOptionLayout(bytes(opt.nop(), [31, 30, 1, 1]), 0, 5).sig, "N,?");
    // DECNET keeps the last MSS / window scale it sees.
    const two = decnetOptionLayout(bytes(opt.mss(1000), opt.mss(1460), opt.ws(2), opt.ws(5)), 0, 14);
    assert.deepEqual([two.mss, two.wscale], [1460, 5]);
    assert.equal(decnetOptionLayout(bytes([]), 0, 0).sig, "");
  });
});

describe("option parsers never throw and stay inside their area (fuzz)", { timeout: 60_000 }, () => {
  test("random option areas with random surroundings (100,000 inputs)", () => {
    const out = new TcpOptions();
    const dout = new DecnetOptions();
    const ref = new TcpOptions();
    const dref = new DecnetOptions();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 48 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.integer({ min: -4, max: 60 }),
        (area, before, after, lenDelta) => {
          const buf = Buffer.concat([before, area, after]);
          const len = Math.max(0, area.length + (lenDelta % 3 === 0 ? 0 : lenDelta - area.length));
          parseTcpOptions(buf, before.length, len, out);
          decnetOptionLayout(buf, before.length, len, dout);
          assert.ok(out.count <= 40);
          // Same answer from an exact copy of the area (clipped like the parser clips):
          // nothing outside [off, off + len) was read.
          const end = Math.min(buf.length, before.length + Math.min(len, 40));
          const exact = Buffer.from(buf.subarray(before.length, Math.max(before.length, end)));
          parseTcpOptions(exact, 0, exact.length, ref);
          decnetOptionLayout(exact, 0, exact.length, dref);
          assert.equal(out.kindsJoined(), ref.kindsJoined());
          assert.deepEqual([out.mss, out.wscale, out.tsVal], [ref.mss, ref.wscale, ref.tsVal]);
          assert.equal(dout.sig, dref.sig);
        },
      ),
      { seed: 0x0b7, numRuns: 100_000 },
    );
  });
});
