import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { WwatpError } from './errors.js';
import { fromUtf8, isWellFormed, utf8 } from './codecs/bytes.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What getProperty returns; which member depends on the property's type. */
export type PropertyValue = bigint | number | boolean | string | Uint8Array | Date | JsonValue;

/** The ten storage types. Every type name a node may use maps onto one of them. */
export type BaseType = 'int64' | 'uint64' | 'double' | 'float' | 'bool' | 'string' | 'bytes' | 'yaml' | 'json' | 'datetime';

export interface PropertyType {
  /** The name as written in propertyInfos. */
  readonly name: string;
  readonly base: BaseType;
  /** Bytes of a fixed-size value; undefined for length-prefixed values. */
  readonly fixedSize: number | undefined;
  /** Encodes a value's payload (without any length prefix), refusing values of the wrong type. */
  encode(value: unknown, property: string): Uint8Array;
  decode(payload: Uint8Array, property: string): PropertyValue;
}

function mismatch(property: string, type: string, expected: string, value: unknown): WwatpError {
  const got = value === null ? 'null' : value instanceof Uint8Array ? 'bytes' : typeof value;
  return new WwatpError('TYPE_MISMATCH', `property "${property}" of type ${type} needs ${expected}, got ${got}`);
}

function toBigInt(value: unknown, property: string, type: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw mismatch(property, type, 'an integer (bigint or safe integer)', value);
}

function fixed(size: number, write: (view: DataView, value: unknown, property: string) => void, read: (view: DataView) => PropertyValue) {
  return {
    fixedSize: size,
    encode(value: unknown, property: string): Uint8Array {
      const bytes = new Uint8Array(size);
      write(new DataView(bytes.buffer), value, property);
      return bytes;
    },
    decode(payload: Uint8Array): PropertyValue {
      return read(new DataView(payload.buffer, payload.byteOffset, payload.byteLength));
    },
  };
}

type Codec = Omit<PropertyType, 'name' | 'base'>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

function int64Codec(type: string): Codec {
  return fixed(
    8,
    (view, value, property) => {
      const n = toBigInt(value, property, type);
      if (n < INT64_MIN || n > INT64_MAX) throw new WwatpError('TYPE_MISMATCH', `property "${property}": ${n} is outside int64`);
      view.setBigInt64(0, n, true);
    },
    (view) => view.getBigInt64(0, true),
  );
}

function uint64Codec(type: string): Codec {
  return fixed(
    8,
    (view, value, property) => {
      const n = toBigInt(value, property, type);
      if (n < 0n || n > UINT64_MAX) throw new WwatpError('TYPE_MISMATCH', `property "${property}": ${n} is outside uint64`);
      view.setBigUint64(0, n, true);
    },
    (view) => view.getBigUint64(0, true),
  );
}

function numberCodec(type: string, size: 4 | 8): Codec {
  return fixed(
    size,
    (view, value, property) => {
      if (typeof value !== 'number') throw mismatch(property, type, 'a number', value);
      if (size === 8) view.setFloat64(0, value, true);
      else view.setFloat32(0, value, true);
    },
    (view) => (size === 8 ? view.getFloat64(0, true) : view.getFloat32(0, true)),
  );
}

function boolCodec(type: string): Codec {
  return fixed(
    1,
    (view, value, property) => {
      if (typeof value !== 'boolean') throw mismatch(property, type, 'a boolean', value);
      view.setUint8(0, value ? 1 : 0);
    },
    (view) => view.getUint8(0) !== 0,
  );
}

function stringCodec(type: string, allowed?: readonly string[]): Codec {
  return {
    fixedSize: undefined,
    encode(value, property) {
      if (typeof value !== 'string') throw mismatch(property, type, 'a string', value);
      if (!isWellFormed(value)) throw new WwatpError('TYPE_MISMATCH', `property "${property}" holds a lone UTF-16 surrogate, which is not text`);
      if (allowed && !allowed.includes(value)) {
        throw new WwatpError('TYPE_MISMATCH', `property "${property}" of type ${type} must be one of ${allowed.join(', ')}`);
      }
      return utf8(value);
    },
    decode: (payload) => fromUtf8(payload),
  };
}

function bytesCodec(type: string): Codec {
  return {
    fixedSize: undefined,
    encode(value, property) {
      if (!(value instanceof Uint8Array)) throw mismatch(property, type, 'a Uint8Array', value);
      return value.slice();
    },
    decode: (payload) => payload.slice(),
  };
}

