import type protobuf from 'protobufjs';
import type { JsonObject, JsonValue } from '../../collector/types.js';
import { WwatpError } from '../../tree/errors.js';
import { decodeMessage, encodeMessage, fieldName } from './proto.js';
import { isObj, type Obj } from './wire.js';

/**
 * google.protobuf.Struct / Value / Timestamp as plain JSON and milliseconds. Field
 * names are looked up by number because protobufjs may bundle these types with
 * camelCased names while our own messages keep snake_case.
 */
export class WellKnown {
  readonly #struct: protobuf.Type;
  readonly #fields: string;
  readonly #values: string;
  readonly #v: { null: string; number: string; string: string; bool: string; struct: string; list: string };

  constructor(root: protobuf.Root) {
    this.#struct = root.lookupType('google.protobuf.Struct');
    this.#fields = fieldName(root, 'google.protobuf.Struct', 1);
    this.#values = fieldName(root, 'google.protobuf.ListValue', 1);
    const v = (id: number): string => fieldName(root, 'google.protobuf.Value', id);
    this.#v = { null: v(1), number: v(2), string: v(3), bool: v(4), struct: v(5), list: v(6) };
  }

  /** A decoded Value; an empty one (no kind set) reads as null. */
  valueToJson(value: unknown, where = 'value'): JsonValue {
    if (value === undefined || value === null) return null;
    if (!isObj(value)) throw new WwatpError('MALFORMED', `${where} is not a google.protobuf.Value`);
    const kind = typeof value.kind === 'string' ? value.kind : Object.keys(value).find((k) => value[k] !== undefined);
    if (kind === undefined) return null;
    const x = value[kind];
    if (kind === this.#v.null) return null;
    if (kind === this.#v.number) {
      if (typeof x !== 'number') throw new WwatpError('MALFORMED', `${where} number_value is not a number`);
      return x;
    }
    if (kind === this.#v.string) {
      if (typeof x !== 'string') throw new WwatpError('MALFORMED', `${where} string_value is not a string`);
      return x;
    }
    if (kind === this.#v.bool) {
      if (typeof x !== 'boolean') throw new WwatpError('MALFORMED', `${where} bool_value is not a boolean`);
      return x;
    }
    if (kind === this.#v.struct) return this.structToJson(x, where);
    if (kind === this.#v.list) {
      const items = isObj(x) ? x[this.#values] : undefined;
      if (items === undefined) return [];
      if (!Array.isArray(items)) throw new WwatpError('MALFORMED', `${where} list_value is not a list`);
      return items.map((item, i) => this.valueToJson(item, `${where}[${i}]`));
    }
    throw new WwatpError('MALFORMED', `${where} has an unknown kind ${kind}`);
  }

  structToJson(struct: unknown, where = 'struct'): JsonObject {
    const out: JsonObject = {};
    if (struct === undefined || struct === null) return out;
    if (!isObj(struct)) throw new WwatpError('MALFORMED', `${where} is not a google.protobuf.Struct`);
    const fields = struct[this.#fields];
    if (fields === undefined || fields === null) return out;
    if (!isObj(fields)) throw new WwatpError('MALFORMED', `${where} fields is not a map`);
    for (const [k, v] of Object.entries(fields)) out[k] = this.valueToJson(v, `${where}.${k}`);
    return out;
  }

  jsonToValue(value: JsonValue): Obj {
    if (value === null) return { [this.#v.null]: 'NULL_VALUE' };
    if (typeof value === 'number') return { [this.#v.number]: value };
    if (typeof value === 'string') return { [this.#v.string]: value };
    if (typeof value === 'boolean') return { [this.#v.bool]: value };
    if (Array.isArray(value)) return { [this.#v.list]: { [this.#values]: value.map((v) => this.jsonToValue(v)) } };
    return { [this.#v.struct]: this.jsonToStruct(value) };
  }

  jsonToStruct(json: JsonObject): Obj {
    const fields: Obj = {};
    for (const [k, v] of Object.entries(json)) fields[k] = this.jsonToValue(v);
    return { [this.#fields]: fields };
  }

  encodeStruct(json: JsonObject): Uint8Array {
    return encodeMessage(this.#struct, this.jsonToStruct(json));
  }

  decodeStruct(data: Uint8Array): JsonObject {
    try {
      return this.structToJson(decodeMessage(this.#struct, data), 'item');
    } catch (error) {
      if (error instanceof WwatpError) throw error;
      throw new WwatpError('MALFORMED', `item is not a valid google.protobuf.Struct: ${(error as Error).message}`);
    }
  }
}

export function timestamp(ms: number): Obj {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}
