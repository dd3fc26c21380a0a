/**
 * GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa — both bytes equal and of the
 * form 0x?a. Clients sprinkle them into cipher, extension, group, signature-algorithm,
 * version and ALPN lists at random, so every fingerprint drops them.
 */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

/** The 16 GREASE code points, in ascending order. */
export const GREASE_VALUES: readonly number[] = Object.freeze(
  Array.from({ length: 16 }, (_, i) => (i << 12) | 0x0a00 | (i << 4) | 0x0a),
);
