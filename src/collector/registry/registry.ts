import protobuf from 'protobufjs';
import { WwatpError } from '../../tree/errors.js';
import { checkNamespace } from '../names.js';
import type { RecordCodec } from '../store/record-codec.js';
import type { CollectionStore } from '../store/collection-store.js';
import type { JsonObject } from '../types.js';
import { buildRoot, checkDescriptorSet, definitions, type ProtoFile } from './proto-root.js';
import { decodeBytes, encodeJson, protoCodec } from './proto-json.js';

export interface RegisteredFile {
  namespace: string;
  fileName: string;
  kind: 'proto' | 'descriptorSet';
  /** Messages and services the namespace gained from this file (fully qualified). */
  messages: string[];
  services: string[];
}

export interface MethodInfo {
  name: string;
  inputType: string;
  outputType: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
}

export interface ServiceInfo {
  namespace: string;
  /** Fully qualified, `<package>.<Service>`. */
  name: string;
  methods: MethodInfo[];
}

const MAX_FILE_NAME = 256;
const MAX_SOURCE_BYTES = 4 * 1024 * 1024;

function checkFileName(fileName: unknown): string {
  if (typeof fileName !== 'string' || fileName.length === 0 || fileName.length > MAX_FILE_NAME || /[\s\0\\]/.test(fileName) || fileName.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new WwatpError('INVALID_LABEL', `proto file name ${JSON.stringify(fileName)} is not valid: a relative '/'-separated path without whitespace, '.' or '..'`);
  }
  return fileName;
}

