import t from 'tap';
import { crc32 } from '../../../../src/tree/codecs/crc32.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

t.test('standard check values', async (t) => {
  t.equal(crc32(new Uint8Array(0)), 0);
  t.equal(crc32(ascii('123456789')), 0xcbf43926);
  t.equal(crc32(ascii('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  t.equal(crc32(new Uint8Array(32)), 0x190a55ad);
  t.equal(crc32(new Uint8Array(32).fill(0xff)), 0xff6cab0b);
});

t.test('continues over split input', async (t) => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) & 0xff);
  const whole = crc32(bytes);
  for (const cut of [0, 1, 499, 999, 1000]) {
    t.equal(crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut))), whole, `cut at ${cut}`);
  }
});

t.test('works on views into larger buffers', async (t) => {
  const big = new Uint8Array(20).fill(9);
  big.set(ascii('123456789'), 5);
  t.equal(crc32(big.subarray(5, 14)), 0xcbf43926);
});
