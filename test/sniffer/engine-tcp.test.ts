/**
 * Engine-level TCP analyzers on hand-built packets: tcp_flow_timing (DECNET semantics),
 * ipv6_link_local_leak, tcp_syn_fingerprint and JA4T/JA4L in the connection record.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SnifferEngine } from "../../src/sniffer/engine.js";
import type { Ja4Record } from "../../src/sniffer/ja4-record.js";
import type { Observation } from "../../src/sniffer/observation.js";
import { ether, frameOf, hex, ipv4, ipv6, tcp } from "../decode/build.js";

interface Pkt {
  tsUs: number;
  frame: Buffer;
}

function run(pkts: Pkt[], analyzers?: ("tcp" | "timing" | "ipv6")[]) {
  const obs: Observation[] = [];
  const records: Ja4Record[] = [];
  const e = new SnifferEngine({
    analyzers,
    onObservation: (o) => obs.push(o),
    onFlowRecord: (r) => records.push(structuredClone(r)),
  });
  for (const p of pkts) e.handleFrame(frameOf(1, p.frame, { tsUs: p.tsUs }));
  e.finish();
  return { obs, records };
}

const T0 = 1_700_000_000_000_000;
const A = "203.0.113.9";
const D = "10.13.0.10";

function v4(
  tsUs: number,
  fromA: boolean,
  flags: number,
  seq: number,
  payload?: Buffer,
  options?: Buffer,
  ttl = 64,
  win = 65535,
): Pkt {
  const t = tcp({
    sport: fromA ? 50000 : 22,
    dport: fromA ? 22 : 50000,
    seq,
    ack: 0,
    flags,
    payload,
    options,
    win,
  });
  return {
    tsUs,
    frame: ether(
      0x0800,
      ipv4({ src: fromA ? A : D, dst: fromA ? D : A, proto: 6, payload: t, ttl, df: true }),
    ),
  };
}

describe("engine TCP analyzers", () => {
  test("tcp_flow_timing: packets, bytes, duration, IATs and a retransmit, worked out by hand", () => {
    const data = Buffer.from("hello");
    const { obs } = run(
      [
        v4(T0, true, 0x02, 100),
        v4(T0 + 10_000, false, 0x12, 900),
        v4(T0 + 30_000, true, 0x10, 101),
        v4(T0 + 60_000, true, 0x18, 101, data),
        v4(T0 + 460_000, true, 0x18, 101, data), // retransmission of the same segment
        v4(T0 + 1_460_000, true, 0x11, 106),
        v4(T0 + 1_470_000, false, 0x11, 901),
      ],
      ["timing"],
    );
    const t = obs.find((o) => o.eventType === "tcp_flow_timing");
    assert.ok(t);
    // 7 packets, 10 payload bytes; IATs 10, 20, 30, 400, 1000, 10 ms.
    assert.deepEqual(
      { ...t.fields },
      {
        src_ip: A,
        src_port: "50000",
        dst_ip: D,
        dst_port: "22",
        packets: "7",
        bytes: "10",
        duration_s: "1.47",
        mean_iat_ms: "245.0",
        min_iat_ms: "10.0",
        max_iat_ms: "1000.0",
        retransmits: "1",
      },
    );
  });

  test("the connection record carries the flow timing beside JA4T", () => {
    const { records } = run(
      [
        v4(T0, true, 0x02, 1),
        v4(T0 + 1000, false, 0x12, 9),
        v4(T0 + 2000, true, 0x10, 2),
        v4(T0 + 3000, true, 0x11, 2),
        v4(T0 + 4000, false, 0x11, 10),
      ],
      ["tcp", "timing"],
    );
    assert.equal(records.length, 1);
    assert.deepEqual(records[0].flow_timing, {
      packets: "5",
      bytes: "0",
      duration_s: "0.004",
      mean_iat_ms: "1.0",
      min_iat_ms: "1.0",
      max_iat_ms: "1.0",
      retransmits: "0",
    });
  });

  test("tcp_flow_timing: scan probes are not reported", () => {
    const { obs } = run([v4(T0, true, 0x02, 1), v4(T0 + 500, false, 0x14, 0)], ["timing"]);
    assert.equal(obs.filter((o) => o.eventType === "tcp_flow_timing").length, 0);
  });

  test("ipv6_link_local_leak: EUI-64 interface id gives the MAC and OUI; a random one does not", () => {
    const mk = (src: string): Pkt => ({
      tsUs: T0,
      frame: ether(
        0x86dd,
        ipv6({ src, dst: "fe80::1", nh: 6, payload: tcp({ sport: 40000, dport: 80, flags: 0x02 }) }),
      ),
    });
    const { obs } = run([mk("fe80::211:22ff:fe33:4455"), mk("fe80::1234:5678:9abc:def0")], ["ipv6"]);
    const leaks = obs.filter((o) => o.eventType === "ipv6_link_local_leak");
    assert.equal(leaks.length, 2);
    assert.equal(leaks[0].fields.link_local_ip, "fe80::211:22ff:fe33:4455");
    assert.equal(leaks[0].fields.interface_id_kind, "eui64");
    assert.equal(leaks[0].fields.mac, "00:11:22:33:44:55"); // 0x02 ^ 0x02: the U/L bit flipped back
    assert.equal(leaks[0].fields.oui, "00:11:22");
    assert.equal(leaks[1].fields.interface_id_kind, "random");
    assert.equal(leaks[1].fields.mac, undefined);
  });

  test("nmap -sS SYN → tcp_syn_fingerprint os_guess nmap, JA4T in the record", () => {
    // nmap's SYN: window 1024, options MSS 1460 only (mss), TTL ~ 40-60.
    const mss = hex("02 04 05 b4");
    const { obs, records } = run([v4(T0, true, 0x02, 12345, undefined, mss, 52, 1024)], ["tcp"]);
    const s = obs.find((o) => o.eventType === "tcp_syn_fingerprint");
    assert.ok(s);
    assert.equal(s.fields.os_guess, "nmap");
    assert.equal(s.fields.window, "1024");
    assert.equal(s.fields.mss, "1460");
    assert.equal(s.fields.options_sig, "M");
    assert.equal(s.fields.ttl, "52");
    assert.equal(s.fields.initial_ttl, "64");
    assert.equal(s.fields.hop_distance, "12");
    assert.equal(s.fields.ipid_class, "unknown"); // below 4 samples
    // JA4T: window _ option kinds _ MSS _ window scale (none → 0).
    assert.equal(records[0].ja4t, "1024_2_1460_0");
    // The connection record carries the SYN's verdict too (a key the reference lacks).
    assert.equal(records[0].os_guess, "nmap");
  });

  test("Windows SYN (TTL 128, its option layout) → windows", () => {
    const opts = hex("02 04 05 b4 01 03 03 08 01 01 04 02");
    const { obs } = run([v4(T0, true, 0x02, 1, undefined, opts, 128, 64240)], ["tcp"]);
    const s = obs.find((o) => o.eventType === "tcp_syn_fingerprint");
    assert.equal(s?.fields.os_guess, "windows");
    assert.equal(s?.fields.options_sig, "M,N,W,N,N,S");
  });

  test("JA4L from the handshake: (SYN-ACK − SYN)/2 with the server TTL, (ACK − SYN-ACK)/2 with the client TTL", () => {
    const { records } = run(
      [
        v4(T0, true, 0x02, 1, undefined, undefined, 50),
        v4(T0 + 4000, false, 0x12, 7, undefined, undefined, 60),
        v4(T0 + 4300, true, 0x10, 2, undefined, undefined, 50),
      ],
      ["tcp"],
    );
    assert.equal(records[0].ja4l_s, "2000_60");
    assert.equal(records[0].ja4l_c, "150_50");
  });

  test("JA4TS fifth part: the server's SYN-ACK retransmissions and its RST (FoxIO JA4T.md example)", () => {
    // The spec's own example times: SYN-ACKs at 16.681435, 17.683799, 19.691548, 23.703045
    // and 31.714762 s, then the server's RST at 37.723966 s → 1-2-4-8-R6.
    const synAckOpts = Buffer.from([2, 4, 0xff, 0xd7, 1, 3, 3, 8, 1, 1, 4, 2]); // MSS 65495, WS 8, SACK
    const s = (t: number) => Math.round(t * 1e6);
    const pkts = [v4(s(16.5), true, 0x02, 100)];
    for (const t of [16.681435, 17.683799, 19.691548, 23.703045, 31.714762])
      pkts.push(v4(s(t), false, 0x12, 900, undefined, synAckOpts, 64, 65535));
    pkts.push(v4(s(37.723966), false, 0x04, 901));
    const { records } = run(pkts, ["tcp"]);
    assert.equal(records.length, 1);
    assert.equal(records[0].ja4ts, "65535_2-1-3-1-1-4_65495_8_1-2-4-8-R6");
  });

  test("JA4TS without retransmissions has no fifth part; a retransmission alone adds its gap", () => {
    const s = (t: number) => Math.round(t * 1e6);
    const base = [v4(s(1), true, 0x02, 100), v4(s(1.1), false, 0x12, 900, undefined, undefined, 64, 29200)];
    // No options: empty list, MSS and scale 0, as the corpus reference writes them
    // (e.g. "ja4t": "8192__0_0" in the corpus' expected records).
    assert.equal(run(base, ["tcp"]).records[0].ja4ts, "29200__0_0");
    const again = [...base, v4(s(2.2), false, 0x12, 900, undefined, undefined, 64, 29200)];
    assert.equal(run(again, ["tcp"]).records[0].ja4ts, "29200__0_0_1");
  });

  test("JA4L only in the handshake's order: a SYN-ACK captured before its SYN gives none, not a negative latency", () => {
    const { records } = run(
      [
        v4(T0, false, 0x12, 900),
        v4(T0 + 300, true, 0x02, 100),
        v4(T0 + 1300, true, 0x10, 101),
        v4(T0 + 2300, true, 0x18, 101, Buffer.from("x")),
      ],
      ["tcp"],
    );
    assert.equal(records.length, 1);
    assert.equal(records[0].ja4l_c, undefined);
    assert.equal(records[0].ja4l_s, undefined);
  });
});
