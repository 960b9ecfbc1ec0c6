/** `count` indexes in [0, n), pseudo-random (xorshift) and the same on every run. */
export function picks(n: number, count: number): Uint32Array {
  const out = new Uint32Array(count);
  let x = 0x9e3779b9;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % n;
  }
  return out;
}
