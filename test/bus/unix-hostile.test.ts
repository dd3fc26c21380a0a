// Hostile and stalled clients against our UNIX-socket server: each bad connection is closed
// alone, the server stays up, and well-behaved subscribers receive every event meanwhile.
import assert from "node:assert/strict";
import net from "node:net";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { FrameDecoder } from "../../src/bus/frame.js";
import { silentLog } from "../../src/bus/log.js";
import { UnixBusClient } from "../../src/bus/transports/unix-client.js";
import { OUTBOUND_QUEUE, UnixBusServer } from "../../src/bus/transports/unix-server.js";
import { nextEvent, syncSubscription, tempDir, waitFor } from "./helpers/util.js";

const tmp = tempDir();
after(() => tmp.cleanup());

/** Opens a raw connection, sends `bytes`, resolves once the *server* has closed it. */
async function hostile(path: string, bytes: Buffer): Promise<void> {
  const s = net.connect(path);
  s.on("error", () => {});
  s.resume(); // read (and discard) so the close is noticed
  await new Promise<void>((r) => s.once("connect", () => r()));
  const closed = new Promise<void>((r) => s.once("close", () => r()));
  s.write(bytes);
  await closed;
}

const raw = (s: string) => Buffer.from(s, "latin1");

describe("hostile clients", () => {
  test("each is cut off alone; the server stays up; a good subscriber gets every event", async () => {
    const socketPath = join(tmp.dir, "hostile.sock");
    const server = new UnixBusServer({ socketPath, log: silentLog, healthIntervalMs: 0 });
    await server.start();
    const subBus = new UnixBusClient({ socketPath, log: silentLog });
    const sub = subBus.subscribe("decky.>", { queueSize: 100_000 });
    const pub = new UnixBusClient({ socketPath, log: silentLog });
    await syncSubscription(pub, sub, "decky.sync");

    const N = 5000;
    const publishing = (async () => {
      for (let i = 0; i < N; i++) {
        await pub.publish("decky.web01.traffic", { i }, "tls_session");
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
    })();

    const cases: [string, Buffer, string][] = [
      ["unknown verb", raw("FROB decky.x\n\0\0\0\0"), "rejected_unknown_verb"],
      ["a header with no newline past 4096 bytes", Buffer.alloc(8192, 0x41), "rejected_header_too_long"],
      ["body length 0xFFFFFFFF", raw("PUB decky.x.traffic\n\xff\xff\xff\xff"), "rejected_body_too_long"],
      ["a body that is not JSON", raw("PUB decky.x.traffic\n\0\0\0\x05hello"), "rejected_not_json"],
      ["a JSON array body", raw("PUB decky.x.traffic\n\0\0\0\x05[1,2]"), "rejected_not_object"],
      ["an EVT sent by a client", raw("EVT decky.x.traffic\n\0\0\0\x02{}"), "rejected_evt_from_client"],
      ["a body that is not UTF-8", raw('PUB decky.x.traffic\n\0\0\0\x04"\xff"}'), "rejected_body_not_utf8"],
      ["a wildcard publish topic", raw("PUB decky.*.traffic\n\0\0\0\x02{}"), "rejected_bad_topic"],
      ["a malformed pattern", raw("SUB decky..x\n\0\0\0\0"), "rejected_bad_pattern"],
      ["a SUB with a body", raw("SUB decky.>\n\0\0\0\x02{}"), "rejected_unexpected_body"],
      [
        "a payload that is not an object",
        raw('PUB decky.x.y\n\0\0\0\x0e{"payload":[]}'),
        "rejected_bad_payload",
      ],
      ["an empty header line", raw("\n\0\0\0\0"), "rejected_empty_header"],
    ];
    for (const [name, bytes, counter] of cases) {
      await hostile(socketPath, bytes);
      assert.equal(server.counters.get(counter), 1, name);
    }

    // 1,000 connections opened and dropped at once.
    const storm = Array.from({ length: 1000 }, () => {
      const s = net.connect(socketPath);
      s.on("error", () => {});
      s.once("connect", () => s.destroy());
      return new Promise<void>((r) => s.once("close", () => r()));
    });
    await Promise.all(storm);

    await publishing;
    for (let i = 0; i < N; i++) {
      const ev = await nextEvent(sub);
      assert.equal(ev.payload.i, i);
    }
    assert.equal(sub.dropped, 0);
    await waitFor(() => server.connectionCount === 2, "only the two good clients left");

    // Still serving new clients.
    const late = new UnixBusClient({ socketPath, log: silentLog });
    await late.publish("decky.late.traffic", { late: true });
    assert.equal((await nextEvent(sub)).payload.late, true);
    await late.close();
    await pub.close();
    await subBus.close();
    await server.close();
  });

  test("a partial frame left hanging does not hold up anyone else", async () => {
    const socketPath = join(tmp.dir, "partial.sock");
    const server = new UnixBusServer({ socketPath, log: silentLog, healthIntervalMs: 0 });
    await server.start();
    const s = net.connect(socketPath);
    s.on("error", () => {});
    await new Promise<void>((r) => s.once("connect", () => r()));
    s.write(raw("PUB decky.x.traffic\n\0\x10\0\0{")); // declares 1 MiB, sends 1 byte
    const bus = new UnixBusClient({ socketPath, log: silentLog });
    const sub = bus.subscribe("q.>");
    const pub = new UnixBusClient({ socketPath, log: silentLog });
    await syncSubscription(pub, sub, "q.sync");
    await pub.publish("q.x", { ok: true });
    assert.equal((await nextEvent(sub)).payload.ok, true);
    s.destroy();
    await pub.close();
    await bus.close();
    await server.close();
  });
});

describe("slow consumer", () => {
  test("a subscriber that never reads loses its oldest events; a normal one gets all 100,000 in order", async () => {
    const socketPath = join(tmp.dir, "slow.sock");
    const server = new UnixBusServer({ socketPath, log: silentLog, healthIntervalMs: 0 });
    await server.start();

    // The stalled subscriber: subscribes, then never reads.
    const stalled = net.connect(socketPath);
    stalled.on("error", () => {});
    await new Promise<void>((r) => stalled.once("connect", () => r()));
    stalled.write(raw("HELLO stalled\n\0\0\0\0SUB burst.>\n\0\0\0\0"));
    stalled.pause();

    const subBus = new UnixBusClient({ socketPath, log: silentLog });
    const sub = subBus.subscribe("burst.>"); // default queue (1,024), like any consumer
    const pub = new UnixBusClient({ socketPath, log: silentLog });
    await syncSubscription(pub, sub, "burst.sync");

    const N = 100_000;
    let got = 0;
    let inOrder = true;
    const reading = (async () => {
      for await (const ev of sub) {
        if (ev.payload.i !== got) inOrder = false;
        if (++got === N) break;
      }
    })();
    for (let i = 0; i < N; i++) await pub.publish("burst.x", { i, src_ip: "192.0.2.1" }, "tls_session");
    await reading;
    assert.equal(got, N);
    assert.ok(inOrder, "events out of order");
    assert.equal(sub.dropped, 0);
    assert.ok(server.counters.get("dropped_queue_full") > 0, "the stalled subscriber dropped nothing?");

    // Now let the stalled subscriber read: it holds what the kernel took before it stalled,
    // then — after a gap — the newest OUTBOUND_QUEUE events (drop-oldest).
    const seen: number[] = [];
    const dec = new FrameDecoder((verb, _arg, body) => {
      if (verb === "EVT") {
        const i = JSON.parse(body.toString()).payload.i;
        if (typeof i === "number") seen.push(i);
      }
      return true;
    });
    stalled.on("data", (d: Buffer) => dec.push(d));
    stalled.resume();
    await waitFor(() => seen.at(-1) === N - 1, "the stalled subscriber to catch up");
    assert.ok(seen.length < N);
    const tail = seen.slice(-OUTBOUND_QUEUE);
    assert.deepEqual(
      tail,
      Array.from({ length: OUTBOUND_QUEUE }, (_, k) => N - OUTBOUND_QUEUE + k),
    );
    const head = seen.slice(0, -OUTBOUND_QUEUE);
    assert.deepEqual(
      head,
      Array.from({ length: head.length }, (_, k) => k),
    );
    assert.ok(head.length < N - OUTBOUND_QUEUE, "there must be a gap");

    stalled.destroy();
    await pub.close();
    await subBus.close();
    await server.close();
  });
});
