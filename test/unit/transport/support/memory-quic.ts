/**
 * An in-memory pair of QuicConnections implementing src/transport/quic/types.ts
 * faithfully enough to test HTTP/3: RFC 9000 stream ids, ordered reliable streams with
 * FIN / RESET_STREAM / STOP_SENDING and flow control, peers learning of a stream at its
 * first frame, datagrams, and connection close with app codes. Faults under the test's
 * control: arbitrary chunk boundaries on every write, and severing the link.
 * Test support only; production uses the quiche-backed implementation.
 */
import type {
  QuicBidiStream, QuicCloseInfo, QuicConnection, QuicIncomingStream, QuicUniRecvStream, QuicUniSendStream,
} from '../../../../src/transport/quic/types.js';
import { connectionClosed, MemoryPipe, type PipeOptions } from './memory-pipe.js';
export { prng as seededRandom } from '../../../conformance/random.js';

export interface MemoryQuicOptions {
  /** Largest chunk a write is split into (default 64 KiB); 1 makes every byte its own chunk. */
  readonly maxChunk?: number;
  /** Randomises chunk sizes in 1..maxChunk (pass a seeded generator for reproducibility). */
  readonly random?: () => number;
  /** Per-stream flow-control window in bytes (default 256 KiB). */
  readonly window?: number;
  /** Whether QUIC DATAGRAM frames are negotiated (default true). */
  readonly datagrams?: boolean;
}

export interface MemoryQuicPair {
  readonly client: MemoryQuicConnection;
  readonly server: MemoryQuicConnection;
  /** Fault: the path dies; both ends see an idle-timeout close. */
  sever(): void;
}

export function memoryQuicPair(options: MemoryQuicOptions = {}): MemoryQuicPair {
  const maxChunk = options.maxChunk ?? 64 * 1024;
  const random = options.random;
  const pipeOptions: Omit<PipeOptions, 'streamId'> = {
    window: options.window ?? 256 * 1024,
    chunkSize: random === undefined ? () => maxChunk : () => 1 + Math.floor(random() * maxChunk),
  };
  const datagrams = options.datagrams ?? true;
  const client = new MemoryQuicConnection('client', pipeOptions, datagrams);
  const server = new MemoryQuicConnection('server', pipeOptions, datagrams);
  client.peer = server;
  server.peer = client;
  return {
    client,
    server,
    sever: () => {
      const info = { remote: true, app: false, code: 0, reason: 'idle timeout', timedOut: true };
      client.shut(info);
      server.shut(info);
    },
  };
}

export class MemoryQuicConnection implements QuicConnection {
  readonly alpn = 'h3';
  readonly remoteAddress = { host: '127.0.0.1', port: 4433 };
  onDatagram: ((bytes: Uint8Array) => void) | undefined;
  readonly closed: Promise<QuicCloseInfo>;
  peer!: MemoryQuicConnection;
  private streamHandler: ((stream: QuicIncomingStream) => void) | undefined;
  /** Streams the peer opened before onStream was set, handed over once it is (as quiche-backed connections do). */
  private readonly waiting: QuicIncomingStream[] = [];

  private resolveClosed!: (info: QuicCloseInfo) => void;
  private isClosed = false;
  private nextBidi: number;
  private nextUni: number;
  private readonly pipes = new Set<MemoryPipe>();

  constructor(readonly role: 'client' | 'server', private readonly pipeOptions: Omit<PipeOptions, 'streamId'>, private readonly datagrams: boolean) {
    // RFC 9000 §2.1: bit 0 is the initiator (1 = server), bit 1 the direction (1 = uni).
    this.nextBidi = role === 'client' ? 0 : 1;
    this.nextUni = role === 'client' ? 2 : 3;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  get onStream(): ((stream: QuicIncomingStream) => void) | undefined {
    return this.streamHandler;
  }

  set onStream(handler: ((stream: QuicIncomingStream) => void) | undefined) {
    this.streamHandler = handler;
    if (handler !== undefined) for (const stream of this.waiting.splice(0)) handler(stream);
  }

  openBidiStream(): QuicBidiStream {
    this.assertOpen();
    const id = this.nextBidi;
    this.nextBidi += 4;
    const out = this.newPipe(id);
    const back = this.newPipe(id);
    out.onFirstActivity = () => this.peer.arrive(bidiView(id, back, out));
    return bidiView(id, out, back);
  }

  openUniStream(): QuicUniSendStream {
    this.assertOpen();
    const id = this.nextUni;
    this.nextUni += 4;
    const out = this.newPipe(id);
    out.onFirstActivity = () => this.peer.arrive(uniRecvView(id, out));
    return {
      id,
      kind: 'uni-send',
      write: (bytes) => out.write(bytes),
      end: () => out.end(),
      reset: (code) => out.reset(code),
    };
  }

  sendDatagram(bytes: Uint8Array): void {
    this.assertOpen();
    if (!this.datagrams) throw new Error('the peer does not accept datagrams');
    const copy = bytes.slice();
    setImmediate(() => {
      if (!this.peer.isClosed) this.peer.onDatagram?.(copy);
    });
  }

  maxDatagramSize(): number | undefined {
    return this.datagrams ? 1200 : undefined;
  }

  peerCertificates(): Uint8Array[] {
    return [];
  }

  async close(options: { app?: boolean; code?: number; reason?: string } = {}): Promise<void> {
    if (this.isClosed) return;
    const info = { app: options.app ?? false, code: options.code ?? 0, reason: options.reason ?? '', timedOut: false };
    this.shut({ ...info, remote: false });
    // CONNECTION_CLOSE reaches the peer a turn later.
    setImmediate(() => this.peer.shut({ ...info, remote: true }));
  }

  /** Ends the connection locally with `info`. */
  shut(info: QuicCloseInfo): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.resolveClosed(info);
    const err = connectionClosed();
    for (const pipe of this.pipes) pipe.close(err);
    this.pipes.clear();
  }

  private arrive(stream: QuicIncomingStream): void {
    setImmediate(() => {
      if (this.isClosed) return;
      if (this.streamHandler === undefined) this.waiting.push(stream);
      else this.streamHandler(stream);
    });
  }

  private newPipe(streamId: number): MemoryPipe {
    const pipe = new MemoryPipe({ ...this.pipeOptions, streamId });
    this.pipes.add(pipe);
    this.peer.pipes.add(pipe);
    return pipe;
  }

  private assertOpen(): void {
    if (this.isClosed) throw connectionClosed();
  }
}

function bidiView(id: number, out: MemoryPipe, back: MemoryPipe): QuicBidiStream {
  return {
    id,
    kind: 'bidi',
    read: () => back.read(),
    stopSending: (code) => back.stopSending(code),
    [Symbol.asyncIterator]: () => iterate(back),
    write: (bytes) => out.write(bytes),
    end: () => out.end(),
    reset: (code) => out.reset(code),
  };
}

function uniRecvView(id: number, pipe: MemoryPipe): QuicUniRecvStream {
  return {
    id,
    kind: 'uni-recv',
    read: () => pipe.read(),
    stopSending: (code) => pipe.stopSending(code),
    [Symbol.asyncIterator]: () => iterate(pipe),
  };
}

async function* iterate(pipe: MemoryPipe): AsyncGenerator<Uint8Array> {
  for (;;) {
    const chunk = await pipe.read();
    if (chunk === undefined) return;
    yield chunk;
  }
}

