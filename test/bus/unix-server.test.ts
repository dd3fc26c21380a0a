// Our UNIX-socket server speaking DECNET's protocol: raw frames written by hand, an independent
// Python peer, socket file rules, heartbeat, shutdown.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { lstatSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, test } from "node:test";
import { FrameDecoder, type Verb } from "../../src/bus/frame.js";
import { silentLog } from "../../src/bus/log.js";
import { UnixBusClient } from "../../src/bus/transports/unix-client.js";
import { groupId, UnixBusServer } from "../../src/bus/transports/unix-server.js";
import { nextEvent, syncSubscription, tempDir, waitFor } from "./helpers/util.js";

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const sockPath = () => join(tmp.dir, `s${n++}.sock`);
const PY_PEER = new URL("./helpers/decnet_peer.py", import.meta.url).pathname;
const hasPython = spawnSync("python3", ["-c", "import json, socket, struct, uuid"]).status === 0;

async function startServer(opts: Partial<ConstructorParameters<typeof UnixBusServer>[0]> = {}) {
  const socketPath = sockPath();
  const server = new UnixBusServer({ socketPath, log: silentLog, healthIntervalMs: 0, ...opts });
  await server.start();
  return server;
}

/** A raw connection that records every frame the server sends. */
class RawPeer {
  readonly frames: { verb: Verb; arg: string; body: Buffer }[] = [];
  readonly bytes: Buffer[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder((verb, arg, body) => {
    this.frames.push({ verb, arg, body: Buffer.from(body) });
    return true;
  });
  constructor(readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => {
      this.bytes.push(d);
      this.decoder.push(d);
    });
    socket.on("close", () => {
      this.closed = true;
    });
    socket.on("error", () => {});
  }
  static async open(path: string): Promise<RawPeer> {
    const s = net.connect(path);
    await new Promise<void>((r, j) => {
      s.once("connect", () => r());
      s.once("error", j);
    });
    return new RawPeer(s);
  }
  send(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
  }
  received(): Buffer {
    return Buffer.concat(this.bytes);
  }
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

describe("unix server: DECNET wire protocol", () => {
  test("hand-written PUB reaches a hand-written SUB as EVT with the same body bytes", async () => {
    const server = await startServer();
    const sub = await RawPeer.open(server.socketPath);
    const pub = await RawPeer.open(server.socketPath);
    sub.send("HELLO raw-sub\n\0\0\0\0SUB decky.*.traffic\n\0\0\0\0");
    await waitFor(() => server.counters.get("connections_accepted") === 2, "connections");
    // A canonical envelope: the server forwards it byte for byte, topic from the frame.
    const body = Buffer.from(
      '{"v":1,"id":"00112233445566778899aabbccddeeff","topic":"decky.web01.traffic","type":"tls_session","ts":1700000000.5,"payload":{"src_ip":"203.0.113.5","ja4":"t13d1516h2_8daaf6152771_02713d6af862"}}',
    );
    // SUB must be processed before PUB: both go through the server's single thread in order of
    // arrival, so wait until the subscriber's SUB has been read.
    await new Promise((r) => setTimeout(r, 50));
    pub.send(Buffer.concat([Buffer.from("PUB decky.web01.traffic\n", "latin1"), u32(body.length), body]));
    pub.send("PUB decky.web01.state\n\0\0\0\x02{}"); // does not match
    const want = Buffer.concat([Buffer.from("EVT decky.web01.traffic\n", "latin1"), u32(body.length), body]);
    await waitFor(() => sub.received().length >= want.length, "the EVT frame");
    assert.deepEqual(sub.received(), want);
    // The publisher gets nothing back.
    assert.equal(pub.received().length, 0);
    sub.socket.destroy();
    pub.socket.destroy();
    await server.close();
  });

  test("a publisher does not receive its own events, other subscribers do", async () => {
    const server = await startServer();
    const both = await RawPeer.open(server.socketPath);
    const other = await RawPeer.open(server.socketPath);
    both.send("SUB a.>\n\0\0\0\0");
    other.send("SUB a.>\n\0\0\0\0");
    await new Promise((r) => setTimeout(r, 50));
    both.send("PUB a.b\n\0\0\0\x02{}");
    await waitFor(() => other.frames.length === 1, "delivery to the other subscriber");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(both.frames.length, 0);
    both.socket.destroy();
    other.socket.destroy();
    await server.close();
  });

  test("the topic comes from the frame; missing envelope fields are filled in", async () => {
    const server = await startServer();
    const sub = await RawPeer.open(server.socketPath);
    sub.send("SUB real.topic\n\0\0\0\0");
    await new Promise((r) => setTimeout(r, 50));
    const pub = await RawPeer.open(server.socketPath);
    const body = '{"topic":"spoofed.topic","payload":{"k":1}}';
    pub.send(`PUB real.topic\n${String.fromCharCode(0, 0, 0, body.length)}${body}`);
    pub.send("PUB real.topic\n\0\0\0\0"); // no body at all: DECNET accepts it as an empty payload
    await waitFor(() => sub.frames.length === 2, "two events");
    for (const f of sub.frames) assert.equal(f.arg, "real.topic");
    const e1 = JSON.parse(sub.frames[0].body.toString());
    assert.deepEqual(Object.keys(e1), ["v", "id", "topic", "type", "ts", "payload"]);
    assert.equal(e1.topic, "real.topic");
    assert.equal(e1.v, 1);
    assert.equal(e1.type, "");
    assert.match(e1.id, /^[0-9a-f]{32}$/);
    assert.equal(typeof e1.ts, "number");
    assert.deepEqual(e1.payload, { k: 1 });
    assert.deepEqual(JSON.parse(sub.frames[1].body.toString()).payload, {});
    sub.socket.destroy();
    pub.socket.destroy();
    await server.close();
  });

  test("UNSUB stops delivery; duplicate SUBs deliver once", async () => {
    const server = await startServer();
    const sub = await RawPeer.open(server.socketPath);
    const pub = new UnixBusClient({ socketPath: server.socketPath, log: silentLog });
    sub.send("SUB x.*\n\0\0\0\0SUB x.*\n\0\0\0\0SUB x.>\n\0\0\0\0");
    await new Promise((r) => setTimeout(r, 50));
    await pub.publish("x.y", { n: 1 });
    await waitFor(() => sub.frames.length === 1, "one delivery");
    sub.send("UNSUB x.*\n\0\0\0\0UNSUB x.>\n\0\0\0\0");
    await new Promise((r) => setTimeout(r, 50));
    await pub.publish("x.y", { n: 2 });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sub.frames.length, 1);
    sub.socket.destroy();
    await pub.close();
    await server.close();
  });

  test("BYE from a client ends its connection; close() sends BYE to everyone", async () => {
    const server = await startServer();
    const a = await RawPeer.open(server.socketPath);
    a.send("BYE\n\0\0\0\0");
    await waitFor(() => a.closed, "the server to close after BYE");
    const b = await RawPeer.open(server.socketPath);
    b.send("HELLO b\n\0\0\0\0");
    await waitFor(() => server.connectionCount === 1, "b connected");
    await server.close();
    await waitFor(() => b.closed, "b closed");
    assert.deepEqual(b.received(), Buffer.from("BYE\n\0\0\0\0", "latin1"));
  });
});

