/**
 * A forwarding UDP proxy on 127.0.0.1 for fault injection: clients send to the proxy,
 * which relays to the target through one upstream socket per client address (so the
 * server sees one peer per client) and relays the answers back. Each direction drops a
 * configurable fraction of datagrams, decided by its own seeded PRNG so a run can be
 * repeated, and may add a delay (with optional jitter, which also reorders).
 *
 *   client ──▶ [front socket] ──drop?/delay──▶ [upstream socket per client] ──▶ server
 *   client ◀── [front socket] ◀──drop?/delay── [upstream socket per client] ◀── server
 */
import dgram from 'node:dgram';
import { prng } from '../conformance/random.js';

export interface UdpProxyOptions {
  /** Where datagrams are forwarded. */
  readonly target: { readonly host: string; readonly port: number };
  /** Listening address (default 127.0.0.1, port 0: a free one). */
  readonly host?: string;
  readonly port?: number;
  /** Fraction of datagrams dropped client → server (0..1, default 0). */
  readonly lossToServer?: number;
  /** Fraction of datagrams dropped server → client (0..1, default 0). */
  readonly lossToClient?: number;
  /** Fixed one-way delay added in each direction (ms, default 0: forwarded at once). */
  readonly delayMs?: number;
  /** Extra random delay up to this many ms per datagram (default 0); reorders datagrams. */
  readonly jitterMs?: number;
  /** PRNG seed (default 1). Each direction draws from its own generator. */
  readonly seed?: number;
}

export interface DirectionStats {
  forwarded: number;
  dropped: number;
  bytes: number;
}

export interface UdpProxyStats {
  readonly toServer: DirectionStats;
  readonly toClient: DirectionStats;
  /** Client addresses seen (one upstream socket each). */
  readonly clients: number;
}

interface Direction {
  loss: number;
  readonly random: () => number;
  readonly stats: DirectionStats;
}

export class UdpProxy {
  readonly #front: dgram.Socket;
  readonly #options: UdpProxyOptions;
  readonly #upstreams = new Map<string, Promise<dgram.Socket>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #toServer: Direction;
  readonly #toClient: Direction;
  readonly #jitter: () => number;
  #closed: Promise<void> | undefined;

  private constructor(front: dgram.Socket, options: UdpProxyOptions) {
    this.#front = front;
    this.#options = options;
    const seed = options.seed ?? 1;
    this.#toServer = { loss: checkLoss(options.lossToServer ?? 0), random: prng(seed), stats: { forwarded: 0, dropped: 0, bytes: 0 } };
    this.#toClient = { loss: checkLoss(options.lossToClient ?? 0), random: prng(seed ^ 0x9e3779b9), stats: { forwarded: 0, dropped: 0, bytes: 0 } };
    this.#jitter = prng(seed ^ 0x5bd1e995);
    front.on('message', (msg, rinfo) => this.#fromClient(msg, rinfo));
    front.on('error', () => undefined); // ICMP from a client that went away: nothing to do
  }

  /** Binds the front socket and starts relaying. */
  static async start(options: UdpProxyOptions): Promise<UdpProxy> {
    const front = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.bind(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        front.off('error', reject);
        resolve();
      });
    });
    return new UdpProxy(front, options);
  }

  /** Where clients connect. */
  get address(): { host: string; port: number } {
    const a = this.#front.address();
    return { host: a.address, port: a.port };
  }

  /** wwatp:// URL of the proxy (for connect()). */
  get url(): string {
    return `wwatp://${this.address.host}:${this.address.port}/`;
  }

  get stats(): UdpProxyStats {
    return { toServer: { ...this.#toServer.stats }, toClient: { ...this.#toClient.stats }, clients: this.#upstreams.size };
  }

  /** Changes the loss rates from now on (e.g. 1 to cut the path, 0 to heal it). */
  setLoss(toServer: number, toClient = toServer): void {
    this.#toServer.loss = checkLoss(toServer);
    this.#toClient.loss = checkLoss(toClient);
  }

  #fromClient(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#closed) return;
    const key = `${rinfo.address}:${rinfo.port}`;
    let upstream = this.#upstreams.get(key);
    if (!upstream) {
      upstream = this.#openUpstream({ host: rinfo.address, port: rinfo.port });
      this.#upstreams.set(key, upstream);
    }
    const target = this.#options.target;
    this.#relay(this.#toServer, msg, () => {
      void upstream.then((socket) => socket.send(msg, target.port, target.host, () => undefined)).catch(() => undefined);
    });
  }

  async #openUpstream(client: { host: string; port: number }): Promise<dgram.Socket> {
    const socket = dgram.createSocket('udp4');
    socket.on('error', () => undefined); // ICMP unreachable while the server is down: the client retries
    socket.on('message', (msg) => {
      if (this.#closed) return;
      this.#relay(this.#toClient, msg, () => this.#front.send(msg, client.port, client.host, () => undefined));
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return socket;
  }

  #relay(direction: Direction, msg: Buffer, send: () => void): void {
    if (direction.loss > 0 && direction.random() < direction.loss) {
      direction.stats.dropped++;
      return;
    }
    direction.stats.forwarded++;
    direction.stats.bytes += msg.length;
    const delay = (this.#options.delayMs ?? 0) + (this.#options.jitterMs ? this.#jitter() * this.#options.jitterMs : 0);
    if (delay <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) send();
    }, delay);
    this.#timers.add(timer);
  }

  /** Stops relaying and closes every socket; datagrams still delayed are dropped. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      const sockets = await Promise.all([...this.#upstreams.values()].map((p) => p.catch(() => undefined)));
      await Promise.all([this.#front, ...sockets].map((s) => s && new Promise<void>((resolve) => s.close(() => resolve()))));
    })();
    return this.#closed;
  }
}

function checkLoss(loss: number): number {
  if (!(loss >= 0 && loss <= 1)) throw new RangeError(`a loss rate is a fraction between 0 and 1, got ${loss}`);
  return loss;
}
