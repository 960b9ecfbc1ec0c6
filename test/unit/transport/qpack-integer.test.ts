import t from 'tap';
import { QpackFormatError } from '../../../src/transport/h3/qpack/format-error.js';
import { decodePrefixedInt, encodePrefixedInt } from '../../../src/transport/h3/qpack/integer.js';

t.test('RFC 7541 Appendix C.1 examples', async (t) => {
  t.same(encodePrefixedInt(10, 5), [0x0a], 'C.1.1: 10 with a 5-bit prefix');
  t.same(encodePrefixedInt(1337, 5), [0x1f, 0x9a, 0x0a], 'C.1.2: 1337 with a 5-bit prefix');
  t.same(encodePrefixedInt(42, 8), [0x2a], 'C.1.3: 42 at an octet boundary');
  t.same(decodePrefixedInt(new Uint8Array([0xea]), 0, 5), { value: 10, length: 1 }, 'flag bits above the prefix are ignored');
  t.same(decodePrefixedInt(new Uint8Array([0xff, 0x9a, 0x0a]), 0, 5), { value: 1337, length: 3 });
  t.same(decodePrefixedInt(new Uint8Array([0x2a]), 0, 8), { value: 42, length: 1 });
});

t.test('flags are kept and boundaries round-trip for every prefix size', async (t) => {
  t.same(encodePrefixedInt(5, 6, 0xc0), [0xc5]);
  t.same(encodePrefixedInt(63, 6, 0xc0), [0xff, 0x00], 'value equal to the prefix maximum needs a continuation');
  for (let n = 1; n <= 8; n++) {
    const max = (1 << n) - 1;
    for (const v of [0, 1, max - 1, max, max + 1, max + 127, max + 128, 2 ** 14, 2 ** 21 + 3, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      if (v < 0) continue;
      const enc = new Uint8Array(encodePrefixedInt(v, n));
      const dec = decodePrefixedInt(enc, 0, n);
      if (dec?.value !== v || dec.length !== enc.length) t.fail(`prefix ${n} value ${v}`);
    }
  }
  t.pass('boundaries');
});

t.test('truncated integers mean need more', async (t) => {
  const enc = new Uint8Array(encodePrefixedInt(2 ** 40, 5));
  for (let n = 0; n < enc.length; n++) t.equal(decodePrefixedInt(enc.subarray(0, n), 0, 5), undefined);
  t.equal(decodePrefixedInt(new Uint8Array([0x1f, 0x80, 0x80]), 0, 5), undefined);
});

t.test('hostile integers fail instead of overflowing or spinning', async (t) => {
  const huge = new Uint8Array([0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
  t.throws(() => decodePrefixedInt(huge, 0, 5), QpackFormatError);
  const zeros = new Uint8Array([0x1f, ...new Array<number>(40).fill(0x80), 0x00]);
  t.throws(() => decodePrefixedInt(zeros, 0, 5), QpackFormatError, 'endless zero continuations');
  t.throws(() => encodePrefixedInt(-1, 5), QpackFormatError);
  t.throws(() => encodePrefixedInt(2 ** 53, 5), QpackFormatError);
});
