import { joinLabel } from '../../tree/labels.js';

/** The namespace the registry owns: its `protos` and `services` collections register what is written to them. */
export const SYSTEM = 'system';

/** The reserved segment under a collection that holds its files (record ids cannot start with '.'). */
export const FILES_SEGMENT = '.files';

/**
 * What a label names inside the collector's mount:
 *   <ns>                               namespace
 *   <ns>/<collection>                  collection
 *   <ns>/<collection>/<id>             record
 *   <ns>/<collection>/.files           the collection's files (a directory node)
 *   <ns>/<collection>/.files/<path...> a file, or a directory of files
 */
export type Place =
  | { kind: 'namespace'; namespace: string }
  | { kind: 'collection'; namespace: string; name: string }
  | { kind: 'record'; namespace: string; name: string; id: string }
  | { kind: 'file'; namespace: string; name: string; path: string };

/** The place a canonical label names, or undefined when it can name nothing here. */
export function placeOf(label: string): Place | undefined {
  if (label === '') return undefined;
  const segments = label.split('/');
  const [namespace, name, third] = segments as [string, string | undefined, string | undefined];
  if (name === undefined) return { kind: 'namespace', namespace };
  if (third === undefined) return { kind: 'collection', namespace, name };
  if (third === FILES_SEGMENT) return { kind: 'file', namespace, name, path: segments.slice(3).join('/') };
  if (segments.length > 3) return undefined;
  return { kind: 'record', namespace, name, id: third };
}

export function labelOf(place: Place): string {
  switch (place.kind) {
    case 'namespace':
      return place.namespace;
    case 'collection':
      return joinLabel(place.namespace, place.name);
    case 'record':
      return `${place.namespace}/${place.name}/${place.id}`;
    case 'file':
      return joinLabel(`${place.namespace}/${place.name}/${FILES_SEGMENT}`, place.path);
  }
}

export const collectionLabel = (namespace: string, name: string): string => `${namespace}/${name}`;
export const recordLabel = (namespace: string, name: string, id: string): string => `${namespace}/${name}/${id}`;
export const fileLabel = (namespace: string, name: string, path: string): string => joinLabel(`${namespace}/${name}/${FILES_SEGMENT}`, path);
