/**
 * One UDP socket and the machinery every connection on it shares: reusable send
 * buffers, and a once-per-event-loop-turn flush of the connections that have work.
 *
 * Flushing in setImmediate (the check phase, right after libuv's poll phase has
 * delivered every datagram that was waiting) batches all packets received in a turn
 * into one pass of quiche's send loop per connection.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { WwatpError } from '../../tree/errors.js';
import type { Host } from './binding.js';

/** A connection, as the endpoint sees it: something to flush once per turn. */
export interface Flushable {
  flush(): void;
}

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
/** Send buffers in flight at once; also the most packets one turn puts on the wire. */
const MAX_BUFFERS = 256;

export class UdpEndpoint {
  /** Set by the owner (server or client): every datagram that arrives. */
  onPacket: (msg: Buffer, rinfo: dgram.RemoteInfo) => void = () => {};
  /** Set by the owner: socket errors (ICMP unreachable on a connected socket...). */
  onError: (err: Error) => void = () => {};
  private readonly free: Buffer[] = [];
  private allocated = 0;
  private readonly dirty = new Set<Flushable>();
  private readonly starved = new Set<Flushable>();
  private scheduled = false;
  private closing: Promise<void> | undefined;
  private readonly released = (err: Error | null, buf: Buffer): void => {
    void err; // a lost datagram is QUIC's business: it retransmits
    this.free.push(buf);
  };

  private constructor(
    readonly socket: dgram.Socket,
    readonly local: Host,
    readonly bufferSize: number,
    private readonly connected: boolean,
  ) {
    socket.on('message', (msg, rinfo) => this.onPacket(msg, rinfo));
    socket.on('error', (err) => this.onError(err));
  }

  /** Binds a socket; with `peer`, connects it too (a client's socket talks to one server). */
  static async open(opts: { host: string; port: number; bufferSize: number; peer?: Host }): Promise<UdpEndpoint> {
    const v6 = isIPv6(opts.host) || (opts.peer !== undefined && isIPv6(opts.peer.host));
    const socket = dgram.createSocket({
      type: v6 ? 'udp6' : 'udp4',
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
      // Addresses we send to are always IP literals: resolve them synchronously rather
      // than through dns.lookup's next-tick callback on every datagram.
      lookup: (address, _options, callback) => callback(null, address, v6 ? 6 : 4),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: opts.host, port: opts.port, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      if (opts.peer) {
        const peer = opts.peer;
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.connect(peer.port, peer.host, () => {
            socket.off('error', reject);
            resolve();
          });
        });
      }
    } catch (err) {
      socket.close();
      throw new WwatpError('UNAVAILABLE', `cannot open a UDP socket on ${opts.host}:${opts.port}: ${(err as Error).message}`, { cause: err });
    }
    const a = socket.address();
    return new UdpEndpoint(socket, { host: a.address, port: a.port }, opts.bufferSize, opts.peer !== undefined);
  }

  /** A send buffer, or undefined when MAX_BUFFERS are in flight (the caller retries next turn). */
  takeBuffer(who: Flushable): Buffer | undefined {
    const buf = this.free.pop();
    if (buf) return buf;
    if (this.allocated < MAX_BUFFERS) {
      this.allocated++;
      return Buffer.allocUnsafe(this.bufferSize);
    }
    this.starved.add(who);
    this.ensureScheduled();
    return undefined;
  }

  /** Hands back a buffer that was taken but not sent. */
  returnBuffer(buf: Buffer): void {
    this.free.push(buf);
  }

  /** Sends `len` bytes of `buf`; the buffer comes back to the pool when the kernel has it. */
  transmit(buf: Buffer, len: number, to: Host): void {
    if (this.closing) {
      this.free.push(buf);
      return;
    }
    if (this.connected) this.socket.send(buf, 0, len, (err) => this.released(err, buf));
    else this.socket.send(buf, 0, len, to.port, to.host, (err) => this.released(err, buf));
  }

  /** Sends a one-off datagram (version negotiation and such); the bytes must stay untouched. */
  sendRaw(bytes: Uint8Array, to: Host): void {
    if (this.closing) return;
    if (this.connected) this.socket.send(bytes);
    else this.socket.send(bytes, to.port, to.host);
  }

  /** Flushes `who` in this turn's check phase. */
  schedule(who: Flushable): void {
    this.dirty.add(who);
    this.ensureScheduled();
  }

  private ensureScheduled(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    // Connections that ran out of buffers last turn go first this turn.
    const batch = [...this.starved, ...this.dirty];
    this.starved.clear();
    this.dirty.clear();
    for (const who of batch) who.flush();
  };

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => this.socket.close(() => resolve()));
    return this.closing;
  }

  get isClosing(): boolean {
    return this.closing !== undefined;
  }
}
