// The NSS key log store (SSLKEYLOGFILE lines from pcapng Decryption Secrets Blocks): what is
// kept, what is refused, and its bounds.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MAX_KEYLOG_ENTRIES, TlsKeyLog } from "../../src/fingerprint/tls/keylog.js";

const random = (i: number) => i.toString(16).padStart(64, "0");

describe("TlsKeyLog", () => {
  test("keeps NSS lines per client random; comments and blank lines are skipped", () => {
    const k = new TlsKeyLog();
    const secret = "ab".repeat(48);
    k.addText(
      `# a comment\n\nSERVER_HANDSHAKE_TRAFFIC_SECRET ${random(1)} ${secret}\r\nCLIENT_RANDOM ${random(1)} ${"cd".repeat(48)}\n`,
    );
    assert.equal(k.size, 1);
    assert.equal(k.ignored, 0);
    const r = Buffer.from(random(1), "hex");
    assert.equal(k.secret(r, "SERVER_HANDSHAKE_TRAFFIC_SECRET")?.toString("hex"), secret);
    assert.equal(k.secret(r, "CLIENT_RANDOM")?.length, 48);
    assert.equal(k.secret(Buffer.from(random(2), "hex"), "CLIENT_RANDOM"), undefined);
  });

  test("refuses malformed lines, unknown labels and secrets longer than 64 bytes (counted)", () => {
    const k = new TlsKeyLog();
    k.addText(
      [
        `MADE_UP_LABEL ${random(1)} ${"00".repeat(32)}`,
        `SERVER_HANDSHAKE_TRAFFIC_SECRET ${random(1)} ${"00".repeat(65)}`,
        `SERVER_HANDSHAKE_TRAFFIC_SECRET ${random(1).slice(2)} ${"00".repeat(32)}`,
        `SERVER_HANDSHAKE_TRAFFIC_SECRET ${random(1)} 0`,
        "CLIENT_RANDOM only-two",
      ].join("\n"),
    );
    assert.equal(k.size, 0);
    assert.equal(k.ignored, 5);
  });

  test(`at most ${MAX_KEYLOG_ENTRIES.toLocaleString("en-US")} client randoms`, () => {
    const k = new TlsKeyLog();
    const lines: string[] = [];
    for (let i = 0; i <= MAX_KEYLOG_ENTRIES; i++) lines.push(`CLIENT_RANDOM ${random(i)} ${"11".repeat(48)}`);
    k.addText(lines.join("\n"));
    assert.equal(k.size, MAX_KEYLOG_ENTRIES);
    assert.equal(k.ignored, 1);
  });
});
