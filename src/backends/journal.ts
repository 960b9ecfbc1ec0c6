import type { TreeNode } from '../tree/tree-node.js';
import type { Backend } from './backend.js';

/**
 * Every change a durable backend makes gets a monotonic journal sequence number, so a
 * client (or a restarted server) can ask for "changes since N" and resume. When the
 * journal no longer reaches back to N the answer says so plainly and the caller resyncs.
 */
export interface JournalEntry {
  readonly sequence: number;
  readonly label: string;
  /** The node as it is now (undefined: deleted, or withheld). */
  readonly node: TreeNode | undefined;
  /**
   * The label changed but a push left the node out (it was larger than the subscriber
   * asked to be sent): fetch it when needed.
   */
  readonly withheld?: true;
}

export type JournalAnswer =
  | { readonly kind: 'entries'; readonly entries: JournalEntry[]; readonly latest: number }
  /** History before `oldest` is gone: fetch the full tree and continue from `latest`. */
  | { readonly kind: 'resync'; readonly oldest: number; readonly latest: number };

export interface JournaledBackend extends Backend {
  /** The sequence number of the newest change (0 before any). */
  latestSequence(): Promise<number>;
  /** Changes with sequence greater than `since`, oldest first, at most `limit`. */
  getJournal(since: number, limit?: number): Promise<JournalAnswer>;
  /** Releases files and connections; further calls reject with CLOSED. */
  close(): Promise<void>;
  /**
   * Optional: hands over the entries of each write made through this object right after
   * its COMMIT, in sequence order, so a server need not read back what it just wrote.
   * Changes made elsewhere (another process on the same file) are not included: a gap in
   * the sequence says to read them with getJournal. Returns a function that stops it.
   */
  onJournal?(listener: (entries: readonly JournalEntry[]) => void): () => void;
}

export function isJournaled(backend: Backend): backend is JournaledBackend {
  const b = backend as Partial<JournaledBackend>;
  return typeof b.getJournal === 'function' && typeof b.latestSequence === 'function';
}
