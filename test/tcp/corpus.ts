/**
 * Corpus access for the TCP tests: expected JA4+ records (reference tool output) and the
 * decoded TCP packets of each capture (through src/capture + src/decode).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { DecodedPacket } from "../../src/decode/packet.js";
import { corpusDir } from "../helpers/shared.js";
import { addrText, decodeCaptureFile } from "./helpers.js";

export interface ExpectedTcpRecord {
  stream: number;
  transport: string;
  src: string;
  dst: string;
  src_port: number;
  dst_port: number;
  ja4t?: string | null;
  ja4l_c?: string | null;
  ja4l_s?: string | null;
}

/** Capture file names of the corpus (by extension; the format is read from the magic). */
export function corpusCaptures(): string[] {
  const dir = corpusDir();
  if (dir === undefined) return [];
  return readdirSync(dir)
    .filter((n) => /\.(pcap|pcapng)$/.test(n))
    .sort();
}

/** Expected TCP records of a capture that carry ja4t or ja4l values. */
export function expectedTcpRecords(name: string): ExpectedTcpRecord[] {
  const dir = corpusDir() as string;
  const all = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), "utf8")) as ExpectedTcpRecord[];
  return all.filter((r) => r.transport === "tcp" && (r.ja4t != null || r.ja4l_c != null || r.ja4l_s != null));
}

const cache = new Map<string, DecodedPacket[]>();

/** Decoded TCP packets of a corpus capture, in capture order (cached per run). */
export async function corpusTcpPackets(name: string): Promise<DecodedPacket[]> {
  let p = cache.get(name);
  if (!p) {
    p = await decodeCaptureFile(join(corpusDir() as string, name));
    cache.set(name, p);
  }
  return p;
}

/** Packets of the connection the record names (client→server and back), in capture order. */
export function connectionOf(
  packets: readonly DecodedPacket[],
  r: ExpectedTcpRecord,
): { packets: DecodedPacket[]; fromClient: (p: DecodedPacket) => boolean } {
  const fromClient = (p: DecodedPacket) =>
    p.srcPort === r.src_port &&
    p.dstPort === r.dst_port &&
    addrText(p, "src") === r.src &&
    addrText(p, "dst") === r.dst;
  const fromServer = (p: DecodedPacket) =>
    p.srcPort === r.dst_port &&
    p.dstPort === r.src_port &&
    addrText(p, "src") === r.dst &&
    addrText(p, "dst") === r.src;
  return { packets: packets.filter((p) => fromClient(p) || fromServer(p)), fromClient };
}
