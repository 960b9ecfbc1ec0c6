import Database from 'better-sqlite3';
import { join } from 'node:path';
import t from 'tap';
import { Collector, type CollectionStore } from '../../../src/collector/index.js';
import { runSupportScript } from '../../support/sqlite-child.js';
import { tempDir } from './env.js';

const ROUNDS = 4;

t.test(`acknowledged writes survive SIGKILL (${ROUNDS} rounds)`, async (t) => {
  const dir = tempDir(t);
  const acked = new Set<string>();
  const problems: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const child = runSupportScript('../unit/collector/crash-writer.ts', [dir, `r${round}`]);
    await child.waitFor((l) => l === 'ready');
    // Let some writes land, then kill mid-stream.
    await child.waitFor((l) => l.startsWith('ack ') && child.lines.length > 50 + round * 37);
    child.process.kill('SIGKILL');
    const { signal } = await child.exited;
    if (signal !== 'SIGKILL') problems.push(`round ${round}: the writer ended by ${String(signal)}`);
    for (const line of child.lines) if (line.startsWith('ack ')) acked.add(line.slice(4));

    const raw = new Database(join(dir, 'crash', 'records.db'));
    const integrity = raw.pragma('integrity_check', { simple: true });
    const fts = raw.prepare("INSERT INTO records_fts (records_fts) VALUES ('integrity-check')");
    try {
      fts.run();
    } catch (error) {
      problems.push(`round ${round}: the full-text index is out of step: ${(error as Error).message}`);
    }
    const kept = (raw.prepare('SELECT n FROM record_count').get() as { n: number }).n;
    const rows = (raw.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;
    if (kept !== rows) problems.push(`round ${round}: the kept record count says ${kept}, the table holds ${rows}`);
    raw.close();
    if (integrity !== 'ok') problems.push(`round ${round}: integrity_check says ${String(integrity)}`);

    const collector = await Collector.open({ dir });
    const store = (await collector.repo.collection('crash', 'records')) as CollectionStore;
    for (const id of acked) {
      const record = await store.get(id);
      if (record?.json.id !== id) problems.push(`round ${round}: ${id} lost`);
    }
    const found = await store.search({ fullText: `"record ${[...acked][0] ?? ''}"` });
    if (acked.size > 0 && found.length !== 1) problems.push(`round ${round}: full text does not find an acknowledged record`);
    await collector.close();
  }
  t.same(problems, [], 'every acknowledged write was there after every kill');
  t.ok(acked.size >= 200, `${acked.size} acknowledged writes were checked`);
});
