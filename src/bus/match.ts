/**
 * NATS wildcard matching (DESIGN §5 "Topics"): `*` matches exactly one non-empty token, `>`
 * matches one or more trailing tokens (never zero) and only as the last pattern token. Any other
 * token matches itself. Empty tokens never match anything, so a malformed topic or pattern simply
 * does not match. Walks both strings in place: no split, no allocation (runs once per event per
 * subscription).
 */

const DOT = 0x2e;
const STAR = 0x2a;
const GT = 0x3e;

/** True when `topic` matches `pattern`. Never throws. */
export function topicMatches(pattern: string, topic: string): boolean {
  const pl = pattern.length;
  const tl = topic.length;
  if (pl === 0 || tl === 0) return false;
  let pi = 0;
  let ti = 0;
  for (;;) {
    let pe = pattern.indexOf(".", pi);
    if (pe === -1) pe = pl;
    const plen = pe - pi;
    if (plen === 1 && pattern.charCodeAt(pi) === GT) {
      // `>` is only a wildcard as the last token; it needs ≥ 1 remaining non-empty topic token.
      return pe === pl && tailTokensNonEmpty(topic, ti, tl);
    }
    let te = topic.indexOf(".", ti);
    if (te === -1) te = tl;
    const tlen = te - ti;
    if (tlen === 0 || plen === 0) return false;
    if (!(plen === 1 && pattern.charCodeAt(pi) === STAR)) {
      if (plen !== tlen) return false;
      for (let k = 0; k < plen; k++) {
        if (pattern.charCodeAt(pi + k) !== topic.charCodeAt(ti + k)) return false;
      }
    }
    const pDone = pe === pl;
    const tDone = te === tl;
    if (pDone || tDone) return pDone && tDone;
    pi = pe + 1;
    ti = te + 1;
  }
}

/** True when topic[from, to) is one or more tokens, none empty. */
function tailTokensNonEmpty(topic: string, from: number, to: number): boolean {
  if (from >= to) return false;
  if (topic.charCodeAt(from) === DOT || topic.charCodeAt(to - 1) === DOT) return false;
  for (let i = from + 1; i < to; i++) {
    if (topic.charCodeAt(i) === DOT && topic.charCodeAt(i - 1) === DOT) return false;
  }
  return true;
}

/** True when `topic` matches any of `patterns`. */
export function matchesAny(patterns: readonly string[], topic: string): boolean {
  for (let i = 0; i < patterns.length; i++) if (topicMatches(patterns[i], topic)) return true;
  return false;
}
