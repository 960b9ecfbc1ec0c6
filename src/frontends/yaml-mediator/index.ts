import type { Backend } from '../../backends/backend.js';
import { treeToYaml, yamlToTree } from '../../tree/codecs/yaml-tree.js';
import { WwatpError } from '../../tree/errors.js';
import { FileDocument, NodeDocument, type YamlDocument } from './documents.js';
import { applyEdit, nodeMap, treeEdit, type NodeMap } from './tree-diff.js';

export { FileDocument, NodeDocument, type YamlDocument } from './documents.js';

export type MediatorErrorHandler = (error: WwatpError, where: string) => void;

export interface YamlMediatorOptions {
  /** The node of the YAML backend holding the document. */
  label: string;
  /** Its string property holding the document. */
  property: string;
  /** Hears malformed documents and failed syncs (default console.error). */
  onError?: MediatorErrorHandler;
}

export interface YamlFileOptions {
  onError?: MediatorErrorHandler;
  /** Quiet time after a file event before the file is read (default 50 ms). */
  quietMs?: number;
}

let mediatorIds = 0;

/**
 * Keeps a whole tree and one YAML document (yaml-tree.ts format) in sync both ways.
 *
 * Every change on either side schedules one reconcile; reconciles run one at a time and
 * merge what is pending. A reconcile first takes in a changed document (the nodes it
 * adds, changes or drops relative to the document as last synced), then writes the
 * tree's document if the tree has changed since the last sync. Echo is suppressed by
 * state, not timing: the mediator remembers the document text it last wrote or read and
 * the tree's document as of then, so its own writes come back as "nothing changed".
 *
 * A document that does not parse is reported and changes nothing; tree changes are held
 * back meanwhile, so the person's broken edit is not overwritten, and the next valid
 * edit syncs both ways again. A blank document counts as malformed (use `{}` for an
 * empty tree), except at start; a missing one is written afresh from the tree.
 */
export class YamlMediator {
  readonly #tree: Backend;
  readonly #doc: YamlDocument;
  readonly #onError: MediatorErrorHandler;
  readonly #name = `yaml-mediator-tree-${++mediatorIds}`;
  #queue: Promise<void> = Promise.resolve();
  #pending = false;
  #stops: Array<() => void> = [];
  #running = false;
  /** The document text as last written or taken in. */
  #text: string | undefined;
  /** treeToYaml of the tree as of the last sync. */
  #treeDoc: string | undefined;
  /** The nodes of the last synced document: the base that document edits are measured from. */
  #base: NodeMap | undefined;
  /** The last text that failed, so it is reported once. */
  #badText: string | undefined;

  constructor(treeBackend: Backend, yamlBackend: Backend, options: YamlMediatorOptions);
  constructor(treeBackend: Backend, document: YamlDocument, options?: { onError?: MediatorErrorHandler });
  constructor(treeBackend: Backend, yaml: Backend | YamlDocument, options: Partial<YamlMediatorOptions> = {}) {
    if (yaml === treeBackend) throw new WwatpError('UNSUPPORTED', 'the YAML document cannot live in the tree it describes');
    this.#tree = treeBackend;
    this.#doc = 'getNode' in yaml ? new NodeDocument(yaml, options.label as string, options.property as string) : yaml;
    this.#onError = options.onError ?? ((error, where) => console.error(`wwatp yaml mediator: ${where}: [${error.code}] ${error.message}`));
  }

  /** A mediator between a tree and a YAML file on disk (not started yet). */
  static forFile(treeBackend: Backend, path: string, options: YamlFileOptions = {}): YamlMediator {
    return new YamlMediator(treeBackend, new FileDocument(path, options.quietMs), { onError: options.onError });
  }

  /** Where the document lives (node#property or file path). */
  get where(): string {
    return this.#doc.where;
  }

  /** Starts watching both sides and syncs once: an existing document wins, else it is written from the tree. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#tree.registerNodeListener(this.#name, '', true, () => this.#schedule());
    this.#stops.push(() => this.#tree.deregisterNodeListener(this.#name, ''));
    this.#stops.push(this.#doc.watch(() => this.#schedule(), (error) => this.#report(error)));
    await this.#enqueue(() => this.#reconcile());
  }

  /** Stops watching; resolves once a sync in progress has finished. */
  async stop(): Promise<void> {
    this.#running = false;
    for (const stop of this.#stops.splice(0)) stop();
    await this.#queue;
  }

  /** Resolves once every change seen so far has been synced. */
  async settled(): Promise<void> {
    // A sync may schedule another (its own writes are heard); wait until none is queued.
    for (let queue = this.#queue; ; queue = this.#queue) {
      await queue;
      if (queue === this.#queue) return;
    }
  }

  #schedule(): void {
    if (this.#pending || !this.#running) return;
    this.#pending = true;
    void this.#enqueue(async () => {
      this.#pending = false;
      if (this.#running) await this.#reconcile();
    });
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(step).catch((error: unknown) => this.#report(error));
    this.#queue = run;
    return run;
  }

  #report(error: unknown): void {
    const wwatp = error instanceof WwatpError ? error : new WwatpError('INTERNAL', error instanceof Error ? error.message : String(error), { cause: error });
    this.#onError(wwatp, this.#doc.where);
  }

  async #reconcile(): Promise<void> {
    const read = await this.#doc.read();
    const blank = read !== undefined && read.trim() === '';
    if (blank && this.#text !== undefined) {
      // Blank after a sync is most likely a save caught half-way: writing the tree over
      // it could lose that save, so it is treated as malformed. Missing is rewritten.
      if (read !== this.#badText) this.#report(new WwatpError('MALFORMED', 'the document is empty (write {} for an empty tree)'));
      this.#badText = read;
      return;
    }
    const text = blank ? undefined : read;
    if (text !== undefined && text !== this.#text && !(await this.#takeIn(text))) return;
    await this.#writeOut(text === undefined);
  }

  /** Applies a changed document to the tree; false when it does not parse or apply. */
  async #takeIn(text: string): Promise<boolean> {
    if (text === this.#badText) return false;
    try {
      const nodes = yamlToTree(text);
      const next = nodeMap(nodes);
      // Without a synced base (first sync), the document wins over the whole tree.
      const base = this.#base ?? nodeMap(await this.#tree.getFullTree());
      await applyEdit(this.#tree, treeEdit(base, next));
      this.#text = text;
      this.#base = next;
      this.#treeDoc = treeToYaml(nodes);
      this.#badText = undefined;
      return true;
    } catch (error) {
      this.#badText = text;
      this.#report(error);
      return false;
    }
  }

  /** Writes the tree's document when the tree moved since the last sync (or `force`). */
  async #writeOut(force: boolean): Promise<void> {
    const nodes = await this.#tree.getFullTree();
    const doc = treeToYaml(nodes);
    if (!force && doc === this.#treeDoc) return;
    if (force || doc !== this.#text) await this.#doc.write(doc);
    this.#text = doc;
    this.#treeDoc = doc;
    this.#base = nodeMap(nodes);
  }
}
