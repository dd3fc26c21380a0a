/**
 * Property tests (fast-check, fixed seeds): random bytes under every link type, and
 * mutations of corpus frames and of the hand-built frames (tunnels, fragments). The
 * decoder must never throw, always terminate, keep every offset it returns inside the
 * buffer it returns, and keep fragment reassembly inside its caps.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { readCapture } from "../../src/capture/file-source.js";
import type { CapturedFrame } from "../../src/capture/types.js";
import { Decoder } from "../../src/decode/decoder.js";
import { type DecodedPacket, newDecodedPacket } from "../../src/decode/packet.js";
import { corpusDir } from "../helpers/shared.js";
import {
  erspan2,
  erspan3,
  ether,
  ext6,
  frag6,
  geneve,
  geneveOption,
  gre,
  gtpu,
  hex,
  ipv4,
  ipv6,
  loopback,
  sll,
  sll2,
  synV4,
  tcp,
  udp,
  vxlan,
  vxlanGpe,
} from "./build.js";

const LINKTYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 999];
const CAPS = {
  maxDatagrams: 16,
  maxBufferedBytes: 64 * 1024,
  maxFragmentsPerDatagram: 32,
  timeoutUs: 30_000_000,
};

/** Checks the decoder's invariants after one decode. */
function check(dec: Decoder, frame: CapturedFrame, ok: boolean, out: DecodedPacket): void {
  const f = dec.fragments;
  assert.ok(f.datagrams <= f.maxDatagrams, "datagram cap");
  assert.ok(f.bufferedBytes <= f.maxBufferedBytes, "byte cap");
  assert.ok(f.bufferedBytes >= 0);
  if (!ok) return;
  const lo = out.reassembled ? 0 : frame.offset;
  const hi = out.reassembled ? out.buf.length : frame.offset + frame.length;
  const alen = out.ipVersion === 4 ? 4 : 16;
  assert.ok(out.protocol === 6 || out.protocol === 17);
  assert.ok(out.ipOff >= lo && out.ipOff + out.ipHeaderLen <= hi, "IP header in bounds");
  assert.ok(out.srcOff >= lo && out.srcOff + alen <= hi && out.dstOff + alen <= hi, "addresses in bounds");
  assert.ok(out.l4Off >= out.ipOff + out.ipHeaderLen, "transport after IP header");
  assert.ok(
    out.payloadOff >= out.l4Off + 8 && out.payloadLen >= 0 && out.payloadOff + out.payloadLen <= hi,
    "payload in bounds",
  );
  assert.ok(out.tcpOptLen >= 0 && out.tcpOptOff + out.tcpOptLen <= out.payloadOff, "options in bounds");
  assert.ok(out.srcPort >= 0 && out.srcPort <= 65535 && out.dstPort >= 0 && out.dstPort <= 65535);
  assert.ok(out.tunnelDepth >= 0 && out.tunnelDepth <= 8);
  assert.ok(Number.isInteger(out.tunnelKey) && out.tunnelKey >= 0 && out.tunnelKey <= 0x3fffffff);
  assert.equal(out.tunnelKey === 0, out.tunnelDepth === 0);
}

function frameFrom(linktype: number, bytes: Uint8Array, tsUs: number): CapturedFrame {
  const data = Buffer.alloc(bytes.length + 4, 0xee);
  data.set(bytes, 2);
  return { linktype, tsUs, data, offset: 2, length: bytes.length, origLen: bytes.length, interfaceId: 0 };
}

// Hand-built seeds: every encapsulation the decoder knows.
const in6 = ipv6({
  src: "fd00::1",
  dst: "fd00::2",
  nh: 6,
  payload: tcp({ sport: 5555, dport: 22, options: hex("020405b4 0402 080a 00000001 00000000 01 030307") }),
});
const o4 = (proto: number, p: Buffer) =>
  ether(0x0800, ipv4({ src: "192.0.2.1", dst: "192.0.2.2", proto, payload: p }));
