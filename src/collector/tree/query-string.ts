import { WwatpError } from '../../tree/errors.js';
import { MAX_LIMIT } from '../search/compile.js';
import type { FilterOperator, JsonValue, SearchFilter, SearchOrder, SearchQuery } from '../types.js';

/**
 * The `?...` of a collector label rule, turned into a SearchQuery. The grammar (also in
 * docs/COLLECTOR.md):
 *
 *   query   = term *( "&" term )
 *   term    = field op value          filters:  =  ==  !=  >  <  >=  <=  ~
 *           | field "=in:(" list ")"  IN
 *           | field                   EXISTS
 *           | "!" field               NOT_EXISTS
 *           | "q=" text               full text
 *           | "order=" key *("," key) key = ["-"|"+"] field
 *           | "limit=" n | "offset=" n
 *   field   = name *( "." (name | index) )   name = [A-Za-z_][A-Za-z0-9_]*, index = 1*9DIGIT
 *
 * Terms are split on `&` and lists on `,` before percent-decoding, so `%26` and `%2C`
 * are literal characters. A value is typed by its content: JSON numbers, true, false
 * and null are those values; `"..."` is a JSON string (so `"2000"` stays text); anything
 * else is text. `q`, `order`, `limit` and `offset` are reserved with `=`; `==` always
 * compares a field, so `limit==5` filters on a field named limit.
 */

export const MAX_QUERY_TERMS = 64;
// The store's own ceiling: a larger limit is refused here, with the term's position.
export const MAX_SEARCH_LIMIT = MAX_LIMIT;

const NAME_CHAR = /[A-Za-z0-9_.]/;
// The same names the store accepts (search/field-path.ts): numeric segments index arrays.
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]{1,9}))*$/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const RESERVED = new Set(['q', 'order', 'limit', 'offset']);

// Longest first, so `>=` is not read as `>` followed by a value starting with `=`.
const OPERATORS: ReadonlyArray<readonly [string, FilterOperator]> = [
  ['!=', 'NOT_EQUALS'],
  ['>=', 'GREATER_EQUAL'],
  ['<=', 'LESS_EQUAL'],
  ['==', 'EQUALS'],
  ['=', 'EQUALS'],
  ['>', 'GREATER_THAN'],
  ['<', 'LESS_THAN'],
  ['~', 'CONTAINS'],
];

function bad(message: string, term: string, at: number): WwatpError {
  return new WwatpError('INVALID_FILTER', `query term ${JSON.stringify(term)} at character ${at + 1}: ${message}`);
}

function decode(raw: string, term: string, at: number): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw bad(`${JSON.stringify(raw)} is not valid percent-encoding`, term, at);
  }
}

/** A decoded value typed by its content (see the grammar above). */
export function typedValue(text: string, term = text, at = 0): JsonValue {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (NUMBER.test(text)) {
    const n = Number(text);
    if (!Number.isFinite(n)) throw bad(`${text} is out of the range of a number`, term, at);
    return n;
  }
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'string') return parsed;
    } catch {
      // fall through to the error below
    }
    throw bad(`${text} is not a valid quoted string (JSON escapes only)`, term, at);
  }
  if (text.startsWith('"')) throw bad(`the quoted value ${text} has no closing quote`, term, at);
  return text;
}

function checkField(field: string, term: string, at: number): string {
  if (field === '') throw bad('a field name is missing before the operator', term, at);
  if (!FIELD.test(field)) {
    throw bad(`${JSON.stringify(field)} is not a field name (letters, digits and _ joined by single dots, not starting with a digit; numeric segments index arrays)`, term, at);
  }
  return field;
}

/** Splits a raw list on commas outside double quotes (quotes may be raw or %22). */
function splitList(raw: string, term: string, at: number): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (raw.startsWith('%22', i)) {
      quoted = !quoted;
      current += '%22';
      i += 2;
      continue;
    }
    if (ch === '\\' && quoted) {
      current += raw.slice(i, i + 2);
      i += 1;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      items.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (quoted) throw bad('a quoted item in the list has no closing quote', term, at);
  items.push(current);
  return items;
}

function naturalNumber(raw: string, name: string, term: string, at: number, max: number): number {
  const text = decode(raw, term, at);
  if (!/^\d+$/.test(text)) throw bad(`${name} takes a whole number, got ${JSON.stringify(text)}`, term, at);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n > max) throw bad(`${name} must be at most ${max}`, term, at);
  return n;
}

function parseOrder(raw: string, term: string, at: number): SearchOrder[] {
  if (raw === '') throw bad('order needs at least one field', term, at);
  return raw.split(',').map((item) => {
    const text = decode(item, term, at);
    let ascending = true;
    let field = text;
    if (text.startsWith('-') || text.startsWith('+')) {
      ascending = text.startsWith('+');
      field = text.slice(1);
    }
    return { field: checkField(field, term, at), ascending };
  });
}

