/**
 * The hand-built frames of the other decode tests, shown to tshark: an independent
 * dissector must find the same innermost addresses and ports as the decoder. This keeps
 * the test builders honest (a builder bug would otherwise be matched by a decoder bug).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { formatAddress } from "../../src/decode/address.js";
import { Decoder } from "../../src/decode/decoder.js";
import { newDecodedPacket } from "../../src/decode/packet.js";
import {
  ah,
  erspan2,
  erspan3,
  ether,
  ext6,
  frag6,
  frameOf,
  geneve,
  geneveOption,
  gre,
  gtpu,
  hex,
  ipv4,
  ipv6,
  loopback,
  sll,
  sll2,
  synV4,
  tcp,
  udp,
  vxlan,
  vxlanGpe,
  writePcap,
} from "./build.js";
import { skipWithoutTshark, tsharkInnermost } from "./tshark.js";

const in6 = ipv6({ src: "fd00::1", dst: "fd00::2", nh: 6, payload: tcp({ sport: 5555, dport: 22 }) });
const o4 = (proto: number, p: Buffer) =>
  ether(0x0800, ipv4({ src: "192.0.2.1", dst: "192.0.2.2", proto, payload: p }));
const oUdp = (dport: number, p: Buffer, sport = 50000) => o4(17, udp(sport, dport, p));
const seg = tcp({
  sport: 4444,
  dport: 80,
  flags: 0x18,
  payload: Buffer.from("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"),
});
const fr4 = (s: number, e: number) =>
  ether(
    0x0800,
    ipv4({
      src: "192.0.2.10",
      dst: "192.0.2.20",
      proto: 6,
      id: 77,
      df: false,
      mf: e < 64,
      fragOffset: s,
      payload: seg.subarray(s, e),
    }),
  );
const fr6 = (s: number, e: number) =>
  ether(
    0x86dd,
    ipv6({
      src: "2001:db8::10",
      dst: "2001:db8::20",
      nh: 0,
      payload: Buffer.concat([ext6(44), frag6(6, s, e < 64, 99), seg.subarray(s, e)]),
    }),
  );

const sets: Array<[string, number, Buffer[]]> = [
  [
    "ethernet",
    1,
    [
      ether(0x0800, synV4()),
      ether(
        0x86dd,
        ipv6({ src: "2001:db8::1", dst: "2001:db8::2", nh: 17, payload: udp(5353, 53, Buffer.from("q")) }),
      ),
      ether(0x0800, synV4(), [
        [0x88a8, 200],
        [0x8100, 100],
      ]),
      ether(0x0800, synV4(), [
        [0x9100, 3],
        [0x8100, 4],
      ]),
      o4(47, gre(0x0800, synV4())),
      o4(47, gre(0x0800, synV4("10.0.0.3"), { csum: true, key: 7, seq: 99 })),
      o4(47, gre(0x6558, ether(0x0800, synV4("10.0.0.4")), { key: 3 })),
      o4(47, gre(0x88be, ether(0x0800, synV4("10.0.0.5")))),
      o4(47, gre(0x88be, erspan2(20, ether(0x0800, synV4("10.0.0.6"))), { seq: 0 })),
      o4(47, gre(0x22eb, erspan3(5, ether(0x0800, synV4("10.0.0.7"))), { seq: 1 })),
      o4(47, gre(0x22eb, erspan3(5, ether(0x0800, synV4("10.0.0.8")), { platform: true }), { seq: 1 })),
      oUdp(4789, vxlan(100, ether(0x0800, synV4("10.0.1.1")))),
      o4(17, udp(4789, 50000, vxlan(100, ether(0x0800, synV4("10.0.1.2"))))),
      oUdp(4789, vxlan(1, ether(0x0806, Buffer.alloc(28)))),
      oUdp(4790, vxlanGpe(9, 1, synV4("10.0.1.3"))),
      oUdp(4790, vxlanGpe(9, 3, ether(0x0800, synV4("10.0.1.4")))),
      oUdp(
        6081,
        geneve(11, 0x6558, ether(0x0800, synV4("10.0.2.1")), [geneveOption(0x0102, 0x80, hex("01020304"))]),
      ),
      oUdp(6081, geneve(11, 0x86dd, in6)),
      oUdp(2152, gtpu(0x11223344, synV4("10.0.3.1"))),
      oUdp(2152, gtpu(1, in6, { seq: 5 })),
      oUdp(2152, gtpu(2, synV4("10.0.3.2"), { exts: [[0x85, hex("0009")]] })),
      o4(4, synV4("10.0.4.1")),
      o4(41, in6),
      ether(0x86dd, ipv6({ src: "2001:db8::a", dst: "2001:db8::b", nh: 4, payload: synV4("10.0.4.2") })),
      ether(0x86dd, ipv6({ src: "2001:db8::a", dst: "2001:db8::b", nh: 47, payload: gre(0x86dd, in6) })),
      ether(
        0x86dd,
        ipv6({
          src: "2001:db8::1:0:0:1",
          dst: "::ffff:c000:201",
          nh: 0,
          payload: Buffer.concat([
            ext6(43),
            ext6(60, Buffer.alloc(22)),
            ext6(51),
            ah(6),
            tcp({ sport: 1, dport: 2 }),
          ]),
        }),
      ),
      o4(
        47,
        gre(
          0x88be,
          erspan2(
            20,
            ether(
              0x0800,
              ipv4({
                src: "172.16.27.131",
                dst: "172.16.27.121",
                proto: 17,
                payload: udp(
                  4789,
                  4790,
                  vxlanGpe(0, 3, ether(0x0800, synV4("10.16.27.12", "10.16.27.131", 65174, 80))),
                ),
              }),
            ),
          ),
          { seq: 0 },
        ),
      ),
      fr4(0, 24),
      fr4(24, 48),
      fr4(48, 64),
      fr6(32, 64),
      fr6(0, 32),
    ],
  ],
  ["sll", 113, [sll(0x0800, synV4()), sll(0x86dd, in6)]],
  ["sll2", 276, [sll2(0x0800, synV4()), sll2(0x86dd, in6)]],
  ["raw", 101, [synV4(), in6]],
  ["ipv4", 228, [synV4()]],
  ["ipv6", 229, [in6]],
  ["null", 0, [loopback(2, synV4(), true), loopback(30, in6, true)]],
  ["loop", 108, [loopback(2, synV4(), false), loopback(24, in6, false)]],
];

describe("hand-built frames: decoder agrees with tshark", { skip: skipWithoutTshark() }, () => {
  const dir = mkdtempSync(join(tmpdir(), "decode-xcheck-"));
  for (const [name, linktype, frames] of sets) {
    test(`${name} (link type ${linktype}, ${frames.length} frames)`, () => {
      const path = join(dir, `${name}.pcap`);
      writePcap(path, linktype, frames);
      const oracle = tsharkInnermost(path);
      assert.equal(oracle.length, frames.length);
      const dec = new Decoder();
      const out = newDecodedPacket();
      frames.forEach((f, i) => {
        const ok = dec.decode(frameOf(linktype, f, { tsUs: 1_700_000_000_000_000 + i }), out);
        const want = oracle[i].flow;
        const where = `frame ${i + 1} (${oracle[i].protocols})`;
        assert.equal(ok, want !== undefined, where);
        if (want === undefined) return;
        assert.equal(out.protocol, want.transport === "tcp" ? 6 : 17, where);
        assert.equal(formatAddress(out.buf, out.srcOff, out.ipVersion), want.src, where);
        assert.equal(formatAddress(out.buf, out.dstOff, out.ipVersion), want.dst, where);
        assert.equal(out.srcPort, want.sport, where);
        assert.equal(out.dstPort, want.dport, where);
      });
    });
  }
});
