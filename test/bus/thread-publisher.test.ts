// Worker thread → main-thread bus, without the worker ever waiting.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type TransferListItem, Worker } from "node:worker_threads";
import { silentLog } from "../../src/bus/log.js";
import { ThreadBusBridge, ThreadPublisher } from "../../src/bus/thread-publisher.js";
import { InProcBroker, InProcBus } from "../../src/bus/transports/inproc.js";
import { nextEvent } from "./helpers/util.js";

const WORKER = new URL("./helpers/thread-worker.ts", import.meta.url).href;
const TSX_API = import.meta.resolve("tsx/esm/api");

/** Starts the TypeScript worker (tsx's loader is registered inside the worker first). */
function startWorker(workerData: object, transferList: readonly TransferListItem[]) {
  const boot = `import(${JSON.stringify(TSX_API)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER)}); })`;
  return new Worker(boot, { eval: true, workerData, transferList: [...transferList] });
}

function result(w: Worker): Promise<{ accepted: number; dropped: number }> {
  return new Promise((resolve, reject) => {
    w.once("message", resolve);
    w.once("error", reject);
  });
}

describe("thread publisher", () => {
  test("events from a worker thread are published on the main thread's bus, in order", async () => {
    const bus = new InProcBus({ broker: new InProcBroker() });
    const sub = bus.subscribe("decky.>", { queueSize: 10_000 });
    const bridge = new ThreadBusBridge(bus, { log: silentLog });
    const w = startWorker({ handle: bridge.handle, n: 5000, mode: "stream" }, bridge.transferList);
    const r = await result(w);
    assert.deepEqual(r, { accepted: 5000, dropped: 0 });
    for (let i = 0; i < 5000; i++) {
      const ev = await nextEvent(sub);
      assert.equal(ev.payload.i, i);
      assert.equal(ev.type, "tls_session");
    }
    assert.equal(bridge.inFlight, 0);
    await w.terminate();
    bridge.close();
    await bus.close();
  });

  test("the backlog between threads is bounded: a blocked main thread makes the worker drop", async () => {
    const bus = new InProcBus({ broker: new InProcBroker() });
    const sub = bus.subscribe("decky.>", { queueSize: 10_000 });
    const bridge = new ThreadBusBridge(bus, { maxInFlight: 10, log: silentLog });
    // The worker publishes 100 events in one go, before the main thread handles any.
    const w = startWorker({ handle: bridge.handle, n: 100, mode: "burst" }, bridge.transferList);
    const r = await result(w);
    assert.deepEqual(r, { accepted: 10, dropped: 90 });
    for (let i = 0; i < 10; i++) assert.equal((await nextEvent(sub)).payload.i, i);
    await w.terminate();
    bridge.close();
    await bus.close();
  });

  test("events the bus has not taken yet (a stalled transport) stay in flight: still bounded", async () => {
    // A bus whose publish waits, as a transport does while it connects.
    let release = (): void => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    class StalledBus extends InProcBus {
      override async publish(topic: string, payload: Record<string, unknown>, type = ""): Promise<void> {
        await gate;
        return super.publish(topic, payload, type);
      }
    }
    const bus = new StalledBus({ broker: new InProcBroker() });
    const bridge = new ThreadBusBridge(bus, { maxInFlight: 10, log: silentLog });
    const w = startWorker({ handle: bridge.handle, n: 100, mode: "slow" }, bridge.transferList);
    const r = await result(w);
    assert.deepEqual(r, { accepted: 10, dropped: 90 });
    assert.equal(bridge.inFlight, 10);
    release();
    for (let i = 0; i < 50 && bridge.inFlight > 0; i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(bridge.inFlight, 0);
    await w.terminate();
    bridge.close();
    await bus.close();
  });

  test("a bad event from a worker is counted on the main side, never thrown", async () => {
    const bus = new InProcBus({ broker: new InProcBroker() });
    const bridge = new ThreadBusBridge(bus, { log: silentLog });
    const w = startWorker({ handle: bridge.handle, n: 1, mode: "bad" }, bridge.transferList);
    await result(w);
    for (let i = 0; i < 100 && bus.counters.get("publish_failed") === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    assert.equal(bus.counters.get("publish_failed"), 1);
    assert.equal(bus.counters.get("published"), 1);
    await w.terminate();
    bridge.close();
    await bus.close();
  });

  test("a publisher needs a real handle", () => {
    assert.throws(() => new ThreadPublisher({} as never), TypeError);
  });
});