describe("unix server: interop with an independent Python peer", {
  skip: hasPython ? false : "python3 missing",
}, () => {
  test("python subscribes to our server and receives our events", async () => {
    const server = await startServer();
    const py = spawn("python3", [PY_PEER, "sub", server.socketPath, "decky.>"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines: {
      topic: string;
      event: {
        v: number;
        id: string;
        topic: string;
        type: string;
        ts: number;
        payload: Record<string, unknown>;
      };
    }[] = [];
    createInterface({ input: py.stdout }).on("line", (l) => lines.push(JSON.parse(l)));
    const exited = new Promise<number | null>((r) => py.once("exit", r));
    const bus = new UnixBusClient({ socketPath: server.socketPath, log: silentLog });
    for (let i = 0; lines.length === 0; i++) {
      assert.ok(i < 500, "python never received anything");
      await bus.publish("decky.sync.x", { sync: true });
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; i < 5; i++)
      await bus.publish("decky.web01.traffic", { i, sni: "exämple.test" }, "tls_session");
    await bus.publish("decky.web01.traffic", { last: true }, "done");
    assert.equal(await exited, 0);
    const real = lines.filter((l) => l.event.payload.sync !== true);
    assert.equal(real.length, 6);
    for (let i = 0; i < 5; i++) {
      assert.equal(real[i].topic, "decky.web01.traffic");
      assert.equal(real[i].event.topic, "decky.web01.traffic");
      assert.equal(real[i].event.type, "tls_session");
      assert.equal(real[i].event.v, 1);
      assert.deepEqual(real[i].event.payload, { i, sni: "exämple.test" });
    }
    await bus.close();
    await server.close();
  });

  test("python publishes to our server and our client receives", async () => {
    const server = await startServer();
    const bus = new UnixBusClient({ socketPath: server.socketPath, log: silentLog });
    const sub = bus.subscribe("attacker.>");
    const probe = new UnixBusClient({ socketPath: server.socketPath, log: silentLog });
    await syncSubscription(probe, sub, "attacker.sync");
    // Asynchronous spawn: the server runs in this process and must keep serving meanwhile.
    const py = spawn("python3", [PY_PEER, "pub", server.socketPath, "attacker.fingerprinted", "jarm", "20"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    assert.equal(await new Promise((r) => py.once("exit", r)), 0);
    for (let i = 0; i < 20; i++) {
      const ev = await nextEvent(sub);
      assert.equal(ev.topic, "attacker.fingerprinted");
      assert.equal(ev.type, "jarm");
      assert.deepEqual(ev.payload, { i, from: "python" });
    }
    await probe.close();
    await bus.close();
    await server.close();
  });
});

describe("unix server: socket file", () => {
  test("mode 0660, group applied when it exists", async () => {
    const gid = process.getgid?.() ?? 0;
    const groupName = readFileSync("/etc/group", "utf8")
      .split("\n")
      .map((l) => l.split(":"))
      .find((f) => Number(f[2]) === gid)?.[0];
    const server = await startServer({ group: groupName ?? null });
    const st = lstatSync(server.socketPath);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.gid, gid);
    await server.close();
    assert.throws(() => lstatSync(server.socketPath), /ENOENT/);
  });

  test("group lookup reads /etc/group; a missing group is left alone", () => {
    const f = join(tmp.dir, "group");
    writeFileSync(f, "root:x:0:\ndecnet:x:1234:alice,bob\nbroken\n");
    assert.equal(groupId("decnet", f), 1234);
    assert.equal(groupId("root", f), 0);
    assert.equal(groupId("nope", f), undefined);
    assert.equal(groupId("decnet", join(tmp.dir, "missing")), undefined);
  });

  test("a stale socket is replaced; a live one or a regular file is refused", async () => {
    const path = sockPath();
    // Stale: a socket file nobody listens on.
    const stale = net.createServer();
    await new Promise<void>((r) => stale.listen(path, r));
    // Closing a Node server unlinks the path, so recreate the stale case by hand:
    await new Promise<void>((r) => stale.close(() => r()));
    const dead = spawnSync("python3", [
      "-c",
      `import socket; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(path)})`,
    ]);
    if (dead.status === 0) {
      assert.ok(lstatSync(path).isSocket());
      const s1 = new UnixBusServer({ socketPath: path, log: silentLog, healthIntervalMs: 0 });
      await s1.start();
      const s2 = new UnixBusServer({ socketPath: path, log: silentLog, healthIntervalMs: 0 });
      await assert.rejects(s2.start(), /already listening/);
      await s1.close();
    }
    const file = join(tmp.dir, "plain.sock");
    writeFileSync(file, "x");
    await assert.rejects(
      new UnixBusServer({ socketPath: file, log: silentLog }).start(),
      /exists and is not a socket/,
    );
    await assert.rejects(
      new UnixBusServer({ socketPath: join(tmp.dir, "no", "dir.sock"), log: silentLog }).start(),
      /does not exist/,
    );
    await assert.rejects(
      new UnixBusServer({ socketPath: `/tmp/${"x".repeat(120)}.sock`, log: silentLog }).start(),
      /longer than 107 bytes/,
    );
  });
});

describe("unix server: heartbeat", () => {
  test("publishes system.bus.health with pid and uptime", async () => {
    const server = await startServer({ healthIntervalMs: 30 });
    const bus = new UnixBusClient({ socketPath: server.socketPath, log: silentLog });
    const sub = bus.subscribe("system.bus.health");
    const ev = await nextEvent(sub);
    assert.equal(ev.topic, "system.bus.health");
    assert.equal(ev.type, "bus.health");
    assert.equal(ev.payload.pid, process.pid);
    assert.equal(typeof ev.payload.uptime_sec, "number");
    assert.ok((ev.payload.uptime_sec as number) >= 0);
    await bus.close();
    await server.close();
  });

  test("the server's in-process handle publishes to and receives from socket clients", async () => {
    const server = await startServer();
    const local = server.bus();
    const remote = new UnixBusClient({ socketPath: server.socketPath, log: silentLog });
    const localSub = local.subscribe("from.remote");
    const remoteSub = remote.subscribe("from.local");
    await syncSubscription(local, remoteSub, "from.local");
    await local.publish("from.local", { a: 1 });
    assert.deepEqual((await nextEvent(remoteSub)).payload, { a: 1 });
    await remote.publish("from.remote", { b: 2 });
    assert.deepEqual((await nextEvent(localSub)).payload, { b: 2 });
    await local.close();
    await remote.close();
    await server.close();
  });
});
