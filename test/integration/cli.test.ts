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
  // The collector's mount point is listed too (a synthesized node: the root holds none).
  t.same((await wwatp('query', url, '*', '--hash', hash)).stdout.trim().split('\n').map((l) => l.split('\t')[0]).sort(), ['collector', 'lion', 'parrot']);
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

t.test('the collector on /collector paths: wwatp collector and plain tree commands', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wwatp-cli-collector-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const server = spawn(process.execPath, [BIN, 'serve', '--data', join(dir, 'data'), '--port', '0', '--http-port', 'off', '--grpc-port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void server.kill('SIGTERM'));
  let out = '';
  server.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const started = Date.now();
  while (!/certificate hash: [0-9a-f]{64}/.test(out)) {
    if (Date.now() - started > 20_000 || server.exitCode !== null) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  t.match(out, /collector → the Collector in /, 'serve says where the collector is mounted');
  t.match(out, /grpc:\s+127\.0\.0\.1:\d+/, '--grpc-port serves the same Collector over gRPC');
  const url = /url:\s+(\S+)/.exec(out)?.[1] as string;
  const hash = /certificate hash: ([0-9a-f]{64})/.exec(out)?.[1] as string;

  const create = await wwatp('collector', 'create', url, 'acme/books', '--index', 'year', '--label', 'team=library', '--hash', hash);
  t.equal(create.code, 0, create.stderr);
  t.equal((await wwatp('collector', 'put', url, 'acme/books', 'dune', '{"title":"Dune","year":1965}', '--hash', hash)).code, 0);
  writeFileSync(join(dir, 'fifth.json'), '{"title":"The Fifth Season","year":2015}');
  t.equal((await wwatp('collector', 'put', url, 'acme/books', 'fifth', `@${join(dir, 'fifth.json')}`, '--hash', hash)).code, 0);
  // Plain put: a JSON record property written as YAML flow text.
  const plain = await wwatp('put', url, 'collector/acme/books/plain', '--property', 'record.json={"title":"Plain text"}', '--hash', hash);
  t.equal(plain.code, 0, plain.stderr);

  t.same(JSON.parse((await wwatp('collector', 'get', url, 'acme/books', 'dune', '--hash', hash)).stdout), { title: 'Dune', year: 1965 });
  const found = (await wwatp('collector', 'search', url, 'acme/books', 'year>=2000&order=-year', '--hash', hash)).stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string });
  t.same(found.map((r) => r.id), ['fifth']);
  t.same((await wwatp('query', url, 'collector/acme/books/*?title~Dune', '--hash', hash)).stdout.trim(), 'collector/acme/books/dune', 'plain query with a search');
  const described = JSON.parse((await wwatp('collector', 'describe', url, 'acme/books', '--hash', hash)).stdout) as Record<string, unknown>;
  t.same(described, { collection: 'collector/acme/books', messageType: 'json', indexedFields: ['year'], labels: { team: 'library' }, recordCount: 3 });
  t.match((await wwatp('get', url, 'collector/acme/books/dune', '--hash', hash)).stdout, /type\.string: json[\s\S]*record\.json:/);
  // Plain put of a record with numbers: a json property is read as JSON, not as YAML with 64-bit integers.
  const numbers = await wwatp('put', url, 'collector/acme/books/x', '--property', 'record.json={"title":"Dune","year":1965}', '--hash', hash);
  t.equal(numbers.code, 0, numbers.stderr);
  const x = JSON.parse((await wwatp('get', url, 'collector/acme/books/x', '--hash', hash, '--json')).stdout) as Array<{ properties: Array<{ name: string; value: unknown }> }>;
  t.same(x[0]?.properties.find((p) => p.name === 'record')?.value, { title: 'Dune', year: 1965 }, 'get shows the record, its year a number');
  t.match((await wwatp('get', url, 'collector/acme/books/x', '--hash', hash)).stdout, /record\.json:[\s\S]*1965/);
  t.same((await wwatp('query', url, 'collector/acme/books/*?year=1965', '--hash', hash)).stdout.trim().split('\n').map((l) => l.split('\t')[0]), ['collector/acme/books/dune', 'collector/acme/books/x'], 'the year searches as a number');
  const badJson = await wwatp('put', url, 'collector/acme/books/y', '--property', 'record.json={title:Dune}', '--hash', hash);
  t.equal(badJson.code, 2, 'invalid JSON is a usage error');
  t.match(badJson.stderr, /record\.json.*not valid JSON/);
  t.equal((await wwatp('delete', url, 'collector/acme/books/x', '--hash', hash)).code, 0);
  // The explorer's top level (query *) finds the collector, and its node lists the namespaces.
  t.ok((await wwatp('query', url, '*', '--hash', hash)).stdout.split('\n').some((l) => l.startsWith('collector\t')), 'query * lists the collector');
  t.match((await wwatp('get', url, 'collector', '--hash', hash)).stdout, /mounted: CollectorBackend[\s\S]*acme/);
  t.equal((await wwatp('query', url, 'collector/acme/books/*?year>>1', '--hash', hash)).code, exitCodeFor('INVALID_FILTER'), 'a bad filter exits with its code');
  t.equal((await wwatp('collector', 'put', url, 'acme/nowhere', 'x', '{}', '--hash', hash)).code, exitCodeFor('NOT_FOUND'));

  // watch on a collection sees a record written by another command.
  const watch = spawn(process.execPath, [BIN, 'watch', url, 'collector/acme/books', '--hash', hash], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void watch.kill('SIGTERM'));
  let lines = '';
  let ready = '';
  watch.stdout.on('data', (b: Buffer) => (lines += b.toString()));
  watch.stderr.on('data', (b: Buffer) => (ready += b.toString()));
  while (!ready.includes('watching')) await new Promise((r) => setTimeout(r, 50));
  await wwatp('collector', 'put', url, 'acme/books', 'hyperion', '{"title":"Hyperion","year":1989}', '--hash', hash);
  t.equal((await wwatp('delete', url, 'collector/acme/books/plain', '--hash', hash)).code, 0);
  const deadline = Date.now() + 10_000;
  while (!(lines.includes('collector/acme/books/hyperion') && lines.includes('collector/acme/books/plain')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const events = lines.trim().split('\n').map((l) => JSON.parse(l) as { label: string; node: unknown });
  t.ok(events.some((e) => e.label === 'collector/acme/books/hyperion' && e.node !== null), 'the watcher saw the new record');
  t.ok(events.some((e) => e.label === 'collector/acme/books/plain' && e.node === null), 'and the deletion');
  watch.kill('SIGINT');
  server.kill('SIGINT');
  await new Promise((r) => server.once('exit', r));

  // --no-collector: nothing is mounted there.
  t.match((await wwatp('serve', '--help')).stdout, /--no-collector/);
  const bare = spawn(process.execPath, [BIN, 'serve', '--data', join(dir, 'bare'), '--port', '0', '--http-port', 'off', '--no-collector'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void bare.kill('SIGTERM'));
  let bareOut = '';
  bare.stdout.on('data', (b: Buffer) => (bareOut += b.toString()));
  while (!/certificate hash: [0-9a-f]{64}/.test(bareOut)) {
    if (bare.exitCode !== null) throw new Error(`server did not start: ${bareOut}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  t.notMatch(bareOut, /collector →/);
  const bareUrl = /url:\s+(\S+)/.exec(bareOut)?.[1] as string;
  const bareHash = /certificate hash: ([0-9a-f]{64})/.exec(bareOut)?.[1] as string;
  t.equal((await wwatp('collector', 'create', bareUrl, 'acme/books', '--hash', bareHash)).code, 0, 'the root store takes the node as a plain node');
  t.equal((await wwatp('collector', 'search', bareUrl, 'acme/books', 'year>1', '--hash', bareHash)).code, exitCodeFor('INVALID_RULE'), 'but cannot search');
  bare.kill('SIGINT');
  await new Promise((r) => bare.once('exit', r));
});

t.test("the README's command runs the built CLI: npx wwatp in the clone", async (t) => {
  // npx runs package.json's bin file itself, so it must be executable after `npm run build`.
  const { stdout } = await run('npx', ['--no-install', 'wwatp', '--help'], { cwd: process.cwd(), timeout: 60_000 });
  t.match(stdout, /usage: wwatp <command>/);
  t.match(stdout, /serve +serve a tree/);
});
