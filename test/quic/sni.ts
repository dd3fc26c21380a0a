/**
 * Test-only: the server_name of a ClientHello handshake message (type, 3-byte length, body), or
 * undefined. Deliberately tiny and separate from the sensor's TLS parser; throws on malformed
 * input (tests feed it well-formed messages).
 */
export function sniOf(ch: Buffer): string | undefined {
  if (ch[0] !== 1) throw new Error("not a ClientHello");
  let p = 4 + 2 + 32;
  p += 1 + ch[p]; // session id
  p += 2 + ch.readUInt16BE(p); // cipher suites
  p += 1 + ch[p]; // compression methods
  const extEnd = p + 2 + ch.readUInt16BE(p);
  if (extEnd > ch.length) throw new Error("extensions overrun");
  p += 2;
  while (p + 4 <= extEnd) {
    const type = ch.readUInt16BE(p);
    const len = ch.readUInt16BE(p + 2);
    p += 4;
    if (type === 0) {
      // server_name_list: u16 length, then entries of (u8 type, u16 length, name)
      if (ch[p + 2] !== 0) throw new Error("SNI entry not host_name");
      const nameLen = ch.readUInt16BE(p + 3);
      return ch.toString("ascii", p + 5, p + 5 + nameLen);
    }
    p += len;
  }
  return undefined;
}
