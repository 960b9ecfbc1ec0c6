import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { H3Request } from '../../transport/h3/index.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

const encoder = new TextEncoder();

/** Answers a GET from a directory; never serves anything outside it. */
export async function serveStatic(request: H3Request, dir: string | undefined): Promise<void> {
  const notFound = (): Promise<void> => request.respond([[':status', '404'], ['content-type', 'text/plain']], { body: encoder.encode('not found\n') });
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    await request.respond([[':status', '405'], ['allow', 'GET, HEAD, POST']], { body: encoder.encode('method not allowed\n') });
    return;
  }
  if (!dir) {
    await request.respond([[':status', '200'], ['content-type', 'text/plain; charset=utf-8']], { body: encoder.encode('wwatp server: WWATP streams are POST /wwatp (docs/PROTOCOL.md)\n') });
    return;
  }
  const pathname = decodeURIComponent((request.path ?? '/').split('?')[0] as string);
  const relative = normalize(pathname === '/' ? '/index.html' : pathname).replace(/^([/\\])+/, '');
  const file = join(dir, relative);
  if (relative.startsWith('..') || !(file === dir || file.startsWith(dir.endsWith(sep) ? dir : dir + sep))) return notFound();
  try {
    if (!(await stat(file)).isFile()) return notFound();
    const body = await readFile(file);
    const headers: Array<[string, string]> = [[':status', '200'], ['content-type', TYPES[extname(file)] ?? 'application/octet-stream'], ['content-length', String(body.length)]];
    await request.respond(headers, request.method === 'HEAD' ? {} : { body: new Uint8Array(body) });
  } catch {
    await notFound();
  }
}
