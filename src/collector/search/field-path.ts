import { WwatpError } from '../../tree/errors.js';

/**
 * A dotted field name (`author.name`, `tags.0`) checked against a strict grammar, then
 * turned into an SQLite JSON path. The grammar admits no quote, bracket or space, so the
 * path can sit in SQL as a literal: it must, for SQLite to match it with an expression
 * index, and nothing a caller types can end that literal early.
 */
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|[0-9]{1,9}))*$/;
export const MAX_FIELD_LENGTH = 256;

export function checkField(field: unknown): string {
  if (typeof field !== 'string' || field.length > MAX_FIELD_LENGTH || !FIELD.test(field)) {
    const shown = typeof field === 'string' ? JSON.stringify(field.slice(0, 80)) : String(field);
    throw new WwatpError(
      'INVALID_FILTER',
      `field ${shown} is not a field name: use dotted names of letters, digits and '_' (a.b.c), numeric segments for array elements`,
    );
  }
  return field;
}

/** `author.name` → `$.author.name`; `tags.0` → `$.tags[0]`. */
export function jsonPath(field: string): string {
  let path = '$';
  for (const segment of checkField(field).split('.')) {
    path += /^[0-9]/.test(segment) ? `[${segment}]` : `.${segment}`;
  }
  return path;
}

/** The SQL expression reading a field; identical in indexes and queries so SQLite uses the index. */
export function fieldExpression(field: string): string {
  return `json_extract(json, '${jsonPath(field)}')`;
}

/** The JSON type of a field ('integer', 'text', 'array', ...; NULL when absent). */
export function fieldTypeExpression(field: string): string {
  return `json_type(json, '${jsonPath(field)}')`;
}
