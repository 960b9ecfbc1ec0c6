import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collector } from '../../../src/collector/index.js';
import type { CollectorChange } from '../../../src/collector/index.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A fresh data directory, removed when the test ends. */
export function tempDir(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'wwatp-collector-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A Collector in a fresh directory, closed when the test ends, recording its changes. */
export async function openCollector(t: Teardown, dir = tempDir(t)): Promise<{ collector: Collector; dir: string; changes: CollectorChange[] }> {
  const collector = await Collector.open({ dir });
  const changes: CollectorChange[] = [];
  collector.onChange((c) => changes.push(c));
  t.teardown(() => collector.close());
  return { collector, dir, changes };
}

export const BOOK_PROTO = `
syntax = "proto3";
package acme;

message Author {
  string name = 1;
  int32 born = 2;
}

message Book {
  string title = 1;
  int32 year = 2;
  repeated string tags = 3;
  Author author = 4;
  int64 copies = 5;
  Genre genre = 6;
  double rating = 7;
  map<string, int32> stock = 8;
  bool in_print = 9;
}

enum Genre {
  GENRE_UNKNOWN = 0;
  SCIFI = 1;
  FANTASY = 2;
}
`;
