/** The benchmark's JavaScript floor counts what it claims to walk (bench/js-floor.ts). */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runFloor } from "../../bench/js-floor.js";
import { ether, ipv4, ipv6, tcp, udp } from "../decode/build.js";
import { pcapFile } from "../helpers/pcap-file.js";

const A = "203.0.113.9";
const D = "10.13.0.10";
const seg = (fromA: boolean, flags: number, sport = 40000) =>
  ether(
    0x0800,
    ipv4({
      src: fromA ? A : D,
      dst: fromA ? D : A,
      proto: 6,
      payload: tcp({ sport: fromA ? sport : 443, dport: fromA ? 443 : sport, flags }),
    }),
  );

describe("js-floor", () => {
  const dir = mkdtempSync(join(tmpdir(), "js-floor-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const frames = [
    seg(true, 0x02), // probe 1: SYN, SYN-ACK, RST → one flow
    seg(false, 0x12),
    seg(true, 0x04),
    seg(true, 0x02), // the same ports after the RST: a second flow
    seg(true, 0x02, 40001), // other ports: a third, still open
    seg(false, 0x12, 40001),
    ether(0x0800, ipv4({ src: A, dst: D, proto: 17, payload: udp(5353, 53, Buffer.from("x")) })), // not TCP
    ether(
      0x86dd,
      ipv6({ src: "2001:db8::1", dst: "2001:db8::2", nh: 6, payload: tcp({ sport: 1, dport: 2 }) }),
    ),
  ];
  const file = join(dir, "f.pcap");
  writeFileSync(file, pcapFile(frames.map((data, i) => ({ tsUs: 1_700_000_000_000_000 + i, data }))));

  test("records: every record, no flows", () => {
    const r = runFloor("records", file);
    assert.equal(r.packets, 8);
    assert.equal(r.flows, 0);
  });

  test("flows: an entry per IPv4 TCP 5-tuple, a new one after RST", () => {
    const r = runFloor("flows", file);
    assert.equal(r.packets, 8);
    assert.equal(r.flows, 3);
  });

  test("anything but little-endian Ethernet pcap is refused", () => {
    const other = join(dir, "raw.pcap");
    writeFileSync(other, pcapFile([{ tsUs: 0, data: frames[0] }], 101));
    assert.throws(() => runFloor("flows", other), /Ethernet/);
  });
});
