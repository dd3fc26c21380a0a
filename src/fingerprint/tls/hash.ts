import { createHash } from "node:crypto";
import { BoundedCache } from "../../util/bounded-cache.js";

// The same lists (a tool's cipher suites, a CA's name attributes) recur on every
// connection: memoise the digests. Bounded: 4096 inputs of at most 4096 characters each.
const sha12Memo = new BoundedCache<string>(4096, 4096 * 1024);
const md5Memo = new BoundedCache<string>(4096, 4096 * 1024);

/** First 12 hex digits of SHA-256(s); "000000000000" for an empty input (JA4+ convention). */
export function hash12(s: string): string {
  if (s.length === 0) return "000000000000";
  let h = sha12Memo.get(s);
  if (h === undefined) {
    h = createHash("sha256").update(s, "utf8").digest("hex").slice(0, 12);
    if (s.length <= 4096) sha12Memo.set(s, h);
  }
  return h;
}

/** Lowercase MD5 hex of s (JA3/JA3S). */
export function md5Hex(s: string): string {
  let h = md5Memo.get(s);
  if (h === undefined) {
    h = createHash("md5").update(s, "utf8").digest("hex");
    if (s.length <= 4096) md5Memo.set(s, h);
  }
  return h;
}

const HEX4: (string | undefined)[] = new Array(65536);

/** 4-digit lowercase hex of a 16-bit value (memoised: fingerprints format the same few values). */
export function hex4(v: number): string {
  const i = v & 0xffff;
  let h = HEX4[i];
  if (h === undefined) {
    h = i.toString(16).padStart(4, "0");
    HEX4[i] = h;
  }
  return h;
}
