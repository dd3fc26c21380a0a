import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mixTunnelKey, TUNNEL_GENEVE, TUNNEL_VXLAN } from "../../src/decode/tunnel.js";
import {
  erspan2,
  erspan3,
  ether,
  geneve,
  geneveOption,
  gre,
  gtpu,
  hex,
  ipv4,
  ipv6,
  synV4,
  tcp,
  udp,
  vxlan,
  vxlanGpe,
} from "./build.js";
import { decodeOne, flowOf, payloadOf } from "./util.js";

const ETH = 1;
const INNER = "10.0.0.1:40000 > 10.0.0.2:80";
const inner6 = ipv6({ src: "fd00::1", dst: "fd00::2", nh: 6, payload: tcp({ sport: 5555, dport: 22 }) });
const INNER6 = "[fd00::1]:5555 > [fd00::2]:22";

/** Outer Ethernet/IPv4 from 192.0.2.1 to 192.0.2.2 carrying `proto`. */
function outer4(proto: number, payload: Buffer): Buffer {
  return ether(0x0800, ipv4({ src: "192.0.2.1", dst: "192.0.2.2", proto, payload }));
}
function overUdp(dport: number, payload: Buffer, sport = 50000): Buffer {
  return outer4(17, udp(sport, dport, payload));
}

describe("GRE and ERSPAN", () => {
  test("GRE carrying IPv4, no optional fields", () => {
    const { ok, out } = decodeOne(ETH, outer4(47, gre(0x0800, synV4())));
    assert.equal(ok, true);
    assert.equal(flowOf(out), INNER);
    assert.equal(out.tunnelDepth, 1);
    assert.notEqual(out.tunnelKey, 0);
  });

  test("GRE with checksum, key and sequence (RFC 2890); key separates tunnels", () => {
    const a = decodeOne(ETH, outer4(47, gre(0x0800, synV4(), { csum: true, key: 7, seq: 99 })));
    assert.equal(a.ok, true);
    assert.equal(flowOf(a.out), INNER);
    const b = decodeOne(ETH, outer4(47, gre(0x0800, synV4(), { key: 8, seq: 1 })));
    assert.equal(b.ok, true);
    assert.notEqual(a.out.tunnelKey, b.out.tunnelKey);
    const c = decodeOne(ETH, outer4(47, gre(0x0800, synV4(), { key: 7 })));
    assert.equal(a.out.tunnelKey, c.out.tunnelKey, "same key, same tunnel");
  });

  test("GRE over IPv6 carrying IPv6; GRE transparent Ethernet bridging (0x6558)", () => {
    const g6 = ether(
      0x86dd,
      ipv6({ src: "2001:db8::a", dst: "2001:db8::b", nh: 47, payload: gre(0x86dd, inner6) }),
    );
    let r = decodeOne(ETH, g6);
    assert.equal(r.ok, true);
    assert.equal(flowOf(r.out), INNER6);
    r = decodeOne(ETH, outer4(47, gre(0x6558, ether(0x0800, synV4()), { key: 3 })));
    assert.equal(r.ok, true);
    assert.equal(flowOf(r.out), INNER);
  });

  test("GRE version 1 (PPTP), source routing and unknown protocols are not decoded", () => {
    let r = decodeOne(ETH, outer4(47, Buffer.concat([hex("3001 880b 0000 0000 0000 0001"), synV4()])));
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("unsupported.gre.version"), 1);
    r = decodeOne(ETH, outer4(47, Buffer.concat([hex("4000 0800 0000 0000"), synV4()])));
    assert.equal(r.dec.stats.get("unsupported.gre.routing"), 1);
    r = decodeOne(ETH, outer4(47, gre(0x880b, synV4())));
    assert.equal(r.dec.stats.get("unsupported.gre.protocol"), 1);
    r = decodeOne(ETH, outer4(47, hex("b000 0800 0000")));
    assert.equal(r.dec.stats.get("truncated.gre"), 1);
  });

  test("ERSPAN type I (0x88BE without sequence): Ethernet right after GRE", () => {
    const { ok, out } = decodeOne(ETH, outer4(47, gre(0x88be, ether(0x0800, synV4()))));
    assert.equal(ok, true);
    assert.equal(flowOf(out), INNER);
  });

  test("ERSPAN type II (0x88BE with sequence, 8-byte header); session separates", () => {
    const a = decodeOne(ETH, outer4(47, gre(0x88be, erspan2(20, ether(0x0800, synV4())), { seq: 0 })));
    assert.equal(a.ok, true);
    assert.equal(flowOf(a.out), INNER);
    const b = decodeOne(ETH, outer4(47, gre(0x88be, erspan2(21, ether(0x0800, synV4())), { seq: 0 })));
    assert.notEqual(a.out.tunnelKey, b.out.tunnelKey);
    const bad = Buffer.from(erspan2(20, ether(0x0800, synV4())));
    bad[0] = 0x20; // version 2 in a type II header
    const r = decodeOne(ETH, outer4(47, gre(0x88be, bad, { seq: 0 })));
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("malformed.erspan.version"), 1);
  });

  test("ERSPAN type III (0x22EB, 12-byte header, optional platform subheader, IP frame type)", () => {
    let r = decodeOne(ETH, outer4(47, gre(0x22eb, erspan3(5, ether(0x0800, synV4())), { seq: 1 })));
    assert.equal(r.ok, true);
    assert.equal(flowOf(r.out), INNER);
    r = decodeOne(
      ETH,
      outer4(47, gre(0x22eb, erspan3(5, ether(0x0800, synV4()), { platform: true }), { seq: 1 })),
    );
    assert.equal(r.ok, true);
    assert.equal(flowOf(r.out), INNER);
    r = decodeOne(ETH, outer4(47, gre(0x22eb, erspan3(5, inner6, { frameType: 2 }), { seq: 1 })));
    assert.equal(r.ok, true);
    assert.equal(flowOf(r.out), INNER6);
    r = decodeOne(ETH, outer4(47, gre(0x22eb, erspan3(5, synV4(), { frameType: 1 }), { seq: 1 })));
    assert.equal(r.dec.stats.get("unsupported.erspan.frame_type"), 1);
  });
});

