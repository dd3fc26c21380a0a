import { Counters } from "../../util/counters.js";
import { CRYPTO_STREAM_LIMIT, CryptoStream, PushResult } from "./crypto-stream.js";
import { FrameCursor, FrameKind } from "./frames.js";
import { type LongHeader, newLongHeader, PacketType, parseLongHeader } from "./header.js";
import { decryptInitialPacket, newDecryptState } from "./initial-decrypt.js";
import { InitialKeyCache, type InitialKeys } from "./initial-keys.js";

/** Client datagrams looked at per connection; a ClientHello needs 1–3. Past this the extractor gives up. */
export const MAX_CLIENT_DATAGRAMS = 32;
/** Coalesced packets walked per datagram (RFC 9000 §12.2); a client coalesces at most Initial + 0-RTT + Handshake. */
export const MAX_PACKETS_PER_DATAGRAM = 8;
/** Initial packets kept (copied) while no key is known yet, e.g. a later Initial seen before the first one. */
export const MAX_PENDING_PACKETS = 4;
/** Bytes those pending copies may take in total. */
export const MAX_PENDING_BYTES = 8 * 1024;

/** TLS HandshakeType client_hello (RFC 8446 §4). */
const CLIENT_HELLO = 1;

const State = { Collecting: 0, Done: 1, Failed: 2 } as const;

const scratchHeader = newLongHeader();

/**
 * Cheap test for "this UDP payload starts with a QUIC v1/v2 Initial packet": a long header of a
 * supported version and Initial type whose fields fit the payload. No cryptography. Never throws.
 */
export function isQuicInitial(buf: Buffer, off: number, len: number): boolean {
  try {
    return parseLongHeader(buf, off, off + len, scratchHeader) && scratchHeader.type === PacketType.Initial;
  } catch {
    return false;
  }
}

/**
 * Gets the client's TLS ClientHello out of the UDP datagrams of one QUIC connection (one instance
 * per connection). Client Initial packets are decrypted with keys from the client's first
 * Destination Connection ID (RFC 9001 §5.2) — also the later Initials that carry the server's
 * connection ID — and their CRYPTO frames are reassembled by offset, in any order, across packets
 * and datagrams. Server datagrams are ignored.
 *
 * Bounds per connection: MAX_CLIENT_DATAGRAMS datagrams, MAX_PACKETS_PER_DATAGRAM packets each,
 * CRYPTO_STREAM_LIMIT (64 KiB) of reassembly, MAX_PENDING_BYTES of pending packets, a 4-entry key
 * cache with at most MAX_KEY_DERIVATIONS derivations, and a header scratch buffer the size of the
 * largest Initial header (≤ the datagram).
 * Never throws; failures bump `quic.*` counters.
 */
export class QuicClientHelloExtractor {
  readonly counters: Counters;
  private state: number = State.Collecting;
  private datagrams = 0;
  private result: Buffer | undefined;
  private readonly keyCache = new InitialKeyCache();
  /** The client's first Destination Connection ID, known once a packet decrypted with keys from it. */
  private origDcid: Buffer | undefined;
  private largestPn = -1;
  private readonly hdr: LongHeader = newLongHeader();
  private readonly pendingHdr: LongHeader = newLongHeader();
  private readonly dec = newDecryptState();
  private readonly frames = new FrameCursor();
  private readonly stream = new CryptoStream(CRYPTO_STREAM_LIMIT);
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(counters?: Counters) {
    this.counters = counters ?? new Counters();
  }

  /** True once the ClientHello was returned or the extractor gave up; later datagrams are ignored. */
  get done(): boolean {
    return this.state !== State.Collecting;
  }

  /**
   * Bytes allocated for this connection's buffers: reassembly (≤ 64 KiB), pending packet copies
   * (≤ 8 KiB) and the header scratch (≤ the largest Initial header seen). Released once done.
   */
  get memoryBytes(): number {
    return this.stream.capacity() + this.pendingBytes + this.dec.aad.length;
  }

  /** The ClientHello returned earlier, if any. */
  get clientHello(): Buffer | undefined {
    return this.result;
  }

  /**
   * Feeds one UDP payload `buf[off, off + len)`. Returns the ClientHello handshake message (type 1,
   * 3-byte length, body; a copy the caller owns) on the datagram that completes it, else undefined.
   */
  pushDatagram(buf: Buffer, off: number, len: number, fromClient: boolean): Buffer | undefined {
    if (this.state !== State.Collecting || !fromClient) return undefined;
    try {
      return this.onClientDatagram(buf, off, len);
    } catch {
      // Defensive only: nothing below is expected to throw.
      this.counters.inc("quic.internal_error");
      this.finish(State.Failed);
      return undefined;
    }
  }

