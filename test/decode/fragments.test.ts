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

/** IPv6 fragment, fragment header right after the fixed header, carrying `data` at `offset`. */
function g6(offset: number, data: Buffer, more: boolean, o: { id?: number; nh?: number } = {}): Buffer {
  return ipv6({
    src: "2001:db8::10",
    dst: "2001:db8::20",
    nh: 44,
    payload: Buffer.concat([frag6(o.nh ?? 6, offset, more, o.id ?? 7), data]),
  });
}

/** `g6` fragment of `l4[start, end)`; M unless it reaches the end. */
function s6(l4: Buffer, start: number, end: number, o: { id?: number; nh?: number } = {}): Buffer {
  return g6(start, l4.subarray(start, end), end < l4.length, o);
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

  test("directly after the fixed header (next header 44); an overlap discards the whole datagram", () => {
    // RFC 5722 §4 (and RFC 8200 §4.5): if any fragment overlaps another, the whole
    // datagram, including fragments not received yet, is silently discarded. So, unlike
    // IPv4's first-wins, nothing is rebuilt, whatever the bytes in the overlap.
    const mk = (start: number, end: number, data?: Buffer) =>
      ipv6({
        src: "fe80::1",
        dst: "fe80::2",
        nh: 44,
        payload: Buffer.concat([frag6(6, start, end < 64, 7), data ?? SEG.subarray(start, end)]),
      });
    const r = new Run();
    assert.equal(r.feed(mk(0, 32)), false);
    assert.equal(r.feed(mk(24, 40, Buffer.alloc(16, 0x7a))), false);
    assert.equal(r.stat("fragment.overlap_discarded"), 1);
    assert.equal(r.dec.fragments.bufferedBytes, 0, "the discarded fragments are freed");
    assert.equal(r.feed(mk(40, 64)), false, "a later fragment of the datagram is discarded too");
    // A clean re-send within the 60 s reassembly timeout still belongs to that datagram.
    assert.equal(r.feed(mk(0, 32), T0 + 59 * SEC), false);
    assert.equal(r.feed(mk(32, 64), T0 + 59 * SEC), false);
    assert.equal(r.stat("fragment.after_discard"), 3);
    assert.equal(r.stat("fragment.reassembled"), 0);
    assert.equal(r.dec.fragments.datagrams, 1, "only the discard marker is left");
    // After the timeout the same source, destination and identification start afresh.
    assert.equal(r.feed(mk(0, 32), T0 + 61 * SEC), false);
    assert.equal(r.feed(mk(32, 64), T0 + 61 * SEC), true);
    assert.equal(r.out.ipHeaderLen, 40);
    assert.equal(r.out.buf[6], 6);
    assert.equal(payloadOf(r.out), DATA.toString());
    assert.equal(r.stat("fragment.timeout"), 0, "a discard marker's end is no failed reassembly");
  });

  test("only an exact duplicate is dropped alone; any other overlap discards (RFC 8200 §4.5, RFC 5722)", () => {
    // RFC 8200 §4.5: exact duplicates (same offset, length and bytes) may be dropped while
    // the other fragments are kept.
    const r = new Run();
    assert.equal(r.feed(s6(SEG, 0, 32)), false);
    assert.equal(r.feed(s6(SEG, 0, 32)), false);
    assert.equal(r.stat("fragment.duplicate"), 1);
    assert.equal(r.feed(s6(SEG, 32, 64)), true);
    assert.equal(payloadOf(r.out), DATA.toString());
    // The same bytes over a different extent overlap: RFC 5722 makes no exception for them.
    const s = new Run();
    s.feed(s6(SEG, 0, 32));
    assert.equal(s.feed(s6(SEG, 24, 40)), false);
    assert.equal(s.feed(s6(SEG, 40, 64)), false);
    assert.equal(s.stat("fragment.overlap_discarded"), 1);
    assert.equal(s.stat("fragment.duplicate"), 0);
    const sub = new Run();
    sub.feed(s6(SEG, 0, 32));
    sub.feed(s6(SEG, 0, 24));
    assert.equal(sub.feed(s6(SEG, 32, 64)), false, "a shorter re-send of a fragment is no exact duplicate");
    assert.equal(sub.stat("fragment.overlap_discarded"), 1);
    // Same offset and length, other bytes.
    const u = new Run();
    u.feed(s6(SEG, 32, 64));
    u.feed(g6(32, Buffer.alloc(32, 0x7a), false));
    assert.equal(u.feed(s6(SEG, 0, 32)), false);
    assert.equal(u.stat("fragment.overlap_discarded"), 1);
    assert.equal(u.stat("fragment.after_discard"), 1);
  });

  test("only the first fragment's next header names the protocol (RFC 8200 §4.5)", () => {
    // UDP: offset 8 lies past the 8-byte UDP header, whatever the later fragment's own
    // (ignored) next header says; either arrival order rebuilds the datagram.
    const d = udp(5000, 53, Buffer.alloc(40, 0x61));
    for (const reverse of [false, true]) {
      const r = new Run();
      const first = s6(d, 0, 8, { nh: 17 });
      const rest = s6(d, 8, 48, { nh: 6 });
      assert.equal(r.feed(reverse ? rest : first), false);
      assert.equal(r.feed(reverse ? first : rest), true, `reverse ${reverse}`);
      assert.equal(r.out.protocol, 17);
      assert.equal(r.out.payloadLen, 40);
      assert.equal(r.stat("fragment.header_overlap"), 0);
    }
    // TCP: a fragment at offset 8 rewrites the flags (SYN); its own next header (59, 17)
    // makes it look harmless. It overlaps the first fragment's TCP header, so the datagram
    // is discarded (RFC 5722) in either order, never rebuilt with its bytes.
    const evil = Buffer.from(SEG.subarray(8, 32));
    evil[13 - 8] = 0x02;
    for (const [nh, headFirst] of [
      [59, false],
      [59, true],
      [17, true],
    ] as const) {
      const r = new Run();
      const head = s6(SEG, 0, 24);
      const bad = g6(8, evil, true, { nh });
      r.feed(headFirst ? head : bad);
      r.feed(headFirst ? bad : head);
      assert.equal(r.feed(s6(SEG, 32, 64)), false, `nh ${nh}, head first ${headFirst}`);
      assert.equal(r.stat("fragment.header_overlap"), 1);
      assert.equal(r.stat("fragment.overlap_discarded"), 1);
      assert.equal(r.stat("fragment.reassembled"), 0);
    }
  });

  test("a first fragment without every header through TCP is dropped (RFC 8200 §4.5, RFC 7112)", () => {
    // Fragmentable part: Destination Options (8 bytes, next header TCP), then TCP.
    const l4 = Buffer.concat([ext6(6), SEG]);
    const r = new Run();
    assert.equal(r.feed(s6(l4, 0, 8, { nh: 60 })), false, "only the Destination Options header");
    assert.equal(r.stat("fragment.incomplete_chain"), 1);
    assert.equal(r.feed(s6(l4, 8, l4.length, { nh: 60 })), false, "no first fragment to rebuild from");
    assert.equal(r.stat("fragment.reassembled"), 0);
    // A 16-byte Destination Options header cut by the end of the first fragment.
    const long = Buffer.concat([ext6(6, Buffer.alloc(14)), SEG]);
    const c = new Run();
    assert.equal(c.feed(s6(long, 0, 8, { nh: 60 })), false);
    assert.equal(c.stat("fragment.incomplete_chain"), 1);
    // The TCP header begins in the first fragment but is cut there.
    const t = new Run();
    assert.equal(t.feed(s6(l4, 0, 16, { nh: 60 })), false);
    assert.equal(t.stat("fragment.tiny_first"), 1);
    // The whole chain in the first fragment: rebuilt.
    const ok = new Run();
    assert.equal(ok.feed(s6(l4, 0, 32, { nh: 60 })), false);
    assert.equal(ok.feed(s6(l4, 32, l4.length, { nh: 60 })), true);
    assert.equal(ok.out.protocol, 6);
    assert.equal(ok.out.ipHeaderLen, 48, "IPv6 + Destination Options");
    assert.equal(payloadOf(ok.out), DATA.toString());
  });

  test("reassembly timeout is 60 s (RFC 8200 §4.5); IPv4 keeps 30 s", () => {
    const r = new Run();
    assert.equal(r.feed(s6(SEG, 0, 32), T0), false);
    assert.equal(r.feed(s6(SEG, 32, 64), T0 + 45 * SEC), true);
    assert.equal(r.stat("fragment.timeout"), 0);
    const late = new Run();
    late.feed(s6(SEG, 0, 32), T0);
    assert.equal(late.feed(s6(SEG, 32, 64), T0 + 61 * SEC), false);
    assert.equal(late.stat("fragment.timeout"), 1);
    // An IPv6 datagram waiting at the front does not hold back IPv4's earlier expiry.
    const mixed = new Run();
    mixed.feed(s6(SEG, 0, 32), T0);
    mixed.feed(f4(SEG, 0, 24), T0 + SEC);
    mixed.feed(f4(SEG, 0, 24, { id: 1 }), T0 + 32 * SEC);
    assert.equal(mixed.stat("fragment.timeout"), 1, "the IPv4 datagram only");
    assert.equal(mixed.dec.fragments.datagrams, 2);
    assert.equal(mixed.feed(s6(SEG, 32, 64), T0 + 33 * SEC), true);
  });

  test("timeout options: a caller's timeoutUs applies to both versions, ipv6TimeoutUs to IPv6 alone", () => {
    const both = new Run({ timeoutUs: 10 * SEC });
    both.feed(s6(SEG, 0, 32), T0);
    assert.equal(both.feed(s6(SEG, 32, 64), T0 + 11 * SEC), false);
    assert.equal(both.stat("fragment.timeout"), 1);
    const own = new Run({ ipv6TimeoutUs: 90 * SEC });
    own.feed(s6(SEG, 0, 32), T0);
    own.feed(f4(SEG, 0, 24), T0);
    assert.equal(own.feed(f4(SEG, 24, 64), T0 + 31 * SEC), false, "IPv4 still 30 s");
    assert.equal(own.feed(s6(SEG, 32, 64), T0 + 75 * SEC), true);
    assert.equal(own.dec.fragments.ipv6TimeoutUs, 90 * SEC);
    assert.equal(own.dec.fragments.timeoutUs, 30 * SEC);
  });

  test("discard markers and both versions share the datagram cap, oldest evicted first", () => {
    const e = new Run({ maxDatagrams: 2 });
    e.feed(s6(SEG, 0, 32, { id: 1 }));
    e.feed(f4(SEG, 0, 24, { id: 2 }));
    e.feed(s6(SEG, 0, 32, { id: 3 }));
    assert.equal(e.stat("fragment.evicted"), 1);
    assert.equal(e.feed(f4(SEG, 24, 64, { id: 2 })), true);
    assert.equal(e.feed(s6(SEG, 32, 64, { id: 3 })), true);
    assert.equal(e.feed(s6(SEG, 32, 64, { id: 1 })), false, "the oldest (IPv6) went first");
    const m = new Run({ maxDatagrams: 1 });
    m.feed(s6(SEG, 0, 32));
    m.feed(s6(SEG, 24, 40));
    assert.equal(m.stat("fragment.overlap_discarded"), 1);
    assert.equal(m.dec.fragments.datagrams, 1, "the marker takes a slot");
    m.feed(s6(SEG, 0, 32, { id: 8 }));
    assert.equal(m.stat("fragment.evicted"), 1);
    assert.equal(m.dec.fragments.datagrams, 1);
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