describe("UDP tunnels", () => {
  test("VXLAN on destination or source port 4789; VNI separates", () => {
    const a = decodeOne(ETH, overUdp(4789, vxlan(100, ether(0x0800, synV4()))));
    assert.equal(a.ok, true);
    assert.equal(flowOf(a.out), INNER);
    assert.equal(a.out.tunnelDepth, 1);
    assert.equal(a.out.tunnelKey, mixTunnelKey(0, TUNNEL_VXLAN, 100));
    const b = decodeOne(ETH, outer4(17, udp(4789, 50000, vxlan(100, ether(0x0800, synV4())))));
    assert.equal(b.ok, true);
    assert.equal(flowOf(b.out), INNER);
    assert.equal(a.out.tunnelKey, b.out.tunnelKey, "both directions share the key");
    const c = decodeOne(ETH, overUdp(4789, vxlan(101, ether(0x0800, synV4()))));
    assert.notEqual(a.out.tunnelKey, c.out.tunnelKey);
  });

  test("VXLAN without the I flag, or with a non-IP inner frame, is the plain outer UDP packet", () => {
    for (const payload of [
      vxlan(1, ether(0x0800, synV4()), 0x00),
      vxlan(1, ether(0x0806, Buffer.alloc(28))),
    ]) {
      const { ok, out, dec } = decodeOne(ETH, overUdp(4789, payload));
      assert.equal(ok, true);
      assert.equal(flowOf(out), "192.0.2.1:50000 > 192.0.2.2:4789");
      assert.equal(out.tunnelDepth, 0);
      assert.equal(out.tunnelKey, 0);
      assert.equal(out.payloadLen, payload.length);
      assert.equal(dec.stats.get("tunnel.inner_undecodable"), 1);
    }
  });

  test("VXLAN-GPE (4790): next protocol IPv4, IPv6, Ethernet; no P flag means Ethernet", () => {
    let r = decodeOne(ETH, overUdp(4790, vxlanGpe(9, 1, synV4())));
    assert.equal(flowOf(r.out), INNER);
    r = decodeOne(ETH, overUdp(4790, vxlanGpe(9, 2, inner6)));
    assert.equal(flowOf(r.out), INNER6);
    r = decodeOne(ETH, overUdp(4790, vxlanGpe(9, 3, ether(0x0800, synV4()))));
    assert.equal(flowOf(r.out), INNER);
    r = decodeOne(ETH, overUdp(4790, vxlan(9, ether(0x0800, synV4()))));
    assert.equal(flowOf(r.out), INNER);
    r = decodeOne(ETH, overUdp(4790, vxlanGpe(9, 4, Buffer.alloc(40))));
    assert.equal(r.dec.stats.get("unsupported.vxlan_gpe.next_protocol"), 1);
    assert.equal(flowOf(r.out), "192.0.2.1:50000 > 192.0.2.2:4790");
  });

  test("Geneve (6081) with options, Ethernet / IPv4 / IPv6 payloads", () => {
    const opts = [geneveOption(0x0102, 0x80, hex("01020304")), geneveOption(0xffff, 1, Buffer.alloc(8))];
    let r = decodeOne(ETH, overUdp(6081, geneve(11, 0x6558, ether(0x0800, synV4()), opts)));
    assert.equal(r.ok, true);
    assert.equal(flowOf(r.out), INNER);
    assert.equal(r.out.tunnelKey, mixTunnelKey(0, TUNNEL_GENEVE, 11));
    assert.notEqual(r.out.tunnelKey, mixTunnelKey(0, TUNNEL_VXLAN, 11), "kind is part of the key");
    r = decodeOne(ETH, overUdp(6081, geneve(11, 0x0800, synV4())));
    assert.equal(flowOf(r.out), INNER);
    r = decodeOne(ETH, overUdp(6081, geneve(11, 0x86dd, inner6)));
    assert.equal(flowOf(r.out), INNER6);
  });

  test("Geneve with options that do not tile the option area, or version 1, falls back to UDP", () => {
    const bad = geneve(11, 0x6558, ether(0x0800, synV4()), [geneveOption(1, 1, Buffer.alloc(4))]);
    bad[8 + 3] = 2; // option claims 8 data bytes, only 4 in the area
    let r = decodeOne(ETH, overUdp(6081, bad));
    assert.equal(r.ok, true);
    assert.equal(r.out.tunnelDepth, 0);
    assert.equal(r.dec.stats.get("malformed.geneve.options"), 1);
    const v1 = geneve(11, 0x6558, ether(0x0800, synV4()));
    v1[0] |= 0x40;
    r = decodeOne(ETH, overUdp(6081, v1));
    assert.equal(r.dec.stats.get("malformed.geneve.version"), 1);
    assert.equal(flowOf(r.out), "192.0.2.1:50000 > 192.0.2.2:6081");
  });

  test("ICMP inside Geneve is a decoded, non-analysed packet (no fallback)", () => {
    const icmp = ipv4({ src: "30.0.0.1", dst: "30.0.0.2", proto: 1, payload: hex("0800 f7ff 0000 0000") });
    const r = decodeOne(ETH, overUdp(6081, geneve(10, 0x6558, ether(0x0800, icmp))));
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("other.ip_proto"), 1);
    assert.equal(r.dec.stats.get("tunnel.inner_undecodable"), 0);
  });

  test("GTP-U (2152) T-PDU, with sequence number and an extension-header chain", () => {
    let r = decodeOne(ETH, overUdp(2152, gtpu(0x11223344, synV4())));
    assert.equal(r.ok, true);
    assert.equal(flowOf(r.out), INNER);
    r = decodeOne(ETH, overUdp(2152, gtpu(1, inner6, { seq: 5 })));
    assert.equal(flowOf(r.out), INNER6);
    // PDU session container (0x85) then a 2-unit extension (0x40 UDP port, padded).
    const exts: Array<[number, Buffer]> = [
      [0x85, hex("0009")],
      [0x40, hex("c350 0000 0000")],
    ];
    r = decodeOne(ETH, overUdp(2152, gtpu(2, synV4(), { exts })));
    assert.equal(r.ok, true);
    assert.equal(flowOf(r.out), INNER);
    const a = decodeOne(ETH, overUdp(2152, gtpu(7, synV4())));
    const b = decodeOne(ETH, overUdp(2152, gtpu(8, synV4())));
    assert.notEqual(a.out.tunnelKey, b.out.tunnelKey, "TEID separates");
  });

  test("GTP-U signalling (echo request) and a zero-length extension are the outer UDP packet", () => {
    let r = decodeOne(ETH, overUdp(2152, gtpu(0, Buffer.alloc(0), { msgType: 1, seq: 1 })));
    assert.equal(r.ok, true);
    assert.equal(r.dec.stats.get("other.gtpu.message"), 1);
    assert.equal(flowOf(r.out), "192.0.2.1:50000 > 192.0.2.2:2152");
    const z = gtpu(2, synV4(), { exts: [[0x85, hex("0009")]] });
    z[12] = 0; // extension length 0
    r = decodeOne(ETH, overUdp(2152, z));
    assert.equal(r.dec.stats.get("malformed.gtpu.extension_len"), 1);
    assert.equal(r.out.tunnelDepth, 0);
  });

  test("a clipped tunnel header (snaplen) falls back to the outer UDP packet, truncated", () => {
    const f = overUdp(4789, vxlan(1, ether(0x0800, synV4())));
    const r = decodeOne(ETH, f, { snap: 14 + 20 + 8 + 4 });
    assert.equal(r.ok, true);
    assert.equal(r.out.truncated, true);
    assert.equal(r.out.payloadLen, 4);
    assert.equal(r.dec.stats.get("truncated.vxlan"), 1);
  });
});

