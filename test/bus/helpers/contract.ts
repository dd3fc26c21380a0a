// The behaviour every Bus transport shares (src/bus/bus.ts), run against each of them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Bus, BusClosedError, BusPayloadError, publishSafely } from "../../../src/bus/bus.js";
import type { BusEvent, JsonObject } from "../../../src/bus/envelope.js";
import { silentLog } from "../../../src/bus/log.js";
import { TopicError } from "../../../src/bus/topics.js";
import { nextEvent, syncSubscription, waitFor } from "./util.js";

/** Two buses on the same broker (`a` publishes, `b` subscribes) and how to tear them down. */
export interface BusPair {
  a: Bus;
  b: Bus;
  cleanup(): Promise<void>;
}

export function busContract(
  name: string,
  makePair: () => Promise<BusPair>,
  skip: string | false = false,
): void {
  describe(`${name}: Bus contract`, { skip }, () => {
    const withPair = (fn: (p: BusPair) => Promise<void>) => async () => {
      const p = await makePair();
      try {
        await fn(p);
      } finally {
        await p.cleanup();
      }
    };

    test(
      "connect and close are idempotent",
      withPair(async ({ a }) => {
        await a.connect();
        await a.connect();
        await Promise.all([a.close(), a.close()]);
        await a.close();
      }),
    );

    test(
      "after close, publish rejects with BusClosedError and subscribe throws it",
      withPair(async ({ a }) => {
        await a.connect();
        await a.close();
        await assert.rejects(a.publish("a.b", {}), BusClosedError);
        assert.throws(() => a.subscribe("a.>"), BusClosedError);
        await assert.rejects(a.connect(), BusClosedError);
      }),
    );

    test(
      "bad topics and payloads reject, bad patterns throw",
      withPair(async ({ a }) => {
        await a.connect();
        await assert.rejects(a.publish("decky.*.traffic", {}), TopicError);
        await assert.rejects(a.publish("decky..traffic", {}), TopicError);
        await assert.rejects(a.publish("a.b", [1] as unknown as JsonObject), BusPayloadError);
        assert.throws(() => a.subscribe("a..b"), TopicError);
        assert.throws(() => a.subscribe("a.>.b"), TopicError);
      }),
    );

    test(
      "delivers matching events, in order, with topic, type and payload",
      withPair(async ({ a, b }) => {
        await a.connect();
        await b.connect();
        const sub = b.subscribe("decky.*.traffic", { queueSize: 1000 });
        await syncSubscription(a, sub, "decky.sync.traffic");
        for (let i = 0; i < 200; i++) {
          await a.publish("decky.web01.traffic", { i, src_ip: "198.51.100.4" }, "tls_session");
          await a.publish("decky.web01.state", { i }, "other"); // no match
          await a.publish("attacker.fingerprinted", { i }, "jarm"); // no match
        }
        for (let i = 0; i < 200; i++) {
          const ev = await nextEvent(sub);
          assert.equal(ev.topic, "decky.web01.traffic");
          assert.equal(ev.type, "tls_session");
          assert.deepEqual(ev.payload, { i, src_ip: "198.51.100.4" });
          assert.equal(ev.v, 1);
          assert.match(ev.id, /^[0-9a-f]{32}$/);
        }
        await sub.close();
      }),
    );

    test(
      "'>' matches one or more trailing tokens, never zero",
      withPair(async ({ a, b }) => {
        await a.connect();
        const sub = b.subscribe("decky.>");
        await syncSubscription(a, sub, "decky.sync");
        await a.publish("decky", { n: 0 });
        await a.publish("decky.web01", { n: 1 });
        await a.publish("decky.web01.traffic", { n: 2 });
        assert.equal((await nextEvent(sub)).payload.n, 1);
        assert.equal((await nextEvent(sub)).payload.n, 2);
      }),
    );

    test(
      "a bus receives its own events on its own subscriptions",
      withPair(async ({ a }) => {
        await a.connect();
        const sub = a.subscribe("system.*.health");
        await syncSubscription(a, sub, "system.sync.health");
        await a.publish("system.sniffer.health", { worker: "sniffer" }, "health");
        const ev = await nextEvent(sub);
        assert.deepEqual(ev.payload, { worker: "sniffer" });
      }),
    );

    test(
      "close() ends an iteration; leaving for-await closes the subscription",
      withPair(async ({ a, b }) => {
        await a.connect();
        const s1 = b.subscribe("x.>");
        const pending = s1.next();
        await s1.close();
        assert.equal((await pending).done, true);
        assert.equal((await s1.next()).done, true);
        const s2 = b.subscribe("y.>");
        await syncSubscription(a, s2, "y.sync");
        await a.publish("y.z", {});
        for await (const _ev of s2) break;
        assert.equal(s2.closed, true);
      }),
    );

    test(
      "closing the bus ends subscriptions after the events already queued",
      withPair(async ({ a, b }) => {
        await a.connect();
        const sub = b.subscribe("q.>");
        await syncSubscription(a, sub, "q.sync");
        for (let i = 0; i < 3; i++) await a.publish("q.x", { i });
        await waitFor(() => sub.pending === 3, "3 queued events");
        await b.close();
        const got: BusEvent[] = [];
        for await (const ev of sub) got.push(ev);
        assert.deepEqual(
          got.map((e) => e.payload.i),
          [0, 1, 2],
        );
      }),
    );

    test(
      "a subscriber that does not read loses its oldest events (bounded queue)",
      withPair(async ({ a, b }) => {
        await a.connect();
        const sub = b.subscribe("slow.>", { queueSize: 4 });
        await syncSubscription(a, sub, "slow.sync");
        for (let i = 0; i < 10; i++) await a.publish("slow.x", { i });
        await waitFor(() => sub.dropped === 6, "6 drops");
        const got: unknown[] = [];
        while (sub.pending > 0) got.push((await nextEvent(sub)).payload.i);
        assert.deepEqual(got, [6, 7, 8, 9]);
      }),
    );

    test(
      "publishSafely never rejects: failures are counted and logged",
      withPair(async ({ a }) => {
        await a.connect();
        assert.equal(await publishSafely(a, "ok.topic", { x: 1 }, "", silentLog), true);
        assert.equal(await publishSafely(a, "bad.*", {}, "", silentLog), false);
        await a.close();
        assert.equal(await publishSafely(a, "ok.topic", {}, "", silentLog), false);
        assert.equal(a.counters.get("publish_failed"), 2);
        assert.equal(await publishSafely(undefined, "ok.topic", {}), false);
      }),
    );
  });
}
