/**
 * The peer: node:http2 over TLS on loopback, holding the same nodes in a Map and
 * answering the same operations with the plainest efficient HTTP/2 equivalent.
 *
 *   GET  /node/<label>   200 + encodeNodeCbor(node) (404 when absent)
 *   POST /node/<label>   body = encodeNodeCbor(node): decoded, stored, watchers told; 204
 *   GET  /watch/<label>  a long-lived 200 response; each write to <label> pushes one
 *                        frame: u32 big-endian length + encodeNodeCbor(node)
 *
 * Both ends do the same application work as wwatp's: the server encodes a stored node
 * per GET and decodes a written one per POST; the client encodes what it writes and
 * decodes every node it receives into a TreeNode.
 */
import http2 from 'node:http2';
import { decodeNodeCbor, encodeNodeCbor } from '../../src/tree/codecs/cbor-node.js';
import type { TreeNode } from '../../src/tree/tree-node.js';
import type { BenchClient, NodeCallback } from './clients.js';

/** Flow-control windows matching the QUIC engine's (src/transport/quic/config.ts maxima). */
const STREAM_WINDOW = 16 * 1024 * 1024;
const SESSION_WINDOW = 32 * 1024 * 1024;
/** nghttp2's memory cap per session, in MB: a 64 MiB body must fit. */
const SESSION_MEMORY_MB = 512;
const MAX_STREAMS = 10_000;

const {
  HTTP2_HEADER_PATH: PATH,
  HTTP2_HEADER_METHOD: METHOD,
  HTTP2_HEADER_STATUS: STATUS,
  HTTP2_HEADER_CONTENT_TYPE: CONTENT_TYPE,
  HTTP2_HEADER_CONTENT_LENGTH: CONTENT_LENGTH,
} = http2.constants;

