import t from 'tap';
import { prng } from '../../conformance/random.js';
import { CBOR_NULL } from '../../../src/tree/codecs/cbor-cursor.js';
import { encodeWithLast } from '../../../src/transport/wwatp/node-payloads.js';
import { encodePayload } from '../../../src/transport/wwatp/payloads.js';

const NULL = Uint8Array.of(CBOR_NULL);
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** A field value: mostly what the hand-written head takes, sometimes what it leaves to cbor-x. */
function randomValue(rand: () => number): unknown {
  const pick = Math.floor(rand() * 12);
  const text = (n: number): string => Array.from({ length: n }, () => String.fromCodePoint([0x61, 0xe9, 0x4e2d, 0x1f600, 0x2f][Math.floor(rand() * 5)] as number)).join('');
  switch (pick) {
    case 0: return '';
    case 1: return text(Math.floor(rand() * 30));
    case 2: return text(20 + Math.floor(rand() * 300));
    case 3: return Math.floor(rand() * 24);
    case 4: return Math.floor(rand() * 70_000);
    case 5: return Math.floor(rand() * 2 ** 40);
    case 6: return Number.MAX_SAFE_INTEGER;
    case 7: return -1 - Math.floor(rand() * 1000); // negative: cbor-x
    case 8: return rand() + 0.5; // a float: cbor-x
    case 9: return rand() < 0.5; // a boolean: cbor-x
    case 10: return [1, 'x']; // an array: cbor-x
    default: return 2 ** 53 + 2; // past safe integers: cbor-x
  }
}

t.test('a map head with a value spliced after it: the bytes cbor-x writes, on 3000 random field sets', async (t) => {
  const rand = prng(42);
  let differ = 0;
  for (let i = 0; i < 3000; i++) {
    const fields: Record<string, unknown> = {};
    const count = Math.floor(rand() * 6);
    for (let k = 0; k < count; k++) fields[`${['name', 'rule', 'label', 'latest', 'ok', 'é'][k]}${i % 3 === 0 ? k : ''}`] = randomValue(rand);
    const key = ['node', 'nodes', 'x'][i % 3] as string;
    if (!same(encodeWithLast(fields, key, NULL), encodePayload({ ...fields, [key]: null }))) differ++;
  }
  t.equal(differ, 0);
});

t.test('edge cases: no fields, around 23 and 24 pairs, the key among the fields', async (t) => {
  t.ok(same(encodeWithLast({}, 'node', NULL), encodePayload({ node: null })));
  for (const n of [22, 23, 24, 30]) {
    const fields = Object.fromEntries(Array.from({ length: n }, (_, k) => [`f${k}`, k]));
    t.ok(same(encodeWithLast(fields, 'node', NULL), encodePayload({ ...fields, node: null })), `${n} fields`);
  }
  // The key already a field would not end the map: a caller's mistake, refused.
  t.throws(() => encodeWithLast({ node: 'x', a: 1 }, 'node', NULL), /did not end with the null for node/);
});
