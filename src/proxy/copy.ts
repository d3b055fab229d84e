// Copying request and reply bytes: the proxy mostly moves short runs (keys,
// small values, status replies), where a plain loop beats Buffer.copy's call
// into native code; longer runs use Buffer.copy.

/** Copy src[start,end) into dst at o; returns the number of bytes copied. */
export function copyInto(src: Uint8Array, start: number, end: number, dst: Uint8Array, o: number): number {
  if (end - start > 64) {
    dst.set(src.subarray(start, end), o);
    return end - start;
  }
  for (let i = start; i < end; i++) dst[o++] = src[i];
  return end - start;
}
