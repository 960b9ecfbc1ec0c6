import t from 'tap';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exitCodeFor } from '../../src/frontends/cli/exit-codes.js';

// The real `wwatp` binary (built JavaScript) against a real server process.
const BIN = join(process.cwd(), 'dist/src/frontends/cli/main.js');
const run = promisify(execFile);

async function wwatp(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

t.test('serve, then every client command against it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wwatp-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const server = spawn(process.execPath, [BIN, 'serve', '--data', join(dir, 'data'), '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void server.kill('SIGTERM'));
  let out = '';
  server.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const started = Date.now();
  while (!/certificate hash: [0-9a-f]{64}/.test(out)) {
    if (Date.now() - started > 20_000 || server.exitCode !== null) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /url:\s+(\S+)/.exec(out)?.[1] as string;
  const hash = /certificate hash: ([0-9a-f]{64})/.exec(out)?.[1] as string;
  t.match(url, /^wwatp:\/\/127\.0\.0\.1:\d+\/$/);

  const put = await wwatp('put', url, 'lion', '--description', 'King of the jungle', '--child', 'Simba', '--property', 'popularity.int64=10', '--hash', hash);
  t.equal(put.code, 0, put.stderr);
  const file = join(dir, 'cubs.yaml');
  writeFileSync(file, 'lion:\n  children:\n    Simba:\n      description: cub\n      age.int64: 2\n');
  t.equal((await wwatp('put', url, file, '--hash', hash)).code, 0);
  const json = JSON.stringify({ label: 'parrot', description: 'Colorful bird', properties: [{ name: 'diet', type: 'string', value: 'omnivore' }] });
  writeFileSync(join(dir, 'parrot.json'), json);
  t.equal((await wwatp('put', url, join(dir, 'parrot.json'), '--hash', hash)).code, 0);

  const get = await wwatp('get', url, 'lion', '--hash', hash);
  t.match(get.stdout, /description: King of the jungle/);
  t.match(get.stdout, /popularity\.int64: 10/);
  const asJson = JSON.parse((await wwatp('get', url, 'lion/Simba', '--hash', hash, '--json')).stdout) as Array<{ properties: Array<{ value: string }> }>;
  t.equal(asJson[0]?.properties[0]?.value, '2');
  t.match((await wwatp('tree', url, '--hash', hash)).stdout, /lion\s+— King of the jungle[\s\S]*\n {2}Simba\s+— cub/);
  t.same((await wwatp('query', url, '*', '--hash', hash)).stdout.trim().split('\n').map((l) => l.split('\t')[0]).sort(), ['lion', 'parrot']);
  t.match((await wwatp('page', url, 'lion', '--hash', hash)).stdout, /lion\/Simba\tcub/);
  t.match((await wwatp('journal', url, '--hash', hash)).stdout, /1\tput\tlion/);

  const missing = await wwatp('get', url, 'tiger', '--hash', hash);
  t.equal(missing.code, exitCodeFor('NOT_FOUND'), 'exit status reflects the error code');
  t.equal((await wwatp('get', url, 'a b', '--hash', hash)).code, exitCodeFor('INVALID_LABEL'));
  t.equal((await wwatp('get', url, 'lion')).code, 2, 'no way to verify the server is a usage error');
  t.not((await wwatp('get', url, 'lion', '--hash', '0'.repeat(64))).code, 0, 'a wrong pin is refused');
  t.equal((await wwatp('nonsense')).code, 2);
  t.match((await wwatp('serve', '--help')).stdout, /--backend SPEC/);

  // watch prints one JSON line per change.
  const watch = spawn(process.execPath, [BIN, 'watch', url, 'lion', '--hash', hash], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void watch.kill('SIGTERM'));
  let lines = '';
  let ready = '';
  watch.stdout.on('data', (b: Buffer) => (lines += b.toString()));
  watch.stderr.on('data', (b: Buffer) => (ready += b.toString()));
  while (!ready.includes('watching')) await new Promise((r) => setTimeout(r, 50));
  await wwatp('put', url, 'lion/Nala', '--description', 'sister', '--hash', hash);
  await wwatp('delete', url, 'lion/Nala', '--hash', hash);
  const deadline = Date.now() + 10_000;
  while (lines.trim().split('\n').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const events = lines.trim().split('\n').map((l) => JSON.parse(l) as { label: string; node: { description: string } | null });
  t.same(events.map((e) => [e.label, e.node?.description ?? null]), [['lion/Nala', 'sister'], ['lion/Nala', null]]);
  watch.kill('SIGINT');
  server.kill('SIGINT');
  await new Promise((r) => server.once('exit', r));
  t.match(out, /stopping/);
});
