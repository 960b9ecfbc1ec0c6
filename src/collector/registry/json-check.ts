import protobuf from 'protobufjs';
import { WwatpError } from '../../tree/errors.js';

/**
 * Checks a JSON value against a message type before protobufjs sees it, because
 * protobufjs's fromObject coerces silently ("abc" becomes 0). The first problem found
 * is thrown as TYPE_MISMATCH naming the field's full path (`acme.Book.year: integer
 * expected`). Field names may be the .proto names or their lowerCamelCase JSON names.
 */

const INT32: readonly [number, number] = [-(2 ** 31), 2 ** 31 - 1];
const UINT32: readonly [number, number] = [0, 2 ** 32 - 1];
const INT64: readonly [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
const UINT64: readonly [bigint, bigint] = [0n, 2n ** 64n - 1n];
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function fail(path: string, expected: string): never {
  throw new WwatpError('TYPE_MISMATCH', `${path}: ${expected}`);
}

/** The field a JSON key names, by .proto name or lowerCamelCase JSON name. */
export function fieldByJsonKey(type: protobuf.Type, key: string): protobuf.Field | undefined {
  const direct = type.fields[key];
  if (direct) return direct;
  return type.fieldsArray.find((f) => protobuf.util.camelCase(f.name) === key);
}

function checkInteger(path: string, value: unknown, range: readonly [number, number]): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(path, 'integer expected');
  if (value < range[0] || value > range[1]) fail(path, `integer from ${range[0]} to ${range[1]} expected`);
}

function checkLong(path: string, value: unknown, range: readonly [bigint, bigint]): void {
  let big: bigint;
  if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
  else if (typeof value === 'string' && /^-?[0-9]{1,20}$/.test(value)) big = BigInt(value);
  else return fail(path, 'integer or decimal string (64-bit) expected');
  if (big < range[0] || big > range[1]) fail(path, `integer from ${range[0]} to ${range[1]} expected`);
}

function checkScalar(path: string, type: string, value: unknown): void {
  switch (type) {
    case 'double':
    case 'float':
      if (typeof value === 'number' || value === 'NaN' || value === 'Infinity' || value === '-Infinity') return;
      return fail(path, 'number expected');
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return checkInteger(path, value, INT32);
    case 'uint32':
    case 'fixed32':
      return checkInteger(path, value, UINT32);
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return checkLong(path, value, INT64);
    case 'uint64':
    case 'fixed64':
      return checkLong(path, value, UINT64);
    case 'bool':
      if (typeof value !== 'boolean') fail(path, 'boolean expected');
      return;
    case 'string':
      if (typeof value !== 'string') fail(path, 'string expected');
      return;
    case 'bytes':
      if (typeof value !== 'string' || !BASE64.test(value)) fail(path, 'base64 string expected');
      return;
    default:
      return fail(path, `unsupported field type ${type}`);
  }
}

function checkValue(path: string, field: protobuf.Field, value: unknown): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'string' && Object.hasOwn(resolved.values, value)) return;
    if (typeof value === 'number' && Object.values(resolved.values).includes(value)) return;
    return fail(path, `one of ${Object.keys(resolved.values).join(', ')} expected`);
  }
  if (resolved instanceof protobuf.Type) return checkMessage(resolved, value, path);
  checkScalar(path, field.type, value);
}

function checkMapKey(path: string, keyType: string, key: string): void {
  if (keyType === 'string') return;
  if (keyType === 'bool') {
    if (key !== 'true' && key !== 'false') fail(path, 'map key true or false expected');
    return;
  }
  if (!/^-?[0-9]+$/.test(key)) fail(path, `map key of type ${keyType} expected`);
}

/** Throws TYPE_MISMATCH for the first field of `json` that does not fit `type`. */
export function checkMessage(type: protobuf.Type, json: unknown, path = type.fullName.replace(/^\./, '')): void {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(path, `object (message ${type.fullName.replace(/^\./, '')}) expected`);
  const oneofsSeen = new Map<string, string>();
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    const field = fieldByJsonKey(type, key);
    const at = `${path}.${key}`;
    if (!field) fail(at, `unknown field (${type.fullName.replace(/^\./, '')} has ${type.fieldsArray.map((f) => f.name).join(', ') || 'no fields'})`);
    if (value === null) continue; // null means unset in the protobuf JSON mapping
    field.resolve();
    if (field.partOf) {
      const other = oneofsSeen.get(field.partOf.name);
      if (other !== undefined) fail(at, `oneof ${field.partOf.name} already set by ${other}`);
      oneofsSeen.set(field.partOf.name, key);
    }
    if (field instanceof protobuf.MapField) {
      if (typeof value !== 'object' || Array.isArray(value)) fail(at, 'object (map) expected');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        checkMapKey(`${at}[${k}]`, field.keyType, k);
        checkValue(`${at}[${k}]`, field, v);
      }
    } else if (field.repeated) {
      if (!Array.isArray(value)) fail(at, 'array expected');
      value.forEach((v, i) => checkValue(`${at}[${i}]`, field, v));
    } else {
      checkValue(at, field, value);
    }
  }
}
