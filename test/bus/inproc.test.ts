// In-process transport and the null bus.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BusClosedError } from "../../src/bus/bus.js";
import { InProcBroker, InProcBus, sharedInProcBroker } from "../../src/bus/transports/inproc.js";
import { NullBus } from "../../src/bus/transports/null.js";
import { busContract } from "./helpers/contract.js";

busContract("inproc", async () => {
  const broker = new InProcBroker();
  const a = new InProcBus({ broker });
  const b = new InProcBus({ broker });
  return {
    a,
    b,
    cleanup: async () => {
      await a.close();
      await b.close();
    },
  };
});

describe("inproc specifics", () => {
  test("handles created without a broker share the process-wide one", async () => {
    const a = new InProcBus();
    const b = new InProcBus();
    const sub = b.subscribe("shared.>");
    await a.publish("shared.x", { n: 1 });
    assert.equal((await sub.next()).value?.payload.n, 1);
    await a.close();
    await b.close();
    assert.equal(sharedInProcBroker().subscriptionCount, 0);
  });

  test("delivery is synchronous and one event object is shared by subscribers", async () => {
    const broker = new InProcBroker();
    const bus = new InProcBus({ broker });
    const s1 = bus.subscribe("a.*");
    const s2 = bus.subscribe("a.>");
    const p = bus.publish("a.b", { k: "v" });
    assert.equal(s1.pending, 1);
    await p;
    const e1 = (await s1.next()).value;
    const e2 = (await s2.next()).value;
    assert.equal(e1, e2);
    assert.equal(bus.counters.get("delivered"), 2);
    await bus.close();
  });

  test("closing one handle leaves the others' subscriptions alone", async () => {
    const broker = new InProcBroker();
    const a = new InProcBus({ broker });
    const b = new InProcBus({ broker });
    const sb = b.subscribe("t.>");
    a.subscribe("t.>");
    await a.close();
    assert.equal(broker.subscriptionCount, 1);
    const c = new InProcBus({ broker });
    await c.publish("t.x", {});
    assert.equal(sb.pending, 1);
    await b.close();
    await c.close();
  });
});

describe("null bus (DECNET_BUS_ENABLED=false)", () => {
  test("publishing is a no-op, subscriptions end at once, close is final", async () => {
    const bus = new NullBus();
    await bus.connect();
    await bus.publish("decky.x.traffic", { a: 1 }, "tls_session");
    assert.equal(bus.counters.get("discarded"), 1);
    const sub = bus.subscribe("decky.>");
    assert.equal((await sub.next()).done, true);
    await bus.close();
    await bus.close();
    await assert.rejects(bus.publish("a.b", {}), BusClosedError);
    assert.throws(() => bus.subscribe("a"), BusClosedError);
  });
});
