/**
 * TLS 1.3 record protection (RFC 8446 §5.2, §7.3) for reading a handshake whose
 * secrets are known (a key log): derive the traffic key and IV from a traffic secret,
 * then open records in order. Used to read the server's encrypted Certificate.
 */
import { createDecipheriv } from "node:crypto";
import { hkdfExpandLabel } from "./hkdf-label.js";

interface SuiteParams {
  hash: "sha256" | "sha384";
  keyLen: number;
  cipher: "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";
}

const SUITES: Record<number, SuiteParams> = {
  4865: { hash: "sha256", keyLen: 16, cipher: "aes-128-gcm" },
  4866: { hash: "sha384", keyLen: 32, cipher: "aes-256-gcm" },
  4867: { hash: "sha256", keyLen: 32, cipher: "chacha20-poly1305" },
};

/** Opens the records of one direction protected with one traffic secret. */
export class Tls13RecordOpener {
  private readonly params: SuiteParams;
  private readonly key: Buffer;
  private readonly iv: Buffer;
  private seq = 0n;
  failed = false;

  private constructor(params: SuiteParams, secret: Buffer) {
    this.params = params;
    this.key = hkdfExpandLabel(params.hash, secret, "key", params.keyLen);
    this.iv = hkdfExpandLabel(params.hash, secret, "iv", 12);
  }

  /** undefined for a cipher suite we cannot open. */
  static create(cipherSuite: number, secret: Buffer): Tls13RecordOpener | undefined {
    const p = SUITES[cipherSuite];
    return p === undefined ? undefined : new Tls13RecordOpener(p, secret);
  }

  /**
   * Opens one application_data record (`header` = its 5 bytes, `body` = ciphertext+tag).
   * Returns the inner content type and plaintext, or undefined when authentication
   * fails (wrong keys, or the sender switched keys): then `failed` stays set.
   */
  open(header: Buffer, body: Buffer): { type: number; data: Buffer } | undefined {
    if (this.failed || body.length < 17) {
      this.failed = true;
      return undefined;
    }
    const nonce = Buffer.from(this.iv);
    let s = this.seq;
    for (let i = 11; i >= 4 && s > 0n; i--) {
      nonce[i] ^= Number(s & 0xffn);
      s >>= 8n;
    }
    this.seq++;
    try {
      const d = createDecipheriv(this.params.cipher, this.key, nonce, {
        authTagLength: 16,
      } as never) as ReturnType<typeof createDecipheriv> & {
        setAuthTag(t: Buffer): void;
        setAAD(a: Buffer, o?: unknown): void;
      };
      d.setAAD(header, { plaintextLength: body.length - 16 });
      d.setAuthTag(body.subarray(body.length - 16));
      const plain = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
      // TLSInnerPlaintext: content, then the real type, then zero padding.
      let end = plain.length - 1;
      while (end >= 0 && plain[end] === 0) end--;
      if (end < 0) {
        this.failed = true;
        return undefined;
      }
      return { type: plain[end], data: plain.subarray(0, end) };
    } catch {
      this.failed = true;
      return undefined;
    }
  }
}
