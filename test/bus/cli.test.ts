// `decnet-sensor bus serve|sub|pub`, run as separate processes against each transport.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { REPO_ROOT } from "../helpers/shared.js";
import { freePort, NatsServerProcess, skipWithoutNats, tempDir, waitFor } from "./helpers/util.js";

const RUNNER = join(REPO_ROOT, "test", "bus", "helpers", "run-cli.ts");
const tmp = tempDir();
after(() => tmp.cleanup());

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith("DECNET_")) delete base[k];
  const child = spawn(process.execPath, ["--import", "tsx", RUNNER, "bus", ...args], {
    cwd: REPO_ROOT,
    env: { ...base, HOME: tmp.dir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Runs `pub` until `sub` has exited (a subscriber goes live asynchronously). */
async function pubUntilExit(sub: Run, pubArgs: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  let exited = false;
  void sub.exit.then(() => {
    exited = true;
  });
  for (let i = 0; !exited; i++) {
    assert.ok(i < 30, `subscriber never got its events: ${sub.stderr()}`);
    const p = cli(pubArgs, env);
    assert.equal(await p.exit, 0, p.stderr());
  }
}

function envelopes(text: string) {
  return text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

describe("bus CLI over the UNIX socket", () => {
  test("serve, sub --count, pub: each event printed as one JSON line", async () => {
    const sock = join(tmp.dir, "cli.sock");
    const serve = cli(["serve", "--socket", sock, "--health-interval", "0"]);
    await waitFor(() => serve.stderr().includes("serving on"), "the server");
    const sub = cli(["sub", "decky.*.traffic", "--socket", sock, "--count", "2"]);
    await waitFor(() => sub.stderr().includes("subscribed"), "the subscriber");
    await pubUntilExit(sub, [
      "pub",
      "decky.web01.traffic",
      '{"src_ip":"192.0.2.10"}',
      "--type",
      "tls_session",
      "--socket",
      sock,
    ]);
    assert.equal(await sub.exit, 0, sub.stderr());
    const evs = envelopes(sub.stdout());
    assert.equal(evs.length, 2);
    for (const ev of evs) {
      assert.deepEqual(Object.keys(ev), ["v", "id", "topic", "type", "ts", "payload"]);
      assert.equal(ev.topic, "decky.web01.traffic");
      assert.equal(ev.type, "tls_session");
      assert.deepEqual(ev.payload, { src_ip: "192.0.2.10" });
    }
    serve.child.kill("SIGTERM");
    assert.equal(await serve.exit, 0);
    assert.equal(existsSync(sock), false, "the socket file is removed on shutdown");
  });

  test("DECNET_BUS_SOCKET is honoured and an existing socket selects the unix transport", async () => {
    const sock = join(tmp.dir, "env.sock");
    const env = { DECNET_BUS_SOCKET: sock };
    const serve = cli(["serve", "--health-interval", "50"], env);
    await waitFor(() => serve.stderr().includes("serving on"), "the server");
    const sub = cli(["sub", "system.bus.health", "--count", "1"], env);
    assert.equal(await sub.exit, 0, sub.stderr());
    assert.equal(envelopes(sub.stdout())[0].type, "bus.health");
    serve.child.kill("SIGINT");
    assert.equal(await serve.exit, 0);
  });

  test("clear errors: serve with inproc or nats, bad topic, bad pattern, bad JSON, no server", async () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [["serve", "--transport", "inproc"], {}, /in-process bus makes no sense/],
      [["serve", "--type", "nats"], {}, /run nats-server itself/],
      [["serve"], { DECNET_BUS_TYPE: "inproc" }, /only serves the UNIX-socket bus/],
      [["pub", "decky.*.traffic", "{}"], {}, /invalid topic/],
      [["pub", "a.b", "[1]"], {}, /must be a JSON object/],
      [["pub", "a.b", "{nope"], {}, /must be a JSON object/],
      [["sub", "a..b"], {}, /invalid pattern/],
      [["sub", "a.>", "--count", "0"], {}, /positive integer/],
      [["pub", "a.b", "{}", "--socket", join(tmp.dir, "none.sock")], {}, /no bus server at/],
      [["sub", "a.>"], { DECNET_BUS_ENABLED: "false" }, /bus disabled/],
      [["pub", "a.b", "{}", "--transport", "kafka"], {}, /unix, nats or inproc/],
    ];
    const runs = cases.map(([args, env]) => cli(args, env));
    for (let i = 0; i < cases.length; i++) {
      assert.equal(await runs[i].exit, 1, cases[i][0].join(" "));
      assert.match(runs[i].stderr(), cases[i][2]);
    }
  });

  test("pub on the in-process bus works and says nobody else will see it", async () => {
    const r = cli(["pub", "a.b", '{"x":1}'], { DECNET_BUS_TYPE: "inproc" });
    assert.equal(await r.exit, 0);
    assert.match(r.stderr(), /in-process bus/);
  });
});

describe("bus CLI over NATS", { skip: skipWithoutNats() }, () => {
  test("sub and pub with --transport nats / DECNET_NATS_URL", async () => {
    const srv = new NatsServerProcess(await freePort());
    await srv.start();
    try {
      const sub = cli(["sub", "attacker.>", "--type", "nats", "--nats-url", srv.url, "--count", "1"]);
      await waitFor(() => sub.stderr().includes("subscribed"), "the subscriber");
      await pubUntilExit(
        sub,
        ["pub", "attacker.fingerprinted", '{"target_ip":"203.0.113.9"}', "--type", "jarm"],
        {
          DECNET_BUS_TYPE: "nats",
          DECNET_NATS_URL: srv.url,
        },
      );
      assert.equal(await sub.exit, 0, sub.stderr());
      const [ev] = envelopes(sub.stdout());
      assert.equal(ev.topic, "attacker.fingerprinted");
      assert.equal(ev.type, "jarm");
      assert.deepEqual(ev.payload, { target_ip: "203.0.113.9" });
    } finally {
      await srv.stop();
    }
  });
});

describe("bus CLI with a config file", () => {
  test("the file's bus.socket is used when no flag or environment names one", async () => {
    const sock = join(tmp.dir, "from-config.sock");
    const cfg = join(tmp.dir, "sensor.json");
    writeFileSync(cfg, JSON.stringify({ bus: { type: "unix", socket: sock } }));
    const serve = cli(["serve", "--config", cfg, "--health-interval", "0"]);
    await waitFor(() => serve.stderr().includes(`serving on ${sock}`), "the server on the configured socket");
    const sub = cli(["sub", "a.>", "--config", cfg, "--count", "1"]);
    await waitFor(() => sub.stderr().includes("subscribed"), "the subscriber");
    await pubUntilExit(sub, ["pub", "a.b", '{"n":1}', "--config", cfg]);
    assert.equal(envelopes(sub.stdout())[0].payload.n, 1);
    serve.child.kill("SIGTERM");
    await serve.exit;
  });

  test("a broken config file is refused with a message naming the problem", async () => {
    const cfg = join(tmp.dir, "broken.json");
    writeFileSync(cfg, JSON.stringify({ bus: { tpye: "unix" } }));
    const r = cli(["pub", "a.b", "{}", "--config", cfg]);
    assert.notEqual(await r.exit, 0);
    assert.match(r.stderr(), /unknown key bus\.tpye/);
    writeFileSync(cfg, "{ not json");
    const r2 = cli(["pub", "a.b", "{}", "--config", cfg]);
    assert.notEqual(await r2.exit, 0);
    assert.match(r2.stderr(), /not valid JSON/);
  });
});
