import type { Backend } from '../../src/backends/backend.js';
import type { ByteStream, StreamOpener } from '../../src/transport/wwatp/byte-stream.js';
import { journalFor, type JournalSource } from '../../src/frontends/server/memory-journal.js';
import { WwatpSession } from '../../src/frontends/server/session.js';
import { serveStream } from '../../src/frontends/server/serve-stream.js';

/**
 * An in-process byte pipe between the WWATP client and server code: ordered, reliable
 * streams with end-of-stream, so protocol logic can be tested without sockets. The
 * same suites run over real QUIC in test/integration. `drop()` is a fault injected on
 * purpose: it cuts every open connection.
 */
class Pipe {
  readonly #chunks: Uint8Array[] = [];
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  push(bytes: Uint8Array): void {
    if (this.#ended) throw new Error('write after end');
    this.#chunks.push(bytes.slice());
    this.#wake?.();
  }

  end(error?: unknown): void {
    this.#ended = true;
    this.#error ??= error;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const next = this.#chunks.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#ended) {
        if (this.#error) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}

export interface MemoryServer {
  connect(): Promise<StreamOpener>;
  /** Cuts every open connection (both ends see the streams fail). */
  drop(): void;
  /** Refuses new connections while true. */
  refuse: boolean;
  readonly journal: JournalSource;
  close(): void;
}

export function memoryServer(backend: Backend, options: { maxContentBytes?: number; journalCapacity?: number } = {}): MemoryServer {
  const journal = journalFor(backend, options.journalCapacity);
  const live = new Set<() => void>();
  const server: MemoryServer = {
    refuse: false,
    journal,
    async connect(): Promise<StreamOpener> {
      if (server.refuse) throw new Error('connection refused');
      const session = new WwatpSession(backend, journal, options);
      const pipes = new Set<Pipe>();
      let closeConnection!: () => void;
      const closed = new Promise<void>((resolve) => (closeConnection = resolve));
      const cut = (): void => {
        for (const pipe of pipes) pipe.end(new Error('connection lost'));
        session.close();
        closeConnection();
      };
      live.add(cut);
      return {
        closed,
        async close() {
          live.delete(cut);
          cut();
        },
        async openStream(): Promise<ByteStream> {
          const up = new Pipe();
          const down = new Pipe();
          pipes.add(up);
          pipes.add(down);
          void serveStream(session, up, { write: async (b) => down.push(b), end: async () => down.end() }, { maxMessageBytes: (options.maxContentBytes ?? 16 * 2 ** 20) + 2 ** 20 });
          return {
            write: async (b) => up.push(b),
            end: async () => up.end(),
            abort: (reason) => {
              up.end(reason);
              down.end(reason);
            },
            readable: down,
          };
        },
      };
    },
    drop() {
      for (const cut of [...live]) cut();
      live.clear();
    },
    close() {
      server.drop();
      journal.close();
    },
  };
  return server;
}
