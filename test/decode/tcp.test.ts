import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newTcpOptions, parseTcpOptions } from "../../src/decode/tcp.js";
import { ether, hex, ipv4, ipv6, tcp, udp } from "./build.js";
import { decodeOne, payloadOf } from "./util.js";

const v4 = (payload: Buffer, proto = 6) => ipv4({ src: "10.1.1.1", dst: "10.2.2.2", proto, payload });

describe("TCP header", () => {
  test("fields: sequence, acknowledgement, flags with NS, window, urgent, options area", () => {
    const opts = hex("020405b4 0402 080a 11223344 00000000 01 030307");
    const seg = tcp({
      sport: 51000,
      dport: 443,
      seq: 0xfedcba98,
      ack: 0x80000001,
      flags: 0x1c2, // NS + CWR + ECE + SYN
      win: 64240,
      urg: 7,
      options: opts,
      payload: Buffer.from("data"),
    });
    const { ok, out } = decodeOne(1, ether(0x0800, v4(seg)));
    assert.equal(ok, true);
    assert.equal(out.srcPort, 51000);
    assert.equal(out.dstPort, 443);
    assert.equal(out.tcpSeq, 0xfedcba98);
    assert.equal(out.tcpAck, 0x80000001);
    assert.equal(out.tcpFlags, 0x1c2);
    assert.equal(out.tcpWindow, 64240);
    assert.equal(out.tcpUrgent, 7);
    assert.equal(out.tcpOptOff, out.l4Off + 20);
    assert.equal(out.tcpOptLen, 20);
    assert.equal(out.payloadOff, out.l4Off + 40);
    assert.equal(payloadOf(out), "data");
    const o = newTcpOptions();
    assert.equal(parseTcpOptions(out.buf, out.tcpOptOff, out.tcpOptLen, o), true);
    assert.equal(o.mss, 1460);
    assert.equal(o.wscale, 7);
    assert.equal(o.tsVal, 0x11223344);
  });

  test("data offset below 5 or past the segment is malformed; past the capture truncated", () => {
    let r = decodeOne(101, v4(tcp({ sport: 1, dport: 2, doff: 4 })));
    assert.equal(r.dec.stats.get("malformed.tcp.data_offset"), 1);
    r = decodeOne(101, v4(tcp({ sport: 1, dport: 2, doff: 6 })));
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("malformed.tcp.data_offset"), 1);
    r = decodeOne(101, v4(tcp({ sport: 1, dport: 2, options: hex("01010101 01010101") })), { snap: 20 + 24 });
    assert.equal(r.ok, false);
    assert.equal(r.dec.stats.get("truncated.tcp"), 1);
    r = decodeOne(101, v4(hex("0001 0002 0000")));
    assert.equal(r.dec.stats.get("malformed.tcp.header_len"), 1);
    r = decodeOne(101, v4(tcp({ sport: 1, dport: 2 })), { snap: 30 });
    assert.equal(r.dec.stats.get("truncated.tcp"), 1);
  });

  test("snapped payload: header decoded, payload clipped, truncated flag", () => {
    const r = decodeOne(101, v4(tcp({ sport: 1, dport: 2, payload: Buffer.alloc(1000, 0x41) })), {
      snap: 96,
    });
    assert.equal(r.ok, true);
    assert.equal(r.out.truncated, true);
    assert.equal(r.out.payloadLen, 96 - 40);
  });
});

