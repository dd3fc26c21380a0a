// Bus selection, DESIGN §5 "Bus selection" and §4 precedence (flags > environment > file).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BusConfigError,
  createBus,
  defaultSocketPath,
  resolveBusSettings,
  type SelectProbe,
} from "../../src/bus/select.js";

function probe(opts: { runWritable?: boolean; sockets?: string[] } = {}): SelectProbe {
  return {
    isWritableDir: (p) => p === "/run/decnet" && opts.runWritable === true,
    isSocket: (p) => (opts.sockets ?? []).includes(p),
    homeDir: () => "/home/op",
  };
}

describe("socket path rules", () => {
  test("DECNET_BUS_SOCKET, else /run/decnet/bus.sock if writable, else ~/.decnet/bus.sock", () => {
    assert.equal(
      defaultSocketPath({ DECNET_BUS_SOCKET: "/x/y.sock" }, {}, probe({ runWritable: true })),
      "/x/y.sock",
    );
    assert.equal(defaultSocketPath({}, {}, probe({ runWritable: true })), "/run/decnet/bus.sock");
    assert.equal(defaultSocketPath({}, {}, probe()), "/home/op/.decnet/bus.sock");
    assert.equal(
      defaultSocketPath({}, { socket: "/etc-conf.sock" }, probe({ runWritable: true })),
      "/etc-conf.sock",
    );
    assert.equal(defaultSocketPath({ DECNET_BUS_SOCKET: "" }, {}, probe()), "/home/op/.decnet/bus.sock");
  });
});

