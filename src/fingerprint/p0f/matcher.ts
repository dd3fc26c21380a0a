/**
 * p0f 3.09b TCP signature matching (fp_tcp.c `tcp_find_match`), for client SYNs
 * ([tcp:request]) and server SYN+ACKs ([tcp:response]).
 *
 * Within the signatures sharing the packet's option layout, in file order:
 * - quirks must be equal, except that `df`/`id+` may disappear and `id-`/`ecn` appear
 *   (→ fuzzy; only until the first fuzzy candidate is found); a `*` signature ignores the
 *   quirks that do not exist for the packet's IP version;
 * - EOL padding and IP option length must be equal;
 * - TTL: the signature's initial TTL must be ≥ the packet's and at most 35 (MAX_DIST) above
 *   it, else the match is fuzzy; `ittl-` (random-TTL tools) only needs ≥, never fuzzy;
 * - MSS, window scale, payload class: equal unless `*`;
 * - window: exact, `%N` (multiple of N), `mss*N` / `mtu*N` (p0f's window-multiple detection,
 *   which also tries MSS−12 with timestamps, 1460/1448 (1440/1428 on IPv6), the header size,
 *   1500, and on SYN+ACKs the client's SYN MSS), or `*`.
 * The first non-fuzzy specific signature wins; else the first non-fuzzy generic one; else the
 * first fuzzy one — except that fuzzy matches to application (`!`) signatures are dropped.
 * Distance = signature TTL − packet TTL, or p0f's guess (next of 32/64/128/255 minus TTL) when
 * there is no match or the TTL is out of range.
 *
 * Note p0f does not compare the IP version field of a signature with the packet's; neither
 * does this matcher (the quirks usually keep them apart).
 */
import type { DecodedPacket } from "../../decode/packet.js";
import { TCP_ACK, TCP_SYN } from "../../decode/packet.js";
import { initialTtl } from "../tcp/syn-fingerprint.js";
import { P0fPacket, p0fPacketOf } from "./packet-signature.js";
import { detectWindowMultiple, MIN_TCP4, MIN_TCP6, type WinMulti } from "./window-multiple.js";

export { detectWindowMultiple } from "./window-multiple.js";

import {
  ANY,
  LAYOUT_TOKENS,
  layoutHash,
  MAX_DIST,
  OPT_EOL,
  type P0fDatabase,
  type P0fTcpSignature,
  QUIRK_NAMES,
  Quirk,
  quirksFor,
} from "./signature-file.js";

/** MSS and window p0f's `p0f-sendsyn` probes use; echoed MSS prints as `*` in SYN+ACK sigs. */
const SPECIAL_MSS = 1331;

/** Outcome of matching one SYN or SYN+ACK, in the terms of p0f's log line. */
export interface P0fMatch {
  /**
   * What p0f logs as `os=` (or `app=` for application signatures): `name flavor`, e.g.
   * "Linux 3.11 and newer", or "???" when nothing matched.
   */
  label: string;
  /** "app" for signatures of class `!` (p0f logs them as `app=`), else "os". */
  kind: "os" | "app";
  matched: boolean;
  /** p0f's OS (or tool) name of the match, e.g. "Linux"; null when nothing matched. */
  os: string | null;
  /** Flavor of the match, e.g. "3.11 and newer"; null when none. */
  flavor: string | null;
  /** Signature class: an OS class from `classes =` ("unix", "win", ...), "!" for applications, null when nothing matched. */
  class: string | null;
  generic: boolean;
  fuzzy: boolean;
  /** Matched a random-TTL (`ittl-`) signature; p0f then logs the distance as "<= N". */
  randomTtl: boolean;
  distance: number;
  /** p0f's `dist=` text: "N" or "<= N". */
  distanceText: string;
  /** p0f's `params=` text: generic, fuzzy, random_ttl, excess_dist, tos:0x.. or "none". */
  params: string;
  /** p0f's `raw_sig=` text for the packet. */
  rawSignature: string;
  /** The matched signature (its `line` points into p0f.fp). */
  signature: P0fTcpSignature | undefined;
}

/** p0f's distance guess for an unmatched TTL: up to the next of 32, 64, 128, 255. */
export function guessDistance(ttl: number): number {
  return initialTtl(ttl) - ttl;
}