describe("IP in IP and nesting", () => {
  test("IPv4-in-IPv4 (4), IPv6-in-IPv4 (41), IPv4-in-IPv6, IPv6-in-IPv6", () => {
    let r = decodeOne(ETH, outer4(4, synV4()));
    assert.equal(flowOf(r.out), INNER);
    assert.equal(r.out.tunnelDepth, 1);
    r = decodeOne(ETH, outer4(41, inner6));
    assert.equal(flowOf(r.out), INNER6);
    const o6 = (nh: number, p: Buffer) =>
      ether(0x86dd, ipv6({ src: "2001:db8::1", dst: "2001:db8::2", nh, payload: p }));
    r = decodeOne(ETH, o6(4, synV4()));
    assert.equal(flowOf(r.out), INNER);
    r = decodeOne(ETH, o6(41, inner6));
    assert.equal(flowOf(r.out), INNER6);
    assert.equal(r.out.ipOff, 7 + 14 + 40);
  });

  test("HTTP in VXLAN in ERSPAN II in GRE (the corpus stack) is decoded to the inner flow", () => {
    const http = ipv4({
      src: "10.16.27.12",
      dst: "10.16.27.131",
      proto: 6,
      payload: tcp({ sport: 65174, dport: 80, flags: 0x18, payload: Buffer.from("GET / HTTP/1.1\r\n\r\n") }),
    });
    const vx = ipv4({
      src: "172.16.27.131",
      dst: "172.16.27.121",
      proto: 17,
      payload: udp(4789, 4790, vxlanGpe(0, 3, ether(0x0800, http))),
    });
    const f = outer4(47, gre(0x88be, erspan2(20, ether(0x0800, vx)), { seq: 0 }));
    const { ok, out } = decodeOne(ETH, f);
    assert.equal(ok, true);
    assert.equal(flowOf(out), "10.16.27.12:65174 > 10.16.27.131:80");
    assert.equal(out.tunnelDepth, 2);
    assert.equal(payloadOf(out), "GET / HTTP/1.1\r\n\r\n");
  });

  test("nesting is bounded: 9 IP-in-IP layers are too deep, 8 are fine", () => {
    const nest = (n: number) => {
      let p = synV4();
      for (let i = 0; i < n; i++) p = ipv4({ src: "192.0.2.1", dst: "192.0.2.2", proto: 4, payload: p });
      return p;
    };
    let r = decodeOne(101, nest(8));
    assert.equal(r.ok, true);
    assert.equal(r.out.tunnelDepth, 8);
    r = decodeOne(101, nest(9));
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("malformed.tunnel.too_deep"), 1);
  });

  test("nested VXLAN beyond the bound returns the deepest UDP packet reached", () => {
    let p = ether(0x0800, synV4());
    for (let i = 0; i < 9; i++) {
      p = ether(
        0x0800,
        ipv4({
          src: "192.0.2.1",
          dst: `192.0.2.${i + 10}`,
          proto: 17,
          payload: udp(50000, 4789, vxlan(i, p)),
        }),
      );
    }
    const r = decodeOne(ETH, p);
    assert.equal(r.ok, true);
    assert.equal(r.out.tunnelDepth, 8);
    assert.equal(r.out.dstPort, 4789);
    assert.equal(r.dec.stats.get("tunnel.depth_limit"), 1);
  });

  test("a broken packet inside two UDP tunnels falls back to the inner tunnel's UDP packet", () => {
    const broken = ether(0x0800, Buffer.from([0x45, 0, 0, 10]));
    const mid = ether(
      0x0800,
      ipv4({
        src: "172.16.0.1",
        dst: "172.16.0.2",
        proto: 17,
        payload: udp(1, 6081, geneve(3, 0x6558, broken)),
      }),
    );
    const r = decodeOne(ETH, overUdp(4789, vxlan(5, mid)));
    assert.equal(r.ok, true);
    assert.equal(flowOf(r.out), "172.16.0.1:1 > 172.16.0.2:6081");
    assert.equal(r.out.tunnelDepth, 1);
    assert.equal(r.out.tunnelKey, mixTunnelKey(0, TUNNEL_VXLAN, 5));
  });

  test("tunnel keys of nested layers depend on every layer", () => {
    const two = (outerVni: number, innerVni: number) =>
      decodeOne(
        ETH,
        overUdp(
          4789,
          vxlan(
            outerVni,
            ether(
              0x0800,
              ipv4({
                src: "172.16.0.1",
                dst: "172.16.0.2",
                proto: 17,
                payload: udp(1, 4789, vxlan(innerVni, ether(0x0800, synV4()))),
              }),
            ),
          ),
        ),
      ).out.tunnelKey;
    const keys = new Set([two(1, 2), two(2, 1), two(1, 1), two(2, 2)]);
    assert.equal(keys.size, 4);
    assert.ok(!keys.has(0));
  });
});

