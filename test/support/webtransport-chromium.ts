/**
 * Chromium as an independent WebTransport client, the way the product uses it: the page
 * is served over plain http from localhost (a secure context) and opens
 * `new WebTransport(url, { serverCertificateHashes })`. No certificate or QUIC flags:
 * the server's development certificate (ECDSA, ≤ 14 days) is accepted through its hash.
 */
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM } from './chromium.js';
import { WEBTRANSPORT_PAGE, type WtPageApi } from './webtransport-page.js';

export async function launchChromiumForWebTransport(options: { netLog?: string } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--enable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...(options.netLog === undefined ? [] : [`--log-net-log=${options.netLog}`, '--net-log-capture-mode=IncludeSensitive']),
    ],
  });
}

/** Serves the test page on http://localhost:PORT/ (a secure context without TLS). */
export async function servePage(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(WEBTRANSPORT_PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

type Fn = (...args: never[]) => unknown;
type Api = { [K in keyof WtPageApi]: WtPageApi[K] extends Fn ? WtPageApi[K] : never };

/** Calls `window.wtTest[name](...args)` in the page. */
export function callPage<K extends keyof WtPageApi>(page: Page, name: K, ...args: Parameters<Api[K]>): Promise<Awaited<ReturnType<Api[K]>>> {
  return page.evaluate(
    ({ name, args }) => {
      const api = (globalThis as unknown as { wtTest: Record<string, (...a: unknown[]) => unknown> }).wtTest;
      return api[name]?.(...args);
    },
    { name: name as string, args: args as unknown[] },
  ) as Promise<Awaited<ReturnType<Api[K]>>>;
}
