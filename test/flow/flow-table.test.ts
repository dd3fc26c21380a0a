// The flow table against a model (a Map keyed by the canonical 5-tuple text): whatever the
// mix of IPv4/IPv6 endpoints, directions, ends and idle sweeps, and while the hash table grows
// and shrinks with the live flows, a packet finds the one live flow of its conversation (both
// directions), a new conversation gets a new flow, and the size and bounds hold.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type DecodedPacket, newDecodedPacket } from "../../src/decode/packet.js";
import type { Flow } from "../../src/flow/flow.js";
import { FlowTable } from "../../src/flow/flow-table.js";

interface Endpoints {
  v6: boolean;
  /** Address index (a small space, so tuples collide and repeat). */
  src: number;
  dst: number;
  sport: number;
  dport: number;
  udp: boolean;
}

function packet(e: Endpoints, tsUs: number, flags = 0x10): DecodedPacket {
  const p = newDecodedPacket();
  const b = Buffer.alloc(32);
  if (e.v6) {
    b.writeUInt32BE(0x20010db8, 0);
    b.writeUInt32BE(e.src, 12);
    b.writeUInt32BE(0x20010db8, 16);
    b.writeUInt32BE(e.dst, 28);
  } else {
    b.writeUInt32BE(0x0a000000 + e.src, 0);
    b.writeUInt32BE(0x0a000000 + e.dst, 16);
  }
  p.buf = b;
  p.ipVersion = e.v6 ? 6 : 4;
  p.srcOff = 0;
  p.dstOff = 16;
  p.protocol = e.udp ? 17 : 6;
  p.srcPort = e.sport;
  p.dstPort = e.dport;
  p.tsUs = tsUs;
  p.tcpFlags = flags;
  return p;
}

/** Direction-free identity of a conversation, written independently of FlowKey. */
function tupleText(e: Endpoints): string {
  const a = `${e.src}:${e.sport}`;
  const b = `${e.dst}:${e.dport}`;
  return `${e.v6 ? 6 : 4}/${e.udp ? "udp" : "tcp"}/${a < b ? `${a}-${b}` : `${b}-${a}`}`;
}

const endpoints = fc.record({
  v6: fc.boolean(),
  src: fc.integer({ min: 0, max: 40 }),
  dst: fc.integer({ min: 0, max: 40 }),
  sport: fc.constantFrom(443, 22, 50000, 50001),
  dport: fc.constantFrom(443, 22, 50000, 50001),
  udp: fc.boolean(),
});

const op = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("packet" as const), e: endpoints }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("end" as const), e: endpoints }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("sweep" as const), advanceS: fc.integer({ min: 0, max: 200 }) }),
  },
);

describe("FlowTable", () => {
  test("model: one live flow per conversation, found from both directions, ended exactly when idle (3,000 op sequences)", () => {
    const IDLE = { tcp: 15_000_000, udp: 60_000_000 }; // a flow without payload; UDP
    // Also from a few conversations only, so that they are active again between sweeps.
    const fewEndpoints = fc.record({
      v6: fc.boolean(),
      src: fc.integer({ min: 0, max: 2 }),
      dst: fc.integer({ min: 0, max: 2 }),
      sport: fc.constantFrom(443, 50000),
      dport: fc.constantFrom(443, 50000),
      udp: fc.boolean(),
    });
    const fewOps = fc.oneof(
      { weight: 8, arbitrary: fc.record({ kind: fc.constant("packet" as const), e: fewEndpoints }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("end" as const), e: fewEndpoints }) },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant("sweep" as const),
          advanceS: fc.integer({ min: 0, max: 70 }),
        }),
      },
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.array(op, { maxLength: 300 }), fc.array(fewOps, { minLength: 100, maxLength: 300 })),
        (ops) => {
          const ended = new Set<Flow>();
          const table = new FlowTable({}, (f) => ended.add(f));
          const model = new Map<string, { flow: Flow; lastTs: number; udp: boolean }>();
          let now = 1_000_000;
          for (const o of ops) {
            now += 1000;
            if (o.kind === "sweep") {
              now += o.advanceS * 1_000_000;
              table.sweepIdle(now);
              // Exactly the flows idle past their timeout are gone, whatever the order of activity.
              for (const [k, m] of model) {
                const idle = m.lastTs < now - (m.udp ? IDLE.udp : IDLE.tcp);
                assert.equal(m.flow.live, !idle, `${k}: last active ${(now - m.lastTs) / 1e6} s ago`);
                if (idle) model.delete(k);
              }
            } else if (o.kind === "end") {
              const m = model.get(tupleText(o.e));
              if (m !== undefined) {
                table.end(m.flow, "fin");
                model.delete(tupleText(o.e));
              }
            } else {
              const f = table.lookup(packet(o.e, now));
              const k = tupleText(o.e);
              const known = model.get(k);
              if (known !== undefined) assert.equal(f, known.flow, `${k} found again`);
              else {
                for (const other of model.values())
                  assert.notEqual(f, other.flow, `${k} got another conversation's flow`);
              }
              model.set(k, { flow: f, lastTs: now, udp: o.e.udp });
              assert.ok(f.live);
            }
            assert.equal(table.size, model.size);
          }
        },
      ),
      { seed: 0xf10e, numRuns: 3000 },
    );
  });

  test("grows with thousands of live flows and shrinks back, finding every flow throughout", () => {
    const table = new FlowTable({ maxFlows: 50_000 }, () => undefined);
    const flows: Flow[] = [];
    const es: Endpoints[] = [];
    for (let i = 0; i < 40_000; i++) {
      const e = {
        v6: i % 3 === 0,
        src: i,
        dst: 100_000 + (i % 7),
        sport: 1024 + (i % 50_000),
        dport: 443,
        udp: false,
      };
      es.push(e);
      flows.push(table.lookup(packet(e, 1_000_000 + i)));
    }
    assert.equal(table.size, 40_000);
    // Both directions find the flow created by the first packet: every flow, those whose
    // creation made the buckets grow (the 1,025th, 2,049th, ...) included.
    for (let i = 0; i < es.length; i++) {
      const e = es[i];
      assert.equal(table.lookup(packet(e, 2_000_000)), flows[i]);
      const back = { ...e, src: e.dst, dst: e.src, sport: e.dport, dport: e.sport };
      assert.equal(table.lookup(packet(back, 2_000_000)), flows[i]);
      assert.equal(table.fromClient, false);
    }
    // End all but a few; sweeps shrink the buckets; the survivors are still found.
    for (let i = 0; i < es.length; i++) if (i % 1000 !== 0) table.end(flows[i], "fin");
    assert.equal(table.size, 40);
    for (let s = 0; s < 10; s++) table.sweepIdle(2_000_000 + s);
    for (let i = 0; i < es.length; i += 1000) assert.equal(table.lookup(packet(es[i], 3_000_000)), flows[i]);
    assert.equal(table.size, 40);
  });

  test("bounded: never more than maxFlows live flows; the least recently active goes first", () => {
    const evicted: Flow[] = [];
    const table = new FlowTable({ maxFlows: 100 }, (f, reason) => {
      if (reason === "evicted") evicted.push(f);
    });
    const first = table.lookup(packet({ v6: false, src: 1, dst: 2, sport: 1, dport: 443, udp: false }, 1));
    for (let i = 0; i < 1000; i++) {
      table.lookup(packet({ v6: false, src: 10 + i, dst: 2, sport: 1, dport: 443, udp: false }, 10 + i));
      assert.ok(table.size <= 100);
    }
    assert.equal(evicted[0], first);
    assert.equal(evicted.length, 901);
  });
});