function concat(parts: Buffer[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Buffer;
  return Buffer.concat(parts, total);
}

export interface H2PeerServer {
  readonly port: number;
  close(): Promise<void>;
}

/** The peer server over `nodes` (label → node), with its own dev certificate. */
export async function startH2Server(nodes: Map<string, TreeNode>, options: { cert: string; key: string; maxContentBytes: number }): Promise<H2PeerServer> {
  const watchers = new Map<string, Set<http2.ServerHttp2Stream>>();
  const limits = { maxContentBytes: options.maxContentBytes };
  const server = http2.createSecureServer({
    cert: options.cert,
    key: options.key,
    maxSessionMemory: SESSION_MEMORY_MB,
    settings: { maxConcurrentStreams: MAX_STREAMS, initialWindowSize: STREAM_WINDOW },
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    session.setLocalWindowSize(SESSION_WINDOW);
  });
  server.on('stream', (stream, headers) => {
    const path = String(headers[PATH] ?? '');
    const method = headers[METHOD];
    stream.on('error', () => undefined);
    if (path.startsWith('/node/')) {
      const label = decodeURIComponent(path.slice(6));
      if (method === 'GET') {
        const node = nodes.get(label);
        if (!node) {
          stream.respond({ [STATUS]: 404 }, { endStream: true });
          return;
        }
        const bytes = encodeNodeCbor(node);
        stream.respond({ [STATUS]: 200, [CONTENT_TYPE]: 'application/cbor', [CONTENT_LENGTH]: bytes.length });
        stream.end(bytes);
        return;
      }
      if (method === 'POST') {
        const parts: Buffer[] = [];
        let total = 0;
        stream.on('data', (chunk: Buffer) => {
          parts.push(chunk);
          total += chunk.length;
        });
        stream.on('end', () => {
          let node: TreeNode;
          try {
            node = decodeNodeCbor(concat(parts, total), limits);
            if (node.labelRule !== label) throw new Error('label mismatch');
          } catch {
            stream.respond({ [STATUS]: 400 }, { endStream: true });
            return;
          }
          nodes.set(label, node);
          const watching = watchers.get(label);
          if (watching) {
            const bytes = encodeNodeCbor(node);
            const frame = Buffer.allocUnsafe(4 + bytes.length);
            frame.writeUInt32BE(bytes.length, 0);
            frame.set(bytes, 4);
            for (const w of watching) w.write(frame);
          }
          stream.respond({ [STATUS]: 204 }, { endStream: true });
        });
        return;
      }
    }
    if (path.startsWith('/watch/') && method === 'GET') {
      const label = decodeURIComponent(path.slice(7));
      let set = watchers.get(label);
      if (!set) watchers.set(label, (set = new Set()));
      set.add(stream);
      stream.once('close', () => set.delete(stream));
      stream.respond({ [STATUS]: 200, [CONTENT_TYPE]: 'application/x-node-frames' });
      return;
    }
    stream.respond({ [STATUS]: 404 }, { endStream: true });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One HTTP/2 session to the peer server (certificate checked against `ca`). */
export class H2Client implements BenchClient {
  readonly name = 'HTTP/2';
  readonly #limits: { maxContentBytes: number };
  readonly #watches = new Set<http2.ClientHttp2Stream>();

  private constructor(
    private readonly session: http2.ClientHttp2Session,
    maxContentBytes: number,
  ) {
    this.#limits = { maxContentBytes };
  }

  static async open(port: number, ca: string, maxContentBytes: number): Promise<H2Client> {
    const session = http2.connect(`https://127.0.0.1:${port}`, {
      ca,
      maxSessionMemory: SESSION_MEMORY_MB,
      peerMaxConcurrentStreams: MAX_STREAMS,
      settings: { initialWindowSize: STREAM_WINDOW },
    });
    await new Promise<void>((resolve, reject) => {
      session.once('error', reject);
      session.once('connect', () => {
        session.off('error', reject);
        resolve();
      });
    });
    session.on('error', () => undefined);
    session.setLocalWindowSize(SESSION_WINDOW);
    return new H2Client(session, maxContentBytes);
  }

  get(label: string): Promise<TreeNode | undefined> {
    return new Promise((resolve, reject) => {
      const req = this.session.request({ [PATH]: `/node/${encodeURI(label)}` }, { endStream: true });
      let status = 0;
      const parts: Buffer[] = [];
      let total = 0;
      req.on('response', (headers) => {
        status = Number(headers[STATUS]);
      });
      req.on('data', (chunk: Buffer) => {
        parts.push(chunk);
        total += chunk.length;
      });
      req.on('error', reject);
      req.on('end', () => {
        try {
          if (status === 404) resolve(undefined);
          else if (status !== 200) reject(new Error(`GET ${label}: status ${status}`));
          else resolve(decodeNodeCbor(concat(parts, total), this.#limits));
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  put(node: TreeNode): Promise<void> {
    return new Promise((resolve, reject) => {
      const bytes = encodeNodeCbor(node);
      const req = this.session.request({ [METHOD]: 'POST', [PATH]: `/node/${encodeURI(node.labelRule)}`, [CONTENT_TYPE]: 'application/cbor', [CONTENT_LENGTH]: bytes.length });
      let status = 0;
      req.on('response', (headers) => {
        status = Number(headers[STATUS]);
      });
      req.on('error', reject);
      req.on('data', () => undefined);
      req.on('end', () => (status === 204 ? resolve() : reject(new Error(`POST ${node.labelRule}: status ${status}`))));
      req.end(bytes);
    });
  }

  watch(label: string, onChange: NodeCallback): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = this.session.request({ [PATH]: `/watch/${encodeURI(label)}` }, { endStream: true });
      this.#watches.add(req);
      req.once('close', () => this.#watches.delete(req));
      let buffered: Buffer = Buffer.alloc(0);
      req.on('error', reject);
      req.on('response', (headers) => (Number(headers[STATUS]) === 200 ? resolve() : reject(new Error(`watch ${label}: status ${String(headers[STATUS])}`))));
      req.on('data', (chunk: Buffer) => {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        while (buffered.length >= 4) {
          const length = buffered.readUInt32BE(0);
          if (buffered.length < 4 + length) break;
          const node = decodeNodeCbor(buffered.subarray(4, 4 + length), this.#limits);
          buffered = buffered.subarray(4 + length);
          onChange(node.labelRule, node);
        }
      });
    });
  }

  close(): Promise<void> {
    // A session closes once its streams have: cancel the endless watch responses first.
    for (const req of this.#watches) req.close(http2.constants.NGHTTP2_CANCEL);
    return new Promise((resolve) => this.session.close(() => resolve()));
  }
}
