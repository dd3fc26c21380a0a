// Heartbeats: system.bus.health (DECNET's payload names) and system.<worker>.health.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { busHealthPayload, startHeartbeat, startWorkerHealth } from "../../src/bus/health.js";
import { InProcBroker, InProcBus } from "../../src/bus/transports/inproc.js";
import { nextEvent, waitFor } from "./helpers/util.js";

describe("heartbeats", () => {
  test("bus health payload: pid, uptime in seconds, timestamp", () => {
    assert.deepEqual(busHealthPayload(1_000_000, 1_012_345), {
      pid: process.pid,
      uptime_sec: 12.345,
      ts: 1012.345,
    });
  });

  test("worker health is published on system.<worker>.health, first beat at once", async () => {
    const bus = new InProcBus({ broker: new InProcBroker() });
    const sub = bus.subscribe("system.*.health");
    const hb = startWorkerHealth(bus, "sniffer", 20, () => ({ packets: 42 }));
    const first = await nextEvent(sub);
    assert.equal(first.topic, "system.sniffer.health");
    assert.equal(first.type, "health");
    assert.equal(first.payload.worker, "sniffer");
    assert.equal(first.payload.packets, 42);
    await nextEvent(sub); // and again, periodically
    hb.stop();
    await bus.close();
  });

  test("a throwing tick does not stop the heartbeat", async () => {
    let n = 0;
    const hb = startHeartbeat(5, () => {
      n++;
      throw new Error("boom");
    });
    await waitFor(() => n >= 3, "three ticks");
    hb.stop();
  });
});
