import { createHash } from "node:crypto";

/** First 12 hex digits of SHA-256(s); "000000000000" for an empty input (JA4+ convention). */
export function hash12(s: string): string {
  if (s.length === 0) return "000000000000";
  return createHash("sha256").update(s, "utf8").digest("hex").slice(0, 12);
}

/** Lowercase MD5 hex of s (JA3/JA3S). */
export function md5Hex(s: string): string {
  return createHash("md5").update(s, "utf8").digest("hex");
}

/** 4-digit lowercase hex of a 16-bit value. */
export function hex4(v: number): string {
  return v.toString(16).padStart(4, "0");
}
