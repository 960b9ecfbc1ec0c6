/**
 * One editable part of a node (its description, or one property): shows the value, and
 * on Edit swaps in a typed editor with Save and Cancel. A live change to the value
 * while someone is editing leaves their input alone and says so; saving then fails
 * with VERSION_CONFLICT rather than silently overwriting the other writer.
 */
import { flash, h } from './dom.js';
import { errorSlot, showError } from './errors.js';
import type { Editor } from './property-editor.js';

export interface FieldSource {
  view(): Node;
  /** A fresh editor holding the current value; undefined when the field is read-only. */
  editor: (() => Editor) | undefined;
  save(value: unknown): Promise<void>;
  /** Compared between updates to decide whether the value changed (and flashes). */
  fingerprint: string;
}

export class Field {
  readonly element: HTMLElement;
  readonly #body: HTMLElement;
  readonly #editButton: HTMLButtonElement;
  #source: FieldSource;
  #editing = false;

  constructor(key: string, heading: Node, source: FieldSource) {
    this.#source = source;
    this.#editButton = h('button', { type: 'button', className: 'edit', 'aria-label': `Edit ${key}`, onclick: () => this.edit() }, 'Edit');
    this.#editButton.hidden = source.editor === undefined;
    this.#body = h('div', { className: 'field-body' });
    this.element = h('section', { className: 'field', 'data-field': key }, h('div', { className: 'field-head' }, heading, h('span', { className: 'actions' }, this.#editButton)), this.#body);
    this.#showView();
  }

  get editing(): boolean {
    return this.#editing;
  }

  /** New value from the tree; flashes when it differs from what was shown. */
  update(source: FieldSource): void {
    const changed = source.fingerprint !== this.#source.fingerprint;
    this.#source = source;
    if (this.#editing) {
      if (changed) {
        const note = this.#body.querySelector<HTMLElement>('.stale');
        if (note) note.hidden = false;
        flash(this.element);
      }
      return;
    }
    this.#editButton.hidden = source.editor === undefined;
    if (changed) {
      this.#showView();
      flash(this.element);
    }
  }

  #showView(): void {
    this.#editing = false;
    this.element.classList.remove('editing');
    this.#editButton.hidden = this.#source.editor === undefined;
    this.#body.replaceChildren(h('div', { className: 'value' }, this.#source.view()));
  }

  edit(): void {
    // Saving goes through the source as it was when editing began, so its version check
    // catches writes that happened meanwhile.
    const source = this.#source;
    const makeEditor = source.editor;
    if (!makeEditor || this.#editing) return;
    this.#editing = true;
    this.element.classList.add('editing');
    this.#editButton.hidden = true;
    const editor = makeEditor();
    const error = errorSlot();
    const stale = h('p', { className: 'stale', role: 'status', hidden: true }, 'Someone else changed this while you were editing.');
    const save = h('button', { type: 'submit', className: 'primary' }, 'Save');
    const cancel = h('button', { type: 'button', onclick: () => this.#cancel() }, 'Cancel');
    const form = h('form', { className: 'edit-form' }, editor.element, stale, error, h('div', { className: 'buttons' }, save, cancel));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#save(source, editor, form, error);
    });
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.#cancel();
      else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    this.#body.replaceChildren(form);
    editor.focus();
  }

  #cancel(): void {
    this.#showView();
    this.#editButton.focus();
  }


  async #save(source: FieldSource, editor: Editor, form: HTMLFormElement, error: HTMLElement): Promise<void> {
    const controls = Array.from(form.querySelectorAll<HTMLButtonElement>('button'));
    for (const c of controls) c.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await source.save(await editor.read());
      this.#showView();
      this.#editButton.focus();
    } catch (cause) {
      showError(error, cause);
    } finally {
      for (const c of controls) c.disabled = false;
      form.removeAttribute('aria-busy');
    }
  }
}
