import { formatAddress } from "../../src/decode/address.js";
import { Decoder } from "../../src/decode/decoder.js";
import type { FragmentOptions } from "../../src/decode/fragments.js";
import { type DecodedPacket, newDecodedPacket } from "../../src/decode/packet.js";
import { frameOf } from "./build.js";

export interface One {
  ok: boolean;
  out: DecodedPacket;
  dec: Decoder;
}

/** Decodes one hand-built frame with a fresh decoder. */
export function decodeOne(
  linktype: number,
  data: Buffer,
  o: { snap?: number; tsUs?: number } = {},
  fo?: FragmentOptions,
): One {
  const dec = new Decoder(fo);
  const out = newDecodedPacket();
  const ok = dec.decode(frameOf(linktype, data, o), out);
  return { ok, out, dec };
}

/** "src:sport > dst:dport" of a decoded packet (IPv6 addresses in brackets). */
export function flowOf(p: DecodedPacket): string {
  const s = formatAddress(p.buf, p.srcOff, p.ipVersion);
  const d = formatAddress(p.buf, p.dstOff, p.ipVersion);
  return p.ipVersion === 4
    ? `${s}:${p.srcPort} > ${d}:${p.dstPort}`
    : `[${s}]:${p.srcPort} > [${d}]:${p.dstPort}`;
}

/** Payload bytes of a decoded packet as text. */
export function payloadOf(p: DecodedPacket): string {
  return p.buf.toString("latin1", p.payloadOff, p.payloadOff + p.payloadLen);
}
