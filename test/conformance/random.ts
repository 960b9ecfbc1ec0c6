import { TreeNode } from '../../src/tree/tree-node.js';

/** A small seeded PRNG (mulberry32), so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = Array.from('abcdefghijklmnopqrstuvwxyzéλ中🌳 \n"\'{}[]:-');

export function randomValue(rand: () => number, type: string): unknown {
  const int = (n: number): number => Math.floor(rand() * n);
  const size = (): number => [0, 1, 7, 64, 1000, 70000][int(6)] as number;
  const text = (): string => Array.from({ length: Math.min(size(), 4000) }, () => ALPHABET[int(ALPHABET.length)]).join('');
  switch (type) {
    case 'int64':
    case 'Int':
      return [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), BigInt(int(1e9)) * 1000003n][int(5)];
    case 'uint64':
      return [0n, 2n ** 64n - 1n, BigInt(int(1e9))][int(3)];
    case 'double':
    case 'Float':
      return [0, -0.5, Number.MAX_VALUE, Number.MIN_VALUE, rand() * 1e12][int(5)];
    case 'float':
      return Math.fround(rand() * 1000);
    case 'bool':
      return rand() < 0.5;
    case 'bytes':
    case 'Bytes':
    case 'Image':
      return Uint8Array.from({ length: size() }, () => int(256));
    case 'json':
    case 'yaml':
      return { n: int(100), s: text(), list: [1, 'two', null, true], nested: { deep: [text()] } };
    case 'List':
      return [text(), int(10), { k: 'v' }];
    case 'Dictionary':
      return { a: text(), b: [1, 2, 3] };
    case 'datetime':
    case 'Datetime':
      return new Date(Date.UTC(1970 + int(200), int(12), 1 + int(28), int(24), int(60), int(60), int(1000)));
    case 'Callback':
      return rand() < 0.5 ? 'Once' : 'Auto';
    case 'Removed':
      return null;
    default:
      return text();
  }
}

export const ALL_TYPES = [
  'int64', 'uint64', 'double', 'float', 'bool', 'string', 'bytes', 'yaml', 'json', 'datetime',
  'String', 'Int', 'Float', 'Image', 'List', 'Dictionary', 'Bytes', 'Datetime', 'Callback', 'Removed', 'Error',
];

/** A node with a random selection of properties of random types, values and sizes. */
export function randomNode(rand: () => number, label: string): { node: TreeNode; values: Map<string, unknown> } {
  const node = new TreeNode({ labelRule: label, description: `random ${label}` });
  const values = new Map<string, unknown>();
  const count = Math.floor(rand() * 8);
  for (let i = 0; i < count; i++) {
    const type = ALL_TYPES[Math.floor(rand() * ALL_TYPES.length)] as string;
    const name = `p${i}.${type}`;
    const value = randomValue(rand, type);
    node.insertProperty(name, type, value);
    values.set(name, value);
  }
  return { node, values };
}

/** The value getProperty should return for a value written with a given type. */
export function expectedRead(type: string, value: unknown): unknown {
  if ((type === 'int64' || type === 'Int' || type === 'uint64') && typeof value === 'number') return BigInt(value);
  if (type === 'float' && typeof value === 'number') return Math.fround(value);
  return value;
}
