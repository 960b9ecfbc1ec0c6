/**
 * Property values as people read and type them. Pure functions (no DOM), so they are
 * unit-tested in Node: what a value looks like, which input edits it, and how typed
 * text becomes a value again. Type checking itself stays with the tree's codecs:
 * setProperty refuses a wrong value with TYPE_MISMATCH, and we show that error.
 */
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { crc32 } from '../../src/tree/codecs/crc32.js';
import { WwatpError } from '../../src/tree/errors.js';
import { propertyType, type PropertyValue } from '../../src/tree/property-types.js';

export type EditorKind = 'integer' | 'number' | 'bool' | 'text' | 'choice' | 'json' | 'yaml' | 'datetime' | 'file' | 'none';

/** Which input edits a property of this type. */
export function editorKind(type: string): EditorKind {
  if (type === 'Callback') return 'choice';
  if (type === 'Removed') return 'none';
  switch (propertyType(type).base) {
    case 'int64':
    case 'uint64':
      return 'integer';
    case 'double':
    case 'float':
      return 'number';
    case 'bool':
      return 'bool';
    case 'string':
      return 'text';
    case 'json':
      return 'json';
    case 'yaml':
      return 'yaml';
    case 'datetime':
      return 'datetime';
    case 'bytes':
      return 'file';
  }
}

/** The choices of a 'choice' editor. */
export const CALLBACK_CHOICES = ['Once', 'Auto'] as const;

const SIGNATURES: ReadonlyArray<{ mime: string; test: (b: Uint8Array) => boolean }> = [
  { mime: 'image/png', test: (b) => starts(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { mime: 'image/jpeg', test: (b) => starts(b, [0xff, 0xd8, 0xff]) },
  { mime: 'image/gif', test: (b) => ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a') },
  { mime: 'image/webp', test: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP') },
];

function starts(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((v, i) => bytes[i] === v);
}

function ascii(bytes: Uint8Array, at: number, text: string): boolean {
  if (bytes.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The image MIME type when the bytes carry a PNG, JPEG, GIF or WebP signature. */
export function imageMime(bytes: Uint8Array): string | undefined {
  return SIGNATURES.find((s) => s.test(bytes))?.mime;
}

/** The first bytes as hex, for bytes that are not an image. */
export function hexPreview(bytes: Uint8Array, max = 48): string {
  const shown = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > max ? `${shown} …` : shown;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A Date as the value of <input type=datetime-local> (local time, milliseconds kept). */
export function toLocalInput(date: Date): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** The text an editor starts with for a value. */
export function inputText(type: string, value: PropertyValue): string {
  const kind = editorKind(type);
  if (kind === 'json') return JSON.stringify(value, null, 2);
  if (kind === 'yaml') return stringifyYaml(value);
  if (value instanceof Date) return toLocalInput(value);
  if (value instanceof Uint8Array || value === null) return '';
  return String(value);
}

function unreadable(type: string, what: string, cause: unknown): WwatpError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new WwatpError('TYPE_MISMATCH', `a ${type} value must be ${what}${detail}`, { cause });
}

/**
 * Turns an editor's input into the value setProperty takes. Text that is plainly not
 * the type (e.g. `abc` for an integer) is passed through as text, so the tree's own
 * codec raises the TYPE_MISMATCH the user sees.
 */
export function parseInput(type: string, input: string | boolean | Uint8Array): unknown {
  if (typeof input === 'boolean' || input instanceof Uint8Array) return input;
  switch (editorKind(type)) {
    case 'integer':
      return input.trim();
    case 'number': {
      const n = Number(input);
      return input.trim() === '' || Number.isNaN(n) ? input : n;
    }
    case 'json':
      try {
        return JSON.parse(input) as unknown;
      } catch (cause) {
        throw unreadable(type, 'valid JSON', cause);
      }
    case 'yaml':
      try {
        return (parseYaml(input) as unknown) ?? null;
      } catch (cause) {
        throw unreadable(type, 'valid YAML', cause);
      }
    case 'datetime':
      // datetime-local has no zone: it is the viewer's local time, as it was shown.
      return input === '' ? input : new Date(input);
    case 'none':
      return null;
    default:
      return input;
  }
}

/** A value as short text (for lists, titles and values that have no richer view). */
export function valueText(value: PropertyValue): string {
  if (value === null) return '—';
  if (value instanceof Date) return value.toLocaleString();
  if (value instanceof Uint8Array) return `${formatSize(value.length)}: ${hexPreview(value, 16)}`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A short key that changes when a value changes (to spot edits and conflicts). */
export function valueKey(type: string, value: PropertyValue): string {
  if (value instanceof Uint8Array) return `${type}:${value.length}:${crc32(value)}`;
  if (value instanceof Date) return `${type}:${value.toISOString()}`;
  return `${type}:${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)}`;
}
