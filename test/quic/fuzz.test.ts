// Property/fuzz tests (fast-check, fixed seeds): random bytes, mutations of real Initial
// datagrams, and validly encrypted Initials with random frames go through the extractor and the
// parsers. Nothing throws (the extractor's internal-error counter stays 0), every loop ends, and
// buffered state stays within the stated bounds. > 100,000 inputs in total.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { CRYPTO_STREAM_LIMIT, CryptoStream } from "../../src/fingerprint/quic/crypto-stream.js";
import { FrameCursor, FrameKind } from "../../src/fingerprint/quic/frames.js";
import { newLongHeader, parseLongHeader } from "../../src/fingerprint/quic/header.js";
import {
  isQuicInitial,
  MAX_PENDING_BYTES,
  QuicClientHelloExtractor,
} from "../../src/fingerprint/quic/quic-client-hello.js";
import { Counters } from "../../src/util/counters.js";
import { corpusDir } from "../helpers/shared.js";
import { buildClientHello, cryptoFrame, PING, padding, protectInitial, V1, V2, varint } from "./builder.js";
import { hex, V1 as RFC_V1, V2 as RFC_V2 } from "./rfc-vectors.js";

const SEED = 0x51c0ffee;
/** Reassembly + pending copies + the header scratch (≤ the datagram; fuzz datagrams stay < 2 KiB). */
const MEMORY_BOUND = CRYPTO_STREAM_LIMIT + MAX_PENDING_BYTES + 2048;
let inputs = 0;
/** Counters shared by every extractor of a test, to show which depths the inputs reached. */
let stats = new Counters();
let yields = 0;

const DCID = Buffer.from("0102030405060708", "hex");

/** Captured client Initial datagrams (Chrome) from the corpus, read with tshark; none without them. */
function corpusSeeds(): Buffer[] {
  const dir = corpusDir();
  if (dir === undefined) return [];
  const out: Buffer[] = [];
  for (const f of ["quic-with-several-tls-frames.pcapng", "chrome-cloudflare-quic-with-secrets.pcapng"]) {
    try {
      const text = execFileSync(
        "tshark",
        ["-n", "-r", join(dir, f), "-Y", "udp.dstport == 443", "-T", "fields", "-e", "udp.payload"],
        { stdio: ["ignore", "pipe", "ignore"] },
      ).toString("latin1");
      for (const line of text.split("\n")) {
        const d = Buffer.from(line.trim().replace(/:/g, ""), "hex");
        if (d.length >= 1200) out.push(d); // the padded client Initials
      }
    } catch {
      // tshark missing: the built-in seeds still run
    }
  }
  return out;
}

/** Initial datagrams: the RFC samples, builder-made ones (multi-packet, coalesced, v2), and captured ones. */
function seeds(): Buffer[] {
  const ch = buildClientHello("fuzz.example", 1800);
  const a = ch.subarray(0, 1000);
  const b = ch.subarray(1000);
  const pad = (d: Buffer) => (d.length >= 1200 ? d : Buffer.concat([d, padding(1200 - d.length)]));
  return [
    hex(RFC_V1.clientPacket),
    hex(RFC_V2.clientPacket),
    pad(protectInitial({ dcid: DCID, pn: 0, pnLen: 1, payload: cryptoFrame(0, a) })),
    pad(
      protectInitial({ dcid: DCID, pn: 1, pnLen: 2, payload: Buffer.concat([PING, cryptoFrame(1000, b)]) }),
    ),
    pad(
      Buffer.concat([
        protectInitial({ version: V2, dcid: DCID, pn: 0, pnLen: 1, payload: cryptoFrame(1000, b) }),
        protectInitial({ version: V2, dcid: DCID, pn: 1, pnLen: 1, payload: cryptoFrame(0, a) }),
      ]),
    ),
    ...corpusSeeds(),
  ];
}

function check(x: QuicClientHelloExtractor, out: Buffer | undefined): void {
  assert.equal(x.counters.get("quic.internal_error"), 0);
  assert.ok(x.memoryBytes <= MEMORY_BOUND);
  if (out !== undefined) {
    yields++;
    assert.equal(out[0], 1);
    assert.equal(out.length, 4 + out.readUIntBE(1, 3));
  }
}

