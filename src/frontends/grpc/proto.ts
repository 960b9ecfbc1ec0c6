import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { WwatpError } from '../../tree/errors.js';
import { isObj, type Obj } from './wire.js';

/** The .proto files a client compiles (proto-loader, protoc) to talk to this server. */
export const PROTO_FILES = ['common.proto', 'collection.proto', 'collection_server.proto', 'collection_repo.proto', 'registry.proto'] as const;

export const SERVICE_NAMES = ['collector.CollectionService', 'collector.CollectionRepo', 'collector.CollectorRegistry'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const MARKER = join('proto', 'collector', 'collection_server.proto');

/**
 * The folder holding the collector .proto files. They live in the package's top-level
 * `proto/`, which sits three folders above this module in the source tree and four
 * above it in dist/ (and in an installed package), so walk up until it appears.
 */
export function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, MARKER))) return join(dir, 'proto', 'collector');
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new WwatpError('INTERNAL', `collector .proto files not found above ${fileURLToPath(import.meta.url)}`);
}

/** protobufjs ships the well-known types (descriptor.proto among them) as files too. */
function wellKnownDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('protobufjs/package.json'));
}

/** Field snake_case names kept, as in the .proto files, so handlers read `collection_name`. */
export function loadCollectorRoot(): protobuf.Root {
  const dir = protoDir();
  const known = wellKnownDir();
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => {
    if (target.startsWith('google/protobuf/')) return join(known, target);
    return resolve(dir, target);
  };
  root.loadSync(
    PROTO_FILES.map((f) => join(dir, f)),
    { keepCase: true },
  );
  root.resolveAll();
  return root;
}

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  // Absent stays absent: re-encoded descriptors must not gain proto2 fields they never set.
  defaults: false,
  arrays: true,
  objects: true,
  oneofs: true,
};

/** Decode bytes of a message type into a plain object. */
export function decodeMessage(type: protobuf.Type, data: Uint8Array): Obj {
  const value: unknown = type.toObject(type.decode(data), TO_OBJECT);
  if (!isObj(value)) throw new WwatpError('MALFORMED', `${type.fullName} did not decode to a message`);
  return value;
}

export function encodeMessage(type: protobuf.Type, value: Obj): Buffer {
  const bytes = type.encode(type.fromObject(value)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * gRPC service definitions built from the protobufjs root, with handlers exchanging
 * plain objects. A request that fails to decode is refused by grpc-js with INTERNAL
 * before any handler runs; the server keeps serving.
 */
export function serviceDefinition(root: protobuf.Root, name: ServiceName): ServiceDefinition {
  const service = root.lookupService(name);
  const def: Record<string, MethodDefinition<Obj, Obj>> = {};
  for (const method of service.methodsArray) {
    const req = root.lookupType(method.resolvedRequestType?.fullName ?? method.requestType);
    const res = root.lookupType(method.resolvedResponseType?.fullName ?? method.responseType);
    def[method.name] = {
      path: `/${name}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (v: Obj) => encodeMessage(req, v),
      requestDeserialize: (b: Buffer) => decodeMessage(req, b),
      responseSerialize: (v: Obj) => encodeMessage(res, v),
      responseDeserialize: (b: Buffer) => decodeMessage(res, b),
      originalName: method.name,
    };
  }
  return def;
}

/** The name a type's field with this number has in this root (well-known types may be camelCased). */
export function fieldName(root: protobuf.Root, typeName: string, id: number): string {
  const field = root.lookupType(typeName).fieldsById[id];
  if (field === undefined) throw new WwatpError('INTERNAL', `${typeName} has no field ${id}`);
  return field.name;
}

/** This package's version, from the package.json beside `proto/`. */
export function packageVersion(): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(protoDir(), '..', '..', 'package.json'), 'utf8'));
    return isObj(parsed) && typeof parsed.version === 'string' ? parsed.version : '';
  } catch {
    return '';
  }
}
