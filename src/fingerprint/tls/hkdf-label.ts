import { createHmac } from "node:crypto";

/**
 * The HkdfLabel structure of TLS 1.3 (RFC 8446 §7.1) with an empty context:
 * uint16 length || uint8 len("tls13 " + label) || "tls13 " + label || uint8 0.
 */
export function hkdfLabelInfo(label: string, length: number): Buffer {
  const full = `tls13 ${label}`;
  const info = Buffer.alloc(2 + 1 + full.length + 1);
  info.writeUInt16BE(length, 0);
  info[2] = full.length;
  info.write(full, 3, "latin1");
  return info;
}

/**
 * HKDF-Expand-Label(secret, label, "", length) of RFC 8446 §7.1 (TLS 1.3 record keys, QUIC
 * Initial keys): HKDF-Expand (RFC 5869 §2.3) over the HkdfLabel.
 */
export function hkdfExpandLabel(
  hash: "sha256" | "sha384",
  secret: Buffer,
  label: string,
  length: number,
): Buffer {
  const info = hkdfLabelInfo(label, length);
  const out = Buffer.alloc(length);
  let prev = Buffer.alloc(0);
  let filled = 0;
  for (let i = 1; filled < length; i++) {
    prev = createHmac(hash, secret)
      .update(prev)
      .update(info)
      .update(Buffer.from([i]))
      .digest();
    filled += prev.copy(out, filled);
  }
  return out;
}