const oUdp = (dport: number, p: Buffer) => o4(17, udp(50000, dport, p));
const seg = tcp({ sport: 4444, dport: 80, flags: 0x18, payload: Buffer.alloc(100, 0x61) });
const HAND: Array<[number, Buffer]> = [
  [
    1,
    ether(0x0800, synV4(), [
      [0x88a8, 1],
      [0x8100, 2],
    ]),
  ],
  [1, o4(47, gre(0x0800, synV4(), { csum: true, key: 7, seq: 9 }))],
  [1, o4(47, gre(0x88be, erspan2(20, ether(0x0800, synV4())), { seq: 0 }))],
  [1, o4(47, gre(0x22eb, erspan3(5, ether(0x0800, synV4()), { platform: true }), { seq: 1 }))],
  [1, oUdp(4789, vxlan(100, ether(0x0800, synV4())))],
  [1, oUdp(4790, vxlanGpe(9, 2, in6))],
  [1, oUdp(6081, geneve(11, 0x6558, ether(0x86dd, in6), [geneveOption(1, 2, hex("01020304"))]))],
  [1, oUdp(2152, gtpu(1, synV4(), { seq: 5, exts: [[0x85, hex("0009")]] }))],
  [1, o4(4, o4(41, in6).subarray(14))],
  [101, ipv6({ src: "::1", dst: "::2", nh: 0, payload: Buffer.concat([ext6(43), ext6(60), ext6(6), seg]) })],
  [113, sll(0x0800, synV4())],
  [276, sll2(0x86dd, in6)],
  [0, loopback(30, in6, true)],
  [108, loopback(2, synV4(), false)],
];
/** Fragment seeds: IPv4 and IPv6 pieces of one segment (mutating ids/offsets exercises reassembly). */
const FRAGS: Buffer[] = [];
for (const [s, e] of [
  [0, 48],
  [48, 96],
  [96, 120],
]) {
  FRAGS.push(
    ipv4({
      src: "192.0.2.10",
      dst: "192.0.2.20",
      proto: 6,
      id: 77,
      df: false,
      mf: e < 120,
      fragOffset: s,
      payload: seg.subarray(s, e),
    }),
  );
  FRAGS.push(
    ipv6({
      src: "2001:db8::10",
      dst: "2001:db8::20",
      nh: 44,
      payload: Buffer.concat([frag6(6, s, e < 120, 99), seg.subarray(s, e)]),
    }),
  );
}

/** Random `body` behind a valid link header (for `lt`) and an IP header of `version` carrying `proto`. */
function withHeaders(lt: number, version: number, proto: number, body: Buffer): Buffer {
  // Mostly-consistent transport lengths (the rest of the header stays random).
  if (proto === 6 && body.length >= 20 && (body[13] & 1) === 0) {
    body[12] = (Math.min(15, 5 + (body[12] % 11), body.length >> 2) << 4) | (body[12] & 0x0f);
  } else if (proto === 17 && body.length >= 8 && (body[6] & 1) === 0) {
    body.writeUInt16BE(body.length, 4);
  }
  // The body's first bytes supply the IP fields the builders leave fixed.
  const ip =
    version === 4
      ? ipv4({
          src: "10.0.0.1",
          dst: "10.0.0.2",
          proto,
          payload: body,
          id: body[0] ?? 0,
          df: (body[1] ?? 0) > 127,
          mf: body[2] === 1,
        })
      : ipv6({ src: "fd00::1", dst: "fd00::2", nh: proto, payload: body });
  const type = version === 4 ? 0x0800 : 0x86dd;
  switch (lt) {
    case 0:
    case 108:
      return loopback(version === 4 ? 2 : 28, ip, lt === 0);
    case 1:
      return ether(type, ip, body.length % 3 === 0 ? [[0x8100, 5]] : []);
    case 113:
      return sll(type, ip);
    case 276:
      return sll2(type, ip);
    default:
      return ip;
  }
}

/** A mutation: overwrite, flip, insert, delete, truncate. */
const mutation = fc.oneof(
  fc.tuple(fc.constant(0), fc.nat(), fc.integer({ min: 0, max: 255 })),
  fc.tuple(fc.constant(1), fc.nat(), fc.integer({ min: 0, max: 7 })),
  fc.tuple(fc.constant(2), fc.nat(), fc.integer({ min: 0, max: 255 })),
  fc.tuple(fc.constant(3), fc.nat(), fc.constant(0)),
  fc.tuple(fc.constant(4), fc.nat(), fc.constant(0)),
);

function mutate(seed: Uint8Array, muts: Array<[number, number, number]>): Uint8Array {
  let b = Array.from(seed);
  for (const [op, pos, v] of muts) {
    const i = b.length === 0 ? 0 : pos % b.length;
    if (op === 0 && b.length > 0) b[i] = v;
    else if (op === 1 && b.length > 0) b[i] ^= 1 << v;
    else if (op === 2) b.splice(i, 0, v);
    else if (op === 3) b.splice(i, 1);
    else if (op === 4) b = b.slice(0, i);
  }
  return Uint8Array.from(b);
}

