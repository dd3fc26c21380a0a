import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Decoder } from "../../src/decode/decoder.js";
import type { FragmentOptions } from "../../src/decode/fragments.js";
import { newDecodedPacket } from "../../src/decode/packet.js";
import { ether, ext6, frag6, frameOf, inetChecksum, ipv4, ipv6, tcp, udp, vxlan } from "./build.js";
import { flowOf, payloadOf } from "./util.js";

const T0 = 1_700_000_000_000_000;
const SEC = 1_000_000;
/** A 64-byte TCP segment: 20-byte header + 44 bytes "0123456789abcdef...". */
const DATA = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH");
const SEG = tcp({ sport: 4444, dport: 80, flags: 0x18, payload: DATA });

/** IPv4 fragment of `l4[start, end)`; MF unless it reaches the end. */
function f4(
  l4: Buffer,
  start: number,
  end: number,
  o: { id?: number; src?: string; data?: Buffer; proto?: number } = {},
): Buffer {
  return ipv4({
    src: o.src ?? "192.0.2.10",
    dst: "192.0.2.20",
    proto: o.proto ?? 6,
    id: o.id ?? 0x4242,
    df: false,
    mf: end < l4.length,
    fragOffset: start,
    payload: o.data ?? l4.subarray(start, end),
  });
}

/** IPv6 fragment (hop-by-hop header before the fragment header) of `l4[start, end)`. */
function f6(l4: Buffer, start: number, end: number, id = 0x01020304, nh = 6): Buffer {
  return ipv6({
    src: "2001:db8::10",
    dst: "2001:db8::20",
    nh: 0,
    payload: Buffer.concat([ext6(44), frag6(nh, start, end < l4.length, id), l4.subarray(start, end)]),
  });
}

class Run {
  readonly dec: Decoder;
  readonly out = newDecodedPacket();
  constructor(opts?: FragmentOptions) {
    this.dec = new Decoder(opts);
  }
  feed(pkt: Buffer, tsUs = T0, linktype = 101): boolean {
    return this.dec.decode(frameOf(linktype, pkt, { tsUs }), this.out);
  }
  stat(k: string): number {
    return this.dec.stats.get(k);
  }
}

