import protobuf from 'protobufjs';
import { WwatpError } from '../../tree/errors.js';
import type { RecordCodec } from '../store/record-codec.js';
import type { JsonObject } from '../types.js';
import { checkMessage } from './json-check.js';

/**
 * The one JSON mapping used everywhere a typed record becomes JSON: the protobuf JSON
 * mapping with .proto field names, 64-bit integers as decimal strings (exact, as the
 * mapping prescribes), enums by name, bytes as base64, and fields at their default
 * value left out. A stored record's JSON is always this form of its bytes.
 */
export const TO_JSON_OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, defaults: false, json: true };

function typeName(type: protobuf.Type): string {
  return type.fullName.replace(/^\./, '');
}

export function encodeJson(type: protobuf.Type, json: unknown): Uint8Array {
  return type.encode(messageOf(type, json)).finish();
}

/** Checks JSON against the type and builds the protobufjs message. */
function messageOf(type: protobuf.Type, json: unknown): protobuf.Message {
  checkMessage(type, json);
  // Normalized to .proto names first: fromObject knows fields only by those.
  return type.fromObject(renameToProtoNames(type, json as JsonObject));
}

export function decodeBytes(type: protobuf.Type, bytes: Uint8Array): JsonObject {
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (error) {
    throw new WwatpError('TYPE_MISMATCH', `protoData is not a valid ${typeName(type)}: ${(error as Error).message}`);
  }
  return type.toObject(message, TO_JSON_OPTIONS) as JsonObject;
}

/** A codec for a typed collection; `resolve` is called per write so re-registration applies. */
export function protoCodec(messageType: string, resolve: () => protobuf.Type): RecordCodec {
  return {
    messageType,
    normalize(input) {
      const type = resolve();
      if (input.json !== undefined) {
        const message = messageOf(type, input.json);
        // toObject of the message equals toObject of its decoded bytes; no need to decode.
        return { json: type.toObject(message, TO_JSON_OPTIONS) as JsonObject, protoData: type.encode(message).finish() };
      }
      if (input.protoData === undefined) throw new WwatpError('TYPE_MISMATCH', `a ${messageType} record needs json or protoData`);
      return { json: decodeBytes(type, input.protoData), protoData: input.protoData };
    },
  };
}

/** lowerCamelCase JSON names → .proto names, recursively, for JSON checkMessage accepted. */
function renameToProtoNames(type: protobuf.Type, json: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(json)) {
    const field = type.fields[key] ?? type.fieldsArray.find((f) => protobuf.util.camelCase(f.name) === key);
    if (!field) continue;
    const sub = field.resolvedType;
    let v = value;
    if (sub instanceof protobuf.Type && value !== null) {
      if (field instanceof protobuf.MapField) {
        v = Object.fromEntries(Object.entries(value as JsonObject).map(([k, x]) => [k, x === null ? null : renameToProtoNames(sub, x as JsonObject)]));
      } else if (field.repeated) {
        v = (value as JsonObject[]).map((x) => renameToProtoNames(sub, x));
      } else {
        v = renameToProtoNames(sub, value as JsonObject);
      }
    }
    out[field.name] = v;
  }
  return out;
}
