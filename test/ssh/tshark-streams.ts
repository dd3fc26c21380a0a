/**
 * Test helper: TCP streams of a capture as tshark sees them, independent of our own
 * decoder and flow code. One tshark run per capture lists every TCP segment (innermost
 * TCP layer for tunnelled traffic) with its stream index, endpoints, relative sequence
 * number, flags and payload; this module groups them per stream and direction.
 */
import { spawnSync } from "node:child_process";

let tsharkChecked: boolean | undefined;

/** True when a tshark binary runs on this machine. */
export function haveTshark(): boolean {
  if (tsharkChecked === undefined) {
    const r = spawnSync("tshark", ["-v"], { encoding: "utf8" });
    tsharkChecked = r.status === 0;
  }
  return tsharkChecked;
}

/** Skip option for node:test when tshark is missing. */
export function skipWithoutTshark(): string | false {
  return haveTshark() ? false : "tshark not installed";
}

export interface TcpSegment {
  frame: number;
  src: string;
  srcPort: number;
  dstPort: number;
  /** Relative sequence number of the first payload byte. */
  seq: number;
  /** TCP payload length (tcp.len). */
  len: number;
  /** TCP flags (12 bits). */
  flags: number;
  payload: Buffer;
}

export interface TcpStream {
  stream: number;
  segments: TcpSegment[];
}

/** All TCP segments of `file`, grouped by tcp.stream, in frame order. */
export function tcpStreams(file: string): Map<number, TcpStream> {
  const fields = [
    "frame.number",
    "tcp.stream",
    "ip.src",
    "ipv6.src",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq",
    "tcp.len",
    "tcp.flags",
    "tcp.payload",
  ];
  const args = ["-n", "-r", file, "-Y", "tcp", "-T", "fields", "-E", "occurrence=l", "-E", "separator=\t"];
  for (const f of fields) args.push("-e", f);
  const r = spawnSync("tshark", args, { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  const streams = new Map<number, TcpStream>();
  for (const line of r.stdout.split("\n")) {
    if (line.length === 0) continue;
    const [frame, stream, ip4, ip6, sport, dport, seq, len, flags, payload] = line.split("\t");
    const id = Number(stream);
    let s = streams.get(id);
    if (s === undefined) {
      s = { stream: id, segments: [] };
      streams.set(id, s);
    }
    s.segments.push({
      frame: Number(frame),
      src: ip4 !== "" ? ip4 : ip6,
      srcPort: Number(sport),
      dstPort: Number(dport),
      seq: Number(seq),
      len: Number(len),
      flags: Number.parseInt(flags, 16),
      payload: Buffer.from(payload ?? "", "hex"),
    });
  }
  return streams;
}

/** A segment as a receiver would see it: only the bytes not seen before in its direction. */
export interface NewData {
  segment: TcpSegment;
  /** Bytes of the payload not seen before (empty for a pure retransmission or no payload). */
  fresh: Buffer;
}

/**
 * Walks a stream's segments in frame order and marks, per direction, which payload bytes
 * are new (beyond the highest sequence number seen so far). Retransmitted bytes are dropped.
 */
export function freshData(s: TcpStream): NewData[] {
  const next = new Map<string, number>();
  const out: NewData[] = [];
  for (const seg of s.segments) {
    const key = `${seg.src}|${seg.srcPort}`;
    let fresh: Buffer = EMPTY;
    if (seg.len > 0) {
      const have = next.get(key);
      const start = have === undefined ? seg.seq : have;
      const end = seg.seq + seg.len;
      if (end > start) {
        fresh = seg.payload.subarray(Math.max(0, start - seg.seq));
        next.set(key, end);
      }
    }
    out.push({ segment: seg, fresh });
  }
  return out;
}

const EMPTY = Buffer.alloc(0);

/** The in-order bytes of one direction (retransmissions dropped), as a list of pieces. */
export function directionPieces(s: TcpStream, src: string, srcPort: number): Buffer[] {
  return freshData(s)
    .filter((d) => d.segment.src === src && d.segment.srcPort === srcPort && d.fresh.length > 0)
    .map((d) => d.fresh);
}
