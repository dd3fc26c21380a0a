import { hash12 } from "../digest.js";
import type { HttpRequest } from "./request.js";

/**
 * JA4H (FoxIO JA4+, FoxIO License 1.1) of one HTTP request, in the four forms the
 * reference tool prints: `ja4h` (hashed, cookies sorted), `ja4h_r` (raw, sorted),
 * `ja4h_o` (hashed, cookies in original order), `ja4h_ro` (raw, original order).
 */
export interface Ja4h {
  ja4h: string;
  ja4h_r: string;
  ja4h_o: string;
  ja4h_ro: string;
}

/** Method → two-letter code. The reference fingerprints these nine methods only. */
const METHODS: Record<string, string> = {
  CONNECT: "co",
  DELETE: "de",
  GET: "ge",
  HEAD: "he",
  OPTIONS: "op",
  PATCH: "pa",
  POST: "po",
  PUT: "pu",
  TRACE: "tr",
};

const VERSIONS: Record<string, string> = {
  "HTTP/1.0": "10",
  "HTTP/1.1": "11",
  "HTTP/2": "20",
  "HTTP/3": "30",
};

/**
 * JA4H as the reference Rust tool computes it:
 *
 *   {method 2}{version 2}{c|n}{r|n}{header count 2}{language 4}_{hash headers}_{hash cookie names}_{hash cookies}
 *
 * - Header names keep their case and order; Cookie and Referer are left out of the list
 *   and of the count (at most 99) and set the c/r flags. HTTP/1 compares the names
 *   exactly ("Cookie", "Referer": a lowercase "cookie" header is an ordinary header, as
 *   in the reference); HTTP/2 and HTTP/3 compare with "cookie" and "referer" and count
 *   the pseudo-header fields.
 * - Language: the first Accept-Language value, leading blanks dropped, up to the first
 *   comma, "-" removed, lowercased, cut or padded with "0" to 4 characters ("0000" without
 *   the header).
 * - Cookies: HTTP/1 takes the first Cookie header (any case) split at "; "; HTTP/2 takes
 *   every cookie field as one cookie. Sorted by (name, value), split at the first "=";
 *   names and whole cookies are joined with "," and hashed separately.
 * - Each hash is the first 12 hex digits of SHA-256; an empty list hashes to 12 zeros.
 *
 * Returns undefined for a request the reference does not fingerprint: a method other
 * than the nine above (exact case) or a version other than HTTP/1.0, 1.1, 2, 3.
 */
export function ja4h(req: HttpRequest): Ja4h | undefined {
  const method = METHODS[req.method];
  const version = VERSIONS[req.version];
  if (method === undefined || version === undefined) return undefined;
  const h1 = version === "10" || version === "11";
  const cookieName = h1 ? "Cookie" : "cookie";
  const refererName = h1 ? "Referer" : "referer";

  let hasCookie = false;
  let hasReferer = false;
  let language: string | undefined;
  const names: string[] = [];
  const cookies: string[] = [];
  let cookieSeen = false;
  for (const h of req.headers) {
    if (h.name === cookieName) hasCookie = true;
    else if (h.name === refererName) hasReferer = true;
    else names.push(h.name);
    if (h1) {
      const lower = h.name.toLowerCase();
      if (language === undefined && lower === "accept-language") language = h.value;
      if (!cookieSeen && lower === "cookie") {
        cookieSeen = true;
        for (const c of h.value.split("; ")) cookies.push(c);
      }
    } else {
      if (language === undefined && h.name === "accept-language") language = h.value;
      if (h.name === "cookie") cookies.push(h.value);
    }
  }

  const count = Math.min(99, names.length).toString().padStart(2, "0");
  const a = `${method}${version}${hasCookie ? "c" : "n"}${hasReferer ? "r" : "n"}${count}${primaryLanguage(language ?? "")}`;
  const headerList = names.join(",");
  const sorted = sortCookies(cookies);
  const [keysSorted, itemsSorted] = cookieLists(sorted);
  const [keysOrig, itemsOrig] = cookieLists(cookies);
  const hHeaders = hash12(headerList);
  return {
    ja4h: `${a}_${hHeaders}_${hash12(keysSorted)}_${hash12(itemsSorted)}`,
    ja4h_r: `${a}_${headerList}_${keysSorted}_${itemsSorted}`,
    ja4h_o: `${a}_${hHeaders}_${hash12(keysOrig)}_${hash12(itemsOrig)}`,
    ja4h_ro: `${a}_${headerList}_${keysOrig}_${itemsOrig}`,
  };
}

/** The 4-character language part (reference: primary_language + truncate_to(4)). */
export function primaryLanguage(value: string): string {
  const first = value.trimStart().split(",")[0].replaceAll("-", "").toLowerCase();
  const chars = Array.from(first);
  if (chars.length >= 4) return chars.slice(0, 4).join("");
  return first + "0".repeat(4 - chars.length);
}

/** Name of a cookie: everything before the first "=". */
function cookieName(c: string): string {
  const eq = c.indexOf("=");
  return eq < 0 ? c : c.slice(0, eq);
}

/**
 * Sorted by (name, value) with the value after the first "=" (a cookie without "=" has
 * no value and sorts first among equal names). Code-unit order equals the reference's
 * byte order here: names and values hold ASCII and U+FFFD only.
 */
function sortCookies(cookies: string[]): string[] {
  return cookies
    .map((c) => {
      const eq = c.indexOf("=");
      return { c, name: eq < 0 ? c : c.slice(0, eq), value: eq < 0 ? undefined : c.slice(eq + 1) };
    })
    .sort((x, y) => {
      if (x.name !== y.name) return x.name < y.name ? -1 : 1;
      if (x.value === y.value) return 0;
      if (x.value === undefined) return -1;
      if (y.value === undefined) return 1;
      return x.value < y.value ? -1 : 1;
    })
    .map((e) => e.c);
}

/** [names joined with ",", cookies joined with ","]. */
function cookieLists(cookies: string[]): [string, string] {
  return [cookies.map(cookieName).join(","), cookies.join(",")];
}
