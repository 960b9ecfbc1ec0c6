/**
 * The label-rule search box: `*` matches one segment, `**` any depth (docs/TREE.md).
 * Runs on Enter and shortly after typing stops; a rule the backend refuses shows its
 * error inline (INVALID_RULE) instead of results.
 */
import type { Backend } from '../../src/backends/backend.js';
import { h, required } from './dom.js';
import { showError } from './errors.js';
import { labelLink } from './inspector-parts.js';

const SHOWN = 200;
const TYPING_PAUSE_MS = 400;

export function attachSearch(form: HTMLFormElement, backend: Backend): void {
  const input = required<HTMLInputElement>('input[type="search"]', form);
  const results = required<HTMLElement>('#search-results');
  const list = required<HTMLOListElement>('ol', results);
  const summary = required<HTMLElement>('.summary', results);
  const error = required<HTMLElement>('.error', results);
  let generation = 0;
  let timer: number | undefined;

  const run = async (): Promise<void> => {
    window.clearTimeout(timer);
    const rule = input.value.trim();
    const mine = ++generation;
    if (rule === '') {
      results.hidden = true;
      return;
    }
    results.hidden = false;
    results.setAttribute('aria-busy', 'true');
    try {
      const nodes = await backend.queryNodes(rule);
      if (mine !== generation) return;
      showError(error, undefined);
      nodes.sort((a, b) => (a.labelRule < b.labelRule ? -1 : a.labelRule > b.labelRule ? 1 : 0));
      list.replaceChildren(...nodes.slice(0, SHOWN).map((n) => h('li', {}, labelLink(n.labelRule), n.description === '' ? '' : h('span', { className: 'desc' }, n.description.split('\n', 1)[0] ?? ''))));
      summary.textContent = nodes.length === 0 ? `No node matches ${rule}.` : `${nodes.length} ${nodes.length === 1 ? 'node matches' : 'nodes match'} ${rule}${nodes.length > SHOWN ? ` (first ${SHOWN} shown)` : ''}.`;
    } catch (cause) {
      if (mine !== generation) return;
      list.replaceChildren();
      summary.textContent = '';
      showError(error, cause);
    } finally {
      if (mine === generation) results.removeAttribute('aria-busy');
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });
  input.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void run(), TYPING_PAUSE_MS);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      input.value = '';
      void run();
    }
  });
  required<HTMLButtonElement>('.close', results).addEventListener('click', () => {
    input.value = '';
    void run();
    input.focus();
  });
}