describe("tunnel context (the flow key's part)", () => {
  /** VXLAN between two tunnel endpoints, carrying the same inner SYN. */
  const vx = (src: string, dst: string, vni: number) =>
    decodeOne(
      ETH,
      ether(
        0x0800,
        ipv4({ src, dst, proto: 17, payload: udp(50000, 4789, vxlan(vni, ether(0x0800, synV4()))) }),
      ),
    ).out.tunnelContext;

  test("the same for both directions of a tunnel, whatever identifier each direction carries", () => {
    assert.equal(vx("192.0.2.1", "192.0.2.2", 10), vx("192.0.2.2", "192.0.2.1", 11));
  });

  test("other tunnel endpoints, another context; not tunnelled, none", () => {
    assert.notEqual(vx("192.0.2.1", "192.0.2.2", 10), vx("192.0.2.1", "192.0.2.3", 10));
    assert.notEqual(vx("192.0.2.1", "192.0.2.2", 10), vx("198.51.100.1", "192.0.2.2", 10));
    assert.equal(decodeOne(ETH, ether(0x0800, synV4())).out.tunnelContext, 0);
    assert.notEqual(vx("192.0.2.1", "192.0.2.2", 10), 0);
  });

  test("the kind counts: GRE and VXLAN between the same endpoints differ", () => {
    const g = decodeOne(ETH, outer4(47, gre(0x0800, synV4()))).out.tunnelContext;
    assert.notEqual(g, vx("192.0.2.1", "192.0.2.2", 10));
  });
});