describe("parseTcpOptions", () => {
  const parse = (h: string) => {
    const o = newTcpOptions();
    const b = Buffer.concat([hex("ffff"), hex(h), hex("ffff")]); // guard bytes either side
    const ok = parseTcpOptions(b, 2, b.length - 4, o);
    return { ok, o, kinds: Array.from(o.kinds.subarray(0, o.count)) };
  };

  test("Linux SYN: MSS, SACK permitted, timestamps, NOP, window scale", () => {
    const { ok, o, kinds } = parse("020405b4 0402 080a 000a1b2c 00000000 01 030307");
    assert.equal(ok, true);
    assert.deepEqual(kinds, [2, 4, 8, 1, 3]);
    assert.equal(o.mss, 1460);
    assert.equal(o.sackPermitted, true);
    assert.equal(o.hasTimestamps, true);
    assert.equal(o.tsVal, 0x000a1b2c);
    assert.equal(o.tsEcr, 0);
    assert.equal(o.wscale, 7);
    assert.equal(o.eolSeen, false);
    assert.equal(o.malformed, false);
  });

  test("Windows SYN: MSS, NOP, WS, NOP, NOP, SACK permitted", () => {
    const { o, kinds } = parse("020405b4 01 030308 01 01 0402");
    assert.deepEqual(kinds, [2, 1, 3, 1, 1, 4]);
    assert.equal(o.wscale, 8);
    assert.equal(o.hasTimestamps, false);
  });

  test("EOL ends the list: padding counted, first non-zero byte after it located", () => {
    let r = parse("020405b4 00 000000");
    assert.deepEqual(r.kinds, [2, 0]);
    assert.equal(r.o.eolSeen, true);
    assert.equal(r.o.eolPad, 3);
    assert.equal(r.o.afterEolNonZeroAt, -1);
    assert.equal(r.ok, true);
    r = parse("030305 00 0007 0000");
    assert.equal(r.o.eolPad, 4);
    assert.equal(r.o.afterEolNonZeroAt, 5);
    assert.equal(r.o.wscale, 5);
    r = parse("00");
    assert.equal(r.o.eolPad, 0);
  });

  test("invalid lengths stop parsing and mark the area malformed", () => {
    let r = parse("01 0200 0000");
    assert.equal(r.ok, false);
    assert.equal(r.o.malformedAt, 1);
    assert.deepEqual(r.kinds, [1, 2]);
    r = parse("080a 0000 0000");
    assert.equal(r.ok, false);
    assert.equal(r.o.hasTimestamps, false);
    r = parse("01 02");
    assert.equal(r.ok, false, "kind without a length byte");
    r = parse("1e01");
    assert.equal(r.ok, false, "unknown kind with length 1");
  });

  test("known kinds with a wrong length are recorded but their values are not taken", () => {
    const r = parse("020505b400 01 040300");
    assert.equal(r.ok, false);
    assert.equal(r.o.malformed, true);
    assert.equal(r.o.malformedAt, -1, "parsing went on");
    assert.equal(r.o.mss, -1);
    assert.equal(r.o.sackPermitted, false);
    assert.deepEqual(r.kinds, [2, 1, 4]);
  });

  test("SACK blocks, unknown options (MPTCP 30, TCP-AO 29) and a 40-NOP area", () => {
    let r = parse("0101 050a 00000001 00000002");
    assert.equal(r.o.hasSack, true);
    assert.deepEqual(r.kinds, [1, 1, 5]);
    r = parse("1e0c 0081 00000000 00000000 1d04 0000");
    assert.deepEqual(r.kinds, [30, 29]);
    assert.equal(r.ok, true);
    r = parse("01".repeat(40));
    assert.equal(r.o.count, 40);
    r = parse("");
    assert.equal(r.ok, true);
    assert.equal(r.o.count, 0);
  });

  test("a reused struct is reset between calls", () => {
    const o = newTcpOptions();
    const a = hex("020405b4 0402 080a 00000001 00000002 00");
    parseTcpOptions(a, 0, a.length, o);
    const b = hex("01010101");
    parseTcpOptions(b, 0, b.length, o);
    assert.equal(o.mss, -1);
    assert.equal(o.hasTimestamps, false);
    assert.equal(o.eolSeen, false);
    assert.equal(o.count, 4);
  });
});

describe("UDP header", () => {
  test("length field rules the datagram; trailing IP bytes ignored", () => {
    const d = Buffer.concat([udp(53, 33333, Buffer.from("answer")), Buffer.from("junk")]);
    const { ok, out } = decodeOne(101, v4(d, 17));
    assert.equal(ok, true);
    assert.equal(payloadOf(out), "answer");
    assert.equal(out.tcpFlags, 0);
  });

  test("length below 8 or beyond the IP payload is malformed; 0 means the IP length", () => {
    let r = decodeOne(101, v4(udp(1, 2, Buffer.alloc(4), 7), 17));
    assert.equal(r.dec.stats.get("malformed.udp.length"), 1);
    r = decodeOne(101, v4(udp(1, 2, Buffer.alloc(4), 13), 17));
    assert.equal(r.dec.stats.get("malformed.udp.length"), 1);
    r = decodeOne(101, ipv6({ src: "::1", dst: "::2", nh: 17, payload: udp(1, 2, Buffer.from("jumbo"), 0) }));
    assert.equal(r.ok, true);
    assert.equal(payloadOf(r.out), "jumbo");
    r = decodeOne(101, v4(hex("0001 0002 00"), 17));
    assert.equal(r.dec.stats.get("malformed.udp.header_len"), 1);
    r = decodeOne(101, v4(udp(1, 2, Buffer.alloc(4)), 17), { snap: 25 });
    assert.equal(r.dec.stats.get("truncated.udp"), 1);
  });

  test("snapped datagram: header decoded, payload clipped", () => {
    const r = decodeOne(101, v4(udp(1, 2, Buffer.alloc(500)), 17), { snap: 60 });
    assert.equal(r.ok, true);
    assert.equal(r.out.truncated, true);
    assert.equal(r.out.payloadLen, 60 - 28);
  });
});
