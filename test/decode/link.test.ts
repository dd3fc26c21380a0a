import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ether, hex, ipv4, ipv6, loopback, sll, sll2, synV4, tcp, udp } from "./build.js";
import { decodeOne, flowOf, payloadOf } from "./util.js";

const ETH = 1;
const udp6 = ipv6({
  src: "2001:db8::1",
  dst: "2001:db8::2",
  nh: 17,
  payload: udp(5353, 53, Buffer.from("q")),
});

describe("link layers", () => {
  test("Ethernet II / IPv4 / TCP", () => {
    const { ok, out } = decodeOne(ETH, ether(0x0800, synV4()));
    assert.equal(ok, true);
    assert.equal(flowOf(out), "10.0.0.1:40000 > 10.0.0.2:80");
    assert.equal(out.ipOff, 7 + 14); // frame sits at offset 7 of its buffer
    assert.equal(out.protocol, 6);
    assert.equal(out.tunnelKey, 0);
    assert.equal(out.tunnelDepth, 0);
  });

  test("Ethernet II / IPv6 / UDP", () => {
    const { ok, out } = decodeOne(ETH, ether(0x86dd, udp6));
    assert.equal(ok, true);
    assert.equal(flowOf(out), "[2001:db8::1]:5353 > [2001:db8::2]:53");
    assert.equal(out.protocol, 17);
    assert.equal(payloadOf(out), "q");
  });

  test("Ethernet padding after a short IPv4 packet is not payload", () => {
    const frame = Buffer.concat([ether(0x0800, synV4()), Buffer.alloc(6, 0x55)]);
    const { ok, out } = decodeOne(ETH, frame);
    assert.equal(ok, true);
    assert.equal(out.payloadLen, 0);
    assert.equal(out.truncated, false);
  });

  test("802.3 length-field frames are skipped, ARP is another EtherType", () => {
    const llc = Buffer.concat([hex("020000000000 0a0000000000 0026"), Buffer.alloc(38, 0x42)]);
    let r = decodeOne(ETH, llc);
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("skipped.ieee8023"), 1);
    r = decodeOne(ETH, ether(0x0806, Buffer.alloc(28)));
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("other.ethertype"), 1);
  });

  for (const [name, tags] of [
    ["802.1Q", [[0x8100, 100]]],
    [
      "802.1ad + 802.1Q (QinQ)",
      [
        [0x88a8, 200],
        [0x8100, 100],
      ],
    ],
    [
      "0x9100 + 802.1Q",
      [
        [0x9100, 300],
        [0x8100, 100],
      ],
    ],
    [
      "three tags",
      [
        [0x88a8, 1],
        [0x88a8, 2],
        [0x8100, 3],
      ],
    ],
  ] as Array<[string, Array<[number, number]>]>) {
    test(`VLAN stack: ${name}`, () => {
      const { ok, out } = decodeOne(ETH, ether(0x0800, synV4(), tags));
      assert.equal(ok, true);
      assert.equal(flowOf(out), "10.0.0.1:40000 > 10.0.0.2:80");
      assert.equal(out.ipOff, 7 + 14 + 4 * tags.length);
    });
  }

  test("VLAN stack deeper than 8 tags is malformed; a clipped tag is truncated", () => {
    const tags: Array<[number, number]> = Array.from({ length: 9 }, (_, i) => [0x8100, i]);
    let r = decodeOne(ETH, ether(0x0800, synV4(), tags));
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("malformed.vlan.too_many_tags"), 1);
    r = decodeOne(ETH, hex("020000000000 0a0000000000 8100 00"));
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("truncated.vlan"), 1);
    r = decodeOne(ETH, hex("020000000000 0a0000000000 08"));
    assert.equal(r.dec.stats.get("truncated.ethernet"), 1);
  });

  test("Linux SLL (113) and SLL2 (276)", () => {
    let r = decodeOne(113, sll(0x0800, synV4()));
    assert.equal(r.ok, true);
    assert.equal(r.out.ipOff, 7 + 16);
    assert.equal(flowOf(r.out), "10.0.0.1:40000 > 10.0.0.2:80");
    r = decodeOne(276, sll2(0x86dd, udp6));
    assert.equal(r.ok, true);
    assert.equal(r.out.ipOff, 7 + 20);
    assert.equal(flowOf(r.out), "[2001:db8::1]:5353 > [2001:db8::2]:53");
    r = decodeOne(113, sll(0x8100, Buffer.concat([hex("0064 0800"), synV4()])));
    assert.equal(r.ok, true, "a VLAN tag left in an SLL frame");
    r = decodeOne(113, sll(0x0004, Buffer.alloc(30)));
    assert.equal(r.ok, false, "802.2 LLC in SLL");
    r = decodeOne(276, hex("0800 0000 00000002"));
    assert.equal(r.dec.stats.get("truncated.sll2"), 1);
    r = decodeOne(113, hex("0000 0001"));
    assert.equal(r.dec.stats.get("truncated.sll"), 1);
  });

  for (const lt of [101, 12, 14]) {
    test(`raw IP link type ${lt}: version nibble decides`, () => {
      let r = decodeOne(lt, synV4());
      assert.equal(r.ok, true);
      assert.equal(r.out.ipVersion, 4);
      assert.equal(r.out.ipOff, 7);
      r = decodeOne(lt, udp6);
      assert.equal(r.ok, true);
      assert.equal(r.out.ipVersion, 6);
      r = decodeOne(lt, Buffer.concat([hex("50"), synV4().subarray(1)]));
      assert.equal(r.ok, false);
      assert.equal(r.dec.stats.get("malformed.ip.version"), 1);
      r = decodeOne(lt, Buffer.alloc(0));
      assert.equal(r.dec.stats.get("truncated.ip"), 1);
    });
  }

  test("LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229)", () => {
    assert.equal(decodeOne(228, synV4()).ok, true);
    assert.equal(decodeOne(229, udp6).ok, true);
    const r = decodeOne(228, udp6);
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("malformed.ipv4.version"), 1);
    const r6 = decodeOne(229, synV4());
    assert.equal(r6.dec.stats.get("truncated.ipv6") + r6.dec.stats.get("malformed.ipv6.version"), 1);
  });

  for (const lt of [0, 108]) {
    for (const le of [true, false]) {
      test(`BSD loopback link type ${lt}, ${le ? "little" : "big"}-endian family`, () => {
        const r4 = decodeOne(lt, loopback(2, synV4(), le));
        assert.equal(r4.ok, true);
        assert.equal(r4.out.ipOff, 7 + 4);
        for (const af of [24, 28, 30]) {
          const r6 = decodeOne(lt, loopback(af, udp6, le));
          assert.equal(r6.ok, true, `AF ${af}`);
          assert.equal(r6.out.ipVersion, 6);
        }
        const bad = decodeOne(lt, loopback(7, synV4(), le));
        assert.equal(bad.ok, false);
        assert.equal(bad.dec.stats.get("unsupported.loopback_family"), 1);
      });
    }
  }

  test("loopback shorter than its family field; unknown link type", () => {
    assert.equal(decodeOne(0, hex("02 00")).dec.stats.get("truncated.loopback"), 1);
    const r = decodeOne(105, synV4()); // 802.11
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("unsupported.linktype"), 1);
  });

  test("frame with a TCP payload through Ethernet", () => {
    const seg = tcp({ sport: 1234, dport: 443, flags: 0x18, payload: Buffer.from("hello") });
    const { ok, out } = decodeOne(
      ETH,
      ether(0x0800, ipv4({ src: "192.0.2.1", dst: "198.51.100.7", proto: 6, payload: seg })),
    );
    assert.equal(ok, true);
    assert.equal(payloadOf(out), "hello");
    assert.equal(out.tcpFlags, 0x18);
  });

  test("frame offset/length beyond the buffer is clipped, never read past", () => {
    const { ok } = decodeOne(ETH, ether(0x0800, synV4()), { snap: 20 });
    assert.equal(ok, false);
  });
});
