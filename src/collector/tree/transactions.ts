import type { Transaction } from '../../backends/backend.js';
import { checkTransaction } from '../../backends/transaction-rules.js';
import { WwatpError } from '../../tree/errors.js';
import { normalizeLabel } from '../../tree/labels.js';
import { nodeFromState } from '../../tree/tree-node.js';
import type { Version } from '../../tree/versions.js';
import type { CollectionRecord } from '../types.js';
import type { CollectionStoreApi, CollectorApi } from './collector-api.js';
import { readRecordWrite, recordNode } from './nodes.js';
import { placeOf, SYSTEM, type Place } from './places.js';
import { applyWrite, collectionStore, planWrite, type Op } from './write-plan.js';

/**
 * CollectorBackend.applyTransaction, kept out of the backend class: unlike its plain
 * writes, a transaction reads every record first and undoes what it wrote when a later
 * write fails, which is a path of its own.
 */

/**
 * Records only: every prior version is checked and every node validated before the
 * first write; each write is then checked again against the record's stored version,
 * and if one fails the records already written are put back as they were.
 */
export async function applyRecordTransaction(collector: CollectorApi, tx: Transaction, maxContentBytes: number): Promise<boolean> {
  if (!Array.isArray(tx)) throw new WwatpError('INVALID_NODE', 'a transaction must be an array of { parent, children }');
  const entries = tx.flatMap((sub) => (sub && typeof sub === 'object' && Array.isArray(sub.children) ? [sub.parent, ...sub.children] : []));
  const current = new Map<string, CollectionRecord | undefined>();
  for (const entry of entries) {
    if (entry === null || typeof entry !== 'object') continue;
    const label = normalizeLabel(entry.label);
    const place = placeOf(label);
    if (place?.kind !== 'record' || place.namespace === SYSTEM) {
      throw new WwatpError('UNSUPPORTED', `CollectorBackend transactions write records only; "${label}" is not a record`);
    }
    if (!current.has(label)) {
      const store = await collectionStore(collector, place.namespace, place.name);
      if (!store) throw new WwatpError('NOT_FOUND', `no collection "${place.namespace}/${place.name}" for record "${label}"`);
      current.set(label, await store.get(place.id));
    }
  }
  const versionOf = (label: string): Version | undefined => {
    const record = current.get(label);
    return record && recordNode('x', 'x', record).version;
  };
  const check = checkTransaction(tx, versionOf, maxContentBytes);
  if (!check.ok) return false;
  const pending = new Map<string, string>();
  const ops: Array<{ label: string; op: Op | undefined }> = [];
  for (const write of check.writes) ops.push({ label: write.label, op: write.state && (await planWrite(collector, nodeFromState(write.state), pending)) });

  const undo: Array<{ label: string; before: CollectionRecord | undefined }> = [];
  const latest = new Map(current);
  try {
    for (const { label, op } of ops) {
      const place = placeOf(label) as Extract<Place, { kind: 'record' }>;
      const store = (await collectionStore(collector, place.namespace, place.name)) as CollectionStoreApi;
      const before = latest.get(label);
      undo.push({ label, before });
      if (op) {
        if (before) await applyWrite(collector, op, before.version);
        else await store.create({ ...recordInput(op), id: place.id });
      } else if (before) {
        const now = await store.get(place.id);
        if (!now || now.version !== before.version) throw new WwatpError('VERSION_CONFLICT', `record "${label}" changed during the transaction`);
        await store.delete(place.id);
      }
      latest.set(label, await store.get(place.id));
    }
  } catch (error) {
    await rollback(collector, undo, latest);
    if (WwatpError.is(error, 'VERSION_CONFLICT') || WwatpError.is(error, 'ALREADY_EXISTS')) return false;
    throw error;
  }
  return true;
}

function recordInput(op: Op): { json: CollectionRecord['json']; version: number; dataUri?: string } {
  if (op.kind !== 'record') throw new WwatpError('UNSUPPORTED', 'CollectorBackend transactions write records only');
  const write = readRecordWrite(op.node);
  return { json: write.json, version: write.version, ...(write.dataUri !== undefined ? { dataUri: write.dataUri } : {}) };
}

/** Puts back, newest first, what a failed transaction had already written. */
async function rollback(collector: CollectorApi, undo: Array<{ label: string; before: CollectionRecord | undefined }>, latest: Map<string, CollectionRecord | undefined>): Promise<void> {
  for (const { label, before } of undo.reverse()) {
    const place = placeOf(label) as Extract<Place, { kind: 'record' }>;
    const store = await collectionStore(collector, place.namespace, place.name);
    if (!store) continue;
    if (latest.get(label) === before) continue;
    try {
      if (before) await store.upsert({ id: before.id, json: before.json, dataUri: before.dataUri, version: before.version });
      else await store.delete(place.id);
    } catch (error) {
      console.error(`CollectorBackend: could not undo "${label}" after a failed transaction`, error);
    }
  }
}
