import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { newDecodedPacket } from "../../src/decode/packet.js";
import { DEFAULT_P0F_FP_PATH } from "../../src/fingerprint/p0f/load-database.js";
import {
  detectWindowMultiple,
  matchP0fMtu,
  matchP0fPacket,
  matchP0fSyn,
  matchP0fSynAck,
} from "../../src/fingerprint/p0f/matcher.js";
import { P0fPacket, p0fPacketOf } from "../../src/fingerprint/p0f/packet-signature.js";
import { type P0fDatabase, parseP0fDatabase } from "../../src/fingerprint/p0f/signature-file.js";
import { corpusDir, skipWithoutCorpus } from "../helpers/shared.js";
import { corpusCaptures, corpusTcpPackets } from "../tcp/corpus.js";
import {
  buildPacket,
  decodeFrames,
  decodeIp,
  ethernet,
  opt,
  type PacketSpec,
  SYN,
  SYNACK,
} from "../tcp/helpers.js";
import {
  findP0f,
  logFields,
  type P0fLogRecord,
  parseP0fLog,
  replayFields,
  replayLikeP0f,
  runP0f,
} from "./p0f-log.js";
import { rng, synthesizeFrames } from "./synth.js";

const HAVE_FP = existsSync(DEFAULT_P0F_FP_PATH);
const P0F = findP0f();
const db: P0fDatabase | undefined = HAVE_FP
  ? parseP0fDatabase(readFileSync(DEFAULT_P0F_FP_PATH, "latin1"), DEFAULT_P0F_FP_PATH).database
  : undefined;
const needFp = HAVE_FP ? false : `${DEFAULT_P0F_FP_PATH} missing`;
const needP0f = !P0F ? "p0f not installed" : needFp;

const o = (...parts: number[][]) => parts.flat();
const TYPES = ["syn", "syn+ack", "mtu"];

/** Compares p0f's log with our replay record by record; returns [syn-ish agreed, total]. */
function compareWithLog(
  log: readonly P0fLogRecord[],
  frames: Parameters<typeof replayLikeP0f>[0],
  what: string,
): { syn: number; synack: number; mtu: number } {
  const theirs = log.filter((r) => TYPES.includes(r.mod));
  const ours = replayLikeP0f(frames, db as P0fDatabase);
  assert.equal(ours.length, theirs.length, `${what}: same number of syn / syn+ack / mtu observations`);
  const n = { syn: 0, synack: 0, mtu: 0 };
  for (let i = 0; i < ours.length; i++) {
    const a = theirs[i];
    const b = ours[i];
    assert.deepEqual([b.mod, b.cli, b.srv], [a.mod, a.cli, a.srv], `${what} #${i}: same packet`);
    assert.deepEqual(replayFields(b), logFields(a), `${what} #${i} ${a.cli} -> ${a.srv} (${a.mod})`);
    if (a.mod === "syn") n.syn++;
    else if (a.mod === "syn+ack") n.synack++;
    else n.mtu++;
  }
  return n;
}

