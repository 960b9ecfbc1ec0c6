import type { JournalEntry } from '../../backends/journal.js';

/**
 * A journal source's subscribers (onEntry) and its notifyOnly guard, in one place so
 * the memory, backend and durable journals share them rather than each keeping a copy.
 */
export class JournalListeners {
  readonly #listeners = new Set<(entry: JournalEntry) => void>();
  #notifying = false;

  /** True while a notifyOnly call runs: the changes it fires are not to be journaled. */
  get notifying(): boolean {
    return this.#notifying;
  }

  /** Adds a subscriber; returns a function that removes it. */
  add(listener: (entry: JournalEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(entry: JournalEntry): void {
    for (const listener of this.#listeners) listener(entry);
  }

  notifyOnly(fire: () => void): void {
    this.#notifying = true;
    try {
      fire();
    } finally {
      this.#notifying = false;
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
