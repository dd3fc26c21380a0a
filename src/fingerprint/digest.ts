/**
 * The digests every fingerprint family uses (JA4+ truncated SHA-256, JA3/HASSH MD5),
 * memoised: the same lists — a tool's cipher suites, a server's algorithms, a CA's name
 * attributes — recur on every connection. Bounded: 4096 inputs per digest, inputs over
 * 4096 characters are not remembered.
 */
import * as crypto from "node:crypto";
import { BoundedCache } from "../util/bounded-cache.js";

const MAX_MEMO_INPUT = 4096;

/**
 * One-shot digest: `crypto.hash` (Node ≥ 20.12) costs about half of createHash's object per
 * call; older Node versions fall back to createHash.
 */
type OneShot = (algorithm: string, data: string, encoding: "hex") => string;
const oneShot = (crypto as { hash?: OneShot }).hash;
const hexDigest: OneShot =
  oneShot !== undefined
    ? oneShot
    : (algorithm, data) => crypto.createHash(algorithm).update(data, "utf8").digest("hex");
const sha12Memo = new BoundedCache<string>(4096, 4096 * MAX_MEMO_INPUT);
const md5Memo = new BoundedCache<string>(4096, 4096 * MAX_MEMO_INPUT);

/** First 12 hex digits of SHA-256 over the UTF-8 bytes of s; "000000000000" for "" (JA4+). */
export function hash12(s: string): string {
  if (s.length === 0) return "000000000000";
  let h = sha12Memo.get(s);
  if (h === undefined) {
    h = hash12Once(s);
    if (s.length <= MAX_MEMO_INPUT) sha12Memo.set(s, h);
  }
  return h;
}

/** Lowercase MD5 hex over the UTF-8 bytes of s (JA3, JA3S, HASSH). */
export function md5Hex(s: string): string {
  let h = md5Memo.get(s);
  if (h === undefined) {
    h = md5HexOnce(s);
    if (s.length <= MAX_MEMO_INPUT) md5Memo.set(s, h);
  }
  return h;
}

/**
 * The same digests without the memo, for inputs that rarely repeat (a ClientHello list in
 * a shuffled order): looking those up would only cost a string hash and evict useful entries.
 */
export function hash12Once(s: string): string {
  return s.length === 0 ? "000000000000" : hexDigest("sha256", s, "hex").slice(0, 12);
}

export function md5HexOnce(s: string): string {
  return hexDigest("md5", s, "hex");
}
