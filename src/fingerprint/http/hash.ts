import { createHash } from "node:crypto";

/** First 12 hex digits of SHA-256 over the UTF-8 bytes of s; "000000000000" for "" (JA4+). */
export function hash12(s: string): string {
  if (s.length === 0) return "000000000000";
  return createHash("sha256").update(s, "utf8").digest("hex").slice(0, 12);
}
