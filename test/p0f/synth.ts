/**
 * Builds test connections from p0f.fp signatures: for each signature a packet meant to match
 * it, plus perturbed variants (TTL out of range, df/id+ dropped, ecn added, window off by
 * one, ...). What they match is not asserted here; p0f itself is the judge (the test runs
 * p0f on the same capture). Deterministic (seeded).
 */
import {
  ANY,
  OPT_EOL,
  OPT_MSS,
  OPT_NOP,
  OPT_SACK,
  OPT_SOK,
  OPT_TS,
  OPT_WS,
  type P0fDatabase,
  type P0fTcpSignature,
  Quirk,
} from "../../src/fingerprint/p0f/signature-file.js";
import { ACK, buildPacket, ethernet, type PacketSpec, SYN, SYNACK } from "../tcp/helpers.js";

/** Small deterministic PRNG (LCG). */
export function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

interface Variant {
  dropDfId: boolean;
  addEcn: boolean;
  ttlOut: boolean;
  windowOff: boolean;
  v6: boolean;
}

/** Packet fields that realise `sig` (with a variant's perturbations). */
function specFor(sig: P0fTcpSignature, r: (n: number) => number, v: Variant): PacketSpec | undefined {
  if (sig.quirks & (Quirk.OPT_BAD | Quirk.OPT_EOL_NZ)) return undefined;
  const ipVersion: 4 | 6 = sig.ipVersion === 6 || (sig.ipVersion === ANY && v.v6) ? 6 : 4;
  if (ipVersion === 6 && sig.quirks & (Quirk.DF | Quirk.NZ_ID | Quirk.ZERO_ID | Quirk.NZ_MBZ)) {
    if (sig.ipVersion !== ANY) return undefined;
  }
  const q = sig.quirks;
  const mss = sig.mss === ANY ? 1200 + r(261) : sig.mss;
  const wscale = sig.wscale === ANY ? r(15) : sig.wscale;
  let window: number;
  switch (sig.winType) {
    case "normal":
      window = sig.win;
      break;
    case "mod":
      window = sig.win * (1 + r(Math.max(1, Math.floor(65535 / sig.win))));
      break;
    case "mss":
      window = mss * sig.win;
      break;
    case "mtu":
      window = (mss + (ipVersion === 4 ? 40 : 60)) * sig.win;
      break;
    default:
      window = r(65536);
  }
  if (window > 65535) return undefined;
  if (v.windowOff) window = (window + 1) & 0xffff;
  const dist = v.ttlOut ? 36 + r(20) : r(30);
  const ttl = Math.max(1, sig.ttl - dist);

  const options: number[] = [];
  const ts1 = q & Quirk.OPT_ZERO_TS1 ? 0 : 1 + r(1e9);
  const ts2 = q & Quirk.OPT_NZ_TS2 ? 1 + r(1e9) : 0;
  for (const k of sig.layout) {
    switch (k) {
      case OPT_EOL:
        options.push(0, ...new Array<number>(sig.eolPad).fill(0));
        break;
      case OPT_NOP:
        options.push(1);
        break;
      case OPT_MSS:
        options.push(2, 4, mss >> 8, mss & 0xff);
        break;
      case OPT_WS:
        options.push(3, 3, q & Quirk.OPT_EXWS && wscale <= 14 ? 15 : wscale);
        break;
      case OPT_SOK:
        options.push(4, 2);
        break;
      case OPT_SACK:
        options.push(5, 10, 0, 0, 0, 1, 0, 0, 0, 2);
        break;
      case OPT_TS:
        options.push(8, 10, ts1 >>> 24, (ts1 >>> 16) & 255, (ts1 >>> 8) & 255, ts1 & 255);
        options.push(ts2 >>> 24, (ts2 >>> 16) & 255, (ts2 >>> 8) & 255, ts2 & 255);
        break;
      default:
        options.push(k, 2);
    }
  }
  // Without EOL the builder pads with zeros, which p0f would read as EOL: the layout must
  // fill whole words already.
  if (!sig.layout.includes(OPT_EOL) && options.length % 4 !== 0) return undefined;
  if (options.length > 40) return undefined;

  let df = (q & Quirk.DF) !== 0;
  let ipId = q & Quirk.NZ_ID ? 1 + r(65535) : q & Quirk.ZERO_ID ? 0 : df ? 0 : 1 + r(65535);
  if (v.dropDfId && df) {
    df = false;
    ipId = 1 + r(65535);
  }
  let tos = 0;
  let flags = 0;
  if (q & Quirk.ECN || v.addEcn) {
    if (r(2)) tos = 2;
    else flags |= 0xc0;
  }
  if (q & Quirk.URG) flags |= 0x20;
  if (q & Quirk.PUSH) flags |= 0x08;
  return {
    ipVersion,
    src:
      ipVersion === 4
        ? `10.${r(250)}.${r(250)}.${1 + r(250)}`
        : `2001:db8:${r(65535).toString(16)}::${(1 + r(65535)).toString(16)}`,
    dst: ipVersion === 4 ? "192.0.2.80" : "2001:db8:ffff::80",
    ttl,
    tos,
    df: ipVersion === 4 ? df : false,
    mbz: (q & Quirk.NZ_MBZ) !== 0,
    ipId: ipVersion === 4 ? ipId : 0,
    flowLabel: q & Quirk.FLOW ? 1 + r(0xfffff) : 0,
    seq: q & Quirk.ZERO_SEQ ? 0 : 1 + r(2 ** 31),
    ack: q & Quirk.NZ_ACK ? 0x01000000 | r(2 ** 24) : 0,
    flags,
    window,
    urgent: q & Quirk.NZ_URG ? 1 + r(1000) : 0,
    options,
    payload: sig.payloadClass === 1 ? [0x47, 0x45, 0x54] : [],
  };
}

