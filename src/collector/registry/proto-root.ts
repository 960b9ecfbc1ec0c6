import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { WwatpError } from '../../tree/errors.js';

/** One registered file: .proto source text, or a serialized FileDescriptorSet. */
export interface ProtoFile {
  namespace: string;
  fileName: string;
  source?: string;
  descriptorSet?: Uint8Array;
}

/** The well-known google/protobuf/*.proto files protobufjs ships, importable by any file. */
function commonFile(name: string): protobuf.INamespace | undefined {
  return (protobuf.common as unknown as { get(n: string): protobuf.INamespace | undefined }).get(name);
}

function importsOf(source: string): string[] {
  // The parser reports imports too, but only after a successful parse; this names a
  // missing import even when its types are what makes the parse fail.
  return [...source.matchAll(/(?:^|[;\s])import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/g)].map((m) => m[1] as string);
}

/**
 * Builds one namespace's protobufjs Root from all its registered files and resolves
 * every type reference, so a file whose imports are missing, or whose names clash with
 * another file's, is refused before it is stored. Field names keep their .proto spelling
 * (keepCase) in both sources, so JSON looks the same whichever way a type arrived.
 */
export function buildRoot(files: readonly ProtoFile[]): protobuf.Root {
  const root = new protobuf.Root();
  const names = new Set(files.map((f) => f.fileName));
  const common = new Set<string>();
  for (const file of files) {
    if (file.source !== undefined) {
      for (const imp of importsOf(file.source)) {
        if (names.has(imp)) continue;
        if (commonFile(imp)) common.add(imp);
        else throw new WwatpError('NOT_FOUND', `${file.fileName} imports ${imp}, which is not registered in namespace ${file.namespace}`);
      }
    }
  }
  for (const name of common) root.addJSON((commonFile(name) as protobuf.INamespace).nested ?? {});
  for (const file of files) {
    try {
      if (file.source !== undefined) {
        protobuf.parse(file.source, root, { keepCase: true, alternateCommentMode: true });
      } else if (file.descriptorSet !== undefined) {
        const decoded = (protobuf.Root as unknown as { fromDescriptor(d: DescriptorSet): protobuf.Root }).fromDescriptor(withWellKnownDependencies(file.descriptorSet, names));
        const nested = (decoded.toJSON().nested ?? {}) as Record<string, protobuf.AnyNestedObject>;
        restoreMaps(nested);
        // A set carries its own copies of the well-known types it uses; those the namespace
        // already has (from another file) are dropped, the rest are added.
        dropPresentWellKnown(root, nested);
        root.addJSON(nested);
      }
    } catch (error) {
      if (error instanceof WwatpError) throw error;
      const message = (error as Error).message;
      const code = /duplicate name/.test(message) ? 'ALREADY_EXISTS' : 'MALFORMED';
      throw new WwatpError(code, `${file.fileName} (namespace ${file.namespace}): ${message}`, { cause: error });
    }
  }
  try {
    root.resolveAll();
  } catch (error) {
    throw new WwatpError('NOT_FOUND', `namespace ${files[0]?.namespace ?? ''}: ${(error as Error).message}`, { cause: error });
  }
  return root;
}

interface DescriptorSet {
  file: Array<{ name?: string; dependency?: string[] }>;
}

const wellKnownDescriptors = new Map<string, unknown>();

/** A bundled well-known file as a decoded FileDescriptorProto named `name`, or undefined. */
function wellKnownDescriptor(name: string): unknown {
  if (!wellKnownDescriptors.has(name)) {
    const json = commonFile(name);
    let file: unknown;
    if (json !== undefined) {
      const wk = protobuf.Root.fromJSON(json);
      // Map fields (Struct's) describe themselves only once their value types are resolved.
      wk.resolveAll();
      const set = (wk as unknown as { toDescriptor(syntax: string): DescriptorSet }).toDescriptor('proto3');
      file = set.file.length === 1 ? Object.assign(set.file[0] as object, { name }) : undefined;
    }
    wellKnownDescriptors.set(name, file);
  }
  return wellKnownDescriptors.get(name);
}

/**
 * The decoded set, plus the bundled copy of each well-known file one of its files names
 * as a dependency without the set carrying it (as a .proto source's imports get them).
 */
