/**
 * Where one TCP connection ends and the next begins, on hand-built packets: port reuse
 * (tshark's rule: a SYN after FIN/RST, or from another initial sequence number), resets
 * (taken only at their sender's exact sequence number, RFC 5961 §3.2), data on a SYN
 * (RFC 9293 §3.4: it starts at ISN + 1), several holes before the flow ends, and UDP
 * orientation without a decky map.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { newDecodedPacket } from "../../src/decode/packet.js";
import { FlowTable } from "../../src/flow/flow-table.js";
import { SnifferEngine } from "../../src/sniffer/engine.js";
import type { Ja4Record } from "../../src/sniffer/ja4-record.js";
import type { Observation } from "../../src/sniffer/observation.js";
import { ether, frameOf, ipv4, tcp, udp, vxlan } from "../decode/build.js";
import { runSegments, type Segment } from "../helpers/tcp-session.js";
import { clientHelloBody, handshake, record, sniExt } from "../tls/build.js";

const CLIENT = "198.51.100.7";
const SERVER = "10.13.0.10";
const CPORT = 40000;
const SPORT = 443;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
const FIN_ACK = 0x11;
const PSH_ACK = 0x18;

type Seg = Segment;

function run(segs: Seg[]) {
  const { records, obs, engine } = runSegments(segs, {
    ends: { client: CLIENT, server: SERVER, clientPort: CPORT, serverPort: SPORT },
  });
  const sni = obs.filter((o) => o.eventType === "tls_client_hello").map((o) => o.fields.sni);
  return { records, obs, sni, stats: engine.stats, flows: engine.table.flowsCreated };
}

const hello = (name: string) =>
  record(22, handshake(1, clientHelloBody({ ciphers: [0x1301], extensions: [sniExt(name)] })));

/** SYN, SYN-ACK, ACK and a ClientHello naming `name`. */
function connection(cisn: number, sisn: number, name: string): Seg[] {
  return [
    { fromClient: true, flags: SYN, seq: cisn },
    { fromClient: false, flags: SYN | ACK, seq: sisn },
    { fromClient: true, flags: ACK, seq: cisn + 1 },
    { fromClient: true, flags: PSH_ACK, seq: cisn + 1, payload: hello(name) },
  ];
}

describe("engine: connection boundaries", () => {
  test("a new SYN from another ISN on the same ports is a new connection, even without FIN", () => {
    const { records, sni } = run([
      ...connection(1000, 5000, "first.example"),
      ...connection(900_000, 7000, "second.example"),
    ]);
    assert.deepEqual(sni, ["first.example", "second.example"]);
    assert.deepEqual(
      records.map((r) => [r.stream, r.tls_server_name, typeof r.ja4t]),
      [
        [0, "first.example", "string"],
        [1, "second.example", "string"],
      ],
    );
  });

  test("a new SYN after one side's FIN is a new connection, even with the same ISN", () => {
    const { records, sni } = run([
      ...connection(1000, 5000, "first.example"),
      { fromClient: true, flags: FIN_ACK, seq: 1001 + hello("first.example").length },
      ...connection(1000, 5000, "again.example"),
    ]);
    assert.deepEqual(sni, ["first.example", "again.example"]);
    assert.equal(records.length, 2);
  });

  test("a retransmitted SYN (same ISN) stays in its connection", () => {
    const segs = connection(1000, 5000, "one.example");
    const { records } = run([segs[0], segs[0], ...segs.slice(1)]);
    assert.equal(records.length, 1);
    assert.equal(records[0].tls_server_name, "one.example");
  });

  test("an off-sequence RST is ignored: the connection and its analysis go on", () => {
    const segs = connection(1000, 5000, "after-rst.example");
    const { records, sni, stats } = run([
      ...segs.slice(0, 3),
      { fromClient: true, flags: RST, seq: 1001 + 2 ** 30 },
      segs[3],
    ]);
    assert.deepEqual(sni, ["after-rst.example"]);
    assert.equal(records.length, 1);
    assert.equal(typeof records[0].ja4t, "string"); // SYN and ClientHello in one record
    assert.equal(typeof records[0].ja4, "string");
    assert.equal(stats.get("tcp.rst_off_sequence"), 1);
  });

  test("a RST at the sender's sequence number ends the connection; late packets stay in it", () => {
    const { records, sni } = run([
      ...connection(1000, 5000, "reset.example"),
      { fromClient: true, flags: RST, seq: 1001 + hello("reset.example").length },
      { fromClient: false, flags: ACK, seq: 5001 }, // late: no new stream
      { fromClient: true, flags: PSH_ACK, seq: 99, payload: hello("ignored.example") }, // after the reset
      ...connection(50_000, 9000, "next.example"),
    ]);
    assert.deepEqual(sni, ["reset.example", "next.example"]);
    assert.deepEqual(
      records.map((r) => r.stream),
      [0, 1],
    );
  });

  test("a reset is remembered for 1 s of packet time: a packet after that starts a flow", () => {
    const rst = { fromClient: true, flags: RST, seq: 1001 + hello("a.example").length };
    const late = (afterUs: number) =>
      run([
        ...connection(1000, 5000, "a.example"),
        rst,
        { fromClient: false, flags: ACK, seq: 5001, afterUs },
      ]);
    const within = late(999_000);
    assert.equal(within.stats.get("tcp.after_reset"), 1);
    assert.equal(within.flows, 1);
    const after = late(1_000_000);
    assert.equal(after.stats.get("tcp.after_reset"), 0);
    assert.equal(after.flows, 2);
  });

  test("a RST from a side that never sent (a closed port's RST-ACK) ends the probe", () => {
    const { records } = run([
      { fromClient: true, flags: SYN, seq: 1000 },
      { fromClient: false, flags: RST | ACK, seq: 0 },
      { fromClient: true, flags: SYN, seq: 1000 }, // the scanner's retry is a new probe
    ]);
    assert.deepEqual(
      records.map((r) => r.stream),
      [0, 1],
    );
  });

  test("data on a SYN (TCP Fast Open) starts at ISN + 1, and the next segment follows it", () => {
    const stream = hello("tfo.example");
    const { sni } = run([
      { fromClient: true, flags: SYN, seq: 1000, payload: stream.subarray(0, 20) },
      { fromClient: false, flags: SYN | ACK, seq: 5000 },
      { fromClient: true, flags: PSH_ACK, seq: 1001 + 20, payload: stream.subarray(20) },
    ]);
    assert.deepEqual(sni, ["tfo.example"]);
  });

  test("several holes that never fill: the ClientHello behind them is read when the flow ends", () => {
    // Three alerts-sized chunks of junk with two 10-byte holes between them, then a hello.
    const junk = Buffer.alloc(7, 0x15);
    const h = hello("behind-two-holes.example");
    let seq = 1001;
    const segs: Seg[] = connection(1000, 5000, "x").slice(0, 3);
    for (const part of [junk, junk]) {
      segs.push({ fromClient: true, flags: PSH_ACK, seq, payload: part });
      seq += part.length + 10; // 10 bytes the capture lost
    }
    segs.push({ fromClient: true, flags: PSH_ACK, seq, payload: h });
    seq += h.length;
    segs.push({ fromClient: true, flags: FIN_ACK, seq }, { fromClient: false, flags: FIN_ACK, seq: 5001 });
    const { sni } = run(segs);
    assert.deepEqual(sni, ["behind-two-holes.example"]);
  });
});

