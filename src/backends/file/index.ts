import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { WwatpError } from '../../tree/errors.js';
import { DEFAULT_MAX_CONTENT_BYTES } from '../../tree/limits.js';
import { normalizeLabel } from '../../tree/labels.js';
import { nodeFromState, nodeStatesEqual, stateOf, type NodeState, type TreeNode } from '../../tree/tree-node.js';
import type { Backend, NodeListener, Transaction } from '../backend.js';
import { checkedStates, unsupportedLayers } from '../backend-helpers.js';
import { ListenerRegistry } from '../listener-registry.js';
import { SimpleBackend } from '../simple-backend.js';
import { checkTransaction } from '../transaction-rules.js';
import type { FileStamp } from './atomic.js';
import { syncDir, type DiskChange, type ReadContext } from './disk-reader.js';
import { writeDiff } from './disk-writer.js';
import { ErrorReports } from './error-reports.js';
import { DiskMirror } from './mirror.js';
import { checkStorable, nodePath } from './names.js';
import { currentVersions, Plan } from './plan.js';
import { DirWatcher } from './watcher.js';

export { NODE_SUFFIX, encodeSegment, decodeSegment, nodePath, dirPath } from './names.js';

export interface FileBackendOptions {
  /** The directory holding the tree (created if missing). */
  dir: string;
  /** Largest contents a node may carry (default 16 MiB). */
  maxContentBytes?: number;
  /** Watch the directory for hand edits (default true); 'poll' re-scans every pollIntervalMs instead. */
  watch?: boolean | 'poll';
  /** Quiet time after disk events before one re-scan (default 25 ms; at most 8x that after the first). */
  coalesceMs?: number;
  /** Full re-scan interval when polling, or when the OS cannot watch a directory (default 500 ms). */
  pollIntervalMs?: number;
  /** Hears files that cannot be read as nodes (MALFORMED, TYPE_MISMATCH, ...); default console.error. */
  onError?: (error: WwatpError, path: string) => void;
}

interface Notice {
  readonly label: string;
  readonly state: NodeState | undefined;
}

/**
 * A tree kept as files a person can read and edit: node `a/b` is `<dir>/a/b.node.yaml`
 * and its children live in `<dir>/a/b/` (format and encoding: docs/FILES-AND-YAML.md).
 *
 * Every node is also held in an in-memory SimpleBackend, loaded at open, which answers
 * all reads (so page trees, queries and full-tree order are SimpleBackend's exactly).
 * Writes are serialised: each is validated whole, then written to disk (crash-safe, see
 * atomic.ts; undone if the disk fails part-way), and only then applied to memory and
 * announced to listeners. Hand edits come back through the watcher: changed files are
 * re-read and their listeners fire; the backend's own writes are recognised by content
 * and never echo.
 */
export class FileBackend implements Backend {
  readonly #root: string;
  readonly #maxContentBytes: number;
  readonly #tree: SimpleBackend;
  readonly #listeners = new ListenerRegistry();
  readonly #mirror: DiskMirror;
  readonly #watcher: DirWatcher | undefined;
  readonly #read: ReadContext;
  #queue: Promise<void> = Promise.resolve();
  #capture: Notice[] | undefined;
  readonly #reports: ErrorReports;
  #fullScanQueued = false;
  #loaded = false;
  #closed = false;

