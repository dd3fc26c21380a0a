import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  isInitialSyn,
  isSynAck,
  ja4t,
  ja4ts,
  ja4tsRetransmitSuffix,
} from "../../src/fingerprint/tcp/ja4t.js";
import { skipWithoutCorpus } from "../helpers/shared.js";
import { connectionOf, corpusCaptures, corpusTcpPackets, expectedTcpRecords } from "./corpus.js";
import { buildPacket, decodeIp, opt, SYN, SYNACK } from "./helpers.js";

const o = (...parts: number[][]) => parts.flat();

describe("JA4T", () => {
  // The example table of FoxIO technical_details/JA4T.md (window, options, MSS, scale).
  test("JA4T.md examples", () => {
    const cases: Array<[string, number, number[]]> = [
      [
        "64240_2-1-3-1-1-4_1460_8",
        64240,
        o(opt.mss(1460), opt.nop(), opt.ws(8), opt.nop(), opt.nop(), opt.sok()),
      ],
      ["64240_2-4-8-1-3_1460_7", 64240, o(opt.mss(1460), opt.sok(), opt.ts(1, 0), opt.nop(), opt.ws(7))],
      ["65535_2-4-8-1-3_1460_8", 65535, o(opt.mss(1460), opt.sok(), opt.ts(1, 0), opt.nop(), opt.ws(8))],
      ["62727_2-4-8-1-3_8961_7", 62727, o(opt.mss(8961), opt.sok(), opt.ts(1, 0), opt.nop(), opt.ws(7))],
      [
        "65535_2-1-3-1-1-8-4-0-0_1460_6",
        65535,
        o(opt.mss(1460), opt.nop(), opt.ws(6), opt.nop(), opt.nop(), opt.ts(1, 0), opt.sok(), opt.eol(1)),
      ],
    ];
    for (const [expected, window, options] of cases) {
      assert.equal(ja4t(decodeIp(buildPacket({ ttl: 64, flags: SYN, window, options }))), expected);
    }
  });

  // Missing parts follow the corpus (the reference tool's snapshot `8192__0_0`), not the
  // prose's `00`: the spec's "Nmap 1024_2_1460_00" and "Zmap 65535_00_00_00" read so here.
  test("missing options, MSS or window scale as in the corpus", () => {
    assert.equal(ja4t(decodeIp(buildPacket({ ttl: 64, flags: SYN, window: 8192 }))), "8192__0_0");
    assert.equal(
      ja4t(decodeIp(buildPacket({ ttl: 50, flags: SYN, window: 1024, options: opt.mss(1460) }))),
      "1024_2_1460_0",
    );
    assert.equal(ja4t(decodeIp(buildPacket({ ttl: 50, flags: SYN, window: 65535 }))), "65535__0_0");
    // A present window scale of 0 is 0 as well.
    const ws0 = o(opt.mss(1436), opt.sok(), opt.ts(1, 0), opt.nop(), opt.ws(0));
    assert.equal(
      ja4t(decodeIp(buildPacket({ ttl: 64, flags: SYN, window: 5744, options: ws0 }))),
      "5744_2-4-8-1-3_1436_0",
    );
  });

  test("IPv6 SYN", () => {
    const options = o(
      opt.mss(1440),
      opt.nop(),
      opt.ws(6),
      opt.nop(),
      opt.nop(),
      opt.ts(1, 0),
      opt.sok(),
      opt.eol(1),
    );
    const pkt = decodeIp(buildPacket({ ipVersion: 6, ttl: 64, flags: SYN, window: 65535, options }));
    assert.equal(ja4t(pkt), "65535_2-1-3-1-1-8-4-0-0_1440_6");
  });

  test("which packets are initial SYNs / SYN-ACKs", () => {
    assert.equal(isInitialSyn(0x02), true);
    assert.equal(isInitialSyn(0xc2), true, "SYN with ECE+CWR (macos_tcp_flags.pcap)");
    assert.equal(isInitialSyn(0x12), false);
    assert.equal(isInitialSyn(0x10), false);
    assert.equal(isSynAck(0x12), true);
    assert.equal(isSynAck(0x52), true, "SYN-ACK with ECE");
    assert.equal(isSynAck(0x02), false);
  });

  test("equals the corpus ja4t of every expected record", { skip: skipWithoutCorpus() }, async (t) => {
    let n = 0;
    for (const name of corpusCaptures()) {
      const records = expectedTcpRecords(name).filter((r) => r.ja4t != null);
      if (records.length === 0) continue;
      const packets = await corpusTcpPackets(name);
      for (const r of records) {
        const { packets: conn, fromClient } = connectionOf(packets, r);
        const syn = conn.find((p) => fromClient(p) && isInitialSyn(p.tcpFlags));
        assert.ok(syn, `${name} stream ${r.stream}: client SYN found`);
        assert.equal(ja4t(syn), r.ja4t, `${name} stream ${r.stream}`);
        n++;
      }
    }
    t.diagnostic(`${n} corpus ja4t values equal`);
    assert.ok(n >= 25);
  });
});

describe("JA4TS", () => {
  const synAck = decodeIp(
    buildPacket({
      ttl: 64,
      flags: SYNACK,
      window: 65535,
      ack: 1,
      options: o(opt.mss(65495), opt.nop(), opt.ws(8), opt.nop(), opt.nop(), opt.sok()),
    }),
  );

  test("SYN-ACK fingerprint without retransmissions has four parts", () => {
    assert.equal(ja4ts(synAck), "65535_2-1-3-1-1-4_65495_8");
  });

  // JA4T.md worked examples: SYN-ACK times and the resulting fifth part.
  test("retransmission delays (JA4T.md examples)", () => {
    const s = (...secs: number[]) => secs.map((x) => Math.round(x * 1e6));
    const t1 = s(15.621983, 16.626151, 18.642179, 22.738154, 30.930163, 47.058146);
    assert.equal(ja4tsRetransmitSuffix(t1), "1-2-4-8-16");
    assert.equal(ja4tsRetransmitSuffix(t1.slice(0, 3)), "1-2");
    assert.equal(ja4tsRetransmitSuffix(t1.slice(0, 1)), "");
    const t2 = s(16.681435, 17.683799, 19.691548, 23.703045, 31.714762);
    assert.equal(ja4tsRetransmitSuffix(t2, Math.round(37.723966 * 1e6)), "1-2-4-8-R6");
    assert.equal(
      ja4ts(synAck, ja4tsRetransmitSuffix(t2, Math.round(37.723966 * 1e6))),
      "65535_2-1-3-1-1-4_65495_8_1-2-4-8-R6",
    );
    assert.equal(ja4ts(synAck, ""), "65535_2-1-3-1-1-4_65495_8");
  });

  test("at most 10 retransmissions are counted", () => {
    const times = Array.from({ length: 15 }, (_, i) => i * 2_000_000);
    assert.equal(ja4tsRetransmitSuffix(times), new Array(10).fill("2").join("-"));
  });
});