describe("flow table: UDP orientation without a decky map", () => {
  const dgram = (src: number, sport: number, dst: number, dport: number, tsUs: number) => {
    const p = newDecodedPacket();
    p.buf = Buffer.alloc(32);
    p.buf.writeUInt32BE(src, 0);
    p.buf.writeUInt32BE(dst, 16);
    p.ipVersion = 4;
    p.srcOff = 0;
    p.dstOff = 16;
    p.protocol = 17;
    p.srcPort = sport;
    p.dstPort = dport;
    p.tsUs = tsUs;
    return p;
  };

  test("a reply from a well-known port seen first does not make the server the client", () => {
    const table = new FlowTable({}, () => {});
    const flow = table.lookup(dgram(0x0a000001, 53, 0xc6336407, 53000, 1));
    assert.equal(flow.serverPort, 53);
    assert.equal(flow.clientPort, 53000);
    assert.equal(table.lookup(dgram(0xc6336407, 53000, 0x0a000001, 53, 2)), flow);
    assert.equal(table.fromClient, true);
  });

  test("without a well-known port the first sender is the client", () => {
    const table = new FlowTable({}, () => {});
    const flow = table.lookup(dgram(0x0a000001, 40000, 0xc6336407, 50000, 1));
    assert.equal(flow.clientPort, 40000);
  });
});

describe("engine: the same inner tuple in two tunnels", () => {
  test("VXLAN behind other tunnel endpoints is another flow; each direction's VNI may differ", () => {
    const obs: Observation[] = [];
    const records: Ja4Record[] = [];
    const engine = new SnifferEngine({
      onObservation: (o) => obs.push(o),
      onFlowRecord: (r) => records.push(structuredClone(r)),
    });
    let ts = 1_700_000_000_000_000;
    const send = (vtep: string, s: Seg) => {
      const inner = ether(
        0x0800,
        ipv4({
          src: s.fromClient ? CLIENT : SERVER,
          dst: s.fromClient ? SERVER : CLIENT,
          proto: 6,
          payload: tcp({
            sport: s.fromClient ? CPORT : SPORT,
            dport: s.fromClient ? SPORT : CPORT,
            seq: s.seq >>> 0,
            flags: s.flags,
            payload: s.payload,
          }),
        }),
      );
      // Tenant VTEP ↔ 192.0.2.100; VNI 100 one way, 101 the other.
      const [src, dst, vni] = s.fromClient ? [vtep, "192.0.2.100", 100] : ["192.0.2.100", vtep, 101];
      const outer = ether(
        0x0800,
        ipv4({ src, dst, proto: 17, payload: udp(50000, 4789, vxlan(vni, inner)) }),
      );
      ts += 1000;
      engine.handleFrame(frameOf(1, outer, { tsUs: ts }));
    };
    const a = connection(1000, 5000, "tenant-a.example");
    const b = connection(1000, 5000, "tenant-b.example");
    for (let i = 0; i < a.length; i++) {
      send("192.0.2.1", a[i]);
      send("192.0.2.2", b[i]);
    }
    engine.finish();
    const sni = obs.filter((o) => o.eventType === "tls_client_hello").map((o) => o.fields.sni);
    assert.deepEqual(sni, ["tenant-a.example", "tenant-b.example"]);
    assert.equal(records.length, 2);
  });
});

