/**
 * Errors as the user sees them: WwatpErrors carry a code (the same on the wire, in the
 * CLI and here), so the code is shown first. Read by shape, not instanceof, because an
 * error may come from a decoded wire reply or from another bundle's copy of the class.
 */
export interface ShownError {
  code: string;
  message: string;
}

export function describeError(error: unknown): ShownError {
  if (error !== null && typeof error === 'object') {
    const { code, message } = error as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : String(error);
    return { code: typeof code === 'string' ? code : 'ERROR', message: text };
  }
  return { code: 'ERROR', message: String(error) };
}

/** Shows an error (or clears the slot when `error` is undefined) as `CODE message`. */
export function showError(slot: HTMLElement, error: unknown): void {
  slot.replaceChildren();
  if (error === undefined) {
    slot.hidden = true;
    delete slot.dataset['code'];
    return;
  }
  const { code, message } = describeError(error);
  const codeEl = document.createElement('code');
  codeEl.textContent = code;
  slot.append(codeEl, ` ${message}`);
  slot.dataset['code'] = code;
  slot.hidden = false;
}

/** An empty, hidden error slot that screen readers announce when filled. */
export function errorSlot(): HTMLElement {
  const slot = document.createElement('p');
  slot.className = 'error';
  slot.setAttribute('role', 'alert');
  slot.hidden = true;
  return slot;
}
