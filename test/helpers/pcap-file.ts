/**
 * Classic little-endian microsecond pcap bytes (tcpdump.org pcap-savefile(5)), for tests
 * that hand their own frames to tshark, p0f or the project's reader.
 */
export interface PcapFrame {
  tsUs: number;
  data: Buffer;
}

export function pcapFile(frames: readonly PcapFrame[], linktype = 1, snaplen = 262144): Buffer {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(snaplen, 16);
  h.writeUInt32LE(linktype, 20);
  parts.push(h);
  for (const f of frames) {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(Math.floor(f.tsUs / 1e6), 0);
    r.writeUInt32LE(f.tsUs % 1e6, 4);
    r.writeUInt32LE(f.data.length, 8);
    r.writeUInt32LE(f.data.length, 12);
    parts.push(r, f.data);
  }
  return Buffer.concat(parts);
}
