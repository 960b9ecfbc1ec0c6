/**
 * Development certificates kept on disk (cert.pem, key.pem with mode 0600), reused
 * while enough validity remains and renewed otherwise.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevCertificate, describeCertificate, type DevCertificate, type DevCertificateOptions } from './dev-certificate.js';

export const DEFAULT_MIN_VALIDITY_MS = 2 * 86_400_000;

export interface LoadOrCreateOptions extends DevCertificateOptions {
  /** Renew when less than this much validity remains (default 2 days). */
  minValidityMs?: number;
}

/**
 * Reads `dir`/cert.pem and `dir`/key.pem and returns them while they cover `hosts` and
 * remain valid longer than `minValidityMs`; otherwise makes a new pair and stores it.
 */
export async function loadOrCreateDevCertificate(
  dir: string = defaultCertsDir(),
  options: LoadOrCreateOptions = {},
): Promise<DevCertificate> {
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  const existing = await readPair(certPath, keyPath);
  if (existing && stillGood(existing, options)) return existing;
  const fresh = await createDevCertificate(options);
  await mkdir(dir, { recursive: true });
  await writeAtomically(keyPath, fresh.key, 0o600);
  await writeAtomically(certPath, fresh.cert, 0o644);
  return fresh;
}

/** The project's certs/ folder: the nearest directory above this module with a package.json. */
export function defaultCertsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'certs');
    const up = path.dirname(dir);
    if (up === dir) return path.resolve('certs');
    dir = up;
  }
}

async function readPair(certPath: string, keyPath: string): Promise<DevCertificate | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const info = describeCertificate(cert);
    return { cert, key, sha256: info.sha256, notAfter: info.notAfter };
  } catch {
    return undefined; // missing or unreadable: make a new one
  }
}

function stillGood(existing: DevCertificate, options: LoadOrCreateOptions): boolean {
  const minValidity = options.minValidityMs ?? DEFAULT_MIN_VALIDITY_MS;
  if (existing.notAfter.getTime() - Date.now() <= minValidity) return false;
  const hosts = describeCertificate(existing.cert).hosts;
  return (options.hosts ?? []).every((h) => hosts.includes(h));
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode); // the umask may have narrowed or the file existed
  await rename(tmp, file);
}
