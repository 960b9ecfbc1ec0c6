/**
 * A property value shown for what it is: images as images (Image or bytes whose first
 * bytes are a PNG, JPEG, GIF or WebP signature, through blob URLs), JSON and YAML
 * pretty-printed, datetimes in the viewer's locale, other bytes as size plus hex.
 */
import { stringify as stringifyYaml } from 'yaml';
import type { PropertyValue } from '../../src/tree/property-types.js';
import { propertyType } from '../../src/tree/property-types.js';
import { h } from './dom.js';
import { formatSize, hexPreview, imageMime } from './values.js';

/** Blob URLs made for images, revoked when the view that showed them is replaced. */
export class BlobUrls {
  readonly #urls: string[] = [];

  make(bytes: Uint8Array, type: string): string {
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    const url = URL.createObjectURL(new Blob([copy.buffer], { type }));
    this.#urls.push(url);
    return url;
  }

  revokeAll(): void {
    for (const url of this.#urls.splice(0)) URL.revokeObjectURL(url);
  }
}

function bytesView(name: string, type: string, bytes: Uint8Array, urls: BlobUrls): HTMLElement {
  const mime = imageMime(bytes);
  if (mime) {
    return h(
      'figure',
      { className: 'image' },
      h('img', { src: urls.make(bytes, mime), alt: `${name} (${type}, ${mime})`, loading: 'lazy', decoding: 'async' }),
      h('figcaption', {}, `${mime}, ${formatSize(bytes.length)}`),
    );
  }
  if (type === 'Image' && bytes.length > 0) return h('span', { className: 'bytes' }, `not a PNG, JPEG, GIF or WebP image (${formatSize(bytes.length)}): ${hexPreview(bytes)}`);
  return h('span', { className: 'bytes' }, bytes.length === 0 ? 'empty' : `${formatSize(bytes.length)}: `, h('code', {}, hexPreview(bytes)));
}

export function valueView(name: string, type: string, value: PropertyValue, urls: BlobUrls): HTMLElement {
  if (value instanceof Uint8Array) return bytesView(name, type, value, urls);
  if (value instanceof Date) {
    return h('time', { datetime: value.toISOString(), title: value.toISOString() }, value.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }));
  }
  if (value === null) return h('span', { className: 'none' }, type === 'Removed' ? 'removed' : 'null');
  const base = propertyType(type).base;
  if (base === 'json') return h('pre', { className: 'json' }, JSON.stringify(value, null, 2));
  if (base === 'yaml') return h('pre', { className: 'yaml' }, stringifyYaml(value).trimEnd());
  if (typeof value === 'bigint' || typeof value === 'number') return h('span', { className: 'number' }, String(value));
  if (typeof value === 'boolean') return h('span', { className: 'bool' }, value ? 'true' : 'false');
  const text = String(value);
  return text.includes('\n') ? h('pre', { className: 'text' }, text) : h('span', { className: 'text' }, text);
}
