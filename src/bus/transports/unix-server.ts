import { isUtf8 } from "node:buffer";
import { chmodSync, chownSync, lstatSync, readFileSync, unlinkSync } from "node:fs";
import net from "node:net";
import { dirname } from "node:path";
import { isMainThread } from "node:worker_threads";
import {
  type Bus,
  BusClosedError,
  checkPattern,
  checkPublish,
  DEFAULT_SUBSCRIPTION_QUEUE,
  errText,
  QueueSubscription,
  type SubscribeOptions,
  type Subscription,
  wireJson,
} from "../bus.js";
import { BusCounters } from "../bus-counters.js";
import {
  type BusEvent,
  type EnvelopeFault,
  envelopeFromJson,
  envelopeToJson,
  type JsonObject,
  makeEnvelope,
} from "../envelope.js";
import { isCanonicalEnvelope } from "../envelope-scan.js";
import {
  encodeFrame,
  FrameDecoder,
  headerLength,
  MAX_BODY_BYTES,
  type Verb,
  writeHeaderLine,
} from "../frame.js";
import { BUS_HEALTH_INTERVAL_MS, busHealthPayload, type Heartbeat, startHeartbeat } from "../health.js";
import { type BusLog, stderrLog, WarnLimiter } from "../log.js";
import { matchesAny, topicMatches } from "../match.js";
import { DropOldestRing } from "../ring.js";
import { BUS_HEALTH_TYPE, isValidPattern, isValidTopic, SYSTEM_BUS_HEALTH } from "../topics.js";

/** DECNET's socket file mode and group. */
export const SOCKET_MODE = 0o660;
export const SOCKET_GROUP = "decnet";
/** DECNET's per-connection outbound queue bound (events). */
export const OUTBOUND_QUEUE = 1024;
/** Longest UNIX socket path (sun_path is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Bytes we let Node's own write buffer hold per connection beyond what the kernel took. Below it
 * we keep writing; above it the connection counts as stalled and new events wait in its
 * drop-oldest queue instead.
 */
const SOCKET_ALLOWANCE = 256 * 1024;
/** Queued frames that make a connection flush before the end of the current read. */
const FLUSH_BATCH = 256;
const BYE_FRAME = encodeFrame("BYE");

export interface UnixBusServerOptions {
  socketPath: string;
  /** Socket file mode (default 0660). */
  mode?: number;
  /** Group given the socket when it exists (default "decnet"; null leaves the group alone). */
  group?: string | null;
  /** Per-connection outbound queue, in events (default 1024, drop-oldest). */
  outboundQueue?: number;
  /** Per-connection outbound queue, in bytes (default 32 MiB): bounds memory with 1 MiB events. */
  outboundQueueBytes?: number;
  /** Simultaneous connections (default 4096); more are closed on accept. */
  maxConnections?: number;
  /** Patterns one connection may hold (default 1024). */
  maxPatternsPerConnection?: number;
  /** `system.bus.health` period (default 10 s; 0 turns it off). */
  healthIntervalMs?: number;
  log?: BusLog;
}

type Fault =
  | "header_too_long"
  | "header_not_ascii"
  | "empty_header"
  | "unknown_verb"
  | "body_too_long"
  | "body_not_utf8"
  | EnvelopeFault
  | "unencodable"
  | "bad_topic"
  | "bad_pattern"
  | "missing_arg"
  | "unexpected_body"
  | "evt_from_client"
  | "too_many_patterns";

/** One accepted connection. */
class Conn {
  name = "";
  /** Bounded by maxPatternsPerConnection. */
  patterns: string[] = [];
  /** Frames waiting for the socket; allocated on first use, bounded (events and bytes). */
  queue: DropOldestRing<Buffer> | undefined;
  queuedBytes = 0;
  dirty = false;
  blocked = false;
  closed = false;
  readonly decoder: FrameDecoder;

  constructor(
    readonly socket: net.Socket,
    readonly id: number,
    onFrame: (verb: Verb, arg: string, body: Buffer) => boolean,
  ) {
    this.decoder = new FrameDecoder(onFrame);
  }

