import { mkdirSync, watch } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Backend } from '../../backends/backend.js';
import { readIfExists, writeFileAtomic } from '../../backends/file/atomic.js';
import { WwatpError } from '../../tree/errors.js';
import { normalizeLabel } from '../../tree/labels.js';
import { propertyType } from '../../tree/property-types.js';
import { TreeNode } from '../../tree/tree-node.js';

/** Where the mediator keeps the YAML side: something holding one text document. */
export interface YamlDocument {
  /** Names the document in error reports. */
  readonly where: string;
  /** The document, or undefined when there is none yet. */
  read(): Promise<string | undefined>;
  write(text: string): Promise<void>;
  /** Calls `onChange` whenever the document may have changed; returns how to stop. */
  watch(onChange: () => void, onError: (error: WwatpError) => void): () => void;
}

let listenerIds = 0;

/** The string property `property` of the node `label` in a backend. */
export class NodeDocument implements YamlDocument {
  readonly where: string;
  readonly #backend: Backend;
  readonly #label: string;
  readonly #property: string;

  constructor(backend: Backend, label: string, property: string) {
    if (typeof property !== 'string' || property === '') throw new WwatpError('INVALID_PROPERTY', 'the YAML property name must be a non-empty string');
    this.#backend = backend;
    this.#label = normalizeLabel(label);
    this.#property = property;
    this.where = `${this.#label}#${property}`;
  }

  async read(): Promise<string | undefined> {
    const node = await this.#backend.getNode(this.#label);
    const type = node?.getPropertyType(this.#property);
    if (!node || type === undefined) return undefined;
    if (propertyType(type).base !== 'string') {
      throw new WwatpError('TYPE_MISMATCH', `property "${this.#property}" of "${this.#label}" has type ${type}; the YAML document must be a string`);
    }
    return node.getProperty(this.#property) as string;
  }

  async write(text: string): Promise<void> {
    const node = (await this.#backend.getNode(this.#label)) ?? new TreeNode({ labelRule: this.#label, description: 'A tree as one YAML document (kept in sync by YamlMediator)' });
    if (node.hasProperty(this.#property)) node.setProperty(this.#property, text);
    else node.insertProperty(this.#property, 'string', text);
    await this.#backend.upsertNode([node]);
  }

  watch(onChange: () => void, _onError: (error: WwatpError) => void): () => void {
    const name = `yaml-mediator-${++listenerIds}`;
    this.#backend.registerNodeListener(name, this.#label, false, () => onChange());
    return () => this.#backend.deregisterNodeListener(name, this.#label);
  }
}

/**
 * A YAML file. Writes are atomic (temp file, fsync, rename). The parent directory is
 * watched rather than the file, because editors that save by renaming a new file into
 * place would leave a watcher on the file itself looking at the old inode. Events wait
 * for `quietMs` without further events, so a file saved in place (truncate, then
 * write) is not read half-written.
 */
export class FileDocument implements YamlDocument {
  readonly where: string;
  readonly #path: string;
  readonly #quietMs: number;

  constructor(path: string, quietMs = 50) {
    this.#path = resolve(path);
    this.#quietMs = quietMs;
    this.where = this.#path;
  }

  read(): Promise<string | undefined> {
    return readIfExists(this.#path);
  }

  async write(text: string): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true });
    await writeFileAtomic(this.#path, text);
  }

  watch(onChange: () => void, onError: (error: WwatpError) => void): () => void {
    const dir = dirname(this.#path);
    const name = basename(this.#path);
    mkdirSync(dir, { recursive: true });
    let timer: NodeJS.Timeout | undefined;
    const watcher = watch(dir, { persistent: false }, (_event, filename) => {
      if (filename !== null && filename !== name) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(onChange, this.#quietMs).unref();
    });
    watcher.on('error', (cause) => onError(new WwatpError('UNAVAILABLE', `stopped watching ${dir}: ${cause.message}`, { cause })));
    return () => {
      if (timer) clearTimeout(timer);
      watcher.close();
    };
  }
}
