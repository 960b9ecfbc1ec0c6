import { WwatpError } from '../../tree/errors.js';
import { FILTER_OPERATORS, type JsonValue, type SearchFilter, type SearchQuery } from '../types.js';
import { checkField, fieldExpression, fieldTypeExpression, jsonPath } from './field-path.js';

/**
 * Compiles a SearchQuery into one SELECT over a collection's database. Values only ever
 * reach SQL as bound parameters; field names only as checked JSON paths (field-path.ts);
 * operators and directions only as fixed text chosen here.
 */

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;
export const MAX_FILTERS = 64;
export const MAX_IN_VALUES = 1000;
export const MAX_FULL_TEXT = 1000;

export type SqlParam = string | number | null;

export interface CompiledSearch {
  sql: string;
  params: SqlParam[];
  /** True when the query joins the full-text index (and selects a bm25 score). */
  fullText: boolean;
}

/** The record columns every search selects, in the shape CollectionStore reads rows. */
export const RECORD_COLUMNS = 'records.id AS id, type, proto_data, json(json) AS json_text, data_uri, version, created_at, updated_at';

function invalid(message: string): WwatpError {
  return new WwatpError('INVALID_FILTER', message);
}

const NUMBER_TYPES = "('integer','real')";

/** A clause true when the value at (expr, typeExpr) equals `value`, typed as JSON types are. */
function equalsClause(expr: string, typeExpr: string, value: JsonValue, params: SqlParam[]): string {
  if (value === null) return `${typeExpr} = 'null'`;
  if (typeof value === 'boolean') return `${typeExpr} = '${value ? 'true' : 'false'}'`;
  if (typeof value === 'number') {
    params.push(value);
    return `(${expr} = ? AND ${typeExpr} IN ${NUMBER_TYPES})`;
  }
  if (typeof value === 'string') {
    params.push(value);
    return `(${expr} = ? AND ${typeExpr} = 'text')`;
  }
  // Objects and arrays compare as minified JSON text, so key order matters.
  params.push(JSON.stringify(value));
  return `(${typeExpr} IN ('object','array') AND ${expr} = json(?))`;
}

function checkNumber(field: string, value: unknown): void {
  if (typeof value === 'number' && !Number.isFinite(value)) throw invalid(`filter on ${field}: ${value} is not a finite number`);
}

const COMPARISONS = { GREATER_THAN: '>', LESS_THAN: '<', GREATER_EQUAL: '>=', LESS_EQUAL: '<=' } as const;

function compileFilter(filter: SearchFilter, params: SqlParam[]): string {
  if (filter === null || typeof filter !== 'object') throw invalid('a filter must be an object {field, operator, value}');
  const field = checkField(filter.field);
  const op: unknown = filter.operator;
  if (typeof op !== 'string' || !(FILTER_OPERATORS as readonly string[]).includes(op)) {
    throw invalid(`filter on ${field}: unknown operator ${JSON.stringify(op)}; use one of ${FILTER_OPERATORS.join(', ')}`);
  }
  const expr = fieldExpression(field);
  const type = fieldTypeExpression(field);
  const value = filter.value;
  checkNumber(field, value);
  switch (filter.operator) {
    case 'EXISTS':
      return `${type} IS NOT NULL`;
    case 'NOT_EXISTS':
      return `${type} IS NULL`;
    case 'EQUALS':
    case 'NOT_EQUALS': {
      if (value === undefined) throw invalid(`filter on ${field}: ${filter.operator} needs a value`);
      const eq = equalsClause(expr, type, value, params);
      return filter.operator === 'EQUALS' ? eq : `NOT coalesce(${eq}, 0)`;
    }
    case 'GREATER_THAN':
    case 'LESS_THAN':
    case 'GREATER_EQUAL':
    case 'LESS_EQUAL': {
      const sqlOp = COMPARISONS[filter.operator];
      if (typeof value === 'number') {
        params.push(value);
        return `(${expr} ${sqlOp} ? AND ${type} IN ${NUMBER_TYPES})`;
      }
      if (typeof value === 'string') {
        params.push(value);
        return `(${expr} ${sqlOp} ? AND ${type} = 'text')`;
      }
      throw invalid(`filter on ${field}: ${filter.operator} compares a number or a string, got ${JSON.stringify(value)}`);
    }
    case 'CONTAINS':
      return containsClause(field, expr, type, value, params);
    case 'IN': {
      if (!Array.isArray(value)) throw invalid(`filter on ${field}: IN needs an array of values, got ${JSON.stringify(value)}`);
      if (value.length > MAX_IN_VALUES) throw invalid(`filter on ${field}: IN takes at most ${MAX_IN_VALUES} values, got ${value.length}`);
      return inClause(field, expr, type, value, params);
    }
  }
}