  private onClientDatagram(buf: Buffer, off: number, len: number): Buffer | undefined {
    if (!(off >= 0 && len >= 0 && off + len <= buf.length)) {
      this.counters.inc("quic.datagram.bad_bounds");
      return undefined;
    }
    if (++this.datagrams > MAX_CLIENT_DATAGRAMS) {
      this.counters.inc("quic.gave_up.datagram_limit");
      this.finish(State.Failed);
      return undefined;
    }
    const end = off + len;
    const h = this.hdr;
    let p = off;
    for (let n = 0; p < end && n < MAX_PACKETS_PER_DATAGRAM; n++) {
      // After the first packet, bytes that do not parse are datagram padding, not an error.
      if (!parseLongHeader(buf, p, end, h, n === 0 ? this.counters : undefined)) {
        if (n > 0) this.counters.inc("quic.datagram.trailing_bytes");
        break;
      }
      if (h.type === PacketType.Retry) break; // no Length: nothing can follow
      if (h.type === PacketType.Initial) {
        const ch = this.onInitial(buf, h, true);
        if (ch !== undefined || this.state !== State.Collecting) return ch;
      }
      p = h.end;
    }
    return undefined;
  }

  /** Decrypts and consumes one client Initial. `mayQueue`: keep a copy when no key opens it yet. */
  private onInitial(buf: Buffer, h: LongHeader, mayQueue: boolean): Buffer | undefined {
    let plain: Buffer | undefined;
    const orig = this.origDcid;
    if (orig !== undefined) {
      plain = this.decrypt(buf, h, this.keyCache.get(h.version, orig, 0, orig.length));
      // A different DCID whose own keys open the packet: the client is answering a Retry (RFC 9001 §5.2).
      if (plain === undefined && !this.sameDcid(buf, h, orig)) {
        plain = this.decrypt(buf, h, this.keyCache.get(h.version, buf, h.dcidOff, h.dcidLen));
      }
    } else {
      plain = this.decrypt(buf, h, this.keyCache.get(h.version, buf, h.dcidOff, h.dcidLen));
      if (plain !== undefined) {
        this.origDcid = Buffer.from(buf.subarray(h.dcidOff, h.dcidOff + h.dcidLen));
      } else if (mayQueue) {
        this.queue(buf, h);
      }
    }
    if (plain === undefined) return undefined;
    if (this.dec.pn > this.largestPn) this.largestPn = this.dec.pn;
    const ch = this.consume(plain);
    if (ch !== undefined || this.state !== State.Collecting) return ch;
    if (orig === undefined && this.pending.length > 0) return this.drainPending();
    return undefined;
  }

  /** Ends collection (ClientHello found or given up) and frees the buffers. */
  private finish(state: number): void {
    this.state = state;
    this.stream.release();
    this.pending = [];
    this.pendingBytes = 0;
  }

  private decrypt(buf: Buffer, h: LongHeader, keys: InitialKeys | undefined): Buffer | undefined {
    if (keys === undefined) {
      this.counters.inc(this.keyCache.exhausted ? "quic.keys.budget_spent" : "quic.keys.unavailable");
      return undefined;
    }
    return decryptInitialPacket(buf, h, keys, this.largestPn, this.dec, this.counters);
  }

  private sameDcid(buf: Buffer, h: LongHeader, dcid: Buffer): boolean {
    return (
      h.dcidLen === dcid.length && buf.compare(dcid, 0, dcid.length, h.dcidOff, h.dcidOff + h.dcidLen) === 0
    );
  }

  private queue(buf: Buffer, h: LongHeader): void {
    const size = h.end - h.start;
    if (this.pending.length >= MAX_PENDING_PACKETS || this.pendingBytes + size > MAX_PENDING_BYTES) {
      this.counters.inc("quic.pending.dropped");
      return;
    }
    this.pending.push(Buffer.from(buf.subarray(h.start, h.end)));
    this.pendingBytes += size;
  }

  /** Retries the queued packets now that the first DCID is known. */
  private drainPending(): Buffer | undefined {
    const list = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const h = this.pendingHdr;
    for (const pkt of list) {
      if (!parseLongHeader(pkt, 0, pkt.length, h, this.counters)) continue;
      const ch = this.onInitial(pkt, h, false);
      if (ch !== undefined || this.state !== State.Collecting) return ch;
    }
    return undefined;
  }

  /** Feeds the CRYPTO frames of a decrypted payload to the stream; returns the ClientHello once complete. */
  private consume(plain: Buffer): Buffer | undefined {
    const c = this.frames;
    c.reset(plain, 0, plain.length);
    for (;;) {
      const kind = c.next();
      if (kind === FrameKind.End) break;
      if (kind === FrameKind.Crypto) {
        const r = this.stream.push(c.cryptoOffset, plain, c.dataOff, c.dataLen);
        if (r === PushResult.BeyondLimit) this.counters.inc("quic.crypto.beyond_limit");
        else if (r === PushResult.TooManyRanges) this.counters.inc("quic.crypto.too_many_ranges");
      } else if (kind === FrameKind.Unknown) {
        this.counters.inc("quic.frames.unknown_type");
        break;
      } else if (kind === FrameKind.Malformed) {
        this.counters.inc("quic.frames.malformed");
        break;
      }
    }
    const s = this.stream;
    if (s.contiguous() === 0) return undefined;
    if (s.byteAt(0) !== CLIENT_HELLO) {
      this.counters.inc("quic.gave_up.not_client_hello");
      this.finish(State.Failed);
      return undefined;
    }
    const msgLen = s.firstMessageLength();
    if (msgLen > s.limit) {
      this.counters.inc("quic.gave_up.client_hello_too_large");
      this.finish(State.Failed);
      return undefined;
    }
    const ch = s.firstMessage();
    if (ch === undefined) return undefined;
    this.result = ch;
    this.finish(State.Done);
    return ch;
  }
}
