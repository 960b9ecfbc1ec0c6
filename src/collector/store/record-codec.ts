import { WwatpError } from '../../tree/errors.js';
import { SCHEMALESS, type JsonObject, type MessageTypeName } from '../types.js';

/**
 * Turns what a caller wrote (JSON, protobuf bytes or both) into the pair a record keeps.
 * Typed collections get theirs from the registry; schemaless ones use JSON_CODEC.
 */
export interface RecordCodec {
  readonly messageType: MessageTypeName;
  /** Throws TYPE_MISMATCH naming the field when the input does not fit the type. */
  normalize(input: { json?: JsonObject; protoData?: Uint8Array }): { json: JsonObject; protoData: Uint8Array };
}

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Schemaless: the JSON is the record; its bytes are the JSON as UTF-8. */
export const JSON_CODEC: RecordCodec = {
  messageType: SCHEMALESS,
  normalize(input) {
    let json: unknown = input.json;
    if (json === undefined) {
      if (input.protoData === undefined) throw new WwatpError('TYPE_MISMATCH', 'a record needs json or protoData');
      try {
        json = JSON.parse(decoder.decode(input.protoData));
      } catch (error) {
        throw new WwatpError('TYPE_MISMATCH', `protoData of a schemaless (json) record must be UTF-8 JSON: ${(error as Error).message}`);
      }
    }
    if (!isJsonObject(json)) throw new WwatpError('TYPE_MISMATCH', 'a record must be a JSON object');
    // Round-tripped so the stored copy is plain JSON (no undefined, no NaN, no class instances).
    const text = JSON.stringify(json);
    return { json: JSON.parse(text) as JsonObject, protoData: encoder.encode(text) };
  },
};