export interface SynthConnection {
  frames: { tsUs: number; linktype: number; data: Buffer }[];
}

/**
 * Frames for every [tcp:request] and [tcp:response] signature of `db`, several variants
 * each; every connection ends with an RST so p0f forgets it.
 */
export function synthesizeFrames(
  db: P0fDatabase,
  seed = 0x5eed,
): { tsUs: number; linktype: number; data: Buffer }[] {
  const r = rng(seed);
  const frames: { tsUs: number; linktype: number; data: Buffer }[] = [];
  let ts = 1_700_000_000_000_000;
  let port = 20000;
  const variants: Variant[] = [
    { dropDfId: false, addEcn: false, ttlOut: false, windowOff: false, v6: false },
    { dropDfId: false, addEcn: false, ttlOut: false, windowOff: false, v6: true },
    { dropDfId: true, addEcn: false, ttlOut: false, windowOff: false, v6: false },
    { dropDfId: false, addEcn: true, ttlOut: false, windowOff: false, v6: false },
    { dropDfId: false, addEcn: false, ttlOut: true, windowOff: false, v6: false },
    { dropDfId: false, addEcn: false, ttlOut: false, windowOff: true, v6: false },
  ];
  const push = (spec: PacketSpec) => {
    frames.push({ tsUs: ts, linktype: 1, data: ethernet(buildPacket(spec)) });
    ts += 137;
  };
  for (const sig of db.tcpRequest) {
    for (const v of variants) {
      const spec = specFor(sig, r, v);
      if (!spec) continue;
      spec.sport = port++;
      spec.dport = 443;
      spec.flags |= SYN;
      push(spec);
      push({ ...spec, flags: 0x04, options: [], payload: [], seq: (spec.seq ?? 0) + 1 });
    }
  }
  for (const sig of db.tcpResponse) {
    for (const v of variants) {
      const spec = specFor(sig, r, v);
      if (!spec) continue;
      const cport = port++;
      const clientMss = 536 + r(1000);
      const client: PacketSpec = {
        ipVersion: spec.ipVersion,
        src: spec.dst,
        dst: spec.src,
        ttl: 64,
        df: true,
        ipId: 1,
        sport: cport,
        dport: 8080,
        seq: 1000,
        flags: SYN,
        window: 29200,
        options: [2, 4, clientMss >> 8, clientMss & 255, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0, 1, 3, 3, 7],
      };
      push(client);
      // Some SYN+ACK windows are multiples of the client's MSS (p0f's "peer MSS" case).
      if (sig.winType === "any" && r(3) === 0) spec.window = clientMss * (1 + r(20));
      push({
        ...spec,
        sport: 8080,
        dport: cport,
        flags: spec.flags | SYNACK,
        ack: sig.quirks & Quirk.ZERO_ACK ? 0 : 1001,
      });
      push({ ...client, flags: 0x04 | ACK, seq: 1001, ack: (spec.seq ?? 0) + 1, options: [] });
    }
  }
  return frames;
}
