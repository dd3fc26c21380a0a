/**
 * HPACK Huffman decoding (RFC 7541 §5.2, Appendix B).
 *
 * Appendix B is a canonical Huffman code: codes of one length are consecutive and
 * ordered by symbol, each length continuing where the previous one stopped. So the
 * code lengths below (one per symbol 0-255, then EOS) determine every code; they are
 * the "len in bits" column of Appendix B. The tests check the result against the RFC's
 * examples (Appendix C.4, C.6) and against tshark.
 */
// biome-ignore format: sixteen symbols per row, to read against the RFC table
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

const EOS = 256;
const MAX_LEN = 30;

/** Per length: number of codes, first code, index of its first symbol in SYMBOLS. */
const COUNT = new Int32Array(MAX_LEN + 1);
const FIRST_CODE = new Float64Array(MAX_LEN + 1);
const FIRST_INDEX = new Int32Array(MAX_LEN + 1);
/** Symbols ordered by (code length, symbol): the canonical order. */
const SYMBOLS = new Int32Array(257);

(function build(): void {
  for (const l of CODE_LENGTHS) COUNT[l]++;
  let code = 0;
  let index = 0;
  for (let l = 1; l <= MAX_LEN; l++) {
    code *= 2;
    FIRST_CODE[l] = code;
    FIRST_INDEX[l] = index;
    for (let s = 0; s < CODE_LENGTHS.length; s++) if (CODE_LENGTHS[s] === l) SYMBOLS[index++] = s;
    code += COUNT[l];
  }
})();

/** Code and length of `symbol` (0-256): used by tests to encode. */
export function huffmanCode(symbol: number): { code: number; bits: number } {
  const bits = CODE_LENGTHS[symbol];
  let k = FIRST_INDEX[bits];
  while (SYMBOLS[k] !== symbol) k++;
  return { code: FIRST_CODE[bits] + (k - FIRST_INDEX[bits]), bits };
}

/**
 * Decodes `buf[start, end)` into `out` (from index 0); returns the number of octets, or
 * -1 for a decoding error: EOS inside the data, padding longer than 7 bits or not all
 * ones (RFC 7541 §5.2), or more than `out.length` octets.
 */
export function huffmanDecode(buf: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let n = 0;
  let code = 0;
  let len = 0;
  let ones = true; // every bit since the last symbol was 1 (a valid padding so far)
  for (let i = start; i < end; i++) {
    const byte = buf[i];
    for (let shift = 7; shift >= 0; shift--) {
      const bit = (byte >> shift) & 1;
      code = code * 2 + bit;
      len++;
      if (bit === 0) ones = false;
      const offset = code - FIRST_CODE[len];
      if (offset >= 0 && offset < COUNT[len]) {
        const sym = SYMBOLS[FIRST_INDEX[len] + offset];
        if (sym === EOS) return -1;
        if (n >= out.length) return -1;
        out[n++] = sym;
        code = 0;
        len = 0;
        ones = true;
      } else if (len >= MAX_LEN) {
        return -1;
      }
    }
  }
  if (len > 7 || !ones) return -1;
  return n;
}
