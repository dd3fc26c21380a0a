// The bus envelope, DESIGN §5: {"v": 1, "id": hex uuid, "topic", "type", "ts": epoch seconds
// (float), "payload": {...}}; the receiver takes the topic from the frame, never the body.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type BusEvent,
  envelopeFromJson,
  envelopeFromValue,
  envelopeToJson,
  makeEnvelope,
  newEventId,
} from "../../src/bus/envelope.js";

describe("envelope", () => {
  test("makeEnvelope: v 1, 32-hex UUID4 id, epoch-seconds ts, fields in wire order", () => {
    const before = Date.now() / 1000;
    const ev = makeEnvelope("decky.web01.traffic", { src_ip: "10.0.0.9" }, "tls_session");
    const after = Date.now() / 1000;
    assert.deepEqual(Object.keys(ev), ["v", "id", "topic", "type", "ts", "payload"]);
    assert.equal(ev.v, 1);
    // UUID4 without dashes: version nibble 4, variant bits 10xx.
    assert.match(ev.id, /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    assert.ok(ev.ts >= before - 0.001 && ev.ts <= after + 0.001);
    assert.equal(ev.topic, "decky.web01.traffic");
    assert.equal(ev.type, "tls_session");
  });

  test("ids are unique", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) ids.add(newEventId());
    assert.equal(ids.size, 10_000);
  });

  test("wire JSON has DECNET's key order and compact form", () => {
    const ev: BusEvent = {
      v: 1,
      id: "0123456789abcdef0123456789abcdef",
      topic: "attacker.fingerprinted",
      type: "jarm",
      ts: 1700000000.25,
      payload: { target_ip: "203.0.113.7", target_port: "443" },
    };
    assert.equal(
      envelopeToJson(ev),
      '{"v":1,"id":"0123456789abcdef0123456789abcdef","topic":"attacker.fingerprinted","type":"jarm","ts":1700000000.25,"payload":{"target_ip":"203.0.113.7","target_port":"443"}}',
    );
    // An event built in another key order is written in wire order too.
    const shuffled = { payload: {}, ts: 1, type: "", topic: "a", id: "x", v: 1 } as BusEvent;
    assert.equal(envelopeToJson(shuffled), '{"v":1,"id":"x","topic":"a","type":"","ts":1,"payload":{}}');
  });

  test("the topic comes from the transport, not the body", () => {
    const body = '{"v":1,"id":"aa","topic":"spoofed.topic","type":"t","ts":5,"payload":{"k":"v"}}';
    const r = envelopeFromJson("decky.real.traffic", body);
    assert.equal(r.event?.topic, "decky.real.traffic");
    assert.equal(r.canonical, false);
    assert.deepEqual(r.event?.payload, { k: "v" });
  });

  test("canonical only for exactly the six fields with the frame's topic", () => {
    const ok = '{"v":1,"id":"aa","topic":"a.b","type":"t","ts":5,"payload":{}}';
    assert.equal(envelopeFromJson("a.b", ok).canonical, true);
    assert.equal(envelopeFromJson("a.b", ok.replace('"payload"', '"extra":1,"payload"')).canonical, false);
    assert.equal(
      envelopeFromJson("a.b", '{"v":1,"id":"aa","topic":"a.b","type":"t","payload":{}}').canonical,
      false,
    );
  });

  test("missing fields get DECNET's defaults", () => {
    const r = envelopeFromJson("a.b", "{}", 1_700_000_000_000);
    assert.equal(r.event?.v, 1);
    assert.match(r.event?.id ?? "", /^[0-9a-f]{32}$/);
    assert.equal(r.event?.type, "");
    assert.equal(r.event?.ts, 1_700_000_000);
    assert.deepEqual(r.event?.payload, {});
    assert.equal(
      envelopeFromJson("a.b", '{"payload":null,"type":null,"v":null,"id":null,"ts":null}').event?.v,
      1,
    );
  });

  test("refuses non-JSON, non-objects and mistyped fields", () => {
    const cases: [string, string][] = [
      ["not json", "not_json"],
      ["", "not_json"],
      ["[1,2]", "not_object"],
      ["null", "not_object"],
      ['"s"', "not_object"],
      ['{"v":"1"}', "bad_version"],
      ['{"v":1.5}', "bad_version"],
      ['{"id":5}', "bad_id"],
      [`{"id":"${"a".repeat(257)}"}`, "bad_id"],
      ['{"type":5}', "bad_type"],
      ['{"ts":"now"}', "bad_ts"],
      ['{"ts":1e400}', "bad_ts"],
      ['{"payload":[1]}', "bad_payload"],
      ['{"payload":"x"}', "bad_payload"],
    ];
    for (const [body, fault] of cases) {
      const r = envelopeFromJson("a.b", body);
      assert.equal(r.event, undefined, body);
      assert.equal(r.fault, fault, body);
    }
  });

  test("parser fuzz (fixed seed): never throws on any JSON value or string (100,000 inputs)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = envelopeFromValue("a.b", v);
        assert.ok((r.event === undefined) !== (r.fault === undefined));
      }),
      { seed: 7, numRuns: 40_000 },
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            v: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
            id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
            topic: fc.string(),
            type: fc.oneof(fc.string(), fc.integer()),
            ts: fc.oneof(fc.double(), fc.string()),
            payload: fc.oneof(fc.object(), fc.array(fc.integer()), fc.constant(null)),
          },
          { requiredKeys: [] },
        ),
        (o) => {
          envelopeFromJson("a.b", JSON.stringify(o));
        },
      ),
      { seed: 8, numRuns: 30_000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (s) => {
        envelopeFromJson("a.b", s);
      }),
      { seed: 9, numRuns: 30_000 },
    );
  });
});