/** A record id for `<ns>:<fileName>`: characters a record id cannot hold become @XX. */
export function registryId(namespace: string, name: string): string {
  return `${namespace}:${name.replace(/[^A-Za-z0-9_.-]/g, (c) => `@${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}`;
}

function strip(name: string): string {
  return name.replace(/^\./, '');
}

/**
 * Protobuf types and services, registered per namespace and resolved into protobufjs
 * types that records are checked and encoded with. What is registered lives in two
 * system collections (system/protos, system/services), so it is browsable like any
 * collection and comes back on restart; each registration is one record write, hence
 * one change.
 */
export class Registry {
  readonly #protos: CollectionStore;
  readonly #services: CollectionStore;
  readonly #files = new Map<string, Map<string, ProtoFile>>();
  readonly #roots = new Map<string, protobuf.Root>();
  readonly #registeredServices = new Map<string, Map<string, ServiceInfo>>();
  #tail: Promise<unknown> = Promise.resolve();
  #protosVersion = 0;
  #servicesVersion = 0;

  private constructor(protos: CollectionStore, services: CollectionStore) {
    this.#protos = protos;
    this.#services = services;
  }

  /** Loads what earlier runs registered. A namespace that no longer builds is reported and skipped. */
  static async open(protos: CollectionStore, services: CollectionStore): Promise<Registry> {
    const registry = new Registry(protos, services);
    registry.#loadProtos();
    registry.#loadServices();
    return registry;
  }

  /**
   * Another process on the same directory may register files and services: SQLite's
   * data_version says when one committed to either system collection, and what it holds
   * is read again before it is used. This process's own registrations keep the maps up
   * to date themselves (and do not move data_version).
   */
  #fresh(): void {
    try {
      if (this.#protos.dataVersionNow() !== this.#protosVersion) this.#loadProtos();
      if (this.#services.dataVersionNow() !== this.#servicesVersion) this.#loadServices();
    } catch (error) {
      // Closed (the collector is shutting down): answer from what was read, as before.
      if (!WwatpError.is(error, 'CLOSED')) throw error;
    }
  }

  #loadProtos(): void {
    this.#protosVersion = this.#protos.dataVersionNow();
    this.#files.clear();
    this.#roots.clear();
    for (const json of this.#protos.allJsonNow()) {
      const file: ProtoFile = {
        namespace: String(json.namespace),
        fileName: String(json.fileName),
        ...(typeof json.source === 'string' ? { source: json.source } : {}),
        ...(typeof json.descriptorSet === 'string' ? { descriptorSet: Buffer.from(json.descriptorSet, 'base64') } : {}),
      };
      this.#filesOf(file.namespace).set(file.fileName, file);
    }
    for (const [ns, files] of this.#files) {
      try {
        this.#roots.set(ns, buildRoot([...files.values()]));
      } catch (error) {
        console.error(`wwatp collector: registered protos of namespace ${ns} no longer build: ${(error as Error).message}`);
      }
    }
  }

  #loadServices(): void {
    this.#servicesVersion = this.#services.dataVersionNow();
    this.#registeredServices.clear();
    for (const json of this.#services.allJsonNow()) {
      const info = json as unknown as ServiceInfo;
      this.#servicesOf(info.namespace).set(info.name, info);
    }
  }

  /** Registers (or replaces) a .proto file; imports resolve against the namespace's other files. */
  async registerProto(input: { namespace: string; fileName: string; source: string }): Promise<RegisteredFile> {
    const namespace = checkNamespace(input?.namespace);
    const fileName = checkFileName(input.fileName);
    if (typeof input.source !== 'string') throw new WwatpError('INVALID_PROPERTY', `${fileName}: source must be .proto text`);
    if (input.source.length > MAX_SOURCE_BYTES) throw new WwatpError('TOO_LARGE', `${fileName} is larger than ${MAX_SOURCE_BYTES} bytes`);
    return this.#register({ namespace, fileName, source: input.source });
  }

  /** Registers (or replaces) the types of a serialized google.protobuf.FileDescriptorSet. */
  async registerDescriptorSet(input: { namespace: string; fileName: string; descriptorSet: Uint8Array }): Promise<RegisteredFile> {
    const namespace = checkNamespace(input?.namespace);
    const fileName = checkFileName(input.fileName);
    if (!(input.descriptorSet instanceof Uint8Array)) throw new WwatpError('INVALID_PROPERTY', `${fileName}: descriptorSet must be bytes`);
    if (input.descriptorSet.byteLength > MAX_SOURCE_BYTES) throw new WwatpError('TOO_LARGE', `${fileName} is larger than ${MAX_SOURCE_BYTES} bytes`);
    checkDescriptorSet(fileName, input.descriptorSet);
    return this.#register({ namespace, fileName, descriptorSet: input.descriptorSet });
  }

  /** Registrations run one at a time: each builds on the namespace as the previous one left it. */
  #serially<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(run);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  #register(file: ProtoFile): Promise<RegisteredFile> {
    return this.#serially(() => this.#registerNow(file));
  }

  async #registerNow(file: ProtoFile): Promise<RegisteredFile> {
    this.#fresh();
    const others = [...this.#filesOf(file.namespace).values()].filter((f) => f.fileName !== file.fileName);
    const root = buildRoot([...others, file]);
    const own = ownDefinitions(file, others, root);
    const registered: RegisteredFile = {
      namespace: file.namespace,
      fileName: file.fileName,
      kind: file.source !== undefined ? 'proto' : 'descriptorSet',
      messages: own.messages,
      services: own.services,
    };
    await this.#protos.ownerUpsert({
      id: registryId(file.namespace, file.fileName),
      json: {
        namespace: file.namespace,
        fileName: file.fileName,
        kind: registered.kind,
        ...(file.source !== undefined ? { source: file.source } : {}),
        ...(file.descriptorSet !== undefined ? { descriptorSet: Buffer.from(file.descriptorSet).toString('base64') } : {}),
        messages: registered.messages,
        services: registered.services,
      },
    });
    // Swapped in only once stored: a crash in between leaves the old, consistent state.
    this.#filesOf(file.namespace).set(file.fileName, file);
    this.#roots.set(file.namespace, root);
    return registered;
  }

  /**
   * Registers a service defined in a registered file, making it known to lookupService,
   * listServices and validateMethod.
   */
  async registerService(input: { namespace: string; name: string }): Promise<ServiceInfo> {
    return this.#serially(() => this.#registerServiceNow(input));
  }

  async #registerServiceNow(input: { namespace: string; name: string }): Promise<ServiceInfo> {
    const namespace = checkNamespace(input?.namespace);
    const service = this.#lookup(namespace, input.name, protobuf.Service, 'service');
    const info: ServiceInfo = {
      namespace,
      name: strip(service.fullName),
      methods: service.methodsArray.map((m) => {
        m.resolve();
        return {
          name: m.name,
          inputType: strip(m.resolvedRequestType?.fullName ?? m.requestType),
          outputType: strip(m.resolvedResponseType?.fullName ?? m.responseType),
          clientStreaming: Boolean(m.requestStream),
          serverStreaming: Boolean(m.responseStream),
        };
      }),
    };
    await this.#services.ownerUpsert({ id: registryId(namespace, info.name), json: info as unknown as JsonObject });
    this.#servicesOf(namespace).set(info.name, info);
    return info;
  }

  lookupService(namespace: string, name: string): ServiceInfo | undefined {
    this.#fresh();
    return this.#registeredServices.get(namespace)?.get(strip(name));
  }

  listServices(namespace?: string): ServiceInfo[] {
    this.#fresh();
    const all = namespace === undefined ? [...this.#registeredServices.values()].flatMap((m) => [...m.values()]) : [...(this.#registeredServices.get(namespace)?.values() ?? [])];
    return all.sort((a, b) => (a.namespace + a.name < b.namespace + b.name ? -1 : 1));
  }

  /** The method's description, or NOT_FOUND naming what is missing. */
  validateMethod(namespace: string, service: string, method: string): MethodInfo {
    const info = this.lookupService(namespace, service);
    if (!info) throw new WwatpError('NOT_FOUND', `service ${service} is not registered in namespace ${namespace}`);
    const found = info.methods.find((m) => m.name === method);
    if (!found) throw new WwatpError('NOT_FOUND', `service ${info.name} has no method ${method} (it has ${info.methods.map((m) => m.name).join(', ') || 'none'})`);
    return found;
  }

  /** Registered files, per namespace or all. */
  files(namespace?: string): Array<{ namespace: string; fileName: string; kind: 'proto' | 'descriptorSet' }> {
    this.#fresh();
    const out: Array<{ namespace: string; fileName: string; kind: 'proto' | 'descriptorSet' }> = [];
    for (const [ns, files] of this.#files) {
      if (namespace !== undefined && ns !== namespace) continue;
      for (const f of files.values()) out.push({ namespace: ns, fileName: f.fileName, kind: f.source !== undefined ? 'proto' : 'descriptorSet' });
    }
    return out.sort((a, b) => (a.namespace + a.fileName < b.namespace + b.fileName ? -1 : 1));
  }

  /** The proto source of a registered file (undefined for descriptor sets and unknown files). */
  source(namespace: string, fileName: string): string | undefined {
    this.#fresh();
    return this.#files.get(namespace)?.get(fileName)?.source;
  }

  /** Fully qualified message names registered in a namespace. */
  messageTypes(namespace: string): string[] {
    this.#fresh();
    const root = this.#roots.get(namespace);
    return root ? definitions(root).messages : [];
  }

  hasType(namespace: string, typeName: string): boolean {
    this.#fresh();
    const root = this.#roots.get(namespace);
    return root !== undefined && typeof typeName === 'string' && safeLookup(root, strip(typeName), protobuf.Type) !== null;
  }

  /** The resolved protobufjs type, or NOT_FOUND. */
  type(namespace: string, typeName: string): protobuf.Type {
    return this.#lookup(namespace, typeName, protobuf.Type, 'message type');
  }

  /** Checks `json` against the type (TYPE_MISMATCH naming the field) and encodes it. */
  encode(namespace: string, typeName: string, json: JsonObject): Uint8Array {
    return encodeJson(this.type(namespace, typeName), json);
  }

  /** Protobuf bytes → JSON in the collector's JSON mapping (see proto-json.ts). */
  decode(namespace: string, typeName: string, bytes: Uint8Array): JsonObject {
    return decodeBytes(this.type(namespace, typeName), bytes);
  }

  /** The codec a typed collection's store uses; resolves the type anew on each write. */
  codec(namespace: string, typeName: string): RecordCodec {
    return protoCodec(typeName, () => this.type(namespace, typeName));
  }

  #lookup<T extends protobuf.ReflectionObject>(namespace: string, name: string, kind: new (...args: never[]) => T, what: string): T {
    this.#fresh();
    const root = this.#roots.get(namespace);
    const found = root && typeof name === 'string' && name !== '' ? safeLookup(root, strip(name), kind) : null;
    if (!found) {
      const known = root ? (what === 'service' ? definitions(root).services : definitions(root).messages) : [];
      throw new WwatpError('NOT_FOUND', `${what} ${JSON.stringify(name)} is not registered in namespace ${namespace}${known.length ? ` (registered: ${known.slice(0, 20).join(', ')})` : ''}`);
    }
    return found;
  }

  #filesOf(namespace: string): Map<string, ProtoFile> {
    let files = this.#files.get(namespace);
    if (!files) this.#files.set(namespace, (files = new Map()));
    return files;
  }

  #servicesOf(namespace: string): Map<string, ServiceInfo> {
    let services = this.#registeredServices.get(namespace);
    if (!services) this.#registeredServices.set(namespace, (services = new Map()));
    return services;
  }
}

function safeLookup<T extends protobuf.ReflectionObject>(root: protobuf.Root, name: string, kind: new (...args: never[]) => T): T | null {
  try {
    const found = root.lookup(name, [kind as unknown as protobuf.Constructor<T>]);
    // lookup also searches parents for relative names; only an exact full name counts.
    return found instanceof kind && strip(found.fullName) === name ? found : null;
  } catch {
    return null;
  }
}

/** Definitions the file itself contributes: those present with it and absent without it. */
function ownDefinitions(file: ProtoFile, others: readonly ProtoFile[], withRoot?: protobuf.Root): { messages: string[]; services: string[] } {
  const withIt = definitions(withRoot ?? buildRoot([...others, file]));
  let without: { messages: string[]; services: string[] } = { messages: [], services: [] };
  try {
    without = definitions(buildRoot(others));
  } catch {
    // The others alone may not build (they may import this file); then all is this file's.
  }
  return {
    messages: withIt.messages.filter((m) => !without.messages.includes(m)),
    services: withIt.services.filter((s) => !without.services.includes(s)),
  };
}