function sameLayout(sig: P0fTcpSignature, p: P0fPacket): boolean {
  if (sig.layout.length !== p.optCount) return false;
  for (let i = 0; i < p.optCount; i++) if (sig.layout[i] !== p.layout[i]) return false;
  return true;
}

interface FindResult {
  sig: P0fTcpSignature | undefined;
  fuzzy: boolean;
  dist: number;
}

const winScratch: WinMulti = { multi: -1, mtu: false };
const NO_SIGNATURES: readonly P0fTcpSignature[] = [];

function findMatch(bucket: readonly P0fTcpSignature[] | undefined, p: P0fPacket, synMss: number): FindResult {
  let fmatch: P0fTcpSignature | undefined;
  let gmatch: P0fTcpSignature | undefined;
  const wm = detectWindowMultiple(p, synMss, winScratch);
  const payloadClass = p.payloadLen > 0 ? 1 : 0;
  for (const ref of bucket ?? NO_SIGNATURES) {
    if (!sameLayout(ref, p)) continue;
    let fuzzy = false;
    const refQuirks = quirksFor(ref, p.ipVersion);
    if (refQuirks !== p.quirks) {
      const deleted = (refQuirks ^ p.quirks) & refQuirks;
      const added = (refQuirks ^ p.quirks) & p.quirks;
      if (fmatch || deleted & ~(Quirk.DF | Quirk.NZ_ID) || added & ~(Quirk.ZERO_ID | Quirk.ECN)) continue;
      fuzzy = true;
    }
    if (ref.eolPad !== p.eolPad || ref.ipOptLen !== p.ipOptLen) continue;
    if (ref.badTtl) {
      if (ref.ttl < p.ttl) continue;
    } else if (ref.ttl < p.ttl || ref.ttl - p.ttl > MAX_DIST) {
      fuzzy = true;
    }
    if (ref.mss !== ANY && ref.mss !== p.mss) continue;
    if (ref.wscale !== ANY && ref.wscale !== p.wscale) continue;
    if (ref.payloadClass !== ANY && ref.payloadClass !== payloadClass) continue;
    switch (ref.winType) {
      case "normal":
        if (ref.win !== p.win) continue;
        break;
      case "mod":
        if (p.win % ref.win !== 0) continue;
        break;
      case "mss":
        if (wm.mtu || ref.win !== wm.multi) continue;
        break;
      case "mtu":
        if (!wm.mtu || ref.win !== wm.multi) continue;
        break;
      case "any":
        break;
    }
    if (!fuzzy) {
      if (!ref.label.generic) return { sig: ref, fuzzy: false, dist: ref.ttl - p.ttl };
      if (!gmatch) gmatch = ref;
    } else if (!fmatch) {
      fmatch = ref;
    }
  }
  if (gmatch) return { sig: gmatch, fuzzy: false, dist: gmatch.ttl - p.ttl };
  // No fuzzy matching for userland tools; p0f then reports distance 0.
  if (fmatch && fmatch.label.osClass === null) return { sig: undefined, fuzzy: false, dist: 0 };
  const dist =
    !fmatch || fmatch.ttl < p.ttl || (!fmatch.badTtl && fmatch.ttl - p.ttl > MAX_DIST)
      ? guessDistance(p.ttl)
      : fmatch.ttl - p.ttl;
  return { sig: fmatch, fuzzy: fmatch !== undefined, dist };
}

const LAYOUT_NAMES: Record<number, string> = Object.fromEntries(LAYOUT_TOKENS.map(([name, k]) => [k, name]));

/** p0f's `raw_sig=` text for a packet (dump_sig in fp_tcp.c). */
export function rawSignature(p: P0fPacket, synMss = 0): string {
  const dist = guessDistance(p.ttl);
  let s =
    dist > MAX_DIST
      ? `${p.ipVersion}:${p.ttl}+?:${p.ipOptLen}:`
      : `${p.ipVersion}:${p.ttl}+${dist}:${p.ipOptLen}:`;
  s += p.mss === SPECIAL_MSS && p.tcpType === (TCP_SYN | TCP_ACK) ? "*:" : `${p.mss}:`;
  const wm = detectWindowMultiple(p, synMss, winScratch);
  s += wm.multi > 0 ? `${wm.mtu ? "mtu" : "mss"}*${wm.multi}` : `${p.win}`;
  s += `,${p.wscale}:`;
  for (let i = 0; i < p.optCount; i++) {
    const k = p.layout[i];
    if (i > 0) s += ",";
    s += k === OPT_EOL ? `eol+${p.eolPad}` : (LAYOUT_NAMES[k] ?? `?${k}`);
  }
  s += ":";
  let first = true;
  for (const [bit, name] of QUIRK_NAMES) {
    if (p.quirks & bit) {
      s += first ? name : `,${name}`;
      first = false;
    }
  }
  s += p.payloadLen > 0 ? ":+" : ":0";
  return s;
}

