/**
 * JA4L light-distance values for QUIC (FoxIO `technical_details/JA4L.md`, "QUIC"), as a small
 * state machine over capture timestamps (µs) and TTLs:
 *
 *   A = the client's Initial, B = the server's Initial (server TTL recorded there; the client
 *   TTL at A), C = the server's last Handshake packet before the client's Handshake packet D.
 *   JA4L-C = `${(D − C) / 2}_${client TTL}`,  JA4L-S = `${(B − A) / 2}_${server TTL}`.
 *
 * Details as the FoxIO reference tool (rust/ja4/src/time/udp.rs) computes them, which the corpus
 * values come from:
 * - a datagram counts by the type of its first QUIC packet only (what tshark's first `quic`
 *   layer reports); a client Initial coalesced with a Handshake packet is an Initial;
 * - only Initial and Handshake packets count; 0-RTT, Retry, Version Negotiation and short-header
 *   packets are ignored, and so is anything out of the A, B, C…C, D order (a second client
 *   Initial keeps the first A; a client Handshake before any server Handshake is not D);
 * - the reference tells client and server apart by UDP port 443; the sensor uses its flow's
 *   orientation instead (the same on the reference's captures), so a decky's QUIC on
 *   another port is timed too;
 * - halves are integer microseconds truncated toward zero; both values appear only once D is seen.
 * Long-header types are read with `parseLongHeader`, which maps QUIC v2's type bits (RFC 9369
 * §3.2) onto v1's, so v1 and v2 connections are timed alike.
 */
import { ja4lValue } from "../tcp/ja4l.js";
import { newLongHeader, PacketType, parseLongHeader } from "./header.js";

/** What a datagram is for JA4L: the long-header type of its first packet. */
export const QuicJa4lPacket = { Other: 0, Initial: 1, Handshake: 2 } as const;
export type QuicJa4lPacket = (typeof QuicJa4lPacket)[keyof typeof QuicJa4lPacket];

/** Which side sent a datagram, for JA4L. */
export const QuicJa4lSender = { None: 0, Client: 1, Server: 2 } as const;
export type QuicJa4lSender = (typeof QuicJa4lSender)[keyof typeof QuicJa4lSender];

const scratch = newLongHeader();

/**
 * Classifies the UDP payload `buf[off, off + len)` by its first QUIC packet: Initial, Handshake
 * (QUIC v1 or v2), or Other (short header, 0-RTT, Retry, Version Negotiation, another version,
 * not QUIC). Never throws.
 */
export function quicJa4lPacketKind(buf: Buffer, off: number, len: number): QuicJa4lPacket {
  try {
    if (!parseLongHeader(buf, off, off + len, scratch)) return QuicJa4lPacket.Other;
  } catch {
    return QuicJa4lPacket.Other;
  }
  if (scratch.type === PacketType.Initial) return QuicJa4lPacket.Initial;
  if (scratch.type === PacketType.Handshake) return QuicJa4lPacket.Handshake;
  return QuicJa4lPacket.Other;
}

const Want = { ClientInitial: 0, ServerInitial: 1, ServerHandshake: 2, ClientHandshake: 3, Done: 4 } as const;

/**
 * Per-connection QUIC JA4L state: four timestamps and two TTLs. Feed it the connection's
 * datagrams in capture order; `observe` returns true once both values are known.
 */
export class QuicJa4l {
  private want: number = Want.ClientInitial;
  private aUs = 0;
  private bUs = 0;
  private cUs = 0;
  private dUs = 0;
  private clientTtl = 0;
  private serverTtl = 0;

  observe(sender: QuicJa4lSender, kind: QuicJa4lPacket, tsUs: number, ttl: number): boolean {
    const w = this.want;
    if (sender === QuicJa4lSender.Client) {
      if (w === Want.ClientInitial && kind === QuicJa4lPacket.Initial) {
        this.aUs = tsUs;
        this.clientTtl = ttl;
        this.want = Want.ServerInitial;
      } else if (w === Want.ClientHandshake && kind === QuicJa4lPacket.Handshake) {
        this.dUs = tsUs;
        this.want = Want.Done;
      }
    } else if (sender === QuicJa4lSender.Server) {
      if (w === Want.ServerInitial && kind === QuicJa4lPacket.Initial) {
        this.bUs = tsUs;
        this.serverTtl = ttl;
        this.want = Want.ServerHandshake;
      } else if (
        (w === Want.ServerHandshake || w === Want.ClientHandshake) &&
        kind === QuicJa4lPacket.Handshake
      ) {
        // C is the server's last Handshake packet before the client's: each one moves it.
        this.cUs = tsUs;
        this.want = Want.ClientHandshake;
      }
    }
    return this.want === Want.Done;
  }

  get complete(): boolean {
    return this.want === Want.Done;
  }

  /** JA4L-C, once complete. */
  client(): string | undefined {
    return this.want === Want.Done ? ja4lValue(this.cUs, this.dUs, this.clientTtl) : undefined;
  }

  /** JA4L-S, once complete (the reference prints both or neither). */
  server(): string | undefined {
    return this.want === Want.Done ? ja4lValue(this.aUs, this.bUs, this.serverTtl) : undefined;
  }
}
