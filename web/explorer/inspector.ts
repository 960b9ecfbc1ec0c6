/**
 * The node inspector: everything about the selected node, editable in place, and kept
 * current by live changes (each part that changed flashes; an open editor is left alone).
 */
import type { Backend } from '../../src/backends/backend.js';
import type { PropertyValue } from '../../src/tree/property-types.js';
import type { TreeNode } from '../../src/tree/tree-node.js';
import { flash, h } from './dom.js';
import { errorSlot, showError } from './errors.js';
import { Field, type FieldSource } from './field.js';
import { breadcrumbs, childList, jsonDetails, metaFingerprint, metaList } from './inspector-parts.js';
import { addPropertyForm, deleteButton, newChildForm } from './node-forms.js';
import { setDescription, setPropertyValue } from './node-edits.js';
import { makeEditor } from './property-editor.js';
import { BlobUrls, valueView } from './property-view.js';
import { readNode } from './tree-model.js';
import { valueKey } from './values.js';

export interface InspectorOptions {
  backend: Backend;
  navigate(label: string): void;
  /** Children turned up below a label (so the tree can show it as a branch). */
  onChildrenFound(label: string): void;
}

function parentOf(label: string): string {
  const slash = label.lastIndexOf('/');
  return slash < 0 ? '' : label.slice(0, slash);
}

export class Inspector {
  readonly #root: HTMLElement;
  readonly #options: InspectorOptions;
  readonly #fields = new Map<string, Field>();
  readonly #urls = new Map<string, BlobUrls>();
  #label = '';
  #node: TreeNode | undefined;
  #found: TreeNode[] = [];
  #generation = 0;
  #parts: { meta: HTMLElement; props: HTMLElement; json: HTMLElement } | undefined;
  /** The child list on show (also on the welcome and no-node views). */
  #children: HTMLElement | undefined;
  #childTimer: number | undefined;

  constructor(root: HTMLElement, options: InspectorOptions) {
    this.#root = root;
    this.#options = options;
  }

  get label(): string {
    return this.#label;
  }

