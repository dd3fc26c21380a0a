/**
 * IP address text over raw address bytes (4 for IPv4, 16 for IPv6), and its parser.
 * Formatting allocates a string, so it belongs to code that keeps the result (events,
 * flow endpoints), not to the per-packet path.
 */

const HEX = "0123456789abcdef";

/** Dotted quad (IPv4) or RFC 5952 text (IPv6) of the address at `buf[off]`. */
export function formatAddress(buf: Uint8Array, off: number, version: 4 | 6): string {
  return version === 4 ? formatIpv4(buf, off) : formatIpv6(buf, off);
}

export function formatIpv4(buf: Uint8Array, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/**
 * RFC 5952 §4: lowercase hex, no leading zeros, the longest run of two or more zero
 * groups replaced by `::` (the first such run on a tie; a lone zero group stays `0`),
 * and IPv4-mapped addresses (::ffff:0:0/96, §5) ending in a dotted quad.
 */
export function formatIpv6(buf: Uint8Array, off: number): string {
  if (isIpv4Mapped(buf, off)) return `::ffff:${formatIpv4(buf, off + 12)}`;
  let bestStart = -1;
  let bestLen = 1; // runs must be longer than this to be compressed
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = buf[off + 2 * g] === 0 && buf[off + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      const len = g - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  let s = "";
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      s += "::";
      g += bestLen - 1;
      continue;
    }
    if (s.length > 0 && !s.endsWith(":")) s += ":";
    s += hexGroup((buf[off + 2 * g] << 8) | buf[off + 2 * g + 1]);
  }
  return s;
}

function hexGroup(v: number): string {
  if (v < 0x10) return HEX[v];
  if (v < 0x100) return HEX[v >> 4] + HEX[v & 15];
  if (v < 0x1000) return HEX[v >> 8] + HEX[(v >> 4) & 15] + HEX[v & 15];
  return HEX[v >> 12] + HEX[(v >> 8) & 15] + HEX[(v >> 4) & 15] + HEX[v & 15];
}

/** ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). */
export function isIpv4Mapped(buf: Uint8Array, off: number): boolean {
  for (let i = 0; i < 10; i++) if (buf[off + i] !== 0) return false;
  return buf[off + 10] === 0xff && buf[off + 11] === 0xff;
}

/**
 * Parses IPv4 dotted-quad or IPv6 text (with `::` and an optional trailing dotted quad;
 * no zone index) into 4 or 16 bytes, or undefined when the text is not an address.
 */
export function parseAddress(text: string): Uint8Array | undefined {
  if (text.includes(":")) return parseIpv6(text);
  return parseIpv4(text);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const dbl = text.indexOf("::");
  if (dbl >= 0 && text.indexOf("::", dbl + 1) >= 0) return undefined;
  const head = dbl >= 0 ? text.slice(0, dbl) : text;
  const tail = dbl >= 0 ? text.slice(dbl + 2) : "";
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === "" ? [] : tail.split(":");
  const words: number[] = [];
  const all = dbl >= 0 ? [...headGroups, "::", ...tailGroups] : headGroups;
  let gap = -1;
  for (let i = 0; i < all.length; i++) {
    const g = all[i];
    if (g === "::") {
      gap = words.length;
      continue;
    }
    if (i === all.length - 1 && g.includes(".")) {
      const v4 = parseIpv4(g);
      if (v4 === undefined) return undefined;
      words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    words.push(Number.parseInt(g, 16));
  }
  if (gap >= 0) {
    if (words.length > 7) return undefined;
    words.splice(gap, 0, ...new Array<number>(8 - words.length).fill(0));
  } else if (words.length !== 8) {
    return undefined;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i] >> 8;
    out[2 * i + 1] = words[i] & 0xff;
  }
  return out;
}