function withWellKnownDependencies(bytes: Uint8Array, registered: ReadonlySet<string>): DescriptorSet {
  const set = descriptor.FileDescriptorSet.decode(bytes) as unknown as DescriptorSet;
  const carried = new Set(set.file.map((f) => f.name ?? ''));
  const extra: unknown[] = [];
  for (const file of set.file) {
    for (const dep of file.dependency ?? []) {
      if (carried.has(dep) || registered.has(dep)) continue;
      const wk = wellKnownDescriptor(dep);
      if (wk === undefined) continue; // not well known: resolving then names what is missing
      carried.add(dep);
      extra.push(wk);
    }
  }
  return extra.length === 0 ? set : { file: [...(extra as DescriptorSet['file']), ...set.file] };
}

/** Removes from a decoded set's JSON the google.protobuf definitions `root` already holds. */
function dropPresentWellKnown(root: protobuf.Root, nested: JsonNested): void {
  const google = nested.google as { nested?: JsonNested } | undefined;
  const wk = google?.nested?.protobuf as { nested?: JsonNested } | undefined;
  const present = root.lookup('google.protobuf');
  if (!wk?.nested || !(present instanceof protobuf.Namespace)) return;
  for (const name of Object.keys(wk.nested)) {
    if (present.get(name) !== null) delete wk.nested[name];
  }
}

/** Fully qualified names (no leading dot) of the messages and services under `ns`. */
export function definitions(ns: protobuf.NamespaceBase): { messages: string[]; services: string[] } {
  const messages: string[] = [];
  const services: string[] = [];
  const walk = (n: protobuf.NamespaceBase): void => {
    for (const child of n.nestedArray) {
      // The well-known types come with protobufjs; they are usable, not listed as registered.
      if (child.fullName === '.google.protobuf') continue;
      if (child instanceof protobuf.Type) messages.push(child.fullName.slice(1));
      else if (child instanceof protobuf.Service) services.push(child.fullName.slice(1));
      if (child instanceof protobuf.Namespace || child instanceof protobuf.Type || child instanceof protobuf.Service) walk(child);
    }
  };
  walk(ns);
  return { messages: messages.sort(), services: services.sort() };
}

/** Decodes a FileDescriptorSet far enough to refuse garbage with a clear error. */
export function checkDescriptorSet(fileName: string, bytes: Uint8Array): void {
  try {
    const set = descriptor.FileDescriptorSet.decode(bytes) as unknown as { file?: unknown[] };
    if (!set.file || set.file.length === 0) throw new Error('it holds no files');
  } catch (error) {
    throw new WwatpError('MALFORMED', `${fileName} is not a FileDescriptorSet: ${(error as Error).message}`, { cause: error });
  }
}

type JsonNested = Record<string, protobuf.AnyNestedObject>;
interface JsonType {
  fields?: Record<string, { type: string; id: number; rule?: string; keyType?: string; options?: Record<string, unknown> }>;
  nested?: JsonNested;
  options?: Record<string, unknown>;
}

/**
 * protobufjs reads a descriptor's map fields back as repeated `<Name>Entry` messages
 * (and marks the parent as a map entry too); this turns them into map fields again, so
 * a type reads the same JSON whether it came as .proto text or as a descriptor set.
 */
function restoreMaps(nested: JsonNested): void {
  for (const value of Object.values(nested)) {
    const type = value as JsonType;
    if (type.nested) restoreMaps(type.nested);
    if (!type.fields || !type.nested) continue;
    let hadEntry = false;
    for (const [entryName, entryValue] of Object.entries(type.nested)) {
      const entry = entryValue as JsonType;
      const key = entry.fields?.key;
      const val = entry.fields?.value;
      if (entry.options?.map_entry !== true || !key || !val) continue;
      for (const field of Object.values(type.fields)) {
        if (field.rule === 'repeated' && field.type === entryName) {
          delete field.rule;
          field.keyType = key.type;
          field.type = val.type;
          hadEntry = true;
        }
      }
      delete type.nested[entryName];
    }
    if (hadEntry && type.options) delete type.options.map_entry;
  }
}
