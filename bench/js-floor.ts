/**
 * The floor under any JavaScript reader of a capture: what Node takes to start, to walk the
 * pcap records of a file, and to walk them while keeping the least flow state a reader
 * needs (Ethernet → IPv4 → TCP fields, one open-addressing table of 5-tuples, an entry
 * dropped on FIN or RST). Nothing is analysed and nothing is written: the real reader does
 * strictly more than each step, so its whole command can take no less time. The read
 * benchmark sets these beside the time the ratio targets allow.
 *
 * Usage: node dist/bench/js-floor.js none|records|flows FILE — prints one JSON line:
 * {"mode", "packets", "flows", "ms"} (ms: from the script's first line to the end of the
 * walk, start-up not included; the benchmark times the whole process).
 */
import { closeSync, openSync, readSync } from "node:fs";

/** Read size, as the CLI's file source. */
const CHUNK = 1 << 20;
/** Table slots (power of two), 4 int32 words each: 16 MiB. Live entries stop at half. */
const SLOTS = 1 << 20;
const MASK = SLOTS - 1;
const FREE = 0;
const LIVE = 1;
const DEAD = 2;

export interface FloorResult {
  mode: string;
  packets: number;
  flows: number;
  ms: number;
}

class FlowSet {
  /** [addrLow, addrHigh, portsLow<<16|portsHigh, state] per slot. */
  private words = new Int32Array(SLOTS * 4);
  private live = 0;
  private used = 0;
  created = 0;

  /** Finds or adds the canonical 5-tuple; returns the slot or -1 when full. */
  touch(a: number, b: number, ports: number): number {
    if (this.used >= (SLOTS >> 2) * 3) this.compact();
    let i =
      (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b, 0xc2b2ae35) ^ Math.imul(ports, 0x27d4eb2f)) &
      MASK;
    let reuse = -1;
    const w = this.words;
    for (;;) {
      const o = i << 2;
      const state = w[o + 3];
      if (state === FREE) break;
      if (state === DEAD) {
        if (reuse < 0) reuse = o;
      } else if (w[o] === a && w[o + 1] === b && w[o + 2] === ports) return o;
      i = (i + 1) & MASK;
    }
    if (this.live >= SLOTS >> 1) return -1;
    const o = reuse >= 0 ? reuse : i << 2;
    if (reuse < 0) this.used++;
    w[o] = a;
    w[o + 1] = b;
    w[o + 2] = ports;
    w[o + 3] = LIVE;
    this.live++;
    this.created++;
    return o;
  }

  drop(o: number): void {
    this.words[o + 3] = DEAD;
    this.live--;
  }

  /** Rebuilds without the dead entries once three quarters of the slots have been used. */
  private compact(): void {
    const old = this.words;
    this.words = new Int32Array(SLOTS * 4);
    this.used = 0;
    this.live = 0;
    const created = this.created;
    for (let o = 0; o < old.length; o += 4)
      if (old[o + 3] === LIVE) this.touch(old[o], old[o + 1], old[o + 2]);
    this.created = created;
  }
}

export function runFloor(mode: string, file: string): FloorResult {
  const t0 = performance.now();
  const result: FloorResult = { mode, packets: 0, flows: 0, ms: 0 };
  if (mode === "none") {
    result.ms = performance.now() - t0;
    return result;
  }
  const withFlows = mode === "flows";
  const fd = openSync(file, "r");
  const buf = Buffer.allocUnsafe(CHUNK);
  const flows = new FlowSet();
  let carry = 0;
  let header = true;
  try {
    for (;;) {
      const got = readSync(fd, buf, carry, buf.length - carry, null);
      if (got === 0) break;
      const end = carry + got;
      let p = 0;
      if (header) {
        const magic = buf.readUInt32LE(0);
        if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d)
          throw new Error("js-floor reads little-endian classic pcap only");
        if ((buf.readUInt32LE(20) & 0xffff) !== 1) throw new Error("js-floor reads Ethernet captures only");
        p = 24;
        header = false;
      }
      while (p + 16 <= end) {
        const caplen = buf.readUInt32LE(p + 8);
        if (p + 16 + caplen > end) break;
        result.packets++;
        if (withFlows) floorPacket(buf, p + 16, caplen, flows);
        p += 16 + caplen;
      }
      buf.copy(buf, 0, p, end);
      carry = end - p;
    }
  } finally {
    closeSync(fd);
  }
  result.flows = flows.created;
  result.ms = performance.now() - t0;
  return result;
}

/** Ethernet → IPv4 → TCP, the canonical 5-tuple, and the flow's entry. */
function floorPacket(buf: Buffer, f: number, caplen: number, flows: FlowSet): void {
  if (caplen < 54 || buf[f + 12] !== 0x08 || buf[f + 13] !== 0x00 || buf[f + 23] !== 6) return;
  const ip = f + 14;
  const tcp = ip + (buf[ip] & 15) * 4;
  if (tcp + 14 > f + caplen) return;
  const src = buf.readInt32BE(ip + 12);
  const dst = buf.readInt32BE(ip + 16);
  const sport = buf.readUInt16BE(tcp);
  const dport = buf.readUInt16BE(tcp + 2);
  const low = src < dst || (src === dst && sport <= dport);
  const o = low ? flows.touch(src, dst, (sport << 16) | dport) : flows.touch(dst, src, (dport << 16) | sport);
  if (o >= 0 && (buf[tcp + 13] & 0x05) !== 0) flows.drop(o);
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [mode, file] = process.argv.slice(2);
  if (
    (mode !== "none" && mode !== "records" && mode !== "flows") ||
    (mode !== "none" && file === undefined)
  ) {
    process.stderr.write("usage: js-floor none|records|flows FILE\n");
    process.exit(2);
  }
  try {
    process.stdout.write(`${JSON.stringify(runFloor(mode, file ?? ""))}\n`);
  } catch (err) {
    process.stderr.write(`js-floor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
