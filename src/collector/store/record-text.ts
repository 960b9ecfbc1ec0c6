import type { JsonValue } from '../types.js';

/** The text full-text search sees for a record: every string value in it, keys left out. */
export function recordText(value: JsonValue): string {
  const out: string[] = [];
  const walk = (v: JsonValue): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') for (const child of Object.values(v)) walk(child);
  };
  walk(value);
  return out.join('\n');
}
