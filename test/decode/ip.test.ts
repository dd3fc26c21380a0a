import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ah, ether, ext6, frag6, hex, ipv4, ipv6, synV4, tcp, udp } from "./build.js";
import { decodeOne, flowOf, payloadOf } from "./util.js";

const ETH = 1;
const seg = tcp({ sport: 1111, dport: 2222, flags: 0x18, payload: Buffer.from("abcdef") });

describe("IPv4", () => {
  test("header fields: TTL, TOS, ID, DF, options length, total length", () => {
    const pkt = ipv4({
      src: "203.0.113.9",
      dst: "198.51.100.1",
      proto: 6,
      payload: seg,
      ttl: 57,
      tos: 0xb8,
      id: 0xbeef,
      df: true,
      options: hex("94 04 00 00"), // Router Alert (RFC 2113)
    });
    const { ok, out } = decodeOne(ETH, ether(0x0800, pkt));
    assert.equal(ok, true);
    assert.equal(out.ipVersion, 4);
    assert.equal(out.ttl, 57);
    assert.equal(out.tos, 0xb8);
    assert.equal(out.ipId, 0xbeef);
    assert.equal(out.df, true);
    assert.equal(out.flowLabel, 0);
    assert.equal(out.ipHeaderLen, 24);
    assert.equal(out.ipTotalLen, 24 + 20 + 6);
    assert.equal(out.l4Off, out.ipOff + 24);
    assert.equal(out.srcOff, out.ipOff + 12);
    assert.equal(out.dstOff, out.ipOff + 16);
    assert.equal(flowOf(out), "203.0.113.9:1111 > 198.51.100.1:2222");
    assert.equal(payloadOf(out), "abcdef");
    assert.equal(out.reassembled, false);
    const nodf = decodeOne(
      ETH,
      ether(0x0800, ipv4({ src: "1.2.3.4", dst: "5.6.7.8", proto: 6, payload: seg, df: false })),
    );
    assert.equal(nodf.out.df, false);
  });

  test("bad IHL, total length below IHL, and a header past the capture are counted", () => {
    const cases: Array<[Buffer, string]> = [
      [ipv4({ src: "1.1.1.1", dst: "2.2.2.2", proto: 6, payload: seg, ihl: 4 }), "malformed.ipv4.header_len"],
      [ipv4({ src: "1.1.1.1", dst: "2.2.2.2", proto: 6, payload: seg, ihl: 15 }), "truncated.ipv4"],
      [
        ipv4({ src: "1.1.1.1", dst: "2.2.2.2", proto: 6, payload: seg, totalLen: 19 }),
        "malformed.ipv4.total_len",
      ],
      [hex("45 00 00 28 00 00"), "truncated.ipv4"],
    ];
    for (const [pkt, reason] of cases) {
      const r = decodeOne(101, pkt);
      assert.equal(r.ok, false, reason);
      assert.equal(r.dec.stats.get(reason), 1, reason);
    }
  });

  test("total length 0 (segmentation offload) uses the captured length", () => {
    const { ok, out, dec } = decodeOne(
      101,
      ipv4({ src: "1.1.1.1", dst: "2.2.2.2", proto: 6, payload: seg, totalLen: 0 }),
    );
    assert.equal(ok, true);
    assert.equal(payloadOf(out), "abcdef");
    assert.equal(dec.stats.get("ipv4.zero_total_len"), 1);
  });

  test("total length beyond the capture (snaplen): headers kept, payload clipped, truncated", () => {
    const pkt = ipv4({ src: "1.1.1.1", dst: "2.2.2.2", proto: 6, payload: seg });
    const { ok, out } = decodeOne(101, pkt, { snap: 20 + 20 + 2 });
    assert.equal(ok, true);
    assert.equal(out.truncated, true);
    assert.equal(out.payloadLen, 2);
    assert.equal(payloadOf(out), "ab");
    assert.equal(out.ipTotalLen, 46);
  });

  test("other IP protocols are counted and not returned", () => {
    const r = decodeOne(
      101,
      ipv4({ src: "1.1.1.1", dst: "2.2.2.2", proto: 1, payload: hex("0800 0000 0000 0000") }),
    );
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("other.ip_proto"), 1);
    assert.equal(r.out.protocol, 1);
  });
});

