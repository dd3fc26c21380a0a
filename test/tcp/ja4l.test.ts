import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  HandshakeStep,
  handshakeStep,
  Ja4lHandshake,
  ja4lClient,
  ja4lServer,
  ja4lValue,
} from "../../src/fingerprint/tcp/ja4l.js";
import { skipWithoutCorpus } from "../helpers/shared.js";
import { connectionOf, corpusCaptures, corpusTcpPackets, expectedTcpRecords } from "./corpus.js";

describe("JA4L (TCP)", () => {
  // JA4L.md gives JA4L-C = 11_128 and JA4L-S = 1759_42; timestamps chosen to produce them:
  // A = SYN (client TTL 128), B = A + 3518 µs (server TTL 42), C = B + 22 µs.
  test("JA4L.md example values from hand-worked timestamps", () => {
    const a = 1_700_000_000_000_000;
    const b = a + 3518;
    const c = b + 22;
    assert.equal(ja4lClient(b, c, 128), "11_128");
    assert.equal(ja4lServer(a, b, 42), "1759_42");
  });

  test("halves are truncated integer microseconds", () => {
    assert.equal(ja4lValue(0, 15, 64), "7_64");
    assert.equal(ja4lValue(100, 101, 128), "0_128");
    assert.equal(ja4lValue(0, 0, 255), "0_255");
    assert.equal(ja4lValue(0, 4_438_000, 57), "2219000_57");
  });

  test("handshake steps by flags", () => {
    assert.equal(handshakeStep(0x02), HandshakeStep.Syn);
    assert.equal(handshakeStep(0xc2), HandshakeStep.Syn);
    assert.equal(handshakeStep(0x12), HandshakeStep.SynAck);
    assert.equal(handshakeStep(0x52), HandshakeStep.SynAck);
    assert.equal(handshakeStep(0x10), HandshakeStep.Ack);
    assert.equal(handshakeStep(0x18), HandshakeStep.Ack);
    assert.equal(handshakeStep(0x11), HandshakeStep.None);
    assert.equal(handshakeStep(0x14), HandshakeStep.None);
  });

  test("state machine: first SYN, then first SYN-ACK, then first ACK", () => {
    const h = new Ja4lHandshake();
    assert.equal(h.observe(0x10, 5, 64), false, "ACK before SYN ignored");
    assert.equal(h.observe(0x12, 6, 64), false, "SYN-ACK before SYN ignored");
    h.observe(0x02, 1000, 128);
    h.observe(0x02, 3000, 128); // retransmitted SYN: the first one counts
    assert.equal(h.client(), undefined);
    assert.equal(h.server(), undefined);
    h.observe(0x12, 5000, 50);
    assert.equal(h.server(), "2000_50");
    assert.equal(h.synToSynAckMs(), 4);
    assert.equal(h.observe(0x10, 5100, 200), true);
    assert.equal(h.client(), "50_128");
    h.observe(0x12, 9000, 1); // later packets change nothing
    assert.equal(h.server(), "2000_50");
    assert.equal(h.clientTtlValue, 128);
    h.reset();
    assert.equal(h.complete, false);
  });

  test("equals the corpus ja4l_c / ja4l_s of every TCP record", { skip: skipWithoutCorpus() }, async (t) => {
    let n = 0;
    for (const name of corpusCaptures()) {
      const records = expectedTcpRecords(name).filter((r) => r.ja4l_c != null || r.ja4l_s != null);
      if (records.length === 0) continue;
      const packets = await corpusTcpPackets(name);
      for (const r of records) {
        const h = new Ja4lHandshake();
        for (const p of connectionOf(packets, r).packets) h.observe(p.tcpFlags, p.tsUs, p.ttl);
        if (r.ja4l_c != null) assert.equal(h.client(), r.ja4l_c, `${name} stream ${r.stream} ja4l_c`);
        if (r.ja4l_s != null) assert.equal(h.server(), r.ja4l_s, `${name} stream ${r.stream} ja4l_s`);
        n++;
      }
    }
    t.diagnostic(`${n} corpus TCP connections: ja4l_c and ja4l_s equal`);
    assert.ok(n >= 25);
  });
});