function isJsonValue(value: unknown, depth = 0): value is JsonValue {
  if (depth > 256) return false;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJsonValue(v, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value as object).every((v) => isJsonValue(v, depth + 1));
  }
  return false;
}

type Shape = 'any' | 'array' | 'object';

function shapeOk(value: unknown, shape: Shape): boolean {
  if (shape === 'array') return Array.isArray(value);
  if (shape === 'object') return value !== null && typeof value === 'object' && !Array.isArray(value);
  return true;
}

function structuredCodec(type: string, syntax: 'json' | 'yaml', shape: Shape): Codec {
  const expected = shape === 'array' ? 'a JSON array' : shape === 'object' ? 'a JSON object' : 'a JSON-compatible value';
  return {
    fixedSize: undefined,
    encode(value, property) {
      if (!isJsonValue(value) || !shapeOk(value, shape)) throw mismatch(property, type, expected, value);
      return utf8(syntax === 'json' ? JSON.stringify(value) : stringifyYaml(value));
    },
    decode(payload, property) {
      const text = fromUtf8(payload);
      try {
        return (syntax === 'json' ? JSON.parse(text) : (parseYaml(text) ?? null)) as JsonValue;
      } catch (cause) {
        throw new WwatpError('MALFORMED', `property "${property}" holds invalid ${syntax.toUpperCase()}`, { cause });
      }
    },
  };
}

function datetimeCodec(type: string): Codec {
  return {
    fixedSize: undefined,
    encode(value, property) {
      const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
      if (!date || Number.isNaN(date.getTime())) throw mismatch(property, type, 'a valid Date or ISO 8601 string', value);
      return utf8(date.toISOString());
    },
    decode(payload, property) {
      const date = new Date(fromUtf8(payload));
      if (Number.isNaN(date.getTime())) throw new WwatpError('MALFORMED', `property "${property}" holds an invalid datetime`);
      return date;
    },
  };
}

// Removed marks a dropped node; it carries no value, so it encodes as empty and reads as null.
const removedCodec: Codec = {
  fixedSize: undefined,
  encode(value, property) {
    if (value !== null && value !== undefined) throw mismatch(property, 'Removed', 'null', value);
    return new Uint8Array(0);
  },
  decode: () => null,
};

const TYPES: ReadonlyMap<string, PropertyType> = new Map(
  (
    [
      ['int64', 'int64', int64Codec('int64')],
      ['uint64', 'uint64', uint64Codec('uint64')],
      ['double', 'double', numberCodec('double', 8)],
      ['float', 'float', numberCodec('float', 4)],
      ['bool', 'bool', boolCodec('bool')],
      ['string', 'string', stringCodec('string')],
      ['bytes', 'bytes', bytesCodec('bytes')],
      ['yaml', 'yaml', structuredCodec('yaml', 'yaml', 'any')],
      ['json', 'json', structuredCodec('json', 'json', 'any')],
      ['datetime', 'datetime', datetimeCodec('datetime')],
      // The seed's literal type names, mapped onto the storage types above.
      ['String', 'string', stringCodec('String')],
      ['Int', 'int64', int64Codec('Int')],
      ['Float', 'double', numberCodec('Float', 8)],
      ['Image', 'bytes', bytesCodec('Image')],
      ['List', 'json', structuredCodec('List', 'json', 'array')],
      ['Dictionary', 'json', structuredCodec('Dictionary', 'json', 'object')],
      ['Bytes', 'bytes', bytesCodec('Bytes')],
      ['Datetime', 'datetime', datetimeCodec('Datetime')],
      ['Callback', 'string', stringCodec('Callback', ['Once', 'Auto'])],
      ['Removed', 'bytes', removedCodec],
      ['Error', 'string', stringCodec('Error')],
    ] as const
  ).map(([name, base, codec]) => [name, { name, base, ...codec }]),
);

export const PROPERTY_TYPE_NAMES: readonly string[] = [...TYPES.keys()];

export function isPropertyType(name: unknown): name is string {
  return typeof name === 'string' && TYPES.has(name);
}

/** Looks up a type by name, or throws INVALID_PROPERTY naming the known ones. */
export function propertyType(name: string): PropertyType {
  const type = TYPES.get(name);
  if (!type) throw new WwatpError('INVALID_PROPERTY', `unknown property type ${JSON.stringify(name)}; known types: ${PROPERTY_TYPE_NAMES.join(', ')}`);
  return type;
}
