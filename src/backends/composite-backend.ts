import { WwatpError } from '../tree/errors.js';
import { ancestorsOf, isAtOrUnder, isStrictlyUnder, joinLabel, normalizeLabel, normalizeLabelOrRoot, stripPrefix } from '../tree/labels.js';
import { parseLabelRule, ruleCovers, type LabelRule } from '../tree/label-rule.js';
import { stateOf, TreeNode } from '../tree/tree-node.js';
import type { Backend, NewNodeVersion, NodeListener, Transaction } from './backend.js';
import { relativeLabel, relativeRule } from './backend-helpers.js';
import { addPrefix, removePrefix } from './label-mapping.js';
import { residualRules } from './rule-residual.js';

interface Route {
  readonly backend: Backend;
  /** The mount label ('' for the root backend). */
  readonly mount: string;
  readonly label: string;
}

interface Listener {
  readonly name: string;
  readonly rule: LabelRule;
  readonly childNotify: boolean;
  readonly callback: NodeListener;
}

const innerName = (l: Listener): string => `${l.name}\u0000${l.rule.path}`;

/**
 * One tree made of several backends: a root backend, and others mounted at labels.
 * Labels are shortened going into a mount and prefixed coming out (links too). The
 * node at a mount label itself, if any, lives in the root backend and describes the
 * mount; while there is none, reads show a synthesized node there, so listings find
 * the mount. A transaction must stay within one backend.
 */
export class CompositeBackend implements Backend {
  readonly #root: Backend;
  readonly #mounts = new Map<string, Backend>();
  readonly #listeners = new Map<string, Listener>();

  constructor(root: Backend) {
    this.#root = root;
  }