describe("decoder fuzz", { timeout: 120_000 }, () => {
  test("random bytes under every link type (40,000 inputs)", (t) => {
    const dec = new Decoder(CAPS);
    const out = newDecodedPacket();
    // Half the inputs are pure random bytes; the other half put random bytes behind a
    // link header and an IP header whose lengths agree, so the deeper layers are reached.
    const input = fc.tuple(
      fc.constantFrom(...LINKTYPES),
      fc.boolean(),
      fc.constantFrom(4, 6),
      fc.constantFrom(6, 17, 47, 4, 41, 44, 0, 60, 51, 1),
      fc.uint8Array({ maxLength: 160, size: "max" }),
      fc.nat({ max: 120_000_000 }),
    );
    fc.assert(
      fc.property(input, ([lt, structured, version, proto, body, t]) => {
        const bytes = structured ? Uint8Array.from(withHeaders(lt, version, proto, Buffer.from(body))) : body;
        const frame = frameFrom(lt, bytes, 1_700_000_000_000_000 + t);
        const ok = dec.decode(frame, out);
        check(dec, frame, ok, out);
      }),
      { seed: 0x5eed1, numRuns: 40_000 },
    );
    t.diagnostic(`decoded ${dec.decoded}/${dec.frames}; ${JSON.stringify(dec.stats.toJSON())}`);
    assert.ok(dec.decoded > 1500, "random bytes reach TCP/UDP");
  });

  test("mutated hand-built and corpus frames (40,000 inputs)", async (t) => {
    const seeds: Array<[number, Uint8Array]> = HAND.map(([lt, b]) => [lt, Uint8Array.from(b)]);
    for (const f of FRAGS) seeds.push([101, Uint8Array.from(f)]);
    const dir = corpusDir();
    if (dir !== undefined) {
      for (const name of readdirSync(dir).filter((n) => /\.(pcap|pcapng)$/.test(n))) {
        let i = 0;
        await readCapture(join(dir, name), (f) => {
          // Every 7th frame of each file, up to 40 per file, keeps the seed set varied and small.
          if (i++ % 7 === 0 && i < 280)
            seeds.push([f.linktype, Uint8Array.from(f.data.subarray(f.offset, f.offset + f.length))]);
        });
      }
    }
    // Hand-built seeds alone without the shared corpus; hundreds more with it.
    assert.ok(seeds.length > (dir === undefined ? HAND.length : 30));
    const dec = new Decoder(CAPS);
    const out = newDecodedPacket();
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.nat({ max: 60_000_000 }),
        (si, muts, t) => {
          const [lt, seed] = seeds[si];
          const frame = frameFrom(lt, mutate(seed, muts), 1_700_000_000_000_000 + t);
          const ok = dec.decode(frame, out);
          check(dec, frame, ok, out);
        },
      ),
      { seed: 0x5eed2, numRuns: 40_000 },
    );
    t.diagnostic(
      `${seeds.length} seeds; decoded ${dec.decoded}/${dec.frames}; ${JSON.stringify(dec.stats.toJSON())}`,
    );
  });

  test("fragment streams: shuffled, duplicated, mutated pieces (6,000 streams, ~30,000 fragments)", (t) => {
    const dec = new Decoder(CAPS);
    const out = newDecodedPacket();
    const piece = fc.tuple(
      fc.nat({ max: FRAGS.length - 1 }),
      fc.array(mutation, { maxLength: 2 }),
      fc.nat({ max: 40_000_000 }),
      fc.nat({ max: 3 }),
    );
    let completed = 0;
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 10, size: "max" }), (pieces) => {
        for (const [fi, muts, t, id] of pieces) {
          const b = muts.length > 0 ? mutate(FRAGS[fi], muts) : Uint8Array.from(FRAGS[fi]);
          // Vary the identification so several datagrams are open at once.
          if (b.length > 5 && b[0] >> 4 === 4) b[5] ^= id;
          else if (b.length > 47 && b[0] >> 4 === 6) b[47] ^= id;
          const frame = frameFrom(101, b, 1_700_000_000_000_000 + t);
          const ok = dec.decode(frame, out);
          if (ok && out.reassembled) completed++;
          check(dec, frame, ok, out);
        }
      }),
      { seed: 0x5eed3, numRuns: 6_000 },
    );
    t.diagnostic(`completed ${completed}; ${JSON.stringify(dec.stats.toJSON())}`);
    assert.ok(completed > 0, "some streams reassemble");
    assert.ok(
      dec.stats.get("fragment.evicted") + dec.stats.get("fragment.timeout") > 0,
      "caps and timeouts exercised",
    );
  });
});
