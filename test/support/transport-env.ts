/**
 * Shared pieces for the transport integration tests (test/integration/transport-*.test.ts):
 * real servers on 127.0.0.1 with certificates in a temp dir, clients pinned to them,
 * everything closed in reverse order when the test ends, and deterministic payloads.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { Backend } from '../../src/backends/backend.js';
import { connect, openH3Streams, type ConnectOptions } from '../../src/frontends/client/connect.js';
import { startServer, type StartServerOptions, type WwatpServer } from '../../src/frontends/server/start-server.js';
import { Http3ClientBackend } from '../../src/backends/http3-client/http3-client-backend.js';
import { TreeNode } from '../../src/tree/tree-node.js';
import { prng } from '../conformance/random.js';

export { prng };

/** A fresh directory, removed when the test ends (after everything else closed). */
export function tempDir(t: Test, prefix = 'wwatp-transport-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Things to close at the end of a test, closed last-opened-first in one teardown, each
 * bounded in time, so clients go before the servers they talk to and a stuck close
 * cannot hang the run.
 */
export class Closer {
  readonly #stack: { what: string; close: () => Promise<unknown> }[] = [];
  readonly problems: string[] = [];

  constructor(t: Test) {
    t.teardown(() => this.closeAll());
  }

  add<T>(what: string, close: () => Promise<unknown>, value: T): T {
    this.#stack.push({ what, close });
    return value;
  }

  async closeAll(): Promise<void> {
    while (this.#stack.length > 0) {
      const { what, close } = this.#stack.pop() as { what: string; close: () => Promise<unknown> };
      try {
        await within(close(), 10_000, `closing ${what}`);
      } catch (error) {
        this.problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
        console.error(`transport test teardown: ${what} did not close cleanly`, error);
      }
    }
  }
}

/** Rejects when `promise` has not settled after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it is true; rejects after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

export interface TestServer extends WwatpServer {
  readonly certsDir: string;
  readonly backend: Backend;
}

/** Starts a server on 127.0.0.1 (a free port unless given) with its certificate in a temp dir. */
export async function serve(t: Test, closer: Closer, options: Omit<StartServerOptions, 'certsDir'> & { certsDir?: string }): Promise<TestServer> {
  const certsDir = options.certsDir ?? tempDir(t, 'wwatp-certs-');
  const server = await startServer({ port: 0, host: '127.0.0.1', ...options, certsDir });
  const wrapped: TestServer = {
    url: server.url,
    port: server.port,
    get certificateHash() {
      return server.certificateHash;
    },
    certsDir,
    backend: options.backend,
    close: () => server.close(),
  };
  return closer.add(`server ${server.url}`, () => server.close(), wrapped);
}

/** A client pinned to the server's certificate, closed at the end of the test. */
export async function client(closer: Closer, server: { url: string; certificateHash: string }, options: Omit<ConnectOptions, 'certificateHash'> = {}): Promise<Http3ClientBackend> {
  const backend = await within(connect(server.url, { certificateHash: server.certificateHash, ...options }), 15_000, `connecting to ${server.url}`);
  return closer.add(`client of ${server.url}`, () => backend.close(), backend);
}

/** A client like connect() gives, counting the WWATP streams (QUIC request streams) it opens. */
export async function countingClient(closer: Closer, server: { url: string; certificateHash: string }, options: { cacheSize?: number } = {}): Promise<{ backend: Http3ClientBackend; streams: () => number }> {
  let streams = 0;
  const backend = await within(Http3ClientBackend.open({
    ...options,
    connect: async () => {
      const opener = await openH3Streams(server.url, { certificateHash: server.certificateHash });
      return { closed: opener.closed, close: () => opener.close(), openStream: () => (streams++, opener.openStream()) };
    },
  }), 15_000, `connecting to ${server.url}`);
  closer.add(`counting client of ${server.url}`, () => backend.close(), backend);
  return { backend, streams: () => streams };
}

/** Deterministic bytes for a label: what was written can be rebuilt to check what was read. */
export function patternBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  const rand = prng(seed);
  // Fill 4 bytes per PRNG step: quick enough for tens of MiB.
  const words = new Uint32Array(out.buffer, 0, size >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = (rand() * 4294967296) >>> 0;
  for (let i = words.length * 4; i < size; i++) out[i] = (rand() * 256) & 0xff;
  return out;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A node with one `bytes` property (`data`) of `size` pattern bytes and a `text` property. */
export function blobNode(label: string, size: number, seed: number, description = `blob ${label}`): TreeNode {
  const node = new TreeNode({ labelRule: label, description });
  node.insertProperty('data', 'bytes', patternBytes(size, seed));
  node.insertProperty('text', 'string', `${label}#${seed}`);
  return node;
}

/** A small node with one string property. */
export function textNode(label: string, text: string, description = `node ${label}`): TreeNode {
  const node = new TreeNode({ labelRule: label, description });
  node.insertProperty('text', 'string', text);
  return node;
}

export function textOf(node: TreeNode | undefined): string | undefined {
  const value = node?.getProperty('text');
  return typeof value === 'string' ? value : undefined;
}

/** Records listener events as `label=text` (or `label=<deleted>`). */
export function eventLog(): { events: string[]; listener: (backend: Backend, label: string, node: TreeNode | undefined) => void } {
  const events: string[] = [];
  return { events, listener: (_b, label, node) => events.push(`${label}=${node ? (textOf(node) ?? '?') : '<deleted>'}`) };
}