describe("IPv6", () => {
  test("fixed header fields: hop limit, traffic class, flow label", () => {
    const pkt = ipv6({
      src: "2001:db8:1::10",
      dst: "2001:db8:2::20",
      nh: 6,
      payload: seg,
      hopLimit: 63,
      trafficClass: 0xa5,
      flowLabel: 0xabcde,
    });
    const { ok, out } = decodeOne(101, pkt);
    assert.equal(ok, true);
    assert.equal(out.ttl, 63);
    assert.equal(out.tos, 0xa5);
    assert.equal(out.flowLabel, 0xabcde);
    assert.equal(out.ipId, -1);
    assert.equal(out.df, false);
    assert.equal(out.ipHeaderLen, 40);
    assert.equal(out.ipTotalLen, 40 + 26);
    assert.equal(flowOf(out), "[2001:db8:1::10]:1111 > [2001:db8:2::20]:2222");
  });

  test("extension chain hop-by-hop → routing → destination options → AH → TCP", () => {
    const chain = Buffer.concat([ext6(43), ext6(60, Buffer.alloc(22)), ext6(51), ah(6), seg]);
    const pkt = ipv6({ src: "2001:db8::1", dst: "2001:db8::2", nh: 0, payload: chain });
    const { ok, out } = decodeOne(101, pkt);
    assert.equal(ok, true);
    assert.equal(out.ipHeaderLen, 40 + 8 + 24 + 8 + 24);
    assert.equal(out.protocol, 6);
    assert.equal(payloadOf(out), "abcdef");
  });

  test("mobility (135), HIP (139) and shim6 (140) headers are stepped over", () => {
    const chain = Buffer.concat([ext6(139), ext6(140), ext6(17), udp(7, 9, Buffer.from("x"))]);
    const { ok, out } = decodeOne(101, ipv6({ src: "::1", dst: "::2", nh: 135, payload: chain }));
    assert.equal(ok, true);
    assert.equal(out.protocol, 17);
    assert.equal(out.ipHeaderLen, 40 + 24);
  });

  test("ESP (50) and No Next Header (59) end the chain", () => {
    for (const nh of [50, 59]) {
      const r = decodeOne(
        101,
        ipv6({ src: "::1", dst: "::2", nh: 60, payload: Buffer.concat([ext6(nh), Buffer.alloc(16)]) }),
      );
      assert.equal(r.ok, false);
      assert.equal(r.out.protocol, nh);
      assert.equal(r.dec.stats.get("other.ip_proto"), 1);
    }
  });

  test("an atomic fragment (offset 0, M = 0) is read through", () => {
    const r = decodeOne(
      101,
      ipv6({ src: "::1", dst: "::2", nh: 44, payload: Buffer.concat([frag6(6, 0, false, 77), seg]) }),
    );
    assert.equal(r.ok, true);
    assert.equal(r.out.reassembled, false);
    assert.equal(r.out.ipHeaderLen, 48);
  });

  test("chain length is bounded (16 extension headers)", () => {
    const mk = (n: number) => {
      const parts: Buffer[] = [];
      for (let i = 0; i < n; i++) parts.push(ext6(i === n - 1 ? 6 : 60));
      return ipv6({ src: "::1", dst: "::2", nh: 60, payload: Buffer.concat([...parts, seg]) });
    };
    assert.equal(decodeOne(101, mk(16)).ok, true);
    const r = decodeOne(101, mk(17));
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("malformed.ipv6.ext_chain_too_long"), 1);
  });

  test("an extension header past the payload length is malformed, past the capture truncated", () => {
    const big = ext6(6, Buffer.alloc(62)); // 64 bytes
    let r = decodeOne(
      101,
      ipv6({ src: "::1", dst: "::2", nh: 0, payload: Buffer.concat([big, seg]), payloadLen: 32 }),
    );
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("malformed.ipv6.ext_len"), 1);
    r = decodeOne(101, ipv6({ src: "::1", dst: "::2", nh: 0, payload: Buffer.concat([big, seg]) }), {
      snap: 40 + 32,
    });
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("truncated.ipv6.ext"), 1);
  });

  test("payload length 0 (jumbogram / offload) uses the captured length", () => {
    const r = decodeOne(101, ipv6({ src: "::1", dst: "::2", nh: 6, payload: seg, payloadLen: 0 }));
    assert.equal(r.ok, true);
    assert.equal(payloadOf(r.out), "abcdef");
    assert.equal(r.dec.stats.get("ipv6.zero_payload_len"), 1);
  });

  test("IPv6 inside Ethernet with a VLAN tag", () => {
    const r = decodeOne(
      ETH,
      ether(
        0x86dd,
        ipv6({ src: "fe80::1", dst: "ff02::1", nh: 17, payload: udp(546, 547, Buffer.alloc(4)) }),
        [[0x8100, 5]],
      ),
    );
    assert.equal(r.ok, true);
    assert.equal(flowOf(r.out), "[fe80::1]:546 > [ff02::1]:547");
  });

  test("a SYN under IPv4 keeps ipId/df semantics separate from IPv6", () => {
    const r = decodeOne(101, synV4());
    assert.equal(r.out.ipId, 0x1234);
  });
});