describe("p0f matcher: hand-worked cases from p0f.fp", { skip: needFp }, () => {
  const d = db as P0fDatabase;
  const linux: PacketSpec = {
    ttl: 61,
    df: true,
    ipId: 4321,
    flags: SYN,
    window: 29200,
    options: o(opt.mss(1460), opt.sok(), opt.ts(1, 0), opt.nop(), opt.ws(7)),
  };

  test("Linux 3.11+ SYN 3 hops away ('*:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0')", () => {
    const m = matchP0fSyn(d, decodeIp(buildPacket(linux)));
    assert.ok(m);
    assert.deepEqual(
      [m.label, m.os, m.flavor, m.kind, m.class, m.generic, m.fuzzy, m.distance, m.params],
      ["Linux 3.11 and newer", "Linux", "3.11 and newer", "os", "unix", false, false, 3, "none"],
    );
    assert.equal(m.rawSignature, "4:61+3:0:1460:mss*20,7:mss,sok,ts,nop,ws:df,id+:0");
  });

  test("df/id+ missing → the same signature, fuzzy; TTL 20 → out of range, guessed distance", () => {
    const noDf = matchP0fSyn(d, decodeIp(buildPacket({ ...linux, df: false, ipId: 5 })));
    assert.deepEqual([noDf?.label, noDf?.fuzzy, noDf?.params], ["Linux 3.11 and newer", true, "fuzzy"]);
    const far = matchP0fSyn(d, decodeIp(buildPacket({ ...linux, ttl: 20 })));
    assert.deepEqual([far?.label, far?.fuzzy, far?.distance], ["Linux 3.11 and newer", true, 12]);
  });

  test("nmap SYN scan: an application match with a random-TTL distance", () => {
    const m = matchP0fSyn(
      d,
      decodeIp(buildPacket({ ttl: 47, ipId: 0xbeef, flags: SYN, window: 1024, options: opt.mss(1460) })),
    );
    assert.deepEqual(
      [m?.label, m?.kind, m?.class, m?.randomTtl, m?.distanceText, m?.params],
      ["NMap SYN scan", "app", "!", true, "<= 17", "random_ttl"],
    );
  });

  test("no signature: '???' and p0f's distance guess", () => {
    const options = o(opt.mss(1234), opt.nop(), opt.nop(), opt.nop(), opt.nop()); // a layout no signature has
    const m = matchP0fSyn(d, decodeIp(buildPacket({ ttl: 100, flags: SYN, window: 777, options })));
    assert.deepEqual([m?.label, m?.matched, m?.distance, m?.params], ["???", false, 28, "none"]);
  });

  test("SYN+ACK window as a multiple of the client's MSS", () => {
    const sa = decodeIp(
      buildPacket({
        ttl: 64,
        df: true,
        flags: SYNACK,
        ack: 1,
        window: 10000,
        options: o(opt.mss(1460), opt.nop(), opt.ws(7)),
      }),
    );
    // 10000 is no multiple of 1460, 1448, 1500...; it is 10 × a client MSS of 1000.
    assert.equal(matchP0fSynAck(d, sa, 1000)?.label, "Linux 3.x");
    assert.equal(matchP0fSynAck(d, sa, 1000)?.rawSignature, "4:64+0:0:1460:mss*10,7:mss,nop,ws:df:0");
    assert.equal(matchP0fSynAck(d, sa, 0)?.label, "???");
    assert.equal(matchP0fSyn(d, sa), undefined, "a SYN+ACK is not a SYN");
  });

  test("window multiple detection order", () => {
    const p = new P0fPacket();
    p.win = 64240;
    p.mss = 1460;
    assert.deepEqual(detectWindowMultiple(p, 0), { multi: 44, mtu: false });
    p.win = 3000;
    p.mss = 1200;
    assert.deepEqual(detectWindowMultiple(p, 0), { multi: 2, mtu: true }, "1500 × 2");
    p.mss = 50;
    assert.equal(detectWindowMultiple(p, 0).multi, -1, "MSS below 100 never counts");
  });

  test("MTU from MSS", () => {
    assert.deepEqual(matchP0fMtu(d, 4, 1460), { mtu: 1500, link: "Ethernet or modem" });
    assert.deepEqual(matchP0fMtu(d, 6, 1440), { mtu: 1500, link: "Ethernet or modem" });
    assert.deepEqual(matchP0fMtu(d, 4, 1111), { mtu: 1151, link: null });
    assert.equal(matchP0fMtu(d, 4, 0), undefined);
  });
});

describe("p0f agreement on the corpus", { skip: skipWithoutCorpus() || needFp }, () => {
  test("every SYN and SYN+ACK p0f labelled: same label, flavour, distance (and raw_sig, params)", async (t) => {
    const dir = corpusDir() as string;
    const total = { syn: 0, synack: 0, mtu: 0 };
    for (const name of corpusCaptures()) {
      const log = parseP0fLog(readFileSync(join(dir, `${name}.p0f.txt`), "utf8"));
      const n = compareWithLog(log, await corpusTcpPackets(name), name);
      total.syn += n.syn;
      total.synack += n.synack;
      total.mtu += n.mtu;
    }
    t.diagnostic(
      `corpus: ${total.syn}/${total.syn} SYN and ${total.synack}/${total.synack} SYN+ACK labels equal p0f's; ${total.mtu} mtu lines equal`,
    );
    assert.ok(total.syn >= 27 && total.synack >= 27);
  });
});