function toMatch(r: FindResult, p: P0fPacket, synMss: number): P0fMatch {
  const sig = r.sig;
  const label = sig ? (sig.label.flavor ? `${sig.label.name} ${sig.label.flavor}` : sig.label.name) : "???";
  const randomTtl = sig?.badTtl ?? false;
  const flags: string[] = [];
  if (sig) {
    if (sig.label.generic) flags.push("generic");
    if (r.fuzzy) flags.push("fuzzy");
    if (sig.badTtl) flags.push("random_ttl");
  }
  if (r.dist > MAX_DIST) flags.push("excess_dist");
  if (p.tos) flags.push(`tos:0x${p.tos.toString(16).padStart(2, "0")}`);
  return {
    label,
    kind: sig && sig.label.osClass === null ? "app" : "os",
    matched: sig !== undefined,
    os: sig ? sig.label.name : null,
    flavor: sig ? sig.label.flavor : null,
    class: sig ? (sig.label.osClass ?? "!") : null,
    generic: sig ? sig.label.generic : false,
    fuzzy: r.fuzzy,
    randomTtl,
    distance: r.dist,
    distanceText: randomTtl ? `<= ${r.dist}` : `${r.dist}`,
    params: flags.length ? flags.join(" ") : "none",
    rawSignature: rawSignature(p, synMss),
    signature: sig,
  };
}

/**
 * Matches an extracted packet record. `toServer` selects [tcp:request] (client SYN) or
 * [tcp:response] (SYN+ACK); `synMss` is the MSS of the client SYN of the same connection
 * (used for SYN+ACK window multiples; 0 when unknown or for SYNs).
 */
export function matchP0fPacket(db: P0fDatabase, toServer: boolean, p: P0fPacket, synMss = 0): P0fMatch {
  const index = toServer ? db.tcpRequestByLayout : db.tcpResponseByLayout;
  const bucket = index.get(layoutHash(p.layout, p.optCount));
  return toMatch(findMatch(bucket, p, synMss), p, synMss);
}

const pktScratch = new P0fPacket();

/** p0f label for a client SYN (undefined when p0f would not fingerprint the packet). */
export function matchP0fSyn(db: P0fDatabase, syn: DecodedPacket): P0fMatch | undefined {
  const p = p0fPacketOf(syn, pktScratch);
  if (!p || p.tcpType !== TCP_SYN) return undefined;
  return matchP0fPacket(db, true, p, 0);
}

/**
 * p0f label for a server SYN+ACK; `synMss` is the MSS of the client's SYN (0 if unknown).
 * Undefined when p0f would not fingerprint the packet.
 */
export function matchP0fSynAck(db: P0fDatabase, synAck: DecodedPacket, synMss = 0): P0fMatch | undefined {
  const p = p0fPacketOf(synAck, pktScratch);
  if (!p || p.tcpType !== (TCP_SYN | TCP_ACK)) return undefined;
  return matchP0fPacket(db, false, p, synMss);
}

/** p0f's MTU observation: link type name for MSS + 40 (IPv4) or + 60 (IPv6). */
export interface P0fMtuMatch {
  mtu: number;
  /** The [mtu] label, or null when no signature has this MTU. */
  link: string | null;
}

/** MTU guess from a SYN or SYN+ACK MSS (undefined when the packet has no MSS). */
export function matchP0fMtu(db: P0fDatabase, ipVersion: 4 | 6, mss: number): P0fMtuMatch | undefined {
  if (!mss) return undefined;
  const mtu = mss + (ipVersion === 4 ? MIN_TCP4 : MIN_TCP6);
  const sig = db.mtu.find((m) => m.mtu === mtu);
  return { mtu, link: sig ? sig.label : null };
}