describe("IPv4 fragments", () => {
  test("in order: only the last fragment yields the packet, from a reassembly buffer", () => {
    const r = new Run();
    assert.equal(r.feed(f4(SEG, 0, 24)), false);
    assert.equal(r.feed(f4(SEG, 24, 48)), false);
    assert.equal(r.dec.fragments.datagrams, 1);
    assert.equal(r.feed(f4(SEG, 48, 64)), true);
    const o = r.out;
    assert.equal(o.reassembled, true);
    assert.equal(flowOf(o), "192.0.2.10:4444 > 192.0.2.20:80");
    assert.equal(payloadOf(o), DATA.toString());
    assert.equal(o.ipTotalLen, 20 + 64);
    assert.equal(o.ipId, 0x4242);
    assert.equal(o.ipOff, 0);
    const hdr = o.buf.subarray(0, 20);
    assert.equal(hdr[6] & 0x3f, 0, "MF and offset cleared");
    assert.equal(hdr[7], 0);
    assert.equal(inetChecksum(hdr), 0, "header checksum valid");
    assert.equal(r.stat("fragment.reassembled"), 1);
    assert.equal(r.dec.fragments.datagrams, 0);
    assert.equal(r.dec.fragments.bufferedBytes, 0);
  });

  test("reverse order", () => {
    const r = new Run();
    assert.equal(r.feed(f4(SEG, 48, 64)), false);
    assert.equal(r.feed(f4(SEG, 24, 48)), false);
    assert.equal(r.feed(f4(SEG, 0, 24)), true);
    assert.equal(payloadOf(r.out), DATA.toString());
  });

  test("duplicates are counted and harmless", () => {
    const r = new Run();
    r.feed(f4(SEG, 0, 24));
    r.feed(f4(SEG, 0, 24));
    r.feed(f4(SEG, 24, 48));
    assert.equal(r.feed(f4(SEG, 48, 64)), true);
    assert.equal(r.stat("fragment.duplicate"), 1);
    assert.equal(r.stat("fragment.overlap"), 0);
    assert.equal(payloadOf(r.out), DATA.toString());
  });

  test("overlaps: first wins, whichever order the fragments arrive in", () => {
    const a = Buffer.alloc(24, 0x41); // 'A' for [24, 48)
    const b = Buffer.alloc(24, 0x42); // 'B' for [32, 56)
    const expectWith = (first: "A" | "B") => {
      const mid = first === "A" ? "A".repeat(24) + "B".repeat(8) : "A".repeat(8) + "B".repeat(24);
      return DATA.subarray(0, 4).toString() + mid + DATA.subarray(36).toString();
    };
    for (const order of [
      ["A", "B"],
      ["B", "A"],
    ] as const) {
      const r = new Run();
      r.feed(f4(SEG, 0, 24));
      for (const which of order) {
        r.feed(which === "A" ? f4(SEG, 24, 48, { data: a }) : f4(SEG, 32, 56, { data: b }));
      }
      assert.equal(r.feed(f4(SEG, 56, 64)), true);
      assert.equal(payloadOf(r.out), expectWith(order[0]), `order ${order.join("")}`);
      assert.equal(r.stat("fragment.overlap"), 1);
    }
  });

  test("timeout on packet time (30 s): a late fragment starts over", () => {
    const r = new Run();
    r.feed(f4(SEG, 0, 24), T0);
    r.feed(f4(SEG, 24, 48), T0 + 10 * SEC);
    assert.equal(r.feed(f4(SEG, 48, 64), T0 + 31 * SEC), false);
    assert.equal(r.stat("fragment.timeout"), 1);
    assert.equal(r.dec.fragments.datagrams, 1, "the late fragment began a new datagram");
    const ok = new Run();
    ok.feed(f4(SEG, 0, 24), T0);
    assert.equal(ok.feed(f4(SEG, 24, 64), T0 + 29 * SEC), true);
    const other = new Run();
    other.feed(f4(SEG, 0, 24, { id: 1 }), T0);
    other.feed(f4(SEG, 0, 24, { id: 2 }), T0 + 31 * SEC); // any fragment expires old work
    assert.equal(other.stat("fragment.timeout"), 1);
    assert.equal(other.dec.fragments.datagrams, 1);
  });

  test("datagram cap: the oldest is evicted", () => {
    const r = new Run({ maxDatagrams: 2 });
    r.feed(f4(SEG, 0, 24, { id: 1 }));
    r.feed(f4(SEG, 0, 24, { id: 2 }));
    r.feed(f4(SEG, 0, 24, { id: 3 }));
    assert.equal(r.stat("fragment.evicted"), 1);
    assert.equal(r.dec.fragments.datagrams, 2);
    assert.equal(r.feed(f4(SEG, 24, 64, { id: 1 })), false, "datagram 1 is gone");
    assert.equal(r.feed(f4(SEG, 24, 64, { id: 3 })), true);
  });

  test("byte cap: buffered bytes never exceed it, oldest evicted first", () => {
    const r = new Run({ maxBufferedBytes: 200 });
    for (let id = 0; id < 20; id++) {
      r.feed(f4(SEG, 0, 48, { id }));
      assert.ok(r.dec.fragments.bufferedBytes <= 200);
    }
    assert.ok(r.stat("fragment.evicted") >= 16);
    assert.equal(r.feed(f4(SEG, 48, 64, { id: 19 })), true);
  });

  test("same ID from different sources stays apart", () => {
    const r = new Run();
    r.feed(f4(SEG, 0, 24, { src: "198.51.100.1" }));
    r.feed(f4(SEG, 0, 24, { src: "198.51.100.2" }));
    assert.equal(r.dec.fragments.datagrams, 2);
    assert.equal(r.feed(f4(SEG, 24, 64, { src: "198.51.100.2" })), true);
    assert.equal(flowOf(r.out), "198.51.100.2:4444 > 192.0.2.20:80");
  });

  test("tiny first fragment and a fragment overlapping the TCP header are dropped (RFC 1858)", () => {
    const r = new Run();
    assert.equal(r.feed(f4(SEG, 0, 8)), false);
    assert.equal(r.stat("fragment.tiny_first"), 1);
    assert.equal(r.feed(f4(SEG, 8, 64)), false);
    assert.equal(r.stat("fragment.header_overlap"), 1);
    // A legitimate first fragment followed by an offset-8 rewrite of the flags: header kept.
    const evil = Buffer.from(SEG.subarray(8, 24));
    evil[13 - 8] = 0x02; // SYN instead of PSH|ACK
    const s = new Run();
    s.feed(f4(SEG, 0, 24));
    s.feed(f4(SEG, 8, 24, { data: evil }));
    assert.equal(s.feed(f4(SEG, 24, 64)), true);
    assert.equal(s.out.tcpFlags, 0x18);
  });

  test("bad lengths: non-final fragment not a multiple of 8, datagram over 64 KiB", () => {
    const r = new Run();
    r.feed(f4(SEG, 0, 30));
    assert.equal(r.stat("fragment.bad_length"), 1);
    const big = ipv4({
      src: "1.1.1.1",
      dst: "2.2.2.2",
      proto: 6,
      id: 9,
      df: false,
      fragOffset: 65528,
      payload: Buffer.alloc(16),
    });
    r.feed(big);
    assert.equal(r.stat("fragment.too_big"), 1);
  });

  test("last fragments that disagree on the end are counted", () => {
    const r = new Run();
    r.feed(f4(SEG, 48, 64));
    r.feed(
      ipv4({
        src: "192.0.2.10",
        dst: "192.0.2.20",
        proto: 6,
        id: 0x4242,
        df: false,
        fragOffset: 48,
        payload: SEG.subarray(48, 56),
      }),
    );
    assert.equal(r.stat("fragment.inconsistent_end"), 1);
  });

  test("a snapped fragment cannot be reassembled", () => {
    const r = new Run();
    assert.equal(r.dec.decode(frameOf(101, f4(SEG, 0, 24), { snap: 30 }), r.out), false);
    assert.equal(r.stat("truncated.fragment"), 1);
    assert.equal(r.dec.fragments.datagrams, 0);
  });

  test("a fragmented VXLAN packet is reassembled, then decapsulated", () => {
    const inner = ipv4({ src: "10.9.9.1", dst: "10.9.9.2", proto: 6, payload: SEG });
    const l4 = udp(50000, 4789, vxlan(77, ether(0x0800, inner)));
    const r = new Run();
    assert.equal(r.feed(f4(l4, 0, 64, { proto: 17 })), false);
    assert.equal(r.feed(f4(l4, 64, l4.length, { proto: 17 })), true);
    assert.equal(r.out.reassembled, true);
    assert.equal(r.out.tunnelDepth, 1);
    assert.equal(flowOf(r.out), "10.9.9.1:4444 > 10.9.9.2:80");
    assert.equal(payloadOf(r.out), DATA.toString());
  });
});

