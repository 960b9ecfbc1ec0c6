// Marks the package's command-line entry points (package.json "bin") executable after a
// build. tsc writes them 0644, and npm sets the bit only when it installs the package
// elsewhere, so in a clone `npx wwatp` (the README's command) would fail with
// "Permission denied".
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const path of Object.values(typeof bin === 'string' ? { main: bin } : (bin ?? {}))) {
  const file = join(root, path);
  chmodSync(file, statSync(file).mode | 0o111);
}
