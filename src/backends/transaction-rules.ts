import { WwatpError } from '../tree/errors.js';
import { normalizeLabel } from '../tree/labels.js';
import { stateOf, TreeNode, type NodeState } from '../tree/tree-node.js';
import type { Version } from '../tree/versions.js';
import type { NewNodeVersion, Transaction } from './backend.js';

/** One write a validated transaction performs: a state to store, or undefined to delete. */
export interface TransactionWrite {
  readonly label: string;
  readonly state: NodeState | undefined;
}

export type TransactionCheck = { ok: true; writes: TransactionWrite[] } | { ok: false; reason: string };

function checkEntry(entry: unknown, where: string): { label: string; prior: number | undefined; state: NodeState | undefined } {
  if (entry === null || typeof entry !== 'object') throw new WwatpError('INVALID_NODE', `${where} must be a NewNodeVersion object`);
  const { priorVersion, label, node } = entry as NewNodeVersion;
  if (priorVersion !== undefined && priorVersion !== null && !(Number.isInteger(priorVersion) && priorVersion >= 0)) {
    throw new WwatpError('INVALID_NODE', `${where}.priorVersion must be a non-negative integer or undefined`);
  }
  const canonical = normalizeLabel(label);
  if (node !== undefined && node !== null && !(node instanceof TreeNode)) throw new WwatpError('INVALID_NODE', `${where}.node must be a TreeNode or undefined`);
  const state = node ? stateOf(node) : undefined;
  if (state && state.labelRule !== canonical) {
    throw new WwatpError('INVALID_NODE', `${where}: label "${canonical}" does not match its node's label "${state.labelRule}"`);
  }
  return { label: canonical, prior: priorVersion ?? undefined, state };
}

/**
 * Validates a whole transaction before anything is written (REFERENCE.md semantics):
 * a missing parent needs prior undefined; an existing parent needs prior equal to its
 * version and a new version one step on (wrapping at max); an existing child needs
 * prior equal to its version (or undefined when deleting); a missing child needs prior
 * undefined. Entries are checked in order against the versions earlier entries leave,
 * so a layer may touch what an earlier layer wrote.
 */
export function checkTransaction(
  tx: Transaction,
  currentVersion: (label: string) => Version | undefined,
  maxContentBytes: number,
): TransactionCheck {
  if (!Array.isArray(tx)) throw new WwatpError('INVALID_NODE', 'a transaction must be an array of { parent, children }');
  const staged = new Map<string, Version | null>();
  const versionOf = (label: string): Version | undefined => {
    const s = staged.get(label);
    return s === undefined ? currentVersion(label) : (s ?? undefined);
  };
  const writes: TransactionWrite[] = [];
  const stage = (label: string, state: NodeState | undefined): void => {
    if (state && state.propertyData.length > maxContentBytes) {
      throw new WwatpError('TOO_LARGE', `node "${label}" has ${state.propertyData.length} bytes of contents, over the limit of ${maxContentBytes}`);
    }
    staged.set(label, state ? state.version : null);
    writes.push({ label, state });
  };

  for (const [i, sub] of tx.entries()) {
    if (sub === null || typeof sub !== 'object' || !Array.isArray(sub.children)) {
      throw new WwatpError('INVALID_NODE', `transaction[${i}] must be { parent, children: [] }`);
    }
    const parent = checkEntry(sub.parent, `transaction[${i}].parent`);
    const current = versionOf(parent.label);
    if (current === undefined) {
      if (parent.prior !== undefined) return { ok: false, reason: `parent "${parent.label}" does not exist but prior version ${parent.prior} was given` };
    } else {
      if (parent.prior !== current.versionNumber) {
        return { ok: false, reason: `parent "${parent.label}" is at version ${current.versionNumber}, not ${String(parent.prior)}` };
      }
      const expected = (current.versionNumber + 1) % current.maxVersionSequence;
      if (parent.state && parent.state.version.versionNumber !== expected) {
        return { ok: false, reason: `parent "${parent.label}" must move to version ${expected}, not ${parent.state.version.versionNumber}` };
      }
    }
    stage(parent.label, parent.state);
    for (const [j, raw] of sub.children.entries()) {
      const child = checkEntry(raw, `transaction[${i}].children[${j}]`);
      const cur = versionOf(child.label);
      if (cur === undefined) {
        if (child.prior !== undefined) return { ok: false, reason: `child "${child.label}" does not exist but prior version ${child.prior} was given` };
      } else if (child.prior !== cur.versionNumber && !(child.prior === undefined && child.state === undefined)) {
        return { ok: false, reason: `child "${child.label}" is at version ${cur.versionNumber}, not ${String(child.prior)}` };
      }
      stage(child.label, child.state);
    }
  }
  return { ok: true, writes };
}