describe("p0f agreement on captures made here (p0f run at test time)", {
  skip: needP0f,
  timeout: 120_000,
}, () => {
  test("hand-made SYNs and SYN+ACKs: Linux, Windows, macOS, FreeBSD, nmap scans and probes", (t) => {
    const conns: Array<{ syn: PacketSpec; synAck?: PacketSpec }> = [
      {
        syn: {
          ttl: 64,
          df: true,
          ipId: 7,
          flags: SYN,
          window: 29200,
          options: o(opt.mss(1460), opt.sok(), opt.ts(9, 0), opt.nop(), opt.ws(7)),
        },
        synAck: {
          ttl: 52,
          df: true,
          flags: SYNACK,
          ack: 1,
          window: 28960,
          options: o(opt.mss(1448), opt.sok(), opt.ts(5, 9), opt.nop(), opt.ws(7)),
        },
      },
      {
        syn: {
          ttl: 118,
          df: true,
          ipId: 9,
          flags: SYN,
          window: 64240,
          options: o(opt.mss(1460), opt.nop(), opt.ws(8), opt.nop(), opt.nop(), opt.sok()),
        },
        synAck: {
          ttl: 128,
          df: true,
          ipId: 3,
          flags: SYNACK,
          ack: 1,
          window: 8192,
          options: o(opt.mss(1460), opt.nop(), opt.ws(8), opt.nop(), opt.nop(), opt.sok()),
        },
      },
      {
        syn: {
          ttl: 128,
          df: true,
          ipId: 10,
          flags: SYN,
          window: 8192,
          options: o(opt.mss(1460), opt.nop(), opt.ws(2), opt.sok(), opt.ts(1, 0)),
        },
      },
      {
        syn: {
          ttl: 64,
          df: true,
          ipId: 11,
          flags: SYN,
          window: 65535,
          options: o(
            opt.mss(1460),
            opt.nop(),
            opt.ws(4),
            opt.nop(),
            opt.nop(),
            opt.ts(77, 0),
            opt.sok(),
            opt.eol(1),
          ),
        },
        synAck: {
          ttl: 64,
          df: true,
          ipId: 4,
          flags: SYNACK,
          ack: 1,
          window: 65535,
          options: o(opt.mss(1460), opt.nop(), opt.ws(6), opt.sok(), opt.ts(3, 77)),
        },
      },
      {
        syn: {
          ttl: 64,
          df: true,
          ipId: 0,
          flags: SYN,
          window: 65535,
          options: o(
            opt.mss(1460),
            opt.nop(),
            opt.ws(6),
            opt.nop(),
            opt.nop(),
            opt.ts(77, 0),
            opt.sok(),
            opt.eol(1),
          ),
        },
      },
      {
        syn: {
          ttl: 64,
          df: true,
          ipId: 12,
          flags: SYN,
          window: 65535,
          options: o(opt.mss(1460), opt.nop(), opt.ws(6), opt.sok(), opt.ts(3, 0)),
        },
      },
      {
        syn: { ttl: 47, ipId: 0xbeef, flags: SYN, window: 1024, options: opt.mss(1460) },
        synAck: { ttl: 64, df: true, flags: SYNACK, ack: 1, window: 29200, options: o(opt.mss(1460)) },
      },
      { syn: { ttl: 10, ipId: 0xbeee, flags: SYN, window: 2048, options: opt.mss(1460) } },
      {
        syn: {
          ttl: 55,
          ipId: 1,
          flags: SYN,
          window: 1,
          ack: 0x01020304,
          options: o(opt.ws(10), opt.nop(), opt.mss(1460), opt.ts(0xffffffff, 0), opt.sok()),
        },
      },
      {
        syn: {
          ttl: 55,
          ipId: 1,
          flags: SYN,
          window: 1,
          ack: 0x02020304,
          options: o(opt.ws(10), opt.nop(), opt.mss(1460), opt.ts(0xffffffff, 0), opt.sok()),
        },
      },
      {
        syn: {
          ttl: 50,
          ipId: 2,
          flags: SYN | 0xc0,
          window: 3,
          urgent: 0xf7f5,
          options: o(opt.ws(10), opt.nop(), opt.mss(1460), opt.sok(), opt.nop(), opt.nop()),
        },
      },
      {
        syn: {
          ttl: 64,
          df: true,
          ipId: 13,
          tos: 0x28,
          flags: SYN | 0x08 | 0x20,
          window: 5840,
          seq: 0,
          payload: [1],
          options: o(opt.mss(1460), opt.sok(), opt.ts(0, 5), opt.nop(), opt.ws(15)),
        },
      },
      {
        syn: {
          ipVersion: 6,
          ttl: 64,
          flowLabel: 0,
          flags: SYN,
          window: 28800,
          options: o(opt.mss(1440), opt.sok(), opt.ts(9, 0), opt.nop(), opt.ws(7)),
        },
      },
      {
        syn: {
          ipVersion: 6,
          ttl: 60,
          flowLabel: 0xabcde,
          flags: SYN,
          window: 28800,
          options: o(opt.mss(1440), opt.sok(), opt.ts(9, 0), opt.nop(), opt.ws(7)),
        },
      },
      {
        syn: {
          ttl: 64,
          df: true,
          ipId: 14,
          ipOptions: [1, 1, 1, 0],
          flags: SYN,
          window: 29200,
          options: o(opt.mss(1460), opt.sok(), opt.ts(9, 0), opt.nop(), opt.ws(7)),
        },
      },
    ];
    const frames: { tsUs: number; linktype: number; data: Buffer }[] = [];
    let ts = 1_600_000_000_000_000;
    conns.forEach((c, i) => {
      const v6 = c.syn.ipVersion === 6;
      const cli = v6 ? `2001:db8:1::${i + 1}` : `10.1.${i}.2`;
      const srv = v6 ? "2001:db8:2::80" : "192.0.2.80";
      const syn = { ...c.syn, src: cli, dst: srv, sport: 40000 + i, dport: 443 };
      ts += 500;
      frames.push({ tsUs: ts, linktype: 1, data: ethernet(buildPacket(syn)) });
      if (c.synAck) {
        const sa = {
          ...c.synAck,
          ipVersion: c.syn.ipVersion,
          src: srv,
          dst: cli,
          sport: 443,
          dport: 40000 + i,
        };
        ts += 500;
        frames.push({ tsUs: ts, linktype: 1, data: ethernet(buildPacket(sa)) });
      }
    });
    const log = runP0f(frames);
    assert.ok(log);
    const n = compareWithLog(log, decodeFrames(frames), "hand-made");
    const labels = new Set(
      log.filter((r) => r.mod === "syn" || r.mod === "syn+ack").map((r) => r.fields.os ?? r.fields.app),
    );
    t.diagnostic(
      `hand-made: ${n.syn} SYN + ${n.synack} SYN+ACK equal p0f's; labels: ${[...labels].join(" | ")}`,
    );
    assert.ok(labels.size >= 8, "the set covers many labels");
  });

  test("a connection per p0f.fp signature, plus perturbed variants", (t) => {
    const frames = synthesizeFrames(db as P0fDatabase);
    const log = runP0f(frames);
    assert.ok(log);
    const n = compareWithLog(log, decodeFrames(frames), "synthesized");
    const labels = new Set(
      log.filter((r) => r.mod === "syn" || r.mod === "syn+ack").map((r) => r.fields.os ?? r.fields.app),
    );
    t.diagnostic(
      `synthesized: ${n.syn} SYN + ${n.synack} SYN+ACK equal p0f's (${labels.size} distinct labels)`,
    );
    assert.ok(n.syn > 300 && n.synack > 300 && labels.size > 40);
  });

  test("random options, flags and header fields: same raw signature and verdict", (t) => {
    const r = rng(0xab5);
    const frames: { tsUs: number; linktype: number; data: Buffer }[] = [];
    const kinds = [0, 1, 2, 3, 4, 5, 8, 30, 254];
    const std: Record<number, number> = { 2: 4, 3: 3, 4: 2, 5: 10, 8: 10 };
    for (let i = 0; i < 1200; i++) {
      const want = r(41);
      const opts: number[] = [];
      while (opts.length < want) {
        const k = r(10) < 7 ? kinds[r(kinds.length)] : r(256);
        opts.push(k);
        if (k > 1 && r(10) < 8) {
          const l = r(10) < 7 ? (std[k] ?? 2 + r(8)) : r(12);
          opts.push(l);
          for (let j = 2; j < l; j++) opts.push(r(256));
        }
      }
      const flags =
        SYN |
        (r(10) === 0 ? 0x08 : 0) |
        (r(10) === 0 ? 0xc0 : 0) |
        (r(20) === 0 ? 0x20 : 0) |
        (r(20) === 0 ? 0x100 : 0);
      const spec: PacketSpec = {
        ttl: 1 + r(255),
        tos: r(8) === 0 ? r(256) : 0,
        df: r(10) < 7,
        mbz: r(30) === 0,
        ipId: r(2) ? 0 : r(65536),
        src: `10.${r(250)}.${r(250)}.${1 + r(250)}`,
        sport: 1024 + i,
        seq: r(20) === 0 ? 0 : 1 + r(2 ** 30),
        ack: r(3) === 0 ? r(2 ** 32) : 0,
        urgent: r(10) === 0 ? 1 + r(100) : 0,
        flags,
        window: r(65536),
        options: opts.slice(0, 40),
        payload: r(10) === 0 ? [1, 2, 3] : [],
      };
      frames.push({ tsUs: 1_000_000 + i * 1000, linktype: 1, data: ethernet(buildPacket(spec)) });
    }
    const log = runP0f(frames);
    assert.ok(log);
    const n = compareWithLog(log, decodeFrames(frames), "random");
    t.diagnostic(`random: ${n.syn} SYNs, raw_sig / label / dist equal p0f's`);
    assert.ok(n.syn > 1000);
  });
});