describe("IPv6 fragments", () => {
  test("two fragments after a hop-by-hop header: fragment header removed, lengths fixed", () => {
    const r = new Run();
    assert.equal(r.feed(f6(SEG, 0, 32)), false);
    assert.equal(r.feed(f6(SEG, 32, 64)), true);
    const o = r.out;
    assert.equal(o.reassembled, true);
    assert.equal(o.ipVersion, 6);
    assert.equal(o.ipHeaderLen, 48, "IPv6 + hop-by-hop; no fragment header");
    assert.equal(o.ipTotalLen, 48 + 64);
    assert.equal(o.buf[40], 6, "hop-by-hop now names TCP");
    assert.equal(o.buf.readUInt16BE(4), 8 + 64);
    assert.equal(flowOf(o), "[2001:db8::10]:4444 > [2001:db8::20]:80");
    assert.equal(payloadOf(o), DATA.toString());
  });

  test("reverse order, three fragments, UDP", () => {
    const d = udp(5000, 53, Buffer.alloc(100, 0x61));
    const r = new Run();
    r.feed(f6(d, 96, 108, 5, 17));
    r.feed(f6(d, 48, 96, 5, 17));
    assert.equal(r.feed(f6(d, 0, 48, 5, 17)), true);
    assert.equal(r.out.protocol, 17);
    assert.equal(r.out.payloadLen, 100);
  });

  test("directly after the fixed header (next header 44), overlapping fragment counted", () => {
    const mk = (start: number, end: number, data?: Buffer) =>
      ipv6({
        src: "fe80::1",
        dst: "fe80::2",
        nh: 44,
        payload: Buffer.concat([frag6(6, start, end < 64, 7), data ?? SEG.subarray(start, end)]),
      });
    const r = new Run();
    r.feed(mk(0, 32));
    r.feed(mk(24, 40, Buffer.alloc(16, 0x7a)));
    assert.equal(r.stat("fragment.overlap"), 1);
    assert.equal(r.feed(mk(40, 64)), true);
    assert.equal(r.out.ipHeaderLen, 40);
    assert.equal(r.out.buf[6], 6);
    const expected = Buffer.concat([SEG.subarray(20, 32), Buffer.alloc(8, 0x7a), SEG.subarray(40, 64)]);
    assert.equal(payloadOf(r.out), expected.toString("latin1"));
  });

  test("a datagram whose rebuilt payload length would pass 65,535 is dropped", () => {
    // The first fragment's extension headers (2 KiB) count towards the payload length of
    // the rebuilt packet, although every fragment fits on its own.
    const l4 = Buffer.alloc(64512, 0x33);
    const mk = (start: number, end: number, bigExt: boolean) =>
      ipv6({
        src: "2001:db8::1",
        dst: "2001:db8::2",
        nh: bigExt ? 60 : 44,
        payload: Buffer.concat([
          ...(bigExt ? [ext6(44, Buffer.alloc(2046))] : []),
          frag6(17, start, end < l4.length, 5),
          l4.subarray(start, end),
        ]),
      });
    const r = new Run();
    assert.equal(r.feed(mk(0, 1024, true)), false);
    assert.equal(r.feed(mk(1024, 64504, false)), false);
    assert.equal(r.feed(mk(64504, 64512, false)), false);
    assert.equal(r.stat("fragment.too_big"), 1);
    assert.equal(r.dec.fragments.datagrams, 0);
    assert.equal(r.dec.fragments.bufferedBytes, 0);
  });

  test("IPv4 and IPv6 datagrams with the same ID do not mix", () => {
    const r = new Run();
    r.feed(f6(SEG, 0, 32, 0x4242));
    r.feed(f4(SEG, 0, 24));
    assert.equal(r.dec.fragments.datagrams, 2);
    assert.equal(r.feed(f6(SEG, 32, 64, 0x4242)), true);
    assert.equal(r.out.ipVersion, 6);
  });
});
