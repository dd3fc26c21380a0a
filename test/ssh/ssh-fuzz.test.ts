/**
 * Property tests (fast-check, fixed seeds): random bytes and mutations of real SSH
 * sessions never make the SSH parsers throw or run away; ≥ 100,000 inputs per parser.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Ja4SshWindow } from "../../src/fingerprint/ssh/ja4ssh.js";
import { Ja4SshSegmentClassifier } from "../../src/fingerprint/ssh/ja4ssh-segments.js";
import { parseKexinit } from "../../src/fingerprint/ssh/kexinit.js";
import { MAX_PACKET, SshStreamReader } from "../../src/fingerprint/ssh/ssh-stream.js";
import { Counters } from "../../src/util/counters.js";
import { feed } from "../helpers/feed.js";
import { mutated } from "../helpers/mutate.js";
import { kexinitPacket, ssh1Packet, sshPacket, sshString } from "./pcap-writer.js";

const LISTS = [
  "curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha256",
  "ssh-ed25519,rsa-sha2-512",
  "chacha20-poly1305@openssh.com,aes128-ctr",
  "chacha20-poly1305@openssh.com,aes128-ctr",
  "hmac-sha2-256-etm@openssh.com",
  "hmac-sha2-256-etm@openssh.com",
  "none,zlib@openssh.com",
  "none,zlib@openssh.com",
  "",
  "",
];
const KEY = sshString(Buffer.concat([sshString("ssh-ed25519"), sshString(Buffer.alloc(32, 7))]));
const SIG = sshString(Buffer.concat([sshString("ssh-ed25519"), sshString(Buffer.alloc(64, 8))]));

/** Real-shaped directions of SSH sessions, to mutate. */
const SAMPLES: Buffer[] = [
  Buffer.concat([
    Buffer.from("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"),
    kexinitPacket(LISTS),
    sshPacket(30, sshString(Buffer.alloc(32, 1))),
    sshPacket(21),
    Buffer.alloc(64, 0x99),
  ]),
  Buffer.concat([
    Buffer.from("Banner\r\nSSH-1.99-OpenSSH_3.9p1\n"),
    sshPacket(2, sshString("x")),
    kexinitPacket(LISTS, true),
    sshPacket(31, Buffer.concat([KEY, sshString(Buffer.alloc(32, 2)), SIG])),
    sshPacket(21),
  ]),
  Buffer.concat([
    Buffer.from("SSH-1.5-1.2.27\n"),
    ssh1Packet(2, Buffer.alloc(100, 3)),
    ssh1Packet(3, Buffer.alloc(40)),
  ]),
];
const KEXINIT_PAYLOAD = (() => {
  const p = kexinitPacket(LISTS);
  return p.subarray(5, 4 + p.readUInt32BE(0) - p[4]);
})();

const anyStream = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 700 }).map((a) => Buffer.from(a)) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 300 })
      .map((a) => Buffer.concat([Buffer.from("SSH-2.0-x\r\n"), Buffer.from(a)])),
  },
  { weight: 3, arbitrary: fc.constantFrom(...SAMPLES).chain(mutated) },
);
const pieces = fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 12 });

describe("SSH parsers under random and mutated input", () => {
  test("SshStreamReader: 100,000 streams", { timeout: 120_000 }, () => {
    const counters = new Counters();
    fc.assert(
      fc.property(anyStream, pieces, (data, sizes) => {
        const r = new SshStreamReader(counters);
        feed(data, sizes, (b, off, len) => r.push(b, off, len));
        assert.ok(["banner", "packets", "done", "error", "limit"].includes(r.state));
        // tshark's rendering (identText): no NUL, no LF, one character per byte below 0x80 or U+FFFD.
        if (r.banner !== undefined) assert.ok(/^[\x01-\x09\x0b-\x7f\ufffd]*$/.test(r.banner));
        // Bounded: whatever it holds is at most one packet.
        const held = (r as unknown as { acc?: Buffer }).acc;
        assert.ok(held === undefined || held.length <= MAX_PACKET);
        // However the stream is cut, the reader ends the same as with one push.
        const whole = new SshStreamReader(counters);
        whole.push(data, 0, data.length);
        for (const k of ["state", "error", "banner", "preBannerLines", "packets"] as const) {
          assert.equal(r[k], whole[k], k);
        }
        assert.deepEqual(r.kexinit, whole.kexinit);
      }),
      { seed: 0x55a1, numRuns: 100_000 },
    );
  });

  test("parseKexinit: 100,000 payloads", { timeout: 120_000 }, () => {
    const counters = new Counters();
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from([20, ...a])),
      mutated(KEXINIT_PAYLOAD),
    );
    fc.assert(
      fc.property(payload, fc.nat(), fc.nat(), (b, s, e) => {
        const start = s % (b.length + 1);
        const end = start + (e % (b.length - start + 1));
        const k = parseKexinit(b, start, end, counters);
        if (k !== undefined) assert.equal(typeof k.kexAlgorithms, "string");
      }),
      { seed: 0x55a2, numRuns: 100_000 },
    );
  });

  test("Ja4SshSegmentClassifier + Ja4SshWindow: 100,000 connections", { timeout: 120_000 }, () => {
    const counters = new Counters();
    fc.assert(
      fc.property(
        anyStream,
        anyStream,
        pieces,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        (a, b, sizes, turns) => {
          const c = new Ja4SshSegmentClassifier(counters);
          const w = new Ja4SshWindow(7);
          let ia = 0;
          let ib = 0;
          for (let i = 0; ia < a.length || ib < b.length; i++) {
            const fromClient = ib >= b.length || (ia < a.length && turns[i % turns.length]);
            const src = fromClient ? a : b;
            const at = fromClient ? ia : ib;
            const n = Math.min(sizes[i % sizes.length], src.length - at);
            const isSsh = c.classify(fromClient, src, at, n);
            assert.equal(typeof isSsh, "boolean");
            const fp = w.addPacket(fromClient, n, i % 3 === 0, isSsh);
            if (fp !== undefined) assert.match(fp, /^c\d+s\d+_c\d+s\d+_c\d+s\d+$/);
            if (fromClient) ia += n;
            else ib += n;
          }
          const last = w.flush();
          if (last !== undefined) assert.match(last, /^c\d+s\d+_c\d+s\d+_c\d+s\d+$/);
        },
      ),
      { seed: 0x55a3, numRuns: 100_000 },
    );
    // Our Malformed marker is the only exception the classifier may see internally.
    assert.equal(counters.get("ssh.segments_internal_error"), 0);
  });
});