  /** The labels of the mounted backends. */
  get mounts(): string[] {
    return [...this.#mounts.keys()];
  }

  /** Mounts a backend at a label; refuses a label that is mounted, overlaps a mount, or already holds nodes below it. */
  async mountBackend(label: string, backend: Backend): Promise<void> {
    const at = normalizeLabel(label);
    for (const existing of this.#mounts.keys()) {
      if (isAtOrUnder(at, existing) || isAtOrUnder(existing, at)) {
        throw new WwatpError('MOUNT_CONFLICT', `cannot mount at "${at}": it ${at === existing ? 'is already mounted' : `overlaps the mount at "${existing}"`}`);
      }
    }
    const present = await this.#root.queryNodes(`${at}/**`);
    if (present.length > 0) throw new WwatpError('MOUNT_CONFLICT', `cannot mount at "${at}": the root already holds ${present.length} node(s) below it`);
    this.#mounts.set(at, backend);
    for (const listener of this.#listeners.values()) this.#attach(listener, at, backend);
  }

  /** Removes a mount (its listeners are detached); returns false when nothing was mounted there. */
  unmountBackend(label: string): boolean {
    const at = normalizeLabel(label);
    const backend = this.#mounts.get(at);
    if (!backend) return false;
    for (const listener of this.#listeners.values()) backend.deregisterNodeListener(innerName(listener), this.#innerRule(listener, at) ?? '');
    this.#mounts.delete(at);
    return true;
  }

  #route(label: string): Route {
    if (this.#mounts.size > 0) {
      for (const ancestor of ancestorsOf(label)) {
        const backend = this.#mounts.get(ancestor);
        if (backend) return { backend, mount: ancestor, label: stripPrefix(label, ancestor) };
      }
    }
    return { backend: this.#root, mount: '', label };
  }

  #out(mount: string, nodes: TreeNode[]): TreeNode[] {
    return mount === '' ? nodes : nodes.map((n) => addPrefix(n, mount));
  }

  async getNode(label: string): Promise<TreeNode | undefined> {
    const at = normalizeLabel(label);
    const r = this.#route(at);
    const node = await r.backend.getNode(r.label);
    if (node) return r.mount === '' ? node : addPrefix(node, r.mount);
    const mounted = r.mount === '' ? this.#mounts.get(at) : undefined;
    return mounted && this.#mountPoint(at, mounted);
  }

  /**
   * The node shown at a mount label the root holds no node for, so listings find the
   * mount: described by what is mounted, listing the mount's top level. It is not
   * stored (getFullTree leaves it out); writing a node at the label stores one in the
   * root, which is shown from then on.
   */
  async #mountPoint(mount: string, backend: Backend): Promise<TreeNode> {
    const top = await backend.queryNodes('*');
    return new TreeNode({ labelRule: mount, description: `mounted: ${backend.constructor.name}`, childNames: top.map((n) => n.labelRule) });
  }

  async upsertNode(nodes: readonly TreeNode[]): Promise<boolean> {
    if (!Array.isArray(nodes)) throw new WwatpError('INVALID_NODE', 'upsertNode takes an array of TreeNode');
    // Map every node before writing any, so a bad one leaves everything untouched.
    const groups = new Map<Backend, TreeNode[]>();
    for (const node of nodes) {
      const r = this.#route(stateOf(node).labelRule);
      const mapped = r.mount === '' ? node : removePrefix(node, r.mount, 'throw');
      const group = groups.get(r.backend);
      if (group) group.push(mapped);
      else groups.set(r.backend, [mapped]);
    }
    let ok = true;
    for (const [backend, group] of groups) ok = (await backend.upsertNode(group)) && ok;
    return ok;
  }

  async deleteNode(label: string): Promise<boolean> {
    const at = normalizeLabel(label);
    const r = this.#route(at);
    let removed = await r.backend.deleteNode(r.label);
    // Mounts at or below the deleted label lose their whole tree.
    for (const [mount, backend] of this.#mounts) {
      if (!isAtOrUnder(mount, at)) continue;
      for (const top of await backend.queryNodes('*')) removed = (await backend.deleteNode(top.labelRule)) || removed;
    }
    return removed;
  }

  async getPageTree(label: string): Promise<TreeNode[]> {
    const page = await this.getNode(label);
    if (!page) return [];
    const out: TreeNode[] = [];
    for (const name of page.childNames) {
      const node = await this.getNode(name.includes('/') ? name : joinLabel(page.labelRule, name));
      if (node) out.push(node);
    }
    return out;
  }

  async relativeGetPageTree(node: TreeNode, label: string): Promise<TreeNode[]> {
    return this.getPageTree(relativeLabel(node, label));
  }

  async queryNodes(rule: string): Promise<TreeNode[]> {
    const parsed = parseLabelRule(rule);
    const mount = this.#mountHolding(parsed);
    if (mount !== undefined) {
      const innerPath = stripPrefix(parsed.path, mount);
      const innerRule = parsed.query === undefined ? innerPath : `${innerPath}?${parsed.query}`;
      return this.#out(mount, await (this.#mounts.get(mount) as Backend).queryNodes(innerRule));
    }
    // Each mount is asked only for what the rule can still match below it (`*` asks a
    // mount at `collector` for nothing, `*/acme` for `acme`, `**` for `**`), with the
    // query, if any, passed on unchanged.
    const reached: Array<{ mount: string; backend: Backend; rules: string[] }> = [];
    for (const [at, backend] of this.#mounts) {
      const rules = isAtOrUnder(at, parsed.literalPrefix) ? residualRules(parsed.path, at) : [];
      if (rules.length > 0) reached.push({ mount: at, backend, rules: parsed.query === undefined ? rules : rules.map((r) => `${r}?${parsed.query}`) });
    }
    let out: TreeNode[];
    try {
      out = await this.#root.queryNodes(rule);
    } catch (error) {
      // A search that reaches a mount is that mount's to answer: a root that answers no
      // queries (INVALID_RULE) contributes nothing to it instead of refusing it.
      if (parsed.query === undefined || reached.length === 0 || !WwatpError.is(error, 'INVALID_RULE')) throw error;
      out = [];
    }
    // A mount point the rule matches and the root holds no node for is listed as a
    // synthesized node (before the mount's own nodes: parents first).
    const points = parsed.query === undefined ? [...this.#mounts].filter(([at]) => parsed.matches(at)) : [];
    if (points.length > 0) {
      const present = new Set(out.map((n) => n.labelRule));
      for (const [at, backend] of points) if (!present.has(at)) out.push(await this.#mountPoint(at, backend));
    }
    for (const { mount: at, backend, rules } of reached) {
      const seen = new Set<string>();
      for (const inner of rules) {
        for (const node of this.#out(at, await backend.queryNodes(inner))) {
          if (seen.has(node.labelRule) || !parsed.matches(node.labelRule)) continue;
          seen.add(node.labelRule);
          out.push(node);
        }
      }
    }
    return out;
  }

  async relativeQueryNodes(node: TreeNode, rule: string): Promise<TreeNode[]> {
    return this.queryNodes(relativeRule(node, rule));
  }

  /** The mount whose subtree holds every label a rule can match, if any. */
  #mountHolding(rule: LabelRule): string | undefined {
    for (const mount of this.#mounts.keys()) if (isStrictlyUnder(rule.path, mount)) return mount;
    return undefined;
  }

  #layerBackend: Backend | undefined;

  async openTransactionLayer(node: TreeNode): Promise<void> {
    const r = this.#route(stateOf(node).labelRule);
    if (this.#layerBackend && this.#layerBackend !== r.backend) throw new WwatpError('CROSS_MOUNT', 'transaction layers must stay within one mounted backend');
    await r.backend.openTransactionLayer(r.mount === '' ? node : removePrefix(node, r.mount, 'throw'));
    this.#layerBackend = r.backend;
  }

  async closeTransactionLayers(): Promise<boolean> {
    const backend = this.#layerBackend;
    this.#layerBackend = undefined;
    return backend ? backend.closeTransactionLayers() : true;
  }

  async applyTransaction(tx: Transaction): Promise<boolean> {
    if (!Array.isArray(tx)) throw new WwatpError('INVALID_NODE', 'a transaction must be an array of { parent, children }');
    let route: Route | undefined;
    const map = (entry: NewNodeVersion): NewNodeVersion => {
      if (entry === null || typeof entry !== 'object') throw new WwatpError('INVALID_NODE', 'a transaction entry must be a NewNodeVersion');
      const r = this.#route(normalizeLabel(entry.label));
      if (route && route.backend !== r.backend) throw new WwatpError('CROSS_MOUNT', `transaction spans "${route.mount || '(root)'}" and "${r.mount || '(root)'}"`);
      route = r;
      return { priorVersion: entry.priorVersion, label: r.label, node: entry.node && (r.mount === '' ? entry.node : removePrefix(entry.node, r.mount, 'throw')) };
    };
    const mapped = tx.map((sub) => ({ parent: map(sub.parent), children: Array.isArray(sub.children) ? sub.children.map(map) : sub.children }));
    return (route?.backend ?? this.#root).applyTransaction(mapped);
  }

  async getFullTree(): Promise<TreeNode[]> {
    const out = await this.#root.getFullTree();
    for (const [mount, backend] of this.#mounts) out.push(...this.#out(mount, await backend.getFullTree()));
    return out;
  }

  registerNodeListener(name: string, rule: string, childNotify: boolean, callback: NodeListener): void {
    const listener: Listener = { name, rule: parseLabelRule(rule), childNotify, callback };
    this.deregisterNodeListener(name, rule);
    this.#listeners.set(innerName(listener), listener);
    this.#attach(listener, '', this.#root);
    for (const [mount, backend] of this.#mounts) this.#attach(listener, mount, backend);
  }

  deregisterNodeListener(name: string, rule: string): void {
    const key = `${name}\u0000${parseLabelRule(rule).path}`;
    const listener = this.#listeners.get(key);
    if (!listener) return;
    this.#listeners.delete(key);
    this.#root.deregisterNodeListener(key, listener.rule.path);
    for (const [mount, backend] of this.#mounts) {
      const inner = this.#innerRule(listener, mount);
      if (inner !== undefined) backend.deregisterNodeListener(key, inner);
    }
  }

  notifyListeners(label: string, node: TreeNode | undefined): void {
    const r = this.#route(normalizeLabelOrRoot(label));
    r.backend.notifyListeners(r.label, node && r.mount !== '' ? removePrefix(node, r.mount, 'keep') : node);
  }

  async processNotifications(): Promise<void> {
    await Promise.all([this.#root, ...this.#mounts.values()].map((b) => b.processNotifications()));
  }

  /** The rule to register inside a mount: the rule's own tail, '' (everything, filtered) or none. */
  #innerRule(listener: Listener, mount: string): string | undefined {
    const { rule } = listener;
    if (isStrictlyUnder(rule.path, mount)) return stripPrefix(rule.path, mount);
    if (isAtOrUnder(mount, rule.literalPrefix)) return '';
    return undefined;
  }

  #attach(listener: Listener, mount: string, backend: Backend): void {
    const key = innerName(listener);
    if (mount === '') {
      backend.registerNodeListener(key, listener.rule.path, listener.childNotify, (_b, label, node) => listener.callback(this, label, node));
      return;
    }
    const inner = this.#innerRule(listener, mount);
    if (inner === undefined) return;
    const filtered = inner === '';
    backend.registerNodeListener(key, inner, filtered || listener.childNotify, (_b, label, node) => {
      const outer = joinLabel(mount, label);
      if (filtered && !ruleCovers(listener.rule, outer, listener.childNotify)) return;
      listener.callback(this, outer, node && addPrefix(node, mount));
    });
  }
}