function parseIn(field: string, raw: string, term: string, at: number): SearchFilter {
  if (!raw.endsWith(')')) throw bad('an IN list is written in:(a,b,c) and must end with ")"', term, at);
  const inner = raw.slice('in:('.length, -1);
  if (inner.trim() === '') throw bad('an IN list needs at least one value', term, at);
  const values = splitList(inner, term, at).map((item) => {
    if (item === '') throw bad('an IN list has an empty item (two commas in a row, or a trailing comma)', term, at);
    return typedValue(decode(item, term, at), term, at);
  });
  return { field, operator: 'IN', value: values };
}

/** Parses the text after `?` into a SearchQuery; throws INVALID_FILTER saying what is wrong and where. */
export function parseQueryString(query: string): SearchQuery {
  if (typeof query !== 'string') throw new WwatpError('INVALID_FILTER', 'a query must be a string');
  const filters: SearchFilter[] = [];
  const out: { fullText?: string; orderBy?: SearchOrder[]; limit?: number; offset?: number } = {};
  if (query === '') return {};
  const terms = query.split('&');
  if (terms.length > MAX_QUERY_TERMS) throw new WwatpError('INVALID_FILTER', `a query has at most ${MAX_QUERY_TERMS} terms, this one has ${terms.length}`);
  let at = 0;
  for (const term of terms) {
    parseTerm(term, at, filters, out);
    at += term.length + 1;
  }
  return { ...(filters.length > 0 ? { filters } : {}), ...out };
}

function parseTerm(
  term: string,
  at: number,
  filters: SearchFilter[],
  out: { fullText?: string; orderBy?: SearchOrder[]; limit?: number; offset?: number },
): void {
  if (term === '') throw bad('empty term (two "&" in a row, or one at either end)', term, at);
  const negated = term.startsWith('!') && !term.startsWith('!=');
  const body = negated ? term.slice(1) : term;
  let end = 0;
  while (end < body.length && NAME_CHAR.test(body[end] as string)) end++;
  const field = body.slice(0, end);
  const rest = body.slice(end);
  if (rest === '') {
    filters.push({ field: checkField(field, term, at), operator: negated ? 'NOT_EXISTS' : 'EXISTS' });
    return;
  }
  const op = OPERATORS.find(([token]) => rest.startsWith(token));
  if (!op) throw bad(`${JSON.stringify(rest[0])} is not allowed here: expected an operator (= == != > < >= <= ~) after the field`, term, at + (negated ? 1 : 0) + end);
  if (negated) throw bad('"!" goes only before a bare field (NOT_EXISTS); use != for not-equals', term, at);
  const [token, operator] = op;
  const raw = rest.slice(token.length);
  if (token === '=' && RESERVED.has(field)) {
    reserved(field, raw, term, at, out);
    return;
  }
  checkField(field, term, at);
  if (token === '=' && raw.startsWith('in:(')) {
    filters.push(parseIn(field, raw, term, at));
    return;
  }
  // `year>>1`, `year=>1`: almost surely a mistyped operator rather than text starting with one.
  if (/^[=<>!~]/.test(raw)) throw bad(`the value starts with "${raw[0] as string}": a mistyped operator? (quote or percent-encode a value that really starts so)`, term, at);
  const text = decode(raw, term, at);
  if (text === '' && operator !== 'EQUALS' && operator !== 'NOT_EQUALS') throw bad(`${token} needs a value`, term, at);
  const value = typedValue(text, term, at);
  if (operator === 'CONTAINS' && typeof value !== 'string' && typeof value !== 'number') {
    throw bad('~ (contains) takes text or a number', term, at);
  }
  filters.push({ field, operator, value });
}

function reserved(
  name: string,
  raw: string,
  term: string,
  at: number,
  out: { fullText?: string; orderBy?: SearchOrder[]; limit?: number; offset?: number },
): void {
  switch (name) {
    case 'q': {
      if (out.fullText !== undefined) throw bad('q= is given twice', term, at);
      const text = decode(raw, term, at);
      if (text.trim() === '') throw bad('q= needs text to search for', term, at);
      out.fullText = text;
      return;
    }
    case 'order':
      if (out.orderBy !== undefined) throw bad('order= is given twice; list fields with commas instead', term, at);
      out.orderBy = parseOrder(raw, term, at);
      return;
    case 'limit':
      if (out.limit !== undefined) throw bad('limit= is given twice', term, at);
      out.limit = naturalNumber(raw, 'limit', term, at, MAX_SEARCH_LIMIT);
      return;
    case 'offset':
      if (out.offset !== undefined) throw bad('offset= is given twice', term, at);
      out.offset = naturalNumber(raw, 'offset', term, at, Number.MAX_SAFE_INTEGER);
      return;
  }
}
