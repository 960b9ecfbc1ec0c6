import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A real PostgreSQL server for tests. With WWATP_TEST_PG_URL set, each call gets a fresh
 * database on that server instead (it cannot be stopped or restarted from here). Else a
 * throwaway cluster is initdb'd in a temp dir and run with pg_ctl on a free loopback port,
 * as the `postgres` OS user when we are root (initdb refuses root).
 */
export interface PostgresServer {
  /** Connection string of a database nobody else uses. */
  readonly url: string;
  /** Stops the server (fast shutdown) and removes its files; idempotent. */
  stop(): Promise<void>;
  /** Kills the server like a crash (`pg_ctl stop -m immediate`); restart() brings it back. */
  stopImmediate(): Promise<void>;
  /** Restarts the server (or starts it after stopImmediate), keeping its data. */
  restart(): Promise<void>;
}

export interface StartOptions {
  /** Always run a local server, even with WWATP_TEST_PG_URL set (for restart and crash tests). */
  needsControl?: boolean;
}

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

function findBinDir(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'pg_ctl'))) return join(base, v, 'bin');
  throw new Error('PostgreSQL binaries (initdb, pg_ctl) not found: run scripts/ensure-postgres.sh');
}

/** Runs a PostgreSQL tool, as the postgres user when we are root. */
async function pgTool(dir: string, tool: string, args: string[]): Promise<string> {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', tool, ...args]] : [tool, args];
  try {
    const { stdout } = await run(cmd, argv, { cwd: dir, timeout: 60_000 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Stops the cluster and removes its files once this process ends however it ends
 * (a failed test, a crash, SIGKILL): `tail --pid` waits for us without polling.
 */
function startWatchdog(pgCtl: string, data: string, dir: string): () => void {
  const stopCmd = asRoot ? `runuser -u postgres -- "${pgCtl}"` : `"${pgCtl}"`;
  const script = `tail --pid="$1" -f /dev/null; ${stopCmd} -D "$2" -m immediate stop >/dev/null 2>&1; rm -rf "$3"`;
  const child = spawn('sh', ['-c', script, 'watchdog', String(process.pid), data, dir], { detached: true, stdio: 'ignore' });
  child.unref();
  return () => {
    // Its own process group (detached): ends the shell and its tail, nothing else.
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
}

async function startLocal(): Promise<PostgresServer> {
  const bin = findBinDir();
  const pgCtl = join(bin, 'pg_ctl');
  const dir = await mkdtemp(join(tmpdir(), 'wwatp-pg-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const cancelWatchdog = startWatchdog(pgCtl, data, dir);
  let running = false;
  try {
    // --no-sync only skips syncing initdb's own files; the server runs with fsync on.
    await pgTool(dir, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    let port = 0;
    let opts = '';
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=300`;
      try {
        await pgTool(dir, pgCtl, ['-D', data, '-l', join(dir, 'log'), '-o', opts, '-w', '-t', '60', 'start']);
        break;
      } catch (error) {
        // Another process may have taken the port between probing and binding.
        if (attempt >= 2) throw error;
      }
    }
    running = true;
    const ctl = async (...args: string[]): Promise<void> => void (await pgTool(dir, pgCtl, ['-D', data, '-w', '-t', '60', ...args]));
    let removed = false;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      async stop() {
        if (removed) return;
        removed = true;
        madeOn.delete(`127.0.0.1:${port}`);
        if (running) await ctl('-m', 'fast', 'stop');
        running = false;
        cancelWatchdog();
        await rm(dir, { recursive: true, force: true });
      },
      async stopImmediate() {
        if (running) await ctl('-m', 'immediate', 'stop');
        running = false;
      },
      async restart() {
        if (running) await ctl('-m', 'fast', '-l', join(dir, 'log'), 'restart');
        else await ctl('-l', join(dir, 'log'), '-o', opts, 'start');
        running = true;
      },
    };
  } catch (error) {
    if (running) await pgTool(dir, pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    cancelWatchdog();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

let databaseCounter = 0;
// Databases made on each server (by host and port), so a shared server can be tidied.
const madeOn = new Map<string, string[]>();

/** Creates an empty database on the server at `url` and returns its connection string. */
export async function freshDatabase(url: string): Promise<string> {
  const name = `wwatp_t_${process.pid}_${++databaseCounter}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const out = new URL(url);
  out.pathname = `/${name}`;
  madeOn.set(out.host, [...(madeOn.get(out.host) ?? []), name]);
  return out.toString();
}

/** Drops every database freshDatabase made on the server at `adminUrl`. */
async function dropDatabases(adminUrl: string): Promise<void> {
  const host = new URL(adminUrl).host;
  const names = madeOn.get(host) ?? [];
  madeOn.delete(host);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  const external = process.env.WWATP_TEST_PG_URL;
  if (external === undefined || external === '' || options.needsControl) return startLocal();
  const url = await freshDatabase(external);
  const refuse = async (): Promise<void> => {
    throw new Error('a server given by WWATP_TEST_PG_URL cannot be stopped or restarted by tests');
  };
  let dropped = false;
  return {
    url,
    async stop() {
      if (dropped) return;
      dropped = true;
      await dropDatabases(external);
    },
    stopImmediate: refuse,
    restart: refuse,
  };
}
