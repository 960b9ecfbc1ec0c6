/**
 * `wwatp serve` (the real binary, built JavaScript) keeps the default composite's journal
 * in DATA/journal.db: after a clean stop (SIGTERM) and a new start on the same data
 * directory the journal answers from where it was; after SIGKILL it starts a new history
 * and a client behind it is told to resync.
 */
import t from 'tap';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exitCodeFor } from '../../src/frontends/cli/exit-codes.js';

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

interface Served {
  readonly process: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly hash: string;
  readonly out: () => string;
}

async function serve(dir: string, ...extra: string[]): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data', join(dir, 'data'), '--port', '0', '--http-port', 'off', ...extra], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const started = Date.now();
  while (!/try:/.test(out)) {
    if (Date.now() - started > 20_000 || child.exitCode !== null) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { process: child, url: /url:\s+(\S+)/.exec(out)?.[1] as string, hash: /certificate hash: ([0-9a-f]{64})/.exec(out)?.[1] as string, out: () => out };
}

async function stop(served: Served, signal: NodeJS.Signals): Promise<number | null> {
  if (served.process.exitCode !== null) return served.process.exitCode;
  const exited = new Promise<number | null>((resolve) => served.process.on('exit', (code) => resolve(code)));
  served.process.kill(signal);
  return exited;
}

t.test('wwatp serve keeps its journal in the data directory across restarts', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wwatp-journal-cli-'));
  const running = new Set<Served>();
  t.teardown(async () => {
    for (const s of running) await stop(s, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (): Promise<Served> => {
    const s = await serve(dir);
    running.add(s);
    return s;
  };

  let server = await start();
  t.match(server.out(), new RegExp(`journal:\\s+${join(dir, 'data', 'journal.db').replace(/[.]/g, '\\.')}`), 'serve names its journal file');
  for (const label of ['lion', 'parrot']) t.equal((await wwatp('put', server.url, label, '--description', label, '--hash', server.hash)).code, 0);
  t.match((await wwatp('journal', server.url, '--hash', server.hash)).stdout, /^1\tput\tlion\n2\tput\tparrot\n$/);
  t.equal(await stop(server, 'SIGTERM'), 0, 'a clean stop');
  running.delete(server);
  t.ok(existsSync(join(dir, 'data', 'journal.db')), 'the journal file is in the data directory');

  // A clean restart: the same history, numbering carries on.
  server = await start();
  t.match((await wwatp('journal', server.url, '--hash', server.hash)).stdout, /^1\tput\tlion\n2\tput\tparrot\n$/, 'the journal answers from before the restart');
  t.equal((await wwatp('put', server.url, 'zebra', '--description', 'z', '--hash', server.hash)).code, 0);
  t.match((await wwatp('journal', server.url, '--since', '2', '--hash', server.hash)).stdout, /^3\tput\tzebra\n$/, 'the next change is 3');

  // Killed: the journal cannot vouch for what it pushed, so a client behind it resyncs.
  await stop(server, 'SIGKILL');
  running.delete(server);
  server = await start();
  t.match((await wwatp('journal', server.url, '--since', '1', '--hash', server.hash)).stdout, /^resync: /, 'after SIGKILL a client behind is told to resync');
  const latest = /latest is (\d+)/.exec((await wwatp('journal', server.url, '--since', '0', '--hash', server.hash)).stdout)?.[1];
  t.equal(latest, '3', 'sequence numbers are not reused');
  t.equal(await stop(server, 'SIGTERM'), 0);
  running.delete(server);

  // An in-memory root forgets its tree when it stops: its journal must not outlive it.
  const memory = await serve(dir, '--backend', 'memory');
  running.add(memory);
  t.notMatch(memory.out(), /journal:/, '--backend memory keeps a memory journal');
  t.match((await wwatp('journal', memory.url, '--hash', memory.hash)).stdout, /^$/, 'whose history starts empty');
  t.equal(await stop(memory, 'SIGTERM'), 0);
  running.delete(memory);
});

t.test('wwatp serve with a damaged journal file stops at start with a STORAGE error naming it', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wwatp-journal-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'journal.db'), 'not a database '.repeat(500));
  const result = await run(process.execPath, [BIN, 'serve', '--data', join(dir, 'data'), '--port', '0', '--http-port', 'off'], { cwd: dir, timeout: 30_000 }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code?: number; stderr?: string }) => ({ code: e.code, stderr: e.stderr ?? '' }),
  );
  t.equal(result.code, exitCodeFor('STORAGE'), 'the STORAGE exit status');
  t.match(result.stderr, /journal\.db/, 'the message names the journal file');
});
