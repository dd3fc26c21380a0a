/**
 * Test helper: per-direction TCP payload streams of a capture, taken from tshark (an
 * independent tool) rather than from our own capture/decode/flow code. Segments are put
 * in sequence order; retransmitted or overlapping bytes are dropped (first copy wins); the
 * stream ends at the first gap.
 */
import { execFileSync, spawnSync } from "node:child_process";

export interface DirectionStream {
  stream: number;
  srcPort: number;
  dstPort: number;
  data: Buffer;
}

let tsharkChecked: boolean | undefined;

/** True when a tshark binary runs here. */
export function haveTshark(): boolean {
  if (tsharkChecked === undefined) {
    const r = spawnSync("tshark", ["--version"], { stdio: "ignore" });
    tsharkChecked = r.status === 0;
  }
  return tsharkChecked;
}

/** Bytes kept per direction, plenty for any handshake. */
const KEEP = 1 << 20;

/** All TCP direction streams of `file`, keyed "stream/srcPort". */
export function tcpStreams(file: string): Map<string, DirectionStream> {
  const out = execFileSync(
    "tshark",
    [
      "-n",
      "-r",
      file,
      "-Y",
      "tcp.len>0",
      "-T",
      "fields",
      "-E",
      "separator=/t",
      "-e",
      "tcp.stream",
      "-e",
      "tcp.srcport",
      "-e",
      "tcp.dstport",
      "-e",
      "tcp.seq_raw",
      "-e",
      "tcp.payload",
    ],
    { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] },
  ).toString("latin1");
  const segs = new Map<string, { stream: number; src: number; dst: number; list: [number, Buffer][] }>();
  for (const line of out.split("\n")) {
    if (line.length === 0) continue;
    const [st, sp, dp, seq, payload] = line.split("\t");
    if (payload === undefined || payload.length === 0) continue;
    // A frame that tshark dissects twice lists its fields twice; the first copy is the segment.
    const first = (s: string) => s.split(",")[0];
    const key = `${first(st)}/${first(sp)}`;
    let e = segs.get(key);
    if (e === undefined) {
      e = { stream: Number(first(st)), src: Number(first(sp)), dst: Number(first(dp)), list: [] };
      segs.set(key, e);
    }
    e.list.push([Number(first(seq)), Buffer.from(first(payload), "hex")]);
  }
  const result = new Map<string, DirectionStream>();
  for (const [key, e] of segs) {
    // Sequence numbers relative to the first segment seen, modulo 2^32.
    const base0 = e.list[0][0];
    const rel = e.list.map(([s, b]) => [(s - base0 + 2 ** 32) % 2 ** 32, b] as [number, Buffer]);
    // A segment "before" the first one shows up as a huge relative number; rebase on the minimum
    // of the plausible ones (within 2^31 backwards).
    let min = 0;
    for (const [r] of rel) if (r > 2 ** 31 && r - 2 ** 32 < min) min = r - 2 ** 32;
    const norm = rel.map(([r, b]) => [(r > 2 ** 31 ? r - 2 ** 32 : r) - min, b] as [number, Buffer]);
    norm.sort((x, y) => x[0] - y[0]);
    const parts: Buffer[] = [];
    let cursor = 0;
    for (const [s, b] of norm) {
      if (s > cursor) break;
      const endSeq = s + b.length;
      if (endSeq <= cursor) continue;
      parts.push(b.subarray(cursor - s));
      cursor = endSeq;
      if (cursor > KEEP) break;
    }
    result.set(key, { stream: e.stream, srcPort: e.src, dstPort: e.dst, data: Buffer.concat(parts) });
  }
  return result;
}

/**
 * Length of a proxy preamble before the TLS bytes of a direction: an HTTP CONNECT request
 * or its response (through the blank line), or a SOCKS4/4a request (VN 4) or reply
 * (VN 0, 8 bytes). 0 when there is none.
 */
export function proxyPreambleLength(d: Buffer): number {
  const head = d.toString("latin1", 0, Math.min(d.length, 16));
  if (head.startsWith("CONNECT ") || head.startsWith("HTTP/1.")) {
    const i = d.indexOf("\r\n\r\n");
    return i < 0 ? 0 : i + 4;
  }
  if (d.length >= 9 && d[0] === 4 && (d[1] === 1 || d[1] === 2)) {
    let p = d.indexOf(0, 8);
    if (p < 0) return 0;
    p++;
    // SOCKS4a: address 0.0.0.x (x ≠ 0) is followed by a host name.
    if (d[4] === 0 && d[5] === 0 && d[6] === 0 && d[7] !== 0) {
      const q = d.indexOf(0, p);
      if (q < 0) return 0;
      p = q + 1;
    }
    return p;
  }
  if (d.length >= 8 && d[0] === 0 && d[1] >= 0x5a && d[1] <= 0x5d) return 8;
  if (d.length >= 3 && d[0] === 5) return socks5Length(d);
  return 0;
}

/**
 * SOCKS5 (RFC 1928/1929) as one direction sees it. Client: greeting (VER NMETHODS
 * METHODS), optional username/password sub-negotiation (01 ULEN UNAME PLEN PASSWD),
 * request (VER CMD RSV ATYP DST.ADDR DST.PORT). Server: method choice (VER METHOD),
 * optional sub-negotiation status (01 STATUS), reply (VER REP RSV ATYP BND.ADDR BND.PORT).
 */
function socks5Length(d: Buffer): number {
  const addrEnd = (p: number): number => {
    // p at VER of a request/reply; ATYP at p + 3.
    const atyp = d[p + 3];
    if (atyp === 1) return p + 4 + 4 + 2;
    if (atyp === 4) return p + 4 + 16 + 2;
    if (atyp === 3) return p + 5 + d[p + 4] + 2;
    return -1;
  };
  // Server side: "05 METHOD" then (auth status) then "05 REP 00 ATYP ...".
  if (d.length >= 2 && d[1] <= 0x02 && d.length >= 4 && (d[2] === 5 || d[2] === 1)) {
    let p = 2;
    if (d[p] === 1) p += 2;
    if (d[p] === 5 && d[p + 2] === 0) {
      const e = addrEnd(p);
      if (e > 0 && e <= d.length) return e;
    }
  }
  // Client side.
  let p = 2 + d[1];
  if (p > d.length) return 0;
  if (d[p] === 1) {
    const ulen = d[p + 1];
    const plen = d[p + 2 + ulen];
    p += 3 + ulen + plen;
  }
  if (d[p] !== 5) return 0;
  const e = addrEnd(p);
  return e > 0 && e <= d.length ? e : 0;
}
