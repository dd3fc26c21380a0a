/**
 * Decodes protocol text the way tshark does for the fields the reference fingerprints
 * read (ENC_ASCII): bytes below 0x80 as themselves, every other byte as U+FFFD. Header
 * bytes come from attackers; this keeps one byte → one character and no invalid UTF-8.
 */
export function asciiText(buf: Buffer | Uint8Array, start: number, end: number): string {
  let clean = true;
  for (let i = start; i < end; i++) {
    if (buf[i] >= 0x80) {
      clean = false;
      break;
    }
  }
  if (clean) return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1");
  let s = "";
  for (let i = start; i < end; i++) {
    const b = buf[i];
    s += b < 0x80 ? String.fromCharCode(b) : "\ufffd";
  }
  return s;
}
