/**
 * The writes the explorer makes, as plain functions over a Backend (unit-tested against
 * SimpleBackend). Each edit re-reads the node, changes only what the user edited (so
 * other writers' changes to the rest of the node are kept), refuses with
 * VERSION_CONFLICT when the edited value itself changed since the user saw it, and
 * moves the version one step on so every watcher can tell the node changed.
 */
import type { Backend } from '../../src/backends/backend.js';
import { WwatpError } from '../../src/tree/errors.js';
import { joinLabel, labelName, normalizeLabel, parentLabel } from '../../src/tree/labels.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { incrementVersion } from '../../src/tree/versions.js';
import { readNode } from './tree-model.js';
import { valueKey } from './values.js';

/**
 * Applies `change` to the node at `label` and stores it. `stillAsSeen` says whether the
 * part being edited is as the user saw it; when it is not, someone else wrote meanwhile.
 */
export async function editNode(backend: Backend, label: string, stillAsSeen: (node: TreeNode) => boolean, change: (node: TreeNode) => void): Promise<TreeNode> {
  const node = await readNode(backend, label);
  if (!node) throw new WwatpError('NOT_FOUND', `there is no node at "${label}" any more`);
  if (!stillAsSeen(node)) throw new WwatpError('VERSION_CONFLICT', `"${label}" was changed by someone else while you edited it (now version ${node.version.versionNumber}); look at the new value and try again`);
  change(node);
  node.version = incrementVersion(node.version);
  await backend.upsertNode([node]);
  return node;
}

/** Sets the description; `seen` is the description the user started from. */
export function setDescription(backend: Backend, label: string, seen: string, description: string): Promise<TreeNode> {
  return editNode(backend, label, (node) => node.description === seen, (node) => {
    node.description = description;
  });
}

/** Sets a property's value; `seenKey` is valueKey() of the value the user started from. */
export function setPropertyValue(backend: Backend, label: string, name: string, seenKey: string, value: unknown): Promise<TreeNode> {
  const asSeen = (node: TreeNode): boolean => {
    const type = node.getPropertyType(name);
    return type !== undefined && valueKey(type, node.getProperty(name) ?? null) === seenKey;
  };
  return editNode(backend, label, asSeen, (node) => node.setProperty(name, value));
}

/** Adds a property (ALREADY_EXISTS when the node has one by that name by now). */
export function addProperty(backend: Backend, label: string, name: string, type: string, value: unknown): Promise<TreeNode> {
  return editNode(backend, label, () => true, (node) => node.insertProperty(name.trim(), type, value));
}

/**
 * Creates `parent/name` and lists it in the parent's child names (when there is a
 * parent node), both in one upsert. `parent` '' makes a top-level node.
 */
export async function createChild(backend: Backend, parent: string, name: string, description: string): Promise<string> {
  const segment = name.trim();
  if (segment.includes('/')) throw new WwatpError('INVALID_LABEL', `a child name is one label segment; "${segment}" holds a "/"`);
  const label = normalizeLabel(joinLabel(parent, segment));
  if (await readNode(backend, label)) throw new WwatpError('ALREADY_EXISTS', `"${label}" already exists`);
  const nodes = [new TreeNode({ labelRule: label, description })];
  const parentNode = parent === '' ? undefined : await readNode(backend, parent);
  if (parentNode && !parentNode.childNames.includes(segment)) {
    parentNode.childNames = [...parentNode.childNames, segment];
    parentNode.version = incrementVersion(parentNode.version);
    nodes.unshift(parentNode);
  }
  await backend.upsertNode(nodes);
  return label;
}

/** Deletes a node and its descendants, and drops it from its parent's child names. */
export async function deleteNodeAndName(backend: Backend, label: string): Promise<void> {
  if (!(await backend.deleteNode(label))) throw new WwatpError('NOT_FOUND', `there is no node at "${label}"`);
  const parent = parentLabel(label);
  const parentNode = parent === '' ? undefined : await readNode(backend, parent);
  const name = labelName(label);
  if (parentNode?.childNames.includes(name)) {
    parentNode.childNames = parentNode.childNames.filter((n) => n !== name);
    parentNode.version = incrementVersion(parentNode.version);
    await backend.upsertNode([parentNode]);
  }
}