describe("engine: a packet with a bad timestamp", () => {
  test("one frame a year ahead does not end the connections in progress", () => {
    const h = hello("split.example");
    const obs: Observation[] = [];
    const engine = new SnifferEngine({ onObservation: (o) => obs.push(o) });
    const t0 = 1_700_000_000_000_000;
    const seg = (fromClient: boolean, flags: number, seq: number, tsUs: number, payload?: Buffer) =>
      engine.handleFrame(
        frameOf(
          1,
          ether(
            0x0800,
            ipv4({
              src: fromClient ? CLIENT : SERVER,
              dst: fromClient ? SERVER : CLIENT,
              proto: 6,
              payload: tcp({
                sport: fromClient ? CPORT : SPORT,
                dport: fromClient ? SPORT : CPORT,
                seq,
                flags,
                payload,
              }),
            }),
          ),
          { tsUs },
        ),
      );
    seg(true, SYN, 1000, t0);
    seg(false, SYN | ACK, 5000, t0 + 1000);
    seg(true, PSH_ACK, 1001, t0 + 2000, h.subarray(0, 30));
    // Other hosts, one frame stamped a year later.
    engine.handleFrame(
      frameOf(
        1,
        ether(
          0x0800,
          ipv4({ src: "192.0.2.1", dst: "192.0.2.2", proto: 17, payload: udp(5000, 6000, Buffer.from("x")) }),
        ),
        {
          tsUs: t0 + 365 * 86_400_000_000,
        },
      ),
    );
    seg(true, PSH_ACK, 1031, t0 + 3000, h.subarray(30));
    engine.finish();
    assert.deepEqual(
      obs.filter((o) => o.eventType === "tls_client_hello").map((o) => o.fields.sni),
      ["split.example"],
    );
    assert.equal(engine.stats.get("time.jump_sweep_deferred"), 1);
  });

  test("a flow active 'in the future' does not hold up the idle timeout of the flows behind it", () => {
    const table = new FlowTable({}, () => {});
    const pkt = (src: number, tsUs: number) => {
      const p = newDecodedPacket();
      p.buf = Buffer.alloc(32);
      p.buf.writeUInt32BE(src, 0);
      p.buf.writeUInt32BE(0x0a0d000a, 16);
      p.ipVersion = 4;
      p.srcOff = 0;
      p.dstOff = 16;
      p.protocol = 6;
      p.srcPort = 40000;
      p.dstPort = 443;
      p.tcpFlags = 0x10;
      p.tsUs = tsUs;
      return p;
    };
    const t0 = 1_700_000_000_000_000;
    table.lookup(pkt(0xc6336401, t0 + 365 * 86_400_000_000)); // the bad one, at the head
    table.lookup(pkt(0xc6336402, t0));
    assert.equal(table.size, 2);
    table.sweepIdle(t0 + 16_000_000); // past the 15 s timeout of flows without payload
    assert.equal(table.size, 1); // the second flow ended; the first now counts from here
    table.sweepIdle(t0 + 32_000_000);
    assert.equal(table.size, 0);
  });
});

describe("engine: one packet's failure", () => {
  test("handleFrameSafely counts an exception and goes on with the next packet", () => {
    const obs: Observation[] = [];
    const engine = new SnifferEngine({ onObservation: (o) => obs.push(o), analyzers: ["tcp"] });
    const syn = (sport: number) =>
      frameOf(
        1,
        ether(
          0x0800,
          ipv4({ src: CLIENT, dst: SERVER, proto: 6, payload: tcp({ sport, dport: 22, flags: SYN }) }),
        ),
        { tsUs: 1_700_000_000_000_000 + sport },
      );
    // A decoder that fails once, standing in for a parser bug on a hostile packet.
    const decode = engine.decoder.decode.bind(engine.decoder);
    let calls = 0;
    engine.decoder.decode = (f, out) => {
      if (++calls === 2) throw new Error("boom");
      return decode(f, out);
    };
    for (const port of [40001, 40002, 40003]) engine.handleFrameSafely(syn(port));
    engine.finish();
    assert.equal(engine.stats.get("engine.packet_exception"), 1);
    assert.equal(engine.firstFailure, "boom");
    assert.deepEqual(
      obs.filter((o) => o.eventType === "tcp_syn_fingerprint").map((o) => o.fields.src_port),
      ["40001", "40003"],
    );
  });
});