  label(): string {
    return this.name ? `#${this.id} ${JSON.stringify(this.name)}` : `#${this.id}`;
  }
}

/**
 * DECNET-compatible bus server on a UNIX socket. Each PUB is validated (topic, JSON object
 * envelope) and fanned out as one EVT frame, encoded once, to every other connection with a
 * matching pattern (a publisher does not receive its own events, as in DECNET). The envelope's
 * id and ts are kept, its topic is the frame's. A connection that breaks the protocol is closed,
 * alone. A subscriber that does not read fills its own queue and loses its oldest events; nobody
 * else waits for it.
 */
export class UnixBusServer {
  readonly counters = new BusCounters();
  readonly socketPath: string;
  private readonly opts: Required<Omit<UnixBusServerOptions, "group" | "log">> & { group: string | null };
  private readonly log: BusLog;
  private readonly warnLimiter: WarnLimiter;
  private server: net.Server | undefined;
  /** Bounded by maxConnections. */
  private readonly conns = new Set<Conn>();
  /** Connections holding at least one pattern. */
  private readonly subscribers = new Set<Conn>();
  /** Connections with frames queued since the last flush. */
  private dirty: Conn[] = [];
  private flushScheduled = false;
  /** Subscriptions of in-process handles (see `bus()`). */
  private readonly localSubs = new Set<QueueSubscription>();
  private nextId = 1;
  private startedAtMs = 0;
  private heartbeat: Heartbeat | undefined;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: UnixBusServerOptions) {
    this.socketPath = options.socketPath;
    this.opts = {
      socketPath: options.socketPath,
      mode: options.mode ?? SOCKET_MODE,
      group: options.group === undefined ? SOCKET_GROUP : options.group,
      outboundQueue: options.outboundQueue ?? OUTBOUND_QUEUE,
      outboundQueueBytes: options.outboundQueueBytes ?? 32 * 1024 * 1024,
      maxConnections: options.maxConnections ?? 4096,
      maxPatternsPerConnection: options.maxPatternsPerConnection ?? 1024,
      healthIntervalMs: options.healthIntervalMs ?? BUS_HEALTH_INTERVAL_MS,
    };
    this.log = options.log ?? stderrLog;
    this.warnLimiter = new WarnLimiter(this.log);
  }

  /** Open connections right now. */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Binds the socket (replacing a stale one), sets its mode and group, starts the heartbeat. */
  start(): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(new BusClosedError("start"));
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const path = this.socketPath;
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
      throw new Error(`bus socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes: ${path}`);
    }
    const dir = dirname(path);
    try {
      if (!lstatSync(dir).isDirectory()) throw new Error("not a directory");
    } catch {
      throw new Error(`bus socket directory ${dir} does not exist (create it first)`);
    }
    await removeStaleSocket(path);
    const server = net.createServer((s) => this.onConnection(s));
    server.maxConnections = this.opts.maxConnections;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`cannot listen on ${path}: ${errText(err)}`));
      server.once("error", onError);
      // Bind with a umask that already gives the final mode, so the socket is never wider
      // than 0660, even for an instant (umask is process-wide and refused in worker threads).
      const oldMask = isMainThread ? process.umask(0o777 & ~this.opts.mode) : undefined;
      try {
        server.listen({ path, backlog: 4096 }, () => {
          server.off("error", onError);
          resolve();
        });
      } finally {
        if (oldMask !== undefined) process.umask(oldMask);
      }
    });
    server.on("error", (err) => this.log.warn(`server error: ${errText(err)}`));
    this.applyModeAndGroup();
    this.startedAtMs = Date.now();
    if (this.opts.healthIntervalMs > 0) {
      this.heartbeat = startHeartbeat(this.opts.healthIntervalMs, () =>
        this.publish(SYSTEM_BUS_HEALTH, busHealthPayload(this.startedAtMs), BUS_HEALTH_TYPE),
      );
    }
  }

  private applyModeAndGroup(): void {
    try {
      chmodSync(this.socketPath, this.opts.mode);
    } catch (err) {
      this.log.warn(`chmod ${this.socketPath} failed: ${errText(err)}`);
    }
    if (this.opts.group === null) return;
    const gid = groupId(this.opts.group);
    if (gid === undefined) return;
    try {
      chownSync(this.socketPath, -1, gid);
    } catch (err) {
      this.log.debug(`chgrp ${this.opts.group} ${this.socketPath} failed: ${errText(err)}`);
    }
  }

  /** Stops accepting, says BYE to every connection, removes the socket file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    try {
      await this.starting;
    } catch {
      // start failed: nothing was bound
    }
    this.heartbeat?.stop();
    for (const s of this.localSubs) s.finish();
    this.localSubs.clear();
    const server = this.server;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const c of this.conns) {
      c.closed = true;
      if (c.blocked) c.socket.destroy();
      else c.socket.end(BYE_FRAME);
    }
    const timer = setTimeout(() => {
      for (const c of this.conns) c.socket.destroy();
    }, 1000);
    await closed;
    clearTimeout(timer);
    try {
      if (lstatSync(this.socketPath).isSocket()) unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
  }

  /**
   * Publishes from the server itself (heartbeats, in-process handles): fanned out to every
   * matching connection and local subscription. Throws on a bad topic or payload.
   */
  publish(topic: string, payload: JsonObject, type = ""): void {
    if (this.closing !== undefined) throw new BusClosedError();
    checkPublish(topic, payload, type);
    const ev = makeEnvelope(topic, payload, type);
    const body = Buffer.from(wireJson(ev), "utf8");
    this.fanout(topic, ev, body, undefined);
    this.scheduleFlush();
  }

  /** A Bus handle on this server for code running in the same process. */
  bus(opts: { queueSize?: number } = {}): Bus {
    return new ServerLocalBus(this, opts.queueSize ?? DEFAULT_SUBSCRIPTION_QUEUE);
  }

  /** @internal */
  addLocal(sub: QueueSubscription): void {
    if (this.closing !== undefined) sub.finish();
    else this.localSubs.add(sub);
  }

  /** @internal */
  removeLocal(sub: QueueSubscription): void {
    this.localSubs.delete(sub);
  }

  /** @internal */
  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  // ─── connections ────────────────────────────────────────────────────────

  private onConnection(socket: net.Socket): void {
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    const conn: Conn = new Conn(socket, this.nextId++, (verb, arg, body) =>
      this.onFrame(conn, verb, arg, body),
    );
    this.conns.add(conn);
    this.counters.inc("connections_accepted");
    socket.on("data", (chunk: Buffer) => this.onData(conn, chunk));
    socket.on("drain", () => {
      conn.blocked = false;
      this.flush(conn);
    });
    socket.on("end", () => {
      if (!conn.decoder.atBoundary) this.counters.inc("eof_mid_frame");
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      this.counters.inc("socket_errors");
      this.log.debug(`connection ${conn.label()}: ${err.code ?? errText(err)}`);
    });
    socket.on("close", () => this.forget(conn));
  }

  private forget(conn: Conn): void {
    conn.closed = true;
    this.conns.delete(conn);
    this.subscribers.delete(conn);
    conn.queue?.clear();
    conn.queuedBytes = 0;
  }

  private onData(conn: Conn, chunk: Buffer): void {
    if (conn.closed) return;
    if (!conn.decoder.push(chunk)) {
      const f = conn.decoder.fault;
      if (f !== undefined) this.reject(conn, f);
    }
    this.scheduleFlush();
  }

  /** Closes one connection that broke the protocol; returns false for the decoder. */
  private reject(conn: Conn, fault: Fault): false {
    if (conn.closed) return false;
    this.counters.inc(`rejected_${fault}`);
    this.warnLimiter.warn(
      `reject_${fault}`,
      `closing connection ${conn.label()}: ${fault.replaceAll("_", " ")}`,
    );
    this.forget(conn);
    conn.socket.destroy();
    return false;
  }

  private onFrame(conn: Conn, verb: Verb, arg: string, body: Buffer): boolean {
    if (conn.closed) return false;
    if (verb === "PUB") return this.onPub(conn, arg, body);
    if (verb === "EVT") return this.reject(conn, "evt_from_client");
    if (body.length > 0) return this.reject(conn, "unexpected_body");
    switch (verb) {
      case "SUB": {
        if (arg === "") return this.reject(conn, "missing_arg");
        if (!isValidPattern(arg)) return this.reject(conn, "bad_pattern");
        if (conn.patterns.includes(arg)) return true;
        if (conn.patterns.length >= this.opts.maxPatternsPerConnection)
          return this.reject(conn, "too_many_patterns");
        conn.patterns.push(arg);
        this.subscribers.add(conn);
        return true;
      }
      case "UNSUB": {
        if (arg === "") return this.reject(conn, "missing_arg");
        if (!isValidPattern(arg)) return this.reject(conn, "bad_pattern");
        const i = conn.patterns.indexOf(arg);
        if (i !== -1) conn.patterns.splice(i, 1);
        if (conn.patterns.length === 0) this.subscribers.delete(conn);
        return true;
      }
      case "HELLO":
        if (arg !== "") conn.name = arg;
        return true;
      default:
        // BYE: the peer is done; let queued events go out, then close.
        this.flush(conn);
        conn.closed = true;
        this.subscribers.delete(conn);
        conn.socket.end();
        return false;
    }
  }

  private onPub(conn: Conn, topic: string, body: Buffer): boolean {
    if (topic === "") return this.reject(conn, "missing_arg");
    if (!isValidTopic(topic)) return this.reject(conn, "bad_topic");
    let ev: BusEvent | undefined;
    let out: Buffer;
    if (body.length === 0) {
      // DECNET accepts a PUB without body: an event with an empty payload.
      ev = makeEnvelope(topic, {}, "");
      out = Buffer.from(envelopeToJson(ev), "utf8");
    } else {
      if (!isUtf8(body)) return this.reject(conn, "body_not_utf8");
      if (isCanonicalEnvelope(body, topic)) {
        // Forwarded as it is; the event object is built only if a local subscriber wants it.
        out = body;
      } else {
        const parsed = envelopeFromJson(topic, body.toString("utf8"));
        if (parsed.event === undefined) return this.reject(conn, parsed.fault ?? "not_json");
        ev = parsed.event;
        if (parsed.canonical) out = body;
        else {
          try {
            out = Buffer.from(envelopeToJson(ev), "utf8");
          } catch {
            return this.reject(conn, "unencodable");
          }
          if (out.length > MAX_BODY_BYTES) return this.reject(conn, "body_too_long");
        }
      }
    }
    this.fanout(topic, ev, out, conn);
    return true;
  }

  // ─── fan-out ────────────────────────────────────────────────────────────

  /** `ev` undefined: `body` is a canonical envelope, parsed here only for local subscribers. */
  private fanout(topic: string, ev: BusEvent | undefined, body: Buffer, origin: Conn | undefined): void {
    this.counters.published++;
    let frame: Buffer | undefined;
    for (const c of this.subscribers) {
      if (c === origin || c.closed || !matchesAny(c.patterns, topic)) continue;
      frame ??= evtFrame(topic, body);
      this.enqueue(c, frame);
    }
    for (const s of this.localSubs) {
      if (!topicMatches(s.pattern, topic)) continue;
      ev ??= envelopeFromJson(topic, body.toString("utf8")).event as BusEvent;
      if (!s.deliver(ev)) this.counters.inc("dropped_queue_full");
    }
  }

  private enqueue(c: Conn, frame: Buffer): void {
    c.queue ??= new DropOldestRing<Buffer>(this.opts.outboundQueue);
    const q = c.queue;
    const old = q.push(frame);
    c.queuedBytes += frame.length;
    if (old !== undefined) {
      c.queuedBytes -= old.length;
      this.dropFor(c);
    }
    while (c.queuedBytes > this.opts.outboundQueueBytes && q.length > 1) {
      c.queuedBytes -= (q.shift() as Buffer).length;
      this.dropFor(c);
    }
    if (!c.dirty) {
      c.dirty = true;
      this.dirty.push(c);
    }
    if (q.length >= FLUSH_BATCH && !c.blocked) this.flush(c);
  }

  private dropFor(c: Conn): void {
    this.counters.inc("dropped_queue_full");
    this.warnLimiter.warn("drop", `subscriber ${c.label()} is not reading: dropped its oldest events`);
  }

  /** Hands a connection's queued frames to its socket, unless it is stalled. */
  private flush(c: Conn): void {
    const q = c.queue;
    if (c.closed || c.blocked || q === undefined || q.length === 0) return;
    let data: Buffer;
    if (q.length === 1) data = q.shift() as Buffer;
    else {
      const parts: Buffer[] = new Array(q.length);
      for (let i = 0; i < parts.length; i++) parts[i] = q.shift() as Buffer;
      data = Buffer.concat(parts, c.queuedBytes);
    }
    c.queuedBytes = 0;
    c.socket.write(data);
    // Past the allowance the peer is not keeping up: stop writing until Node drains (a 'drain'
    // is due, since the write above returned false).
    if (c.socket.writableLength >= SOCKET_ALLOWANCE) c.blocked = true;
  }

  private flushDirty(): void {
    const list = this.dirty;
    if (list.length === 0) return;
    this.dirty = [];
    for (const c of list) {
      c.dirty = false;
      this.flush(c);
    }
  }

  /**
   * Flushes once the reads of this event-loop turn are processed, so one write carries what
   * several reads brought (a connection with FLUSH_BATCH frames queued flushes at once anyway).
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushSoon);
  }

  private readonly flushSoon = (): void => {
    this.flushScheduled = false;
    this.flushDirty();
  };
}

/** `EVT <topic>\n` + length + body, in one buffer shared by all receivers. */
function evtFrame(topic: string, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(headerLength("EVT", topic) + 4 + body.length);
  const o = writeHeaderLine(out, 0, "EVT", topic);
  out.writeUInt32BE(body.length, o);
  out.set(body, o + 4);
  return out;
}