  /** Shows a label ('' for the welcome view); a later call wins over an earlier one still loading. */
  async show(label: string): Promise<void> {
    const generation = ++this.#generation;
    this.#label = label;
    this.#root.setAttribute('aria-busy', 'true');
    try {
      const rule = label === '' ? '*' : `${label}/*`;
      const [node, found] = await Promise.all([label === '' ? Promise.resolve(undefined) : readNode(this.#options.backend, label), this.#options.backend.queryNodes(rule)]);
      if (generation !== this.#generation) return;
      this.#found = found;
      this.#build(node);
      if (found.length > 0) this.#options.onChildrenFound(label);
    } catch (error) {
      if (generation !== this.#generation) return;
      const slot = errorSlot();
      this.#parts = undefined;
      this.#children = undefined;
      this.#root.replaceChildren(breadcrumbs(label), slot);
      showError(slot, error);
    } finally {
      if (generation === this.#generation) this.#root.removeAttribute('aria-busy');
    }
  }

  /** A change seen by the root listener. */
  applyChange(label: string, node: TreeNode | undefined): void {
    if (label === this.#label && label !== '') {
      if (node === undefined || this.#node === undefined) {
        this.#build(node);
        flash(this.#root.querySelector('.node-head') ?? this.#root);
      } else {
        this.#update(node);
      }
    } else if (parentOf(label) === this.#label) {
      // Children come and go in bursts; ask once after the burst.
      window.clearTimeout(this.#childTimer);
      this.#childTimer = window.setTimeout(() => void this.#refreshChildren(), 50);
    }
  }

  async #refreshChildren(): Promise<void> {
    const label = this.#label;
    const found = await this.#options.backend.queryNodes(label === '' ? '*' : `${label}/*`).catch(() => undefined);
    if (!found || label !== this.#label || !this.#children) return;
    this.#found = found;
    const fresh = childList(label, this.#node, found);
    this.#children.replaceWith(fresh);
    this.#children = fresh;
    flash(fresh);
    if (found.length > 0) this.#options.onChildrenFound(label);
  }

  #reset(): void {
    this.#fields.clear();
    for (const urls of this.#urls.values()) urls.revokeAll();
    this.#urls.clear();
  }

  #build(node: TreeNode | undefined): void {
    this.#reset();
    this.#node = node;
    const label = this.#label;
    const { backend, navigate } = this.#options;
    const children = childList(label, node, this.#found);
    this.#children = children;
    const childSection = h('section', { className: 'children-box', 'aria-labelledby': 'children-heading' }, h('h3', { id: 'children-heading' }, label === '' ? 'Top level' : 'Children'), children);
    if (label === '') {
      this.#parts = undefined;
      this.#root.replaceChildren(h('h2', {}, 'Tree'), h('p', { className: 'muted' }, 'Pick a node on the left, search with a label rule, or open a link.'), childSection, newChildForm(backend, '', navigate));
      return;
    }
    const head = h('header', { className: 'node-head' }, breadcrumbs(label), h('h2', { id: 'node-title' }, label));
    if (!node) {
      this.#parts = undefined;
      this.#root.replaceChildren(head, h('p', { className: 'missing', role: 'status' }, `There is no node at ${label}.`), childSection, newChildForm(backend, label, navigate));
      return;
    }
    const meta = metaList(node);
    const props = h('div', { className: 'properties' });
    this.#parts = { meta, props, json: jsonDetails(node) };
    const description = new Field('description', h('h3', {}, 'Description'), this.#descriptionSource(node));
    this.#fields.set('\u0000description', description);
    this.#fillProperties(node, false);
    const actionError = errorSlot();
    const actions = h('div', { className: 'node-actions' }, deleteButton(backend, label, actionError, () => navigate(parentOf(label))), actionError);
    this.#root.replaceChildren(
      head,
      description.element,
      meta,
      h('section', { className: 'props-box', 'aria-labelledby': 'props-heading' }, h('h3', { id: 'props-heading' }, 'Properties'), props, addPropertyForm(backend, label)),
      childSection,
      newChildForm(backend, label, navigate),
      actions,
      this.#parts.json,
    );
  }

  #update(node: TreeNode): void {
    if (!this.#parts) return this.#build(node);
    const before = this.#node;
    this.#node = node;
    this.#fields.get('\u0000description')?.update(this.#descriptionSource(node));
    if (before && metaFingerprint(before) !== metaFingerprint(node)) {
      const meta = metaList(node);
      this.#parts.meta.replaceWith(meta);
      this.#parts.meta = meta;
      flash(meta);
    }
    this.#fillProperties(node, true);
    if (before?.childNames.join('\n') !== node.childNames.join('\n')) void this.#refreshChildren();
    const json = jsonDetails(node);
    (json as HTMLDetailsElement).open = (this.#parts.json as HTMLDetailsElement).open;
    this.#parts.json.replaceWith(json);
    this.#parts.json = json;
  }

  /** Creates, updates or drops one Field per property, keeping declaration order; `live` flashes new ones. */
  #fillProperties(node: TreeNode, live: boolean): void {
    const props = this.#parts?.props;
    if (!props) return;
    const rows: HTMLElement[] = [];
    const names = new Set<string>();
    for (const { name, type, value } of node.properties()) {
      names.add(name);
      const source = this.#propertySource(node, name, type, value);
      let field = this.#fields.get(name);
      if (field) field.update(source);
      else {
        const heading = h('h4', {}, h('span', { className: 'prop-name' }, name), ' ', h('span', { className: 'type', title: 'type' }, type));
        field = new Field(name, heading, source);
        field.element.classList.add('property');
        field.element.dataset['property'] = name;
        this.#fields.set(name, field);
        if (live) flash(field.element);
      }
      rows.push(field.element);
    }
    for (const [name] of this.#fields) {
      if (name.startsWith('\u0000') || names.has(name)) continue;
      this.#fields.delete(name);
      this.#urls.get(name)?.revokeAll();
      this.#urls.delete(name);
    }
    props.replaceChildren(...(rows.length > 0 ? rows : [h('p', { className: 'muted empty' }, 'No properties.')]));
  }

  #descriptionSource(node: TreeNode): FieldSource {
    const { backend } = this.#options;
    const label = this.#label;
    const seen = node.description;
    return {
      fingerprint: seen,
      view: () => (node.description === '' ? h('p', { className: 'muted' }, 'No description.') : h('p', { className: 'description' }, node.description)),
      editor: () => makeEditor('edit-description', `description of ${label}`, 'string', node.description),
      save: async (value) => this.#saved(label, await setDescription(backend, label, seen, String(value))),
    };
  }

  #propertySource(node: TreeNode, name: string, type: string, value: PropertyValue): FieldSource {
    const { backend } = this.#options;
    const label = this.#label;
    const seen = valueKey(type, value);
    return {
      fingerprint: seen,
      view: () => {
        const urls = this.#urls.get(name) ?? new BlobUrls();
        urls.revokeAll();
        this.#urls.set(name, urls);
        return valueView(name, type, value, urls);
      },
      editor: type === 'Removed' ? undefined : () => makeEditor(`edit-prop-${name}`, `${name} (${type})`, type, value),
      save: async (input) => this.#saved(label, await setPropertyValue(backend, label, name, seen, input)),
    };
  }

  /** Our own write succeeded: show it at once (the live echo then finds nothing new). */
  #saved(label: string, node: TreeNode): void {
    if (label === this.#label) this.#update(node);
  }
}
