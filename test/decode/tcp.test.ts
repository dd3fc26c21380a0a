import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseTcpOptions } from "../../src/fingerprint/tcp/tcp-options.js";
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
    const o = parseTcpOptions(out.buf, out.tcpOptOff, out.tcpOptLen);
    assert.equal(o.malformed, false);
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
