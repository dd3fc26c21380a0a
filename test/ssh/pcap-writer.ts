/**
 * Test helper: writes a classic pcap (Ethernet, IPv4, TCP) of one hand-scripted TCP
 * connection, so that tshark can serve as an independent oracle for synthetic sessions.
 */
import { writeFileSync } from "node:fs";
import { pcapFile } from "../helpers/pcap-file.js";

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i);
  if (b.length % 2) s += b[b.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export const SYN = 0x02;
export const ACK = 0x10;
export const PSH_ACK = 0x18;
export const SYN_ACK = 0x12;
export const FIN_ACK = 0x11;

/** One TCP connection between 10.0.0.1:clientPort (client) and 10.0.0.2:serverPort. */
export class ScriptedConnection {
  private readonly frames: Buffer[] = [];
  /** Packet time of each frame: one second apart, plus any pause(). */
  private readonly times: number[] = [];
  private clockUs = 1_700_000_000 * 1e6;
  private readonly nextSeq = { client: 1000, server: 5000 };

  constructor(
    readonly clientPort = 40000,
    readonly serverPort = 22,
  ) {}

  /** Three-way handshake. */
  handshake(): this {
    this.packet(true, SYN);
    this.packet(false, SYN_ACK);
    this.packet(true, ACK);
    return this;
  }

  /** One segment; `seq` overrides the sequence number (a retransmission, say). */
  packet(fromClient: boolean, flags: number, payload: Buffer = Buffer.alloc(0), seq?: number): this {
    const me = fromClient ? "client" : "server";
    const peer = fromClient ? "server" : "client";
    const src = Buffer.from(fromClient ? [10, 0, 0, 1] : [10, 0, 0, 2]);
    const dst = Buffer.from(fromClient ? [10, 0, 0, 2] : [10, 0, 0, 1]);
    const tcp = Buffer.alloc(20 + payload.length);
    tcp.writeUInt16BE(fromClient ? this.clientPort : this.serverPort, 0);
    tcp.writeUInt16BE(fromClient ? this.serverPort : this.clientPort, 2);
    tcp.writeUInt32BE((seq ?? this.nextSeq[me]) >>> 0, 4);
    tcp.writeUInt32BE(flags & ACK ? this.nextSeq[peer] >>> 0 : 0, 8);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    tcp.writeUInt16BE(65535, 14);
    payload.copy(tcp, 20);
    const pseudo = Buffer.concat([src, dst, Buffer.from([0, 6, tcp.length >> 8, tcp.length & 0xff]), tcp]);
    tcp.writeUInt16BE(checksum(pseudo), 16);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + tcp.length, 2);
    ip.writeUInt16BE(this.frames.length + 1, 4);
    ip.writeUInt16BE(0x4000, 6);
    ip[8] = 64;
    ip[9] = 6;
    src.copy(ip, 12);
    dst.copy(ip, 16);
    ip.writeUInt16BE(checksum(ip), 10);
    const eth = Buffer.from([2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 8, 0]);
    this.frames.push(Buffer.concat([eth, ip, tcp]));
    this.times.push(this.clockUs);
    this.clockUs += 1e6;
    if (seq === undefined) this.nextSeq[me] += payload.length + (flags & (SYN | 0x01) ? 1 : 0);
    return this;
  }

  /** Data from one side with PSH+ACK. */
  send(fromClient: boolean, payload: Buffer | string): this {
    return this.packet(
      fromClient,
      PSH_ACK,
      typeof payload === "string" ? Buffer.from(payload, "latin1") : payload,
    );
  }

  /** Lets `seconds` of packet time pass before the next packet. */
  pause(seconds: number): this {
    this.clockUs += seconds * 1e6;
    return this;
  }

  /** Moves a side's next sequence number on, past segments sent with an explicit `seq`. */
  advance(fromClient: boolean, bytes: number): this {
    this.nextSeq[fromClient ? "client" : "server"] += bytes;
    return this;
  }

  /** Current next sequence number of a side (to script a retransmission). */
  seqOf(fromClient: boolean): number {
    return this.nextSeq[fromClient ? "client" : "server"];
  }

  write(file: string): void {
    const frames = this.frames.map((data, i) => ({ tsUs: this.times[i], data }));
    writeFileSync(file, pcapFile(frames, 1, 65535));
  }
}

/** An SSH-2 binary packet (RFC 4253 §6) with 8-byte block padding. */
export function sshPacket(msg: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const payload = Buffer.concat([Buffer.from([msg]), body]);
  let pad = 8 - ((payload.length + 5) % 8);
  if (pad < 4) pad += 8;
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length + pad + 1, 0);
  head[4] = pad;
  return Buffer.concat([head, payload, Buffer.alloc(pad)]);
}

/** An SSH string / mpint: uint32 length + bytes. */
export function sshString(s: Buffer | string): Buffer {
  const b = typeof s === "string" ? Buffer.from(s, "latin1") : s;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length, 0);
  return Buffer.concat([len, b]);
}

/** A KEXINIT packet from ten name-lists. */
export function kexinitPacket(lists: string[], firstKexFollows = false): Buffer {
  return sshPacket(
    20,
    Buffer.concat([
      Buffer.alloc(16, 0x11),
      ...lists.map((l) => sshString(l)),
      Buffer.from([firstKexFollows ? 1 : 0, 0, 0, 0, 0]),
    ]),
  );
}

/** An SSH-1 packet: length, 8 - length % 8 padding bytes, type + data, 4-byte CRC (not checked). */
export function ssh1Packet(type: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const length = 1 + data.length + 4;
  const pad = 8 - (length % 8);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(length, 0);
  return Buffer.concat([head, Buffer.alloc(pad, 0x5a), Buffer.from([type]), data, Buffer.alloc(4)]);
}
