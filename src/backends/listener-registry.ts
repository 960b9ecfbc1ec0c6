import { ancestorsOf } from '../tree/labels.js';
import { parseLabelRule, type LabelRule } from '../tree/label-rule.js';
import type { TreeNode } from '../tree/tree-node.js';
import type { Backend, NodeListener } from './backend.js';

interface Entry {
  readonly name: string;
  readonly rule: LabelRule;
  readonly childNotify: boolean;
  readonly callback: NodeListener;
}

const key = (name: string, rule: string): string => `${name}\u0000${rule}`;

/**
 * Finds the listeners covering a label without scanning them all: exact rules sit in a
 * map looked up for the label and each of its ancestors (childNotify ones), so a write
 * costs O(depth) lookups; only wildcard rules are tested one by one. Every match fires:
 * the walk never stops early (the earlier implementation's bug).
 */
export class ListenerRegistry {
  readonly #byKey = new Map<string, Entry>();
  readonly #exact = new Map<string, Entry[]>();
  readonly #wild: Entry[] = [];
  #onError: (error: unknown, name: string) => void = (error, name) => {
    console.error(`wwatp: listener "${name}" threw`, error);
  };

  get size(): number {
    return this.#byKey.size;
  }

  /** Replaces how a throwing callback is reported (it never breaks the write). */
  set onError(handler: (error: unknown, name: string) => void) {
    this.#onError = handler;
  }

  register(name: string, rule: string, childNotify: boolean, callback: NodeListener): void {
    const parsed = parseLabelRule(rule);
    const k = key(name, parsed.path);
    if (this.#byKey.has(k)) this.deregister(name, rule);
    const entry: Entry = { name, rule: parsed, childNotify, callback };
    this.#byKey.set(k, entry);
    if (parsed.exact) {
      const list = this.#exact.get(parsed.path);
      if (list) list.push(entry);
      else this.#exact.set(parsed.path, [entry]);
    } else {
      this.#wild.push(entry);
    }
  }

  /** Removes a listener; returns false when there was none by that name and rule. */
  deregister(name: string, rule: string): boolean {
    const parsed = parseLabelRule(rule);
    const k = key(name, parsed.path);
    const entry = this.#byKey.get(k);
    if (!entry) return false;
    this.#byKey.delete(k);
    const list = parsed.exact ? this.#exact.get(parsed.path) : this.#wild;
    if (list) {
      const at = list.indexOf(entry);
      if (at >= 0) list.splice(at, 1);
      if (parsed.exact && list.length === 0) this.#exact.delete(parsed.path);
    }
    return true;
  }

  /** The listeners covering a label, in registration order within each group. */
  matching(label: string): Entry[] {
    if (this.#byKey.size === 0) return [];
    const out: Entry[] = [];
    const own = this.#exact.get(label);
    if (own) out.push(...own);
    if (this.#exact.size > (own ? 1 : 0)) {
      for (const ancestor of ancestorsOf(label)) {
        const list = this.#exact.get(ancestor);
        if (list) for (const entry of list) if (entry.childNotify) out.push(entry);
      }
    }
    for (const entry of this.#wild) {
      if (entry.rule.matches(label)) out.push(entry);
      else if (entry.childNotify) {
        for (const ancestor of ancestorsOf(label)) {
          if (entry.rule.matches(ancestor)) {
            out.push(entry);
            break;
          }
        }
      }
    }
    return out;
  }

  /** Calls every covering listener; a throwing callback is reported, never propagated. */
  notify(backend: Backend, label: string, node: () => TreeNode | undefined): void {
    if (this.#byKey.size === 0) return;
    for (const entry of this.matching(label)) {
      try {
        entry.callback(backend, label, node());
      } catch (error) {
        this.#onError(error, entry.name);
      }
    }
  }

  /** Every registered listener, for wrappers that relay to an inner backend. */
  entries(): Array<{ name: string; rule: string; childNotify: boolean; callback: NodeListener }> {
    return [...this.#byKey.values()].map((e) => ({ name: e.name, rule: e.rule.path, childNotify: e.childNotify, callback: e.callback }));
  }
}
