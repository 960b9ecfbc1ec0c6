/**
 * listenQuic: one UDP socket, many connections routed by destination connection id.
 * A long-header Initial with an unknown id starts a connection; an unsupported version
 * gets a Version Negotiation packet; anything else unknown is dropped.
 */
import { randomBytes } from 'node:crypto';
import type { RemoteInfo } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { WwatpError } from '../../tree/errors.js';
import { CID_LEN, quiche, type Config, type Header } from './binding.js';
import { QuicheConnection } from './connection.js';
import { serverConfig, udpPayloadFor, type TransportOptions } from './config.js';
import { UdpEndpoint } from './endpoint.js';
import type { QuicConnection } from './types.js';

export interface ListenQuicOptions extends TransportOptions {
  host?: string;
  port?: number;
  /** Certificate chain, PEM (leaf first). */
  cert: string;
  /** Private key, PEM (PKCS#8 or SEC1/PKCS#1). */
  key: string;
  alpn: string[];
  /** Each connection, once its handshake completed. */
  onConnection: (connection: QuicConnection) => void;
}

export interface QuicServer {
  readonly address: { host: string; port: number };
  /** Connections open now (handshaking ones included). */
  readonly connectionCount: number;
  /** Serves a new certificate to connections made from now on (renewal). */
  setCertificate(cert: string, key: string): void;
  /** Closes every connection with application code 0, then the socket. */
  close(): Promise<void>;
}

export async function listenQuic(options: ListenQuicOptions): Promise<QuicServer> {
  const host = await resolveHost(options.host ?? '127.0.0.1');
  // Listening on loopback means every peer is on this host: big packets are safe.
  const settled = { ...options, maxUdpPayload: udpPayloadFor(host, options.maxUdpPayload) };
  const config = makeConfig(settled, settled.cert, settled.key);
  const endpoint = await UdpEndpoint.open({ host, port: options.port ?? 0, bufferSize: settled.maxUdpPayload });
  return new Server(endpoint, settled, config);
}

/** The socket wants an IP address ('localhost' is looked up). */
async function resolveHost(host: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    return (await lookup(host)).address;
  } catch (err) {
    throw new WwatpError('UNAVAILABLE', `cannot resolve ${host}: ${(err as Error).message}`, { cause: err });
  }
}

function makeConfig(options: ListenQuicOptions, cert: string, key: string): Config {
  try {
    return serverConfig({ ...options, cert, key });
  } catch (err) {
    throw new WwatpError('UNSUPPORTED', `QUIC server: unusable certificate or key (${(err as Error).message})`, { cause: err });
  }
}

/** Map key for a connection id: its bytes as a latin1 string. */
function cidKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The destination connection id of a packet as a map key, without a native call. */
function dcidKeyOf(msg: Buffer): string | undefined {
  const first = msg[0];
  if (first === undefined) return undefined;
  if ((first & 0x80) === 0) {
    // short header: our ids are always CID_LEN bytes long
    return msg.length > CID_LEN ? msg.toString('latin1', 1, 1 + CID_LEN) : undefined;
  }
  const len = msg[5];
  if (len === undefined || len > CID_LEN || msg.length < 6 + len) return undefined;
  return msg.toString('latin1', 6, 6 + len);
}

class Server implements QuicServer {
  private readonly routes = new Map<string, QuicheConnection>();
  private readonly connections = new Set<QuicheConnection>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly endpoint: UdpEndpoint,
    private readonly options: ListenQuicOptions,
    private config: Config,
  ) {
    endpoint.onPacket = (msg, rinfo) => this.onPacket(msg, rinfo);
    endpoint.onError = () => {
      // unconnected UDP sockets report nothing useful here; QUIC recovers from loss
    };
  }

  get address(): { host: string; port: number } {
    return { ...this.endpoint.local };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  setCertificate(cert: string, key: string): void {
    this.config = makeConfig(this.options, cert, key);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.connections].map((c) => c.close({ app: true, code: 0 })));
      await this.endpoint.close();
      // Without the socket, draining has nothing left to answer.
      for (const c of [...this.connections]) c.release();
    })();
    return this.closing;
  }

  private onPacket(msg: Buffer, rinfo: RemoteInfo): void {
    const key = dcidKeyOf(msg);
    if (key === undefined) return;
    const conn = this.routes.get(key);
    if (conn) conn.receive(msg, rinfo);
    else if ((msg[0] as number) & 0x80) this.accept(msg, rinfo);
    // else: a short header for no connection of ours (garbage, or one long closed)
  }

  private accept(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closing) return;
    let hdr: Header;
    try {
      hdr = quiche.Header.fromSlice(msg, CID_LEN);
    } catch {
      return; // not QUIC
    }
    const from = { host: rinfo.address, port: rinfo.port };
    // Answer only full-size datagrams, so we never amplify a spoofed small one.
    if (msg.length < quiche.MIN_CLIENT_INITIAL_LEN) return;
    if (!quiche.versionIsSupported(hdr.version)) {
      const out = Buffer.alloc(quiche.MAX_DATAGRAM_SIZE);
      const n = quiche.negotiateVersion(hdr.scid, hdr.dcid, out);
      this.endpoint.sendRaw(out.subarray(0, n), from);
      return;
    }
    if (hdr.ty !== quiche.Type.Initial) return;
    const scid = randomBytes(CID_LEN);
    let q;
    try {
      // No stateless retry: the client's address is not validated before we keep state.
      q = quiche.Connection.accept(scid, null, this.endpoint.local, from, this.config);
    } catch {
      return;
    }
    const conn = new QuicheConnection(q, this.endpoint, from, true, this.options.datagrams ?? false);
    const keys = [cidKey(scid), cidKey(hdr.dcid)];
    for (const k of keys) this.routes.set(k, conn);
    this.connections.add(conn);
    conn.hooks.established = () => {
      if (this.closing) return void conn.close({ app: true, code: 0 });
      try {
        this.options.onConnection(conn);
      } catch (err) {
        process.nextTick(() => {
          throw err;
        });
      }
    };
    conn.hooks.released = () => {
      for (const k of keys) if (this.routes.get(k) === conn) this.routes.delete(k);
      this.connections.delete(conn);
    };
    conn.receive(msg, rinfo);
  }
}
