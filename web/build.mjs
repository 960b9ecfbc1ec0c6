// Bundles the browser code with esbuild: `node web/build.mjs [--outdir DIR] [--client-only]` (default web/dist).
//   web/client/index.ts   -> wwatp-client.js  the browser client library (standalone ESM)
//   web/explorer/main.ts  -> explorer.js      the tree explorer, when it exists
//   web/index.html and web/explorer's css/html/images are copied alongside (explorer/x.css -> x.css).
// Browser platform: a node: import anywhere in what the bundle reaches fails the build.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const web = dirname(fileURLToPath(import.meta.url));
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : join(web, 'dist');
// --client-only: just the library (tests that load their own page).
const clientOnly = process.argv.includes('--client-only');
const ASSETS = new Set(['.html', '.css', '.svg', '.png', '.ico', '.woff2']);

const bundles = [
  { entry: join(web, 'client/index.ts'), out: 'wwatp-client.js' },
  { entry: join(web, 'explorer/main.ts'), out: 'explorer.js' },
].filter((b, i) => existsSync(b.entry) && (i === 0 || !clientOnly));

async function copyAssets(from, to) {
  if (!existsSync(from)) return 0;
  let copied = 0;
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    if (entry.isDirectory()) copied += await copyAssets(source, join(to, entry.name));
    else if (ASSETS.has(extname(entry.name))) {
      await mkdir(to, { recursive: true });
      await copyFile(source, join(to, entry.name));
      copied++;
    }
  }
  return copied;
}

const started = Date.now();
await mkdir(outdir, { recursive: true });
for (const b of bundles) {
  // Separate builds: wwatp-client.js stays one self-contained file users can copy.
  await build({
    entryPoints: [b.entry],
    outfile: join(outdir, b.out),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
}
if (!clientOnly && existsSync(join(web, 'index.html'))) await copyFile(join(web, 'index.html'), join(outdir, 'index.html'));
const assets = clientOnly ? 0 : await copyAssets(join(web, 'explorer'), outdir);
process.stdout.write(`web: ${bundles.map((b) => b.out).join(', ')}${assets ? ` and ${assets} asset(s)` : ''} in ${relative(process.cwd(), outdir) || '.'} (${Date.now() - started} ms)\n`);
