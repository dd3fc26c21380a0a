/**
 * Splits one direction of a TLS stream into whole records (header + body copies),
 * for the rare path that must see ciphertext records (decryption with a key log).
 * Bounded: a record longer than 2^14 + 256 bytes (RFC 8446 §5.2) ends the splitter.
 */
const MAX_CIPHERTEXT = 16384 + 256;

export type RecordHandler = (type: number, header: Buffer, body: Buffer) => void;

export class TlsRecordSplitter {
  private readonly hdr = Buffer.alloc(5);
  private hdrFill = 0;
  private body: Buffer | undefined;
  private bodyFill = 0;
  dead = false;

  constructor(private readonly onRecord: RecordHandler) {}

  push(buf: Buffer, off: number, len: number): void {
    const end = off + len;
    while (off < end && !this.dead) {
      if (this.body === undefined) {
        while (this.hdrFill < 5 && off < end) this.hdr[this.hdrFill++] = buf[off++];
        if (this.hdrFill < 5) return;
        const n = this.hdr.readUInt16BE(3);
        if (n > MAX_CIPHERTEXT || this.hdr[1] !== 3) {
          this.dead = true;
          return;
        }
        this.body = Buffer.allocUnsafe(n);
        this.bodyFill = 0;
      }
      const take = Math.min(end - off, this.body.length - this.bodyFill);
      buf.copy(this.body, this.bodyFill, off, off + take);
      this.bodyFill += take;
      off += take;
      if (this.bodyFill === this.body.length) {
        const body = this.body;
        this.body = undefined;
        this.hdrFill = 0;
        this.onRecord(this.hdr[0], Buffer.from(this.hdr), body);
      }
    }
  }
}
