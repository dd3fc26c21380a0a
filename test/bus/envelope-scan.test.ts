// The UNIX server's byte-level envelope check. It may only ever say "canonical" when the
// reference path — JSON.parse (V8, the independent JSON implementation) followed by
// envelopeFromValue — says so too; and it must say so for the envelopes publishers really send,
// or the fast path would never run.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { envelopeFromValue, envelopeToJson, makeEnvelope } from "../../src/bus/envelope.js";
import { isCanonicalEnvelope } from "../../src/bus/envelope-scan.js";

const TOPIC = "decky.web01.traffic";
const ID = "0123456789abcdef0123456789abcdef";

/** The reference verdict: does JSON.parse + envelopeFromValue find `text` canonical? */
function slowCanonical(bytes: Buffer, topic: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    return false;
  }
  return envelopeFromValue(topic, value).canonical;
}

const scan = (text: string, topic = TOPIC) => isCanonicalEnvelope(Buffer.from(text, "utf8"), topic);

describe("isCanonicalEnvelope", () => {
  test("hand-written canonical envelopes are recognised", () => {
    const ok = [
      `{"v":1,"id":"${ID}","topic":"${TOPIC}","type":"tls_session","ts":1764300000.25,"payload":{}}`,
      // Whitespace anywhere JSON allows it, other key order, Python's json.dumps spacing.
      ` { "payload" : { "a" : [ 1 , -2.5e-3 , true , false , null , { } , [ ] ] } ,\r\n\t"ts": 0, "type": "", "topic": "${TOPIC}", "id": "x", "v": -0 } `,
      `{"v": 1, "id": "${ID}", "topic": "${TOPIC}", "type": "jarm", "ts": 1764300000.123456, "payload": {"note": "caf\u00e9 \\u00e9\\n\\"q\\" \\\\ \\/"}}`,
      `{"v":999999999999999,"id":"${"i".repeat(256)}","topic":"${TOPIC}","type":"${"t".repeat(256)}","ts":-12,"payload":{"n":[[[[[]]]]]}}`,
    ];
    for (const t of ok) {
      assert.equal(slowCanonical(Buffer.from(t), TOPIC), true, `reference accepts ${t}`);
      assert.equal(scan(t), true, t);
    }
  });

  test("bodies that are not canonical, or not JSON, are never called canonical", () => {
    const base = { v: 1, id: ID, topic: TOPIC, type: "t", ts: 1.5, payload: {} };
    const j = (o: object) => JSON.stringify(o);
    const bad = [
      "",
      "   ",
      "[]",
      "null",
      `${j(base)}x`,
      `${j(base)},`,
      j(base).replace('"payload":{}', '"payload":{},'), // trailing comma
      j(base).replace('"payload":{}', '"payload":[]'),
      j(base).replace('"payload":{}', '"payload":null'),
      j(base).replace('"payload":{}', '"payload":{"a":01}'), // leading zero
      j(base).replace('"payload":{}', '"payload":{"a":1.}'),
      j(base).replace('"payload":{}', '"payload":{"a":-}'),
      j(base).replace('"payload":{}', '"payload":{"a":.5}'),
      j(base).replace('"payload":{}', '"payload":{"a":1e}'),
      j(base).replace('"payload":{}', '"payload":{"a":tru}'),
      j(base).replace('"payload":{}', '"payload":{"a":"\\x"}'), // bad escape
      j(base).replace('"payload":{}', '"payload":{"a":"\\u12G4"}'),
      j(base).replace('"payload":{}', '"payload":{"a":"tab\there"}'), // raw control character
      j(base).replace('"payload":{}', '"payload":{"a" 1}'),
      j(base).replace('"payload":{}', '"payload":{"a":1 "b":2}'),
      j(base).replace('"payload":{}', '"payload":{"a":[1,]}'),
      j(base).replace('"payload":{}', '"payload":{"a":[1 2]}'),
      j(base).replace('"payload":{}', '"payload":{a:1}'),
      j(base).replace('"payload":{}', '"payload":{"a":NaN}'),
      j(base).replace('"payload":{}', '"payload":{"a":Infinity}'),
      j(base).replace('"payload":{}', '"payload":{"a":"\u0000"}'),
      j({ ...base, topic: "decky.other.traffic" }), // topic differs from the frame's
      j({ ...base, v: 1.5 }),
      j({ ...base, v: "1" }),
      j({ ...base, id: "" }),
      j({ ...base, id: 7 }),
      j({ ...base, type: null }),
      j({ ...base, ts: "now" }),
      j({ ...base, extra: 1 }),
      j({ v: 1, id: ID, topic: TOPIC, type: "t", ts: 1 }), // no payload
      j(base).replace('"ts":1.5', '"ts":1e999'), // JSON.parse gives Infinity: refused
      j(base).slice(0, -1), // unterminated
      '\ufeff{"v":1}', // BOM
    ];
    for (const t of bad) {
      assert.equal(slowCanonical(Buffer.from(t), TOPIC), false, `reference refuses ${t}`);
      assert.equal(scan(t), false, t);
    }
  });

  test("unusual but canonical bodies are left to the slow path (one-sided), never misjudged", () => {
    const cases = [
      `{"v":1,"id":"${ID}","topic":"${TOPIC}","type":"t","ts":1e3,"payload":{}}`, // exponent in ts
      `{"v":1,"id":"${ID}","topic":"${TOPIC}","type":"t","ts":1,"ts":2,"payload":{}}`, // duplicate key
      `{"v":1,"id":"${ID}","top\\u0069c":"${TOPIC}","type":"t","ts":1,"payload":{}}`, // escaped key
      `{"v":1,"id":"${"é".repeat(200)}","topic":"${TOPIC}","type":"t","ts":1,"payload":{}}`, // 400 bytes, 200 chars
      `{"v":1,"id":"${ID}","topic":"${TOPIC}","type":"t","ts":1,"payload":{"deep":${"[".repeat(100)}${"]".repeat(100)}}}`,
    ];
    for (const t of cases) {
      assert.equal(slowCanonical(Buffer.from(t), TOPIC), true, `reference accepts ${t}`);
      assert.equal(scan(t), false, t);
    }
  });

  test("property: every envelope makeEnvelope + envelopeToJson writes is recognised", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: "binary" }), fc.jsonValue()),
        fc.string({ unit: "binary", maxLength: 40 }),
        (payload, type) => {
          const body = Buffer.from(envelopeToJson(makeEnvelope(TOPIC, payload as never, type)), "utf8");
          assert.equal(isCanonicalEnvelope(body, TOPIC), slowCanonical(body, TOPIC));
        },
      ),
      { seed: 0x5ca4, numRuns: 20_000 },
    );
  });

  test("property: mutated and random bodies are never called canonical unless the reference agrees (≥ 100,000 inputs)", () => {
    const seeds = [
      envelopeToJson(
        makeEnvelope(TOPIC, { src_ip: "198.51.100.23", n: [1, 2.5, -3e2, true, null], o: { k: "v\n" } }, "x"),
      ),
      `{ "v" : 1 , "id" : "${ID}" , "topic" : "${TOPIC}" , "type" : "" , "ts" : 0.5 , "payload" : { "a" : "\\u00e9" } }`,
    ].map((s) => Buffer.from(s, "utf8"));
    // A small alphabet of the bytes JSON cares about makes mutations hit real grammar edges.
    const interesting = [...'{}[]:,"\\ \t\n0123456789.-+eEtrufalsn/bu\u0001'].map((c) => c.charCodeAt(0));
    const mutation = fc.record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      edits: fc.array(
        fc.record({
          kind: fc.integer({ min: 0, max: 2 }),
          pos: fc.nat(),
          byte: fc.oneof(fc.constantFrom(...interesting), fc.integer({ min: 0, max: 0x7f })),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    });
    let recognised = 0;
    fc.assert(
      fc.property(mutation, ({ seed, edits }) => {
        let b = Buffer.from(seeds[seed]);
        for (const e of edits) {
          const p = e.pos % (b.length + 1);
          if (e.kind === 0 && p < b.length) b[p] = e.byte;
          else if (e.kind === 1) b = Buffer.concat([b.subarray(0, p), Buffer.of(e.byte), b.subarray(p)]);
          else b = Buffer.concat([b.subarray(0, p), b.subarray(p + 1)]);
        }
        const fast = isCanonicalEnvelope(b, TOPIC);
        if (fast) {
          recognised++;
          assert.equal(slowCanonical(b, TOPIC), true, b.toString("utf8"));
        }
      }),
      { seed: 0xfa57, numRuns: 80_000 },
    );
    // The mutations must not all be fatal, or the check above would prove nothing.
    assert.ok(recognised > 1000, `only ${recognised} mutated bodies were canonical`);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const b = Buffer.from(bytes);
        if (isCanonicalEnvelope(b, TOPIC)) assert.equal(slowCanonical(b, TOPIC), true);
      }),
      { seed: 0xb17e, numRuns: 20_000 },
    );
  });
});
