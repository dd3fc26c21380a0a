// UNIX-socket client against our server: the Bus contract, reconnection with re-subscription,
// and failure behaviour.
import assert from "node:assert/strict";
import net from "node:net";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { silentLog } from "../../src/bus/log.js";
import { UnixBusClient } from "../../src/bus/transports/unix-client.js";
import { UnixBusServer } from "../../src/bus/transports/unix-server.js";
import { busContract } from "./helpers/contract.js";
import { nextEvent, sleep, syncSubscription, tempDir, waitFor } from "./helpers/util.js";

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const sockPath = () => join(tmp.dir, `c${n++}.sock`);

const client = (socketPath: string) =>
  new UnixBusClient({ socketPath, log: silentLog, reconnect: { initialMs: 10, maxMs: 200 } });

busContract("unix", async () => {
  const socketPath = sockPath();
  const server = new UnixBusServer({ socketPath, log: silentLog, healthIntervalMs: 0 });
  await server.start();
  const a = client(socketPath);
  const b = client(socketPath);
  return {
    a,
    b,
    cleanup: async () => {
      await a.close();
      await b.close();
      await server.close();
    },
  };
});

describe("unix client", () => {
  test("connect rejects clearly when no server listens", async () => {
    const c = client(join(tmp.dir, "nobody.sock"));
    await assert.rejects(c.connect(), /no bus server at .*nobody\.sock \(ENOENT\)/);
    // A publish with no server is counted, not thrown.
    await c.publish("a.b", {});
    assert.equal(c.counters.get("publish_failed"), 1);
    await c.close();
  });

  test("reconnects with backoff after a server restart and re-subscribes", async () => {
    const socketPath = sockPath();
    let server = new UnixBusServer({ socketPath, log: silentLog, healthIntervalMs: 0 });
    await server.start();
    const pub = client(socketPath);
    const subBus = client(socketPath);
    await pub.connect();
    await subBus.connect();
    const sub = subBus.subscribe("decky.>", { queueSize: 10_000 });
    await syncSubscription(pub, sub, "decky.sync");
    await pub.publish("decky.a.traffic", { phase: "before" });
    assert.equal((await nextEvent(sub)).payload.phase, "before");

    await server.close();
    await waitFor(() => !pub.connected && !subBus.connected, "both clients to notice");
    // Published while the server is away: kept (bounded) and sent after reconnecting.
    await pub.publish("decky.a.traffic", { phase: "offline" });

    server = new UnixBusServer({ socketPath, log: silentLog, healthIntervalMs: 0 });
    await server.start();
    await waitFor(() => pub.connected && subBus.connected, "both clients to reconnect");
    // The subscriber re-sent its SUB: new events reach it without it doing anything.
    let pending: ReturnType<typeof sub.next> | undefined;
    for (let i = 0; ; i++) {
      assert.ok(i < 300, "no event after the restart");
      await pub.publish("decky.a.traffic", { phase: "after", i });
      pending ??= sub.next();
      const r = await Promise.race([pending, sleep(50).then(() => undefined)]);
      if (r === undefined) continue;
      pending = undefined;
      if (!r.done && r.value.payload.phase === "after") break;
    }
    assert.ok(subBus.counters.get("connects") >= 2);
    assert.ok(pub.counters.get("disconnects") >= 1);
    await pub.close();
    await subBus.close();
    await server.close();
  });

  test("while disconnected, kept frames are bounded in bytes too (maxPendingBytes), oldest dropped", async () => {
    const socketPath = sockPath();
    const server = new UnixBusServer({ socketPath, log: silentLog, healthIntervalMs: 0 });
    await server.start();
    const pub = new UnixBusClient({
      socketPath,
      log: silentLog,
      reconnect: { initialMs: 10_000, maxMs: 10_000 },
      maxPendingBytes: 4096,
    });
    await pub.connect();
    await server.close();
    await waitFor(() => !pub.connected, "the client to notice");
    // Ten frames of a little over 1 KiB: three fit in 4096 bytes, seven are dropped.
    for (let i = 0; i < 10; i++) await pub.publish("decky.a.traffic", { i, pad: "x".repeat(1000) });
    assert.equal(pub.counters.get("publish_dropped"), 7);
    await pub.close();
  });

  test("events published just before close() still go out", async () => {
    const socketPath = sockPath();
    const server = new UnixBusServer({ socketPath, log: silentLog, healthIntervalMs: 0 });
    await server.start();
    const subBus = client(socketPath);
    const sub = subBus.subscribe("last.>");
    const pub = client(socketPath);
    await syncSubscription(pub, sub, "last.sync");
    for (let i = 0; i < 50; i++) void pub.publish("last.x", { i });
    await pub.close();
    for (let i = 0; i < 50; i++) assert.equal((await nextEvent(sub)).payload.i, i);
    await subBus.close();
    await server.close();
  });

  test("a malformed frame from the server makes the client reconnect, not crash", async () => {
    const socketPath = sockPath();
    let conns = 0;
    const fake = net.createServer((s) => {
      conns++;
      s.on("error", () => {});
      s.resume();
      if (conns === 1) s.write("GARBAGE\n\0\0\0\0");
    });
    await new Promise<void>((r) => fake.listen(socketPath, r));
    const c = client(socketPath);
    await c.connect();
    await waitFor(() => conns >= 2, "a reconnection");
    assert.equal(c.counters.get("malformed_unknown_verb"), 1);
    await c.close();
    await new Promise<void>((r) => fake.close(() => r()));
  });

  test("an EVT whose body is not an envelope is skipped and counted", async () => {
    const socketPath = sockPath();
    const fake = net.createServer((s) => {
      s.on("error", () => {});
      s.resume();
      const good = Buffer.from('{"v":1,"id":"x","topic":"a.b","type":"","ts":1,"payload":{"ok":1}}');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(good.length);
      s.write(Buffer.concat([Buffer.from("EVT a.b\n\0\0\0\x05[1,2]EVT a.b\n", "latin1"), len, good]));
    });
    await new Promise<void>((r) => fake.listen(socketPath, r));
    const c = client(socketPath);
    const sub = c.subscribe("a.b");
    await c.connect();
    const ev = await nextEvent(sub);
    assert.deepEqual(ev.payload, { ok: 1 });
    assert.equal(c.counters.get("malformed_event"), 1);
    await c.close();
    await new Promise<void>((r) => fake.close(() => r()));
  });
});
