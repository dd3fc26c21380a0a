/** Feeds `data` to `sink` in pieces whose sizes cycle through `sizes` (stream-reader tests). */
export function feed(
  data: Buffer,
  sizes: number[],
  sink: (b: Buffer, off: number, len: number) => void,
): void {
  let i = 0;
  for (let p = 0; p < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length], data.length - p);
    sink(data, p, n);
    p += n;
  }
}
