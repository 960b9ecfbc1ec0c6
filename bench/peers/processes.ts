/**
 * The servers bench:peers starts and the temporary directories they use, tracked so that
 * every way out — the end of the run, an error, Ctrl-C, a kill — stops every process it
 * started (by its own pid, nothing else) and removes every directory it made.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

/** A fresh temporary directory, removed at exit. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `wwatp-peers-${prefix}-`));
  dirs.add(dir);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/**
 * How to run a sibling script of bench/peers (`name` without extension) in a Node process
 * of its own. Built (npm run bench:peers), it runs the compiled JavaScript a user runs;
 * from the sources (tsx, tap) it runs TypeScript and needs tsx's loader. A `--cpu-prof`
 * of this process is not passed on.
 */
export function siblingScript(name: string): { script: string; execArgv: string[] } {
  const source = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(`./${name}${source ? '.ts' : '.js'}`, import.meta.url));
  const inherited: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i] as string;
    if (!arg.startsWith('--cpu-prof')) inherited.push(arg);
    else if (arg !== '--cpu-prof' && !arg.includes('=')) i++; // --cpu-prof-dir DIR and the like: skip the value too
  }
  const execArgv = !source || inherited.some((a) => a.includes('tsx')) ? inherited : [...inherited, '--import', 'tsx'];
  return { script, execArgv };
}

/** Starts a process we own; it is killed at exit if still running. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, options);
  track(child);
  return child;
}

/** Processes started here and still running (what the exit handlers would have to kill). */
export function runningChildren(): number {
  return children.size;
}

export function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Stops one child: SIGTERM, then SIGKILL after a grace period. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Stops a Node child that takes orders over IPC: sends it `message` (it closes what it
 * holds and exits), waits up to `graceMs`, then stops it by signal if it is still there.
 */
export async function askToStop(child: ChildProcess, message: string, graceMs: number): Promise<void> {
  if (child.connected && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send(message);
    await within(exited, graceMs, 'slow').catch(() => undefined);
  }
  await stopChild(child).catch(() => undefined);
}

/** Synchronous last resort (process 'exit' runs no async code): kill what is left, remove the directories. */
function killAllNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

let installed = false;

/** Installs exit and signal handlers once: whatever happens, nothing is left behind. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\nbench:peers: ${signal}, stopping the servers`);
      killAllNow();
      process.exit(130);
    });
  }
}

/** A TCP port free on 127.0.0.1 right now (for servers that cannot pick their own). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Retries `attempt` until it resolves or `timeoutMs` passes; rejects with the last error. */
export async function retryUntil<T>(attempt: () => Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`);
}

/** Rejects if `promise` takes longer than `ms`. */
export function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
