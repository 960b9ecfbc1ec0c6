/** Shared pieces for the collector tree tests: a real Collector in a temp dir, book records. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { Collector } from '../../../src/collector/collector.js';
import { CollectorBackend } from '../../../src/collector/tree/collector-backend.js';
import { TreeNode } from '../../../src/tree/tree-node.js';
import type { JsonObject } from '../../../src/collector/types.js';

export function tempDir(t: Test, prefix = 'wwatp-collector-tree-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Opened {
  collector: Collector;
  backend: CollectorBackend;
  close(): Promise<void>;
}

/** Opens a Collector in `dir` with a CollectorBackend over it; closed when `t` ends unless closed first. */
export async function openIn(t: Test, dir: string): Promise<Opened> {
  const collector = await Collector.open({ dir });
  const backend = new CollectorBackend(collector);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await backend.close();
    await collector.close();
  };
  t.teardown(close);
  return { collector, backend, close };
}

export async function fresh(t: Test): Promise<Opened> {
  return openIn(t, tempDir(t));
}

export function collectionNodeFor(label: string, messageType: string, extra: { indexedFields?: string[]; labels?: Record<string, string> } = {}): TreeNode {
  const node = new TreeNode({ labelRule: label });
  node.insertProperty('messageType', 'string', messageType);
  if (extra.indexedFields) node.insertProperty('indexedFields', 'json', extra.indexedFields);
  if (extra.labels) node.insertProperty('labels', 'json', extra.labels);
  return node;
}

export function recordNodeFor(label: string, record: JsonObject, version = 0, type?: string): TreeNode {
  const node = new TreeNode({ labelRule: label, version: { versionNumber: version } });
  if (type !== undefined) node.insertProperty('type', 'string', type);
  node.insertProperty('record', 'json', record);
  return node;
}

export const BOOKS: Array<[string, JsonObject]> = [
  ['dune', { title: 'Dune', year: 1965, genre: 'sf', pages: 412, isbn: '0441013597', author: { name: 'Frank Herbert', born: 1920 }, tags: ['desert', 'spice'], blurb: 'spice melange on the desert planet Arrakis' }],
  ['neuromancer', { title: 'Neuromancer', year: 1984, genre: 'cyberpunk', pages: 271, isbn: '0441569595', author: { name: 'William Gibson', born: 1948 }, tags: ['matrix'], blurb: 'the sky above the port was the color of television' }],
  ['foundation', { title: 'Foundation', year: 1951, genre: 'sf', pages: 255, isbn: '0553293354', author: { name: 'Isaac Asimov', born: 1920 }, tags: ['empire'], blurb: 'psychohistory predicts the fall of the galactic empire' }],
  ['snowcrash', { title: 'Snow Crash', year: 1992, genre: 'cyberpunk', pages: 480, author: { name: 'Neal Stephenson', born: 1959 }, tags: ['metaverse'], blurb: 'a pizza deliverator in the metaverse' }],
  ['fifthseason', { title: 'The Fifth Season', year: 2015, genre: 'fantasy', pages: 468, isbn: '0316229296', author: { name: 'N. K. Jemisin', born: 1972 }, tags: ['orogeny'], blurb: 'the world ends with a season' }],
  ['dunemessiah', { title: 'Dune Messiah', year: 1969, genre: 'sf', pages: 256, isbn: '0593098234', author: { name: 'Frank Herbert', born: 1920 }, tags: ['spice'], blurb: 'twelve years after the desert war' }],
  ['annihilation', { title: 'Annihilation', year: 2014, genre: 'weird', pages: 195, author: { name: 'Jeff VanderMeer', born: 1968 }, tags: [], blurb: 'area x and the shimmer' }],
];

/** A json collection acme/books loaded with BOOKS through the tree. */
export async function loadBooks(backend: CollectorBackend): Promise<void> {
  await backend.upsertNode([collectionNodeFor('acme/books', 'json', { indexedFields: ['year'], labels: { team: 'library' } })]);
  await backend.upsertNode(BOOKS.map(([id, json]) => recordNodeFor(`acme/books/${id}`, json, 1)));
}

export function ids(nodes: readonly TreeNode[]): string[] {
  return nodes.map((n) => n.labelRule.split('/').pop() as string);
}
