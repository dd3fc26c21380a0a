// NATS transport against a real nats-server (Debian package nats-server) that the tests start on
// a free loopback port, kill and restart.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { silentLog } from "../../src/bus/log.js";
import { NatsBus } from "../../src/bus/transports/nats.js";
import { busContract } from "./helpers/contract.js";
import {
  freePort,
  NatsServerProcess,
  nextEvent,
  skipWithoutNats,
  syncSubscription,
  waitFor,
} from "./helpers/util.js";

const skip = skipWithoutNats();
let server: NatsServerProcess | undefined;

before(async () => {
  if (skip) return;
  server = new NatsServerProcess(await freePort());
  await server.start();
});
after(async () => {
  await server?.stop();
});

const natsBus = (url: string, extra: Partial<ConstructorParameters<typeof NatsBus>[0]> = {}) =>
  new NatsBus({ servers: url, log: silentLog, reconnect: { initialMs: 20, maxMs: 200 }, ...extra });

busContract(
  "nats",
  async () => {
    const url = (server as NatsServerProcess).url;
    const a = natsBus(url);
    const b = natsBus(url);
    return {
      a,
      b,
      cleanup: async () => {
        await a.close();
        await b.close();
      },
    };
  },
  skip,
);

describe("nats specifics", { skip }, () => {
  test("subjects are the topics unchanged; the data is the envelope JSON", async () => {
    const url = (server as NatsServerProcess).url;
    const { connect } = await import("nats");
    const raw = await connect({ servers: url });
    const got: { subject: string; data: string }[] = [];
    raw.subscribe("decky.>", { callback: (_e, m) => got.push({ subject: m.subject, data: m.string() }) });
    await raw.flush();
    const bus = natsBus(url);
    await bus.publish("decky.web01.traffic", { src_ip: "192.0.2.8" }, "tcp_flow_timing");
    await bus.flush();
    await waitFor(() => got.length === 1, "the raw subscriber");
    assert.equal(got[0].subject, "decky.web01.traffic");
    const env = JSON.parse(got[0].data);
    assert.deepEqual(Object.keys(env), ["v", "id", "topic", "type", "ts", "payload"]);
    assert.equal(env.topic, "decky.web01.traffic");
    assert.equal(env.type, "tcp_flow_timing");
    assert.deepEqual(env.payload, { src_ip: "192.0.2.8" });
    // And the other way: a raw publisher, the topic taken from the subject.
    const sub = bus.subscribe("attacker.>");
    await bus.flush();
    raw.publish(
      "attacker.fingerprinted",
      JSON.stringify({ topic: "spoofed", type: "jarm", payload: { x: 1 } }),
    );
    raw.publish("attacker.fingerprinted", "not json");
    raw.publish("attacker.fingerprinted", JSON.stringify({ type: "hassh", payload: { x: 2 } }));
    const ev = await nextEvent(sub);
    assert.equal(ev.topic, "attacker.fingerprinted");
    assert.equal(ev.type, "jarm");
    assert.equal((await nextEvent(sub)).payload.x, 2);
    assert.equal(bus.counters.get("malformed_event"), 1);
    await raw.close();
    await bus.close();
  });

  test("a subscription keeps receiving across a server restart in the middle of a stream", async () => {
    const port = await freePort();
    const srv = new NatsServerProcess(port);
    await srv.start();
    try {
      const pub = natsBus(srv.url);
      const subBus = natsBus(srv.url);
      const sub = subBus.subscribe("stream.>", { queueSize: 100_000 });
      await subBus.connect();
      await syncSubscription(pub, sub, "stream.sync");

      let seq = 0;
      let publishing = true;
      const received: number[] = [];
      const reader = (async () => {
        for await (const ev of sub) if (typeof ev.payload.seq === "number") received.push(ev.payload.seq);
      })();
      const writer = (async () => {
        while (publishing) {
          await pub.publish("stream.x", { seq: seq++ });
          await new Promise((r) => setTimeout(r, 2));
        }
      })();

      await waitFor(() => received.length >= 50, "events before the restart");
      await srv.stop();
      const restartSeq = seq;
      await waitFor(() => !subBus.connected, "the subscriber to notice");
      await srv.start();
      await waitFor(() => received.some((s) => s > restartSeq + 10), "events published after the restart");
      publishing = false;
      await writer;
      assert.ok(subBus.counters.get("reconnects") >= 1);
      assert.ok(pub.counters.get("reconnects") >= 1);
      // At most once: whatever arrived arrived in order.
      for (let i = 1; i < received.length; i++) assert.ok(received[i] > received[i - 1]);
      await pub.close();
      await subBus.close();
      await reader;
    } finally {
      await srv.stop();
    }
  });

  test("credentials: token and user/password servers; wrong ones are refused clearly", async () => {
    const tokenSrv = new NatsServerProcess(await freePort(), ["--auth", "s3cret"]);
    const userSrv = new NatsServerProcess(await freePort(), ["--user", "sensor", "--pass", "pw"]);
    await tokenSrv.start();
    await userSrv.start();
    try {
      const ok1 = natsBus(tokenSrv.url, { token: "s3cret" });
      await ok1.connect();
      await ok1.close();
      await assert.rejects(
        natsBus(tokenSrv.url, { token: "wrong" }).connect(),
        /cannot connect to NATS .*AUTH/i,
      );
      const ok2 = natsBus(userSrv.url, { user: "sensor", pass: "pw" });
      await ok2.connect();
      await ok2.close();
      await assert.rejects(natsBus(userSrv.url, { user: "sensor", pass: "nope" }).connect(), /AUTH/i);
    } finally {
      await tokenSrv.stop();
      await userSrv.stop();
    }
  });

  test("connect rejects clearly when nothing listens; publish then counts, never throws", async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const bus = natsBus(url, { timeoutMs: 2000 });
    await assert.rejects(bus.connect(), /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+/);
    await bus.publish("a.b", {});
    assert.equal(bus.counters.get("publish_failed"), 1);
    await bus.close();
  });
});
