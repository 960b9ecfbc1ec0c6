/**
 * Typed inputs for property values: the input matches the type (checkbox for bool,
 * datetime-local for datetimes, a file picker for bytes and images, a choice for
 * Callback, monospace text for JSON/YAML), and `read` turns it back into a value.
 */
import type { PropertyValue } from '../../src/tree/property-types.js';
import { h } from './dom.js';
import { CALLBACK_CHOICES, editorKind, inputText, parseInput } from './values.js';

export interface Editor {
  readonly element: HTMLElement;
  /** The value to store; rejects with TYPE_MISMATCH when the input cannot be one. */
  read(): Promise<unknown>;
  focus(): void;
}

function rowsFor(text: string): number {
  return Math.min(16, Math.max(2, text.split('\n').length + 1));
}

function textEditor(id: string, label: string, text: string, code: boolean): Editor {
  const area = h('textarea', { id, 'aria-label': label, rows: rowsFor(text), spellcheck: code ? 'false' : undefined, className: code ? 'code' : undefined });
  area.value = text;
  return { element: area, read: async () => area.value, focus: () => area.focus() };
}

/** An editor for a value of `type` (the current value, or undefined for a new property). */
export function makeEditor(id: string, label: string, type: string, value: PropertyValue | undefined): Editor {
  const kind = editorKind(type);
  const text = value === undefined ? '' : inputText(type, value);
  const parsed = (editor: Editor): Editor => ({ ...editor, read: async () => parseInput(type, (await editor.read()) as string | boolean | Uint8Array) });
  switch (kind) {
    case 'bool': {
      const box = h('input', { id, type: 'checkbox', 'aria-label': label });
      box.checked = value === true;
      return { element: h('label', { className: 'check' }, box, ' true'), read: async () => box.checked, focus: () => box.focus() };
    }
    case 'choice': {
      const select = h('select', { id, 'aria-label': label }, ...CALLBACK_CHOICES.map((c) => h('option', { value: c, selected: c === value }, c)));
      return { element: select, read: async () => select.value, focus: () => select.focus() };
    }
    case 'integer':
    case 'number':
    case 'datetime': {
      const input = h('input', {
        id,
        'aria-label': label,
        type: kind === 'datetime' ? 'datetime-local' : 'text',
        inputmode: kind === 'integer' ? 'numeric' : kind === 'number' ? 'decimal' : undefined,
        step: kind === 'datetime' ? '0.001' : undefined,
        autocomplete: 'off',
      });
      input.value = text;
      return parsed({ element: input, read: async () => input.value, focus: () => input.focus() });
    }
    case 'file': {
      // No file chosen keeps the bytes there are; choosing one replaces them.
      const input = h('input', { id, type: 'file', 'aria-label': label, accept: type === 'Image' ? 'image/png,image/jpeg,image/gif,image/webp' : undefined });
      const current = value instanceof Uint8Array ? value : new Uint8Array(0);
      return {
        element: input,
        read: async () => {
          const file = input.files?.[0];
          return file ? new Uint8Array(await file.arrayBuffer()) : current;
        },
        focus: () => input.focus(),
      };
    }
    case 'none':
      return { element: h('span', { className: 'none' }, 'no value to edit'), read: async () => null, focus: () => undefined };
    default:
      return parsed(textEditor(id, label, text, kind === 'json' || kind === 'yaml'));
  }
}
