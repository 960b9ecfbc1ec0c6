import { WwatpError } from '../../tree/errors.js';

/**
 * Decoded protobuf messages reach the handlers as plain objects of unknown shape.
 * These readers narrow them field by field, so a malformed request becomes a
 * MALFORMED error (INVALID_ARGUMENT) instead of a crash deep inside a handler.
 */
export type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function bad(field: string, expected: string): WwatpError {
  return new WwatpError('MALFORMED', `field ${field} should be ${expected}`);
}

export function str(o: Obj, key: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad(key, 'a string');
  return v;
}

export function num(o: Obj, key: string): number {
  const v = o[key];
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  // int64 values may arrive as decimal strings depending on the decoder's options.
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  throw bad(key, 'a number');
}

export function bool(o: Obj, key: string): boolean {
  const v = o[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw bad(key, 'a boolean');
  return v;
}

export function bytes(o: Obj, key: string): Uint8Array {
  const v = o[key];
  if (v === undefined || v === null) return new Uint8Array(0);
  if (!(v instanceof Uint8Array)) throw bad(key, 'bytes');
  return v;
}

/** A nested message, or undefined when it was not sent. */
export function msg(o: Obj, key: string): Obj | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw bad(key, 'a message');
  return v;
}

export function list(o: Obj, key: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(key, 'a list');
  return v;
}

export function strList(o: Obj, key: string): string[] {
  return list(o, key).map((v) => {
    if (typeof v !== 'string') throw bad(key, 'a list of strings');
    return v;
  });
}

export function msgList(o: Obj, key: string): Obj[] {
  return list(o, key).map((v) => {
    if (!isObj(v)) throw bad(key, 'a list of messages');
    return v;
  });
}

export function strMap(o: Obj, key: string): Record<string, string> {
  const v = msg(o, key);
  const out: Record<string, string> = {};
  if (v === undefined) return out;
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw bad(`${key}.${k}`, 'a string');
    out[k] = x;
  }
  return out;
}

export function msgMap(o: Obj, key: string): Record<string, Obj> {
  const v = msg(o, key);
  const out: Record<string, Obj> = {};
  if (v === undefined) return out;
  for (const [k, x] of Object.entries(v)) {
    if (!isObj(x)) throw bad(`${key}.${k}`, 'a message');
    out[k] = x;
  }
  return out;
}