/**
 * Removes a leftover socket file from a crashed server. Refuses when the path is not a socket or
 * when a server still answers there.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  const alive = await new Promise<boolean>((resolve) => {
    const s = net.connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
  if (alive) throw new Error(`a bus server is already listening on ${path}`);
  unlinkSync(path);
}

/** The gid of a group from /etc/group, or undefined when it does not exist. */
export function groupId(name: string, groupFile = "/etc/group"): number | undefined {
  let text: string;
  try {
    text = readFileSync(groupFile, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && f[0] === name) {
      const gid = Number(f[2]);
      return Number.isInteger(gid) && gid >= 0 ? gid : undefined;
    }
  }
  return undefined;
}

/** In-process Bus handle on a UnixBusServer. */
class ServerLocalBus implements Bus {
  readonly kind = "unix" as const;
  readonly counters = new BusCounters();
  private readonly mine = new Set<QueueSubscription>();
  private closed = false;

  constructor(
    private readonly server: UnixBusServer,
    private readonly queueSize: number,
  ) {}

  async connect(): Promise<void> {
    if (this.closed || this.server.isClosed) throw new BusClosedError("connect");
    await this.server.start();
  }

  async publish(topic: string, payload: JsonObject, type = ""): Promise<void> {
    if (this.closed) throw new BusClosedError();
    checkPublish(topic, payload, type);
    try {
      this.server.publish(topic, payload, type);
      this.counters.published++;
    } catch (err) {
      if (err instanceof BusClosedError) throw err;
      this.counters.inc("publish_failed");
      throw err;
    }
  }

  subscribe(pattern: string, opts: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new BusClosedError("subscribe");
    checkPattern(pattern);
    const sub = new QueueSubscription(pattern, opts.queueSize ?? this.queueSize, (s) => {
      this.server.removeLocal(s);
      this.mine.delete(s);
    });
    this.mine.add(sub);
    this.server.addLocal(sub);
    return sub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.mine) {
      this.server.removeLocal(s);
      s.finish();
    }
    this.mine.clear();
  }
}
