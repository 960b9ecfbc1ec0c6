/** Index lookups into the QPACK static table, built once at load. */
import { STATIC_TABLE } from './static-table.js';

const exact = new Map<string, number>();
const byName = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], index) => {
  // The NUL separator cannot occur in valid names or values, so keys never collide.
  const key = `${name}\u0000${value}`;
  if (!exact.has(key)) exact.set(key, index);
  if (!byName.has(name)) byName.set(name, index);
});

/** Index of the entry with this name and value, if any. */
export function staticIndexOf(name: string, value: string): number | undefined {
  return exact.get(`${name}\u0000${value}`);
}

/** Index of the first entry with this name, if any. */
export function staticNameIndexOf(name: string): number | undefined {
  return byName.get(name);
}

/** The entry at `index`, or undefined past the table. */
export function staticEntry(index: number): readonly [string, string] | undefined {
  return STATIC_TABLE[index];
}
