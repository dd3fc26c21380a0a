export { hash12, md5Hex } from "../digest.js";

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