describe("transport selection", () => {
  test("DECNET_BUS_ENABLED=false means no bus, whatever the type", () => {
    for (const v of ["false", "FALSE", "0", "no", "off"]) {
      const s = resolveBusSettings({
        env: { DECNET_BUS_ENABLED: v, DECNET_BUS_TYPE: "nats" },
        probe: probe(),
      });
      assert.equal(s.kind, "null", v);
    }
    assert.equal(resolveBusSettings({ env: { DECNET_BUS_ENABLED: "true" }, probe: probe() }).kind, "inproc");
    assert.throws(
      () => resolveBusSettings({ env: { DECNET_BUS_ENABLED: "maybe" }, probe: probe() }),
      BusConfigError,
    );
  });

  test("unset type: unix when a socket exists at the default path, else inproc", () => {
    assert.equal(resolveBusSettings({ env: {}, probe: probe() }).kind, "inproc");
    const s = resolveBusSettings({
      env: {},
      probe: probe({ runWritable: true, sockets: ["/run/decnet/bus.sock"] }),
    });
    assert.deepEqual(s.kind === "unix" && s.socketPath, "/run/decnet/bus.sock");
    const h = resolveBusSettings({ env: {}, probe: probe({ sockets: ["/home/op/.decnet/bus.sock"] }) });
    assert.deepEqual(h.kind === "unix" && h.socketPath, "/home/op/.decnet/bus.sock");
    const e = resolveBusSettings({
      env: { DECNET_BUS_SOCKET: "/s.sock" },
      probe: probe({ sockets: ["/s.sock"] }),
    });
    assert.deepEqual(e.kind === "unix" && e.socketPath, "/s.sock");
  });

  test("DECNET_BUS_TYPE picks the transport; DECNET's 'fake' means inproc; unknown is an error", () => {
    assert.equal(resolveBusSettings({ env: { DECNET_BUS_TYPE: "unix" }, probe: probe() }).kind, "unix");
    assert.equal(resolveBusSettings({ env: { DECNET_BUS_TYPE: "NATS" }, probe: probe() }).kind, "nats");
    assert.equal(
      resolveBusSettings({
        env: { DECNET_BUS_TYPE: "inproc" },
        probe: probe({ sockets: ["/home/op/.decnet/bus.sock"] }),
      }).kind,
      "inproc",
    );
    assert.equal(resolveBusSettings({ env: { DECNET_BUS_TYPE: "fake" }, probe: probe() }).kind, "inproc");
    assert.throws(
      () => resolveBusSettings({ env: { DECNET_BUS_TYPE: "kafka" }, probe: probe() }),
      /unix, nats or inproc/,
    );
  });

  test("flags win over environment, environment over the config file", () => {
    const env = { DECNET_BUS_TYPE: "nats", DECNET_BUS_SOCKET: "/env.sock" };
    const file = { type: "inproc", socket: "/file.sock" };
    const a = resolveBusSettings({
      flags: { type: "unix", socket: "/flag.sock" },
      env,
      file,
      probe: probe(),
    });
    assert.deepEqual(a.kind === "unix" && a.socketPath, "/flag.sock");
    assert.equal(resolveBusSettings({ env, file, probe: probe() }).kind, "nats");
    assert.equal(resolveBusSettings({ env: {}, file, probe: probe() }).kind, "inproc");
    const b = resolveBusSettings({ env: { DECNET_BUS_TYPE: "unix" }, file, probe: probe() });
    assert.deepEqual(b.kind === "unix" && b.socketPath, "/file.sock");
    assert.equal(
      resolveBusSettings({ flags: { enabled: true }, env: { DECNET_BUS_ENABLED: "false" }, probe: probe() })
        .kind,
      "inproc",
    );
    assert.equal(resolveBusSettings({ env: {}, file: { enabled: false }, probe: probe() }).kind, "null");
  });

  test("a --socket or --nats-url flag implies its transport when no type is given", () => {
    assert.equal(resolveBusSettings({ flags: { socket: "/s" }, env: {}, probe: probe() }).kind, "unix");
    assert.equal(
      resolveBusSettings({ flags: { natsUrl: "nats://h:4222" }, env: {}, probe: probe() }).kind,
      "nats",
    );
    // DECNET_NATS_URL alone does not switch a host to NATS.
    assert.equal(
      resolveBusSettings({ env: { DECNET_NATS_URL: "nats://h:1" }, probe: probe() }).kind,
      "inproc",
    );
  });

  test("NATS URL and credentials from flags, environment, file; clear errors", () => {
    const s = resolveBusSettings({
      env: {
        DECNET_BUS_TYPE: "nats",
        DECNET_NATS_URL: "nats://a:4222, nats://b:4222",
        DECNET_NATS_USER: "u",
        DECNET_NATS_PASS: "p",
      },
      probe: probe(),
    });
    assert.deepEqual(s, {
      kind: "nats",
      servers: ["nats://a:4222", "nats://b:4222"],
      user: "u",
      pass: "p",
      token: undefined,
      reason: "DECNET_BUS_TYPE",
    });
    const d = resolveBusSettings({ env: { DECNET_BUS_TYPE: "nats" }, probe: probe() });
    assert.deepEqual(d.kind === "nats" && d.servers, ["nats://127.0.0.1:4222"]);
    const t = resolveBusSettings({
      flags: { type: "nats", natsToken: "tok" },
      env: { DECNET_NATS_TOKEN: "other" },
      probe: probe(),
    });
    assert.equal(t.kind === "nats" && t.token, "tok");
    assert.throws(
      () => resolveBusSettings({ flags: { type: "nats", natsUser: "u" }, env: {}, probe: probe() }),
      /go together/,
    );
    assert.throws(
      () =>
        resolveBusSettings({
          flags: { type: "nats", natsUser: "u", natsPass: "p", natsToken: "t" },
          env: {},
          probe: probe(),
        }),
      /not both/,
    );
    assert.throws(
      () =>
        resolveBusSettings({ flags: { type: "nats", natsUrl: "nats://h:1/x y" }, env: {}, probe: probe() }),
      /not a NATS server URL/,
    );
  });

  test("createBus builds the transport the settings name", async () => {
    assert.equal(createBus({ kind: "null", reason: "" }).kind, "null");
    assert.equal(createBus({ kind: "inproc", reason: "" }).kind, "inproc");
    assert.equal(createBus({ kind: "unix", socketPath: "/nowhere.sock", reason: "" }).kind, "unix");
    assert.equal(createBus({ kind: "nats", servers: ["nats://127.0.0.1:1"], reason: "" }).kind, "nats");
  });
});