describe("p0f packet reading never throws (fuzz)", { timeout: 60_000 }, () => {
  const fallback = parseP0fDatabase(
    "classes = unix\n[mtu]\nlabel = e\nsig = 1500\n[tcp:request]\nlabel = s:unix:L:x\nsig = *:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0\nlabel = g:unix:L:\nsig = *:64:0:*:*,*:mss:df,id+:*\n[tcp:response]\nlabel = s:unix:L:y\nsig = *:64:0:*:%2,*:mss:df:0\n",
  ).database;

  test("random TCP headers, options and payload lengths (100,000 inputs)", () => {
    const d = db ?? fallback;
    const pkt = newDecodedPacket();
    const out = new P0fPacket();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 120 }),
        fc.record({
          v6: fc.boolean(),
          optLen: fc.nat({ max: 44 }),
          flags: fc.nat({ max: 0x1ff }),
          ttl: fc.nat({ max: 255 }),
          tos: fc.nat({ max: 255 }),
          ipId: fc.integer({ min: -1, max: 65535 }),
          flow: fc.nat({ max: 0xfffff }),
          seq: fc.nat({ max: 2 ** 32 - 1 }),
          ack: fc.nat({ max: 2 ** 32 - 1 }),
          win: fc.nat({ max: 65535 }),
          urg: fc.nat({ max: 65535 }),
          pay: fc.nat({ max: 20 }),
          synMss: fc.nat({ max: 65535 }),
        }),
        (bytes, f) => {
          const buf = Buffer.from(bytes);
          pkt.buf = buf;
          pkt.protocol = 6;
          pkt.ipVersion = f.v6 ? 6 : 4;
          pkt.ipOff = 0;
          pkt.ipHeaderLen = f.v6 ? 40 : 20;
          pkt.ttl = f.ttl;
          pkt.tos = f.tos;
          pkt.ipId = f.v6 ? -1 : f.ipId;
          pkt.flowLabel = f.v6 ? f.flow : 0;
          pkt.tcpFlags = f.flags;
          pkt.tcpSeq = f.seq;
          pkt.tcpAck = f.ack;
          pkt.tcpWindow = f.win;
          pkt.tcpUrgent = f.urg;
          pkt.tcpOptOff = Math.min(buf.length, 8);
          pkt.tcpOptLen = f.optLen;
          pkt.payloadLen = f.pay;
          const p = p0fPacketOf(pkt, out);
          if (!p) return;
          assert.ok(p.optCount <= 24);
          const m = matchP0fPacket(d, (f.flags & 0x10) === 0, p, f.synMss);
          assert.ok(m.label.length > 0 && m.rawSignature.includes(":"));
        },
      ),
      { seed: 0x9f0, numRuns: 100_000 },
    );
  });
});
