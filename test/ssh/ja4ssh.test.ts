import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Ja4SshWindow } from "../../src/fingerprint/ssh/ja4ssh.js";

describe("Ja4SshWindow", () => {
  test("mode from the FoxIO JA4SSH description: 36 ×20, 128 ×10, 200 ×15 → 36", () => {
    const w = new Ja4SshWindow();
    const lens = [...Array(20).fill(36), ...Array(10).fill(128), ...Array(15).fill(200)];
    for (const len of lens) w.addPacket(true, len, false);
    w.addPacket(false, 52, false);
    assert.equal(w.flush(), "c36s52_c45s1_c0s0");
  });

  test("a tie goes to the smaller length (reference unit test values)", () => {
    const w = new Ja4SshWindow();
    for (const len of [21, 16, 64, 144, 24, 48, 792]) w.addPacket(true, len, false);
    for (const len of [23, 152, 48, 640, 464]) w.addPacket(false, len, false);
    assert.equal(w.flush(), "c16s23_c7s5_c0s0");
  });

  test("a window closes at 200 SSH packets; ACKs after it belong to the next one", () => {
    const w = new Ja4SshWindow();
    const out: string[] = [];
    const add = (c: boolean, len: number, ack: boolean): void => {
      const fp = w.addPacket(c, len, ack);
      if (fp !== undefined) out.push(fp);
    };
    add(true, 0, true); // handshake ACK
    for (let i = 0; i < 100; i++) {
      add(true, 36, false);
      add(false, 36, false);
      add(true, 0, true);
    }
    assert.deepEqual(out, ["c36s36_c100s100_c100s0"]);
    // The client's last ACK of the loop came after the 200th SSH packet: next window.
    add(false, 0, true);
    add(true, 48, false);
    assert.equal(w.flush(), "c48s0_c1s0_c1s1");
    assert.equal(w.flush(), undefined);
  });

  test("only ACK-only packets count as ACKs; payload the dissector skipped is an ACK if flags say so", () => {
    const w = new Ja4SshWindow();
    w.addPacket(true, 0, false); // FIN, RST, SYN...: nothing
    w.addPacket(true, 1448, true, false); // middle of a reassembled message, flags ACK
    w.addPacket(true, 1448, false, false); // same with PSH: nothing
    assert.equal(w.flush(), undefined); // no SSH packet: no fingerprint (the ACK stays)
    w.addPacket(false, 100, false);
    assert.equal(w.flush(), "c0s100_c0s1_c1s0");
  });

  test("a custom window size", () => {
    const w = new Ja4SshWindow(3);
    assert.equal(w.addPacket(true, 5, false), undefined);
    assert.equal(w.addPacket(false, 6, false), undefined);
    assert.equal(w.addPacket(false, 6, false), "c5s6_c1s2_c0s0");
  });
});
