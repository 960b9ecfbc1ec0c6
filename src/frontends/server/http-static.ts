import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * The bundled explorer (web/dist, made by `npm run build:web`) when it has been built.
 * This module runs from src/frontends/server (tsx) or dist/src/frontends/server (built).
 */
export function defaultStaticDir(): string | undefined {
  for (const up of ['../../../web/dist', '../../../../web/dist']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(join(dir, 'wwatp-client.js')) || existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

const NO_EXPLORER = `<!doctype html><meta charset="utf-8"><title>wwatp</title>
<p>This wwatp server has no explorer to show: run <code>npm run build:web</code> (it writes web/dist) or start it with a static directory.</p>
<p>Clients reach the tree over QUIC, WebTransport or the WebSocket tunnel at <code>/wwatp-ws</code>; see <a href="/wwatp-info">/wwatp-info</a>.</p>\n`;

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, head = false): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-type': type, 'content-length': String(bytes.length), 'cache-control': 'no-cache' });
  res.end(head ? undefined : bytes);
}

/** Answers a GET or HEAD from `dir`; never serves anything outside it. */
export async function serveHttpStatic(req: IncomingMessage, res: ServerResponse, dir: string | undefined): Promise<void> {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return send(res, 400, 'text/plain; charset=utf-8', 'bad path\n');
  }
  const notFound = (): void => {
    if (pathname === '/' || pathname === '/index.html') return send(res, 200, TYPES['.html'] as string, NO_EXPLORER, head);
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
  };
  if (!dir) return notFound();
  const relative = normalize(pathname.endsWith('/') ? `${pathname}index.html` : pathname).replace(/^([/\\])+/, '');
  const file = join(dir, relative);
  const root = dir.endsWith(sep) ? dir : dir + sep;
  if (relative.startsWith('..') || relative.includes('\0') || !file.startsWith(root)) return notFound();
  try {
    if (!(await stat(file)).isFile()) return notFound();
    send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', new Uint8Array(await readFile(file)), head);
  } catch {
    notFound();
  }
}
