/**
 * The forms that change a tree's shape: a new child, a new property, and deleting a
 * node behind a confirmation dialog. Errors land inline, with their codes.
 */
import type { Backend } from '../../src/backends/backend.js';
import { PROPERTY_TYPE_NAMES } from '../../src/tree/property-types.js';
import { h } from './dom.js';
import { errorSlot, showError } from './errors.js';
import { addProperty, createChild, deleteNodeAndName } from './node-edits.js';
import { makeEditor, type Editor } from './property-editor.js';

async function run(form: HTMLFormElement, error: HTMLElement, action: () => Promise<void>): Promise<void> {
  const controls = Array.from(form.querySelectorAll<HTMLButtonElement | HTMLInputElement>('button, input, select, textarea'));
  for (const c of controls) c.disabled = true;
  try {
    await action();
    showError(error, undefined);
  } catch (cause) {
    showError(error, cause);
  } finally {
    for (const c of controls) c.disabled = false;
  }
}

/** "New child" (or "New top-level node" under ''): creates it, then goes there. */
export function newChildForm(backend: Backend, parent: string, navigate: (label: string) => void): HTMLElement {
  const name = h('input', { id: 'new-child-name', name: 'name', required: true, autocomplete: 'off', placeholder: 'name' });
  const description = h('input', { id: 'new-child-description', name: 'description', autocomplete: 'off', placeholder: 'description' });
  const error = errorSlot();
  const form = h(
    'form',
    { className: 'new-child' },
    h('label', { for: 'new-child-name' }, 'Name'),
    name,
    h('label', { for: 'new-child-description' }, 'Description'),
    description,
    h('button', { type: 'submit', className: 'primary' }, 'Create'),
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run(form, error, async () => navigate(await createChild(backend, parent, name.value, description.value)));
  });
  return h('details', { className: 'form new-child-box' }, h('summary', {}, parent === '' ? 'New top-level node' : 'New child'), form);
}

/** "Add property": name, type, and a value input that follows the chosen type. */
export function addPropertyForm(backend: Backend, label: string): HTMLElement {
  const name = h('input', { id: 'new-prop-name', required: true, autocomplete: 'off', placeholder: 'name' });
  const type = h('select', { id: 'new-prop-type' }, ...PROPERTY_TYPE_NAMES.map((t) => h('option', { value: t, selected: t === 'string' }, t)));
  const slot = h('div', { className: 'value-slot' });
  let editor: Editor = makeEditor('new-prop-value', 'value', type.value, undefined);
  const swap = (): void => {
    editor = makeEditor('new-prop-value', 'value', type.value, undefined);
    slot.replaceChildren(h('label', { for: 'new-prop-value' }, 'Value'), editor.element);
  };
  type.addEventListener('change', swap);
  swap();
  const error = errorSlot();
  const form = h('form', { className: 'add-property' }, h('label', { for: 'new-prop-name' }, 'Name'), name, h('label', { for: 'new-prop-type' }, 'Type'), type, slot, h('button', { type: 'submit', className: 'primary' }, 'Add'), error);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run(form, error, async () => {
      await addProperty(backend, label, name.value, type.value, await editor.read());
      name.value = '';
      swap();
    });
  });
  return h('details', { className: 'form add-property-box' }, h('summary', {}, 'Add property'), form);
}

/** Asks before deleting; resolves true when the user confirmed. */
export function confirmDelete(label: string): Promise<boolean> {
  const dialog = document.querySelector<HTMLDialogElement>('#confirm-delete');
  if (!dialog) return Promise.resolve(window.confirm(`Delete ${label} and everything below it?`));
  const target = dialog.querySelector('.target');
  if (target) target.textContent = label;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'delete'), { once: true }));
}

export function deleteButton(backend: Backend, label: string, error: HTMLElement, afterDelete: () => void): HTMLButtonElement {
  const button = h('button', { type: 'button', className: 'danger', 'aria-label': `Delete ${label}` }, 'Delete…');
  button.addEventListener('click', () => {
    void (async () => {
      if (!(await confirmDelete(label))) return;
      button.disabled = true;
      try {
        await deleteNodeAndName(backend, label);
        showError(error, undefined);
        afterDelete();
      } catch (cause) {
        showError(error, cause);
      } finally {
        button.disabled = false;
      }
    })();
  });
  return button;
}