  private constructor(options: FileBackendOptions) {
    this.#root = resolve(options.dir);
    this.#maxContentBytes = options.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
    this.#tree = new SimpleBackend({ maxContentBytes: this.#maxContentBytes });
    // The inner tree's notices are captured and re-announced with this backend as source.
    this.#tree.registerNodeListener('file-backend', '', true, (_b, label, node) => void this.#capture?.push({ label, state: node && stateOf(node) }));
    const coalesceMs = options.coalesceMs ?? 25;
    this.#reports = new ErrorReports(options.onError ?? ((error, path) => console.error(`wwatp: ${path}: [${error.code}] ${error.message}`)), 4 * coalesceMs);
    const report = (error: WwatpError, path: string, stamp?: FileStamp): void => {
      // Bad contents seen after open may be a save in progress: reported if they stay.
      if (stamp && this.#loaded) this.#reports.ifSettled(error, path, stamp);
      else this.#reports.now(error, path);
    };
    if (options.watch ?? true) {
      const watcherOptions = { coalesceMs, pollMs: options.pollIntervalMs ?? 500, report };
      this.#watcher = new DirWatcher(this.#root, watcherOptions, (dirs, full) => this.#scheduleSync(dirs, full));
      if (options.watch === 'poll') this.#watcher.poll();
    }
    this.#mirror = new DiskMirror((dir, present) => (present ? this.#watcher?.watch(dir) : this.#watcher?.unwatch(dir)));
    this.#read = { root: this.#root, mirror: this.#mirror, maxContentBytes: this.#maxContentBytes, report, seenDir: (dir, identity) => this.#watcher?.renew(dir, identity) };
  }

  /** Opens (creating if needed) the tree in `options.dir` and loads it into memory. */
  static async open(options: FileBackendOptions): Promise<FileBackend> {
    const backend = new FileBackend(options);
    try {
      await mkdir(backend.#root, { recursive: true });
      backend.#watcher?.watch('');
      const found: DiskChange[] = [];
      await syncDir(backend.#read, '', true, found);
      await backend.#tree.upsertNode(found.flatMap((c) => (c.state ? [nodeFromState(c.state)] : [])));
      backend.#loaded = true;
      return backend;
    } catch (error) {
      await backend.close();
      if (error instanceof WwatpError) throw error;
      throw new WwatpError('STORAGE', `cannot open a tree in ${backend.#root}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /** The directory holding the tree. */
  get dir(): string {
    return this.#root;
  }

  /** The file that holds the node at a label (whether or not it exists). */
  pathOf(label: string): string {
    return nodePath(this.#root, normalizeLabel(label));
  }

  /** Stops watching and waits for pending writes; later writes are refused as CLOSED. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    this.#reports.close();
    await this.#queue;
  }

  getNode(label: string): Promise<TreeNode | undefined> {
    return this.#tree.getNode(label);
  }

  async upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    this.#checkOpen();
    const states = checkedStates(nodes, this.#maxContentBytes);
    for (const state of states) checkStorable(state.labelRule);
    return this.#run(async () => {
      const plan = new Plan(this.#tree);
      for (const state of states) plan.put(state);
      await writeDiff(this.#root, this.#mirror, plan.diff);
      return this.#commit(() => this.#tree.upsertNode(states.map(nodeFromState)));
    });
  }

  async deleteNode(label: string): Promise<boolean> {
    this.#checkOpen();
    const canonical = normalizeLabel(label);
    return this.#run(async () => {
      const plan = new Plan(this.#tree);
      await plan.remove(canonical);
      await writeDiff(this.#root, this.#mirror, plan.diff);
      return this.#commit(() => this.#tree.deleteNode(canonical));
    });
  }

  getPageTree(label: string): Promise<TreeNode[]> {
    return this.#tree.getPageTree(label);
  }

  relativeGetPageTree(node: TreeNode, label: string): Promise<TreeNode[]> {
    return this.#tree.relativeGetPageTree(node, label);
  }

  queryNodes(rule: string): Promise<TreeNode[]> {
    return this.#tree.queryNodes(rule);
  }

  relativeQueryNodes(node: TreeNode, rule: string): Promise<TreeNode[]> {
    return this.#tree.relativeQueryNodes(node, rule);
  }

  async openTransactionLayer(_node: TreeNode): Promise<void> {
    throw unsupportedLayers('FileBackend');
  }

  async closeTransactionLayers(): Promise<boolean> {
    return true; // As SimpleBackend: no layer can be open, so there is nothing to apply.
  }

  async applyTransaction(tx: Transaction): Promise<boolean> {
    this.#checkOpen();
    return this.#run(async () => {
      const versions = await currentVersions(this.#tree, tx);
      const check = checkTransaction(tx, (label) => versions.get(label), this.#maxContentBytes);
      if (!check.ok) return false;
      for (const write of check.writes) if (write.state) checkStorable(write.label);
      const plan = await Plan.ofWrites(this.#tree, check.writes);
      await writeDiff(this.#root, this.#mirror, plan.diff);
      // Applied one write at a time, the inner tree notifies in SimpleBackend's order.
      return this.#commit(async () => {
        for (const write of check.writes) {
          if (write.state) await this.#tree.upsertNode([nodeFromState(write.state)]);
          else await this.#tree.deleteNode(write.label);
        }
        return true;
      });
    });
  }

  getFullTree(): Promise<TreeNode[]> {
    return this.#tree.getFullTree();
  }

  registerNodeListener(name: string, rule: string, childNotify: boolean, callback: NodeListener): void {
    this.#listeners.register(name, rule, childNotify, callback);
  }

  deregisterNodeListener(name: string, rule: string): void {
    this.#listeners.deregister(name, rule);
  }

  notifyListeners(label: string, node: TreeNode | undefined): void {
    this.#listeners.notify(this, normalizeLabel(label), () => node?.clone());
  }

  /** Resolves once pending writes and every disk event received so far are processed. */
  async processNotifications(): Promise<void> {
    this.#watcher?.flush();
    await this.#queue;
  }

  #checkOpen(): void {
    if (this.#closed) throw new WwatpError('CLOSED', `the FileBackend on ${this.#root} is closed`);
  }

  /** Runs `fn` after every write and re-scan queued before it. */
  #run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(fn);
    this.#queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Applies a write to memory and re-announces the inner tree's notices. */
  async #commit<T>(apply: () => Promise<T>): Promise<T> {
    this.#capture = [];
    let result: T;
    let notices: Notice[];
    try {
      result = await apply();
    } finally {
      notices = this.#capture;
      this.#capture = undefined;
    }
    this.#announce(notices);
    return result;
  }

  #announce(notices: readonly Notice[]): void {
    for (const { label, state } of notices) this.#listeners.notify(this, label, () => state && nodeFromState(state));
  }

  #scheduleSync(dirs: ReadonlySet<string>, full: boolean): void {
    if (full && this.#fullScanQueued) return;
    if (full) this.#fullScanQueued = true;
    this.#run(async () => {
      if (full) this.#fullScanQueued = false;
      const changes: DiskChange[] = [];
      try {
        if (full) await syncDir(this.#read, '', true, changes);
        else {
          const ordered = [...dirs].sort((a, b) => a.split('/').length - b.split('/').length);
          for (const dir of ordered) if (dir === '' || this.#mirror.hasDir(dir)) await syncDir(this.#read, dir, false, changes);
        }
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.#read.report(new WwatpError('STORAGE', `re-scan failed: ${reason}`, { cause: error }), this.#root);
      }
      if (!this.#closed) await this.#applyDiskChanges(changes);
    }).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      this.#read.report(new WwatpError('INTERNAL', `applying disk changes failed: ${reason}`, { cause: error }), this.#root);
    });
  }

  /** Brings memory in line with files changed by hand, then fires their listeners. */
  async #applyDiskChanges(changes: readonly DiskChange[]): Promise<void> {
    const latest = new Map<string, NodeState | undefined>();
    for (const { label, state } of changes) latest.set(label, state);
    const puts: NodeState[] = [];
    const removals: string[] = [];
    for (const [label, state] of latest) {
      const current = await this.#tree.getNode(label);
      if (state && !(current && nodeStatesEqual(stateOf(current), state))) puts.push(state);
      else if (!state && current) removals.push(label);
    }
    // A vanished file removes that node only: nodes below it whose files remain stay.
    const removing = new Set(removals);
    for (const label of removals) {
      if (!(await this.#tree.getNode(label))) continue;
      const survivors = (await this.#tree.queryNodes(`${label}/**`)).filter((n) => !removing.has(n.labelRule));
      await this.#tree.deleteNode(label);
      if (survivors.length > 0) await this.#tree.upsertNode(survivors);
    }
    if (puts.length > 0) await this.#tree.upsertNode(puts.map(nodeFromState));
    this.#announce([...removals.map((label) => ({ label, state: undefined })), ...puts.map((state) => ({ label: state.labelRule, state }))]);
  }
}
