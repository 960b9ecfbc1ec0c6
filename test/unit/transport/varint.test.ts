import t from 'tap';
import {
  decodeVarint, decodeVarintBig, decodeVarintLoose, encodeVarint, MAX_VARINT, VarintError, varintLengthFromFirstByte, varintSize, writeVarint,
} from '../../../src/transport/varint.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

t.test('RFC 9000 Appendix A.1 sample encodings', async (t) => {
  t.equal(hex(encodeVarint(151288809941952652n)), 'c2197c5eff14e88c');
  t.equal(hex(encodeVarint(494878333)), '9d7f3e7d');
  t.equal(hex(encodeVarint(15293)), '7bbd');
  t.equal(hex(encodeVarint(37)), '25');
  t.same(decodeVarintBig(bytes('c2197c5eff14e88c')), { value: 151288809941952652n, length: 8 });
  t.same(decodeVarint(bytes('9d7f3e7d')), { value: 494878333, length: 4 });
  t.same(decodeVarint(bytes('7bbd')), { value: 15293, length: 2 });
  t.same(decodeVarint(bytes('25')), { value: 37, length: 1 });
  t.same(decodeVarint(bytes('4025')), { value: 37, length: 2 }, 'non-minimal encodings decode (RFC 9000 §16)');
});

t.test('boundaries of each length', async (t) => {
  const cases: [number | bigint, number][] = [
    [0, 1], [63, 1], [64, 2], [16383, 2], [16384, 4], [1073741823, 4], [1073741824, 8],
    [Number.MAX_SAFE_INTEGER, 8], [MAX_VARINT, 8],
  ];
  for (const [value, size] of cases) {
    t.equal(varintSize(value), size, `size of ${value}`);
    const enc = encodeVarint(value);
    t.equal(enc.length, size);
    t.equal(varintLengthFromFirstByte(enc[0] as number), size);
    t.same(decodeVarintBig(enc), { value: BigInt(value), length: size });
    if (typeof value === 'number') t.same(decodeVarint(enc), { value, length: size });
  }
  t.equal(hex(encodeVarint(MAX_VARINT)), 'ffffffffffffffff');
});

t.test('round trips through writeVarint at offsets', async (t) => {
  const buf = new Uint8Array(40);
  let off = 3;
  const values = [0, 1, 63, 64, 300, 70000, 2 ** 31, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
  for (const v of values) off = writeVarint(buf, off, v);
  off = 3;
  for (const v of values) {
    const d = decodeVarint(buf, off);
    t.equal(d?.value, v);
    off += d?.length ?? 0;
  }
  t.throws(() => writeVarint(new Uint8Array(1), 0, 64), VarintError, 'no room');
});

t.test('truncated input means need more, never a RangeError', async (t) => {
  const full = encodeVarint(MAX_VARINT);
  for (let n = 0; n < full.length; n++) {
    t.equal(decodeVarint(full.subarray(0, n)), undefined, `${n} bytes`);
    t.equal(decodeVarintBig(full.subarray(0, n)), undefined);
    t.equal(decodeVarintLoose(full.subarray(0, n)), undefined);
  }
  t.same(decodeVarint(bytes('4025'), 1), { value: 37, length: 1 }, 'decodes at an offset');
  t.equal(decodeVarint(bytes('254a'), 1), undefined, 'a 2-byte varint cut at the end');
  t.equal(decodeVarint(new Uint8Array(0), 5), undefined, 'offset past the end');
  t.equal(decodeVarint(bytes('80'), 0), undefined);
  t.throws(() => decodeVarint(bytes('00'), -1), VarintError);
});

t.test('number API errors clearly above 2^53-1; bigint and loose APIs cover the rest', async (t) => {
  const big = encodeVarint(2n ** 53n);
  t.throws(() => decodeVarint(big), { name: 'VarintError', problem: 'unsafe', code: 'PROTOCOL' });
  t.same(decodeVarintBig(big), { value: 2n ** 53n, length: 8 });
  t.ok((decodeVarintLoose(encodeVarint(MAX_VARINT))?.value ?? 0) >= 2 ** 53);
  t.throws(() => encodeVarint(2 ** 53), { name: 'VarintError', problem: 'unsafe' });
  t.throws(() => encodeVarint(MAX_VARINT + 1n), { name: 'VarintError', problem: 'too-large' });
  t.throws(() => encodeVarint(-1), { name: 'VarintError', problem: 'negative' });
  t.throws(() => encodeVarint(-1n), { name: 'VarintError', problem: 'negative' });
  t.throws(() => encodeVarint(1.5), { name: 'VarintError', problem: 'not-integer' });
  t.throws(() => encodeVarint(Number.NaN), { name: 'VarintError', problem: 'not-integer' });
});

t.test('random round trips', async (t) => {
  for (let i = 0; i < 2000; i++) {
    const bits = Math.floor(Math.random() * 62);
    const v = BigInt(Math.floor(Math.random() * 2 ** 31)) * 2n ** BigInt(Math.max(0, bits - 31)) % (MAX_VARINT + 1n);
    const enc = encodeVarint(v);
    const dec = decodeVarintBig(enc);
    if (dec?.value !== v || dec.length !== enc.length) t.fail(`round trip of ${v}`);
  }
  t.pass('2000 random values');
});
