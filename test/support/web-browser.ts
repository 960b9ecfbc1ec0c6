/**
 * Stock headless Chromium for the browser client tests: no certificate or QUIC-forcing
 * flags, so what works here works in a user's browser (WebTransport trusts the server
 * through serverCertificateHashes alone). The background-networking flags keep it from
 * calling out to the closed network at start.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM } from './chromium.js';

export const STOCK_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--enable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchStockChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh`);
  return chromium.launch({ executablePath: CHROMIUM, args: STOCK_FLAGS });
}

/** Builds the client bundle alone into `outdir` with the project's own script. */
export async function buildClientBundle(outdir: string): Promise<void> {
  await promisify(execFile)(process.execPath, ['web/build.mjs', '--outdir', outdir, '--client-only'], { timeout: 60_000 });
}

/** Keeps the page's console errors and uncaught exceptions, for failure messages. */
export function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

/** A page that loads wwatp-client.js and exposes it as window.wwatp. */
export const TEST_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>loading</title>
<script type="module">
import * as wwatp from './wwatp-client.js';
window.wwatp = wwatp;
window.events = [];
document.title = 'ready';
</script>
`;