function runOne(d: Buffer, fromClient = true): void {
  inputs++;
  isQuicInitial(d, 0, d.length);
  const x = new QuicClientHelloExtractor(stats);
  check(x, x.pushDatagram(d, 0, d.length, fromClient));
}

function resetStats(): void {
  stats = new Counters();
  yields = 0;
}

/** A mutation: flip/set bytes, truncate, extend, or splice in random bytes. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("splice" as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 40 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

/** Header bytes are where most checks are; aim a share of the mutations at the first 64 bytes. */
function mutate(src: Buffer, muts: Mutation[], headerBias: boolean): Buffer {
  let d = Buffer.from(src);
  for (const m of muts) {
    if (d.length === 0) break;
    const at = (headerBias ? m.at % 64 : m.at) % d.length;
    if (m.kind === "flip") d[at] ^= 1 << m.bit;
    else if (m.kind === "set") d[at] = m.v;
    else if (m.kind === "truncate") d = d.subarray(0, at);
    else d = Buffer.concat([d.subarray(0, at), Buffer.from(m.bytes), d.subarray(at)]);
  }
  return d;
}

describe("QUIC fuzz", { timeout: 120_000 }, () => {
  const SEEDS = seeds();

  test("seeds are valid Initial datagrams the extractor reads", () => {
    for (const s of SEEDS) assert.equal(isQuicInitial(s, 0, s.length), true);
    const x = new QuicClientHelloExtractor();
    assert.ok(x.pushDatagram(SEEDS[0], 0, SEEDS[0].length, true), "RFC v1 sample yields");
    const y = new QuicClientHelloExtractor();
    assert.equal(y.pushDatagram(SEEDS[2], 0, SEEDS[2].length, true), undefined);
    assert.ok(y.pushDatagram(SEEDS[3], 0, SEEDS[3].length, true), "two halves yield");
    const z = new QuicClientHelloExtractor();
    assert.ok(z.pushDatagram(SEEDS[4], 0, SEEDS[4].length, true), "coalesced v2 halves yield");
    for (const s of SEEDS.slice(5)) {
      assert.ok(new QuicClientHelloExtractor().pushDatagram(s, 0, s.length, true), "captured Initial yields");
    }
    process.stderr.write(`QUIC fuzz: ${SEEDS.length} seeds (${SEEDS.length - 5} captured)\n`);
  });

  test("random bytes", () => {
    resetStats();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => runOne(Buffer.from(bytes))),
      { seed: SEED, numRuns: 30_000 },
    );
  });

  test("random bytes behind a plausible long header (v1/v2, Initial type bits)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(V1, V2),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 22 }),
        fc.uint8Array({ maxLength: 1400 }),
        (version, low, dcidLen, rest) => {
          const h = Buffer.alloc(6);
          h[0] = 0xc0 | (version === V2 ? 0x10 : 0) | (low & 0x0f);
          h.writeUInt32BE(version >>> 0, 1);
          h[5] = dcidLen;
          runOne(Buffer.concat([h, Buffer.from(rest)]));
        },
      ),
      { seed: SEED + 1, numRuns: 20_000 },
    );
  });

  test("mutations of real Initial datagrams", () => {
    resetStats();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: SEEDS.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (i, muts, headerBias) => runOne(mutate(SEEDS[i], muts, headerBias)),
      ),
      { seed: SEED + 2, numRuns: 50_000 },
    );
    // The mutations reach every layer: header rejects, AEAD failures, and intact ClientHellos.
    assert.ok(stats.get("quic.decrypt.aead_failed") > 1000, JSON.stringify(stats));
    assert.ok(stats.get("quic.header.unsupported_version") > 0, JSON.stringify(stats));
    assert.ok(yields > 50, `${yields} ClientHellos`);
  });

  test("validly encrypted Initials carrying random frames", () => {
    resetStats();
    const frame = fc.oneof(
      fc.record({
        t: fc.constant("crypto" as const),
        off: fc.integer({ min: 0, max: 70_000 }),
        data: fc.uint8Array({ maxLength: 300 }),
      }),
      fc.record({ t: fc.constant("raw" as const), data: fc.uint8Array({ maxLength: 60 }) }),
      fc.record({ t: fc.constant("pad" as const), n: fc.integer({ min: 1, max: 50 }) }),
      fc.record({ t: fc.constant("ack" as const), n: fc.integer({ min: 0, max: 5 }) }),
    );
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 8 }),
        fc.constantFrom(V1, V2),
        fc.integer({ min: 1, max: 4 }),
        (frames, version, pnLen) => {
          const parts = frames.map((f) => {
            if (f.t === "crypto") return cryptoFrame(f.off, Buffer.from(f.data));
            if (f.t === "raw") return Buffer.from(f.data);
            if (f.t === "pad") return padding(f.n);
            const ranges = Array.from({ length: f.n }, () => Buffer.concat([varint(1), varint(2)]));
            return Buffer.concat([
              Buffer.from([0x02]),
              varint(100),
              varint(0),
              varint(f.n),
              varint(3),
              ...ranges,
            ]);
          });
          const payload = Buffer.concat(parts);
          const pkt = protectInitial({ version, dcid: DCID, pn: 0, pnLen: pnLen as 1 | 2 | 3 | 4, payload });
          runOne(pkt);
        },
      ),
      { seed: SEED + 3, numRuns: 25_000 },
    );
    // Decrypted payloads reach the frame walker and the reassembly limits.
    assert.equal(stats.get("quic.decrypt.aead_failed"), 0, JSON.stringify(stats));
    assert.ok(stats.get("quic.frames.unknown_type") > 0, JSON.stringify(stats));
    assert.ok(stats.get("quic.frames.malformed") > 0, JSON.stringify(stats));
    assert.ok(stats.get("quic.crypto.beyond_limit") > 0, JSON.stringify(stats));
    assert.ok(stats.get("quic.gave_up.not_client_hello") > 0, JSON.stringify(stats));
  });

  test("sequences of datagrams into one extractor (both directions, mixed seeds and mutations)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            i: fc.integer({ min: 0, max: SEEDS.length - 1 }),
            muts: fc.array(mutation, { maxLength: 2 }),
            fromClient: fc.boolean(),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (seq) => {
          const x = new QuicClientHelloExtractor(stats);
          for (const s of seq) {
            inputs++;
            const d = mutate(SEEDS[s.i], s.muts, false);
            check(x, x.pushDatagram(d, 0, d.length, s.fromClient));
          }
        },
      ),
      { seed: SEED + 4, numRuns: 2_000 },
    );
  });

  test("long header parser and frame cursor on random bytes", () => {
    const h = newLongHeader();
    const c = new FrameCursor();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), (bytes, o) => {
        inputs++;
        const b = Buffer.from(bytes);
        const off = b.length === 0 ? 0 : o % b.length;
        if (parseLongHeader(b, off, b.length, h)) {
          assert.ok(h.end <= b.length && h.end >= off);
          assert.ok(h.dcidLen <= 20 && h.scidLen <= 20);
        }
        c.reset(b, off, b.length);
        let steps = 0;
        for (let k = c.next(); k !== FrameKind.End; k = c.next()) {
          assert.ok(++steps <= b.length, "each frame consumes at least one byte");
          if (k === FrameKind.Crypto) assert.ok(c.dataOff + c.dataLen <= b.length);
        }
      }),
      { seed: SEED + 5, numRuns: 20_000 },
    );
  });

  test("CryptoStream under random pushes stays within its limit", () => {
    const src = Buffer.alloc(4096, 0xab);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ off: fc.integer({ min: 0, max: 80_000 }), len: fc.integer({ min: 0, max: 4096 }) }),
          { maxLength: 60 },
        ),
        (pushes) => {
          inputs++;
          const s = new CryptoStream();
          for (const p of pushes) s.push(p.off, src, 0, p.len);
          assert.ok(s.buffered() <= CRYPTO_STREAM_LIMIT);
          assert.ok(s.contiguous() <= s.buffered());
        },
      ),
      { seed: SEED + 6, numRuns: 3_000 },
    );
  });

  test("at least 100,000 inputs in total", () => {
    process.stderr.write(`QUIC fuzz: ${inputs} inputs\n`);
    assert.ok(inputs >= 100_000, `${inputs} inputs`);
  });
});
