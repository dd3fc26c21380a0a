import fc from "fast-check";

/**
 * Mutated copies of `base` for fuzz tests: up to six edits among byte flips, inserts,
 * deletes, byte and 32-bit big-endian overwrites (length fields), and truncation.
 */
export function mutated(base: Buffer): fc.Arbitrary<Buffer> {
  const edit = fc.tuple(
    fc.constantFrom("flip", "insert", "delete", "byte", "u32", "cut"),
    fc.nat(),
    fc.nat(),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let b = Buffer.from(base);
    for (const [kind, at, v] of edits) {
      const i = b.length === 0 ? 0 : at % b.length;
      if (kind === "flip") b[i] ^= 1 << (v % 8);
      else if (kind === "insert")
        b = Buffer.concat([b.subarray(0, i), Buffer.from([v & 0xff]), b.subarray(i)]);
      else if (kind === "delete") b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
      else if (kind === "byte") b[i] = v & 0xff;
      else if (kind === "u32") {
        if (i + 4 <= b.length) b.writeUInt32BE(v >>> 0, i);
      } else b = b.subarray(0, i);
    }
    return b;
  });
}