/** Substring of a string field, or membership in an array field. */
function containsClause(field: string, expr: string, type: string, value: JsonValue | undefined, params: SqlParam[]): string {
  if (value === undefined) throw invalid(`filter on ${field}: CONTAINS needs a value`);
  const path = jsonPath(field);
  // records.json, qualified: json_each has a hidden column of its own named json.
  const member = (p: SqlParam[]): string =>
    `(${type} = 'array' AND EXISTS (SELECT 1 FROM json_each(records.json, '${path}') AS je WHERE ${equalsClause('je.value', 'je.type', value, p)}))`;
  if (typeof value === 'string') {
    params.push(value);
    // Case-insensitive as the tree grammar's `title~dune` is meant (SQLite's lower()
    // folds ASCII letters only); instr treats the value literally, with no LIKE wildcards.
    const substring = `(${type} = 'text' AND instr(lower(${expr}), lower(?)) > 0)`;
    return `(${substring} OR ${member(params)})`;
  }
  return member(params);
}

function inClause(field: string, expr: string, type: string, values: readonly JsonValue[], params: SqlParam[]): string {
  if (values.length === 0) return '0';
  const strings = values.filter((v): v is string => typeof v === 'string');
  const numbers = values.filter((v): v is number => typeof v === 'number');
  const others = values.filter((v) => typeof v !== 'string' && typeof v !== 'number');
  for (const n of numbers) checkNumber(field, n);
  const parts: string[] = [];
  // Grouped so SQLite can answer each group from an index on the field.
  if (strings.length > 0) {
    parts.push(`(${expr} IN (${strings.map(() => '?').join(',')}) AND ${type} = 'text')`);
    params.push(...strings);
  }
  if (numbers.length > 0) {
    parts.push(`(${expr} IN (${numbers.map(() => '?').join(',')}) AND ${type} IN ${NUMBER_TYPES})`);
    params.push(...numbers);
  }
  for (const v of others) parts.push(equalsClause(expr, type, v, params));
  return `(${parts.join(' OR ')})`;
}

function checkCount(name: string, value: unknown, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw invalid(`${name} must be an integer from 0 to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Limit and offset with defaults applied (a limit of 0 means the default, as in protobuf). */
export function pageOf(query: Pick<SearchQuery, 'limit' | 'offset'>): { limit: number; offset: number } {
  const limit = checkCount('limit', query.limit, MAX_LIMIT) || DEFAULT_LIMIT;
  const offset = checkCount('offset', query.offset, Number.MAX_SAFE_INTEGER) ?? 0;
  return { limit, offset };
}

export function compileSearch(query: SearchQuery): CompiledSearch {
  if (query === null || typeof query !== 'object') throw invalid('a search query must be an object');
  const params: SqlParam[] = [];
  const where: string[] = [];
  const fullText = query.fullText !== undefined && query.fullText !== '';
  if (fullText) {
    if (typeof query.fullText !== 'string' || query.fullText.length > MAX_FULL_TEXT) {
      throw invalid(`fullText must be a string of at most ${MAX_FULL_TEXT} characters`);
    }
    where.push('records_fts MATCH ?');
    params.push(query.fullText);
  }
  const filters = query.filters ?? [];
  if (!Array.isArray(filters)) throw invalid('filters must be an array');
  if (filters.length > MAX_FILTERS) throw invalid(`at most ${MAX_FILTERS} filters, got ${filters.length}`);
  for (const filter of filters) where.push(compileFilter(filter, params));

  const order: string[] = [];
  const orderBy = query.orderBy ?? [];
  if (!Array.isArray(orderBy)) throw invalid('orderBy must be an array');
  for (const o of orderBy) {
    if (o === null || typeof o !== 'object') throw invalid('an orderBy entry must be {field, ascending}');
    order.push(`${fieldExpression(checkField(o.field))} ${o.ascending === false ? 'DESC' : 'ASC'}`);
  }
  if (fullText && order.length === 0) order.push('score ASC');
  order.push('records.id ASC');

  const { limit, offset } = pageOf(query);
  const from = fullText
    ? `SELECT ${RECORD_COLUMNS}, bm25(records_fts) AS score FROM records JOIN records_fts ON records_fts.rowid = records.rowid`
    : `SELECT ${RECORD_COLUMNS} FROM records`;
  const sql = `${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`;
  params.push(limit, offset);
  return { sql, params, fullText };
}
