import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { WwatpError } from '../../tree/errors.js';
import { parseBackendSpec, type BackendSpec } from './backend-spec.js';

/**
 * wwatp.yaml, for `wwatp serve --config`:
 *
 *   backend: sqlite:./data/tree.db     # the root (default: sqlite:DATA/tree.db)
 *   host: 127.0.0.1
 *   port: 4433
 *   static: ./web/dist                 # files for GET requests
 *   cert: ./certs/mine.pem             # with key; otherwise a development certificate
 *   key: ./certs/mine.key
 *   data: ./data                       # the data directory (the Collector lives in DATA/collector)
 *   collector: ./data/collector        # where the Collector keeps its databases; off to not mount it
 *   mounts:                            # label: backend
 *     zoo: memory
 *     archive: postgres:postgres://localhost/archive
 *     remote: wwatp://other:4433/?hash=HEX
 */
export interface ServerConfig {
  backend: BackendSpec;
  host?: string;
  port?: number;
  staticDir?: string;
  certFile?: string;
  keyFile?: string;
  mounts: Array<{ label: string; spec: BackendSpec }>;
  /** The data directory (default ./data). */
  dataDir?: string;
  /** The Collector's directory, or '' when `collector: off` (absent: DATA/collector). */
  collector?: string;
}

const KEYS = new Set(['backend', 'host', 'port', 'static', 'cert', 'key', 'mounts', 'data', 'collector']);

export function readServerConfig(path: string): ServerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new WwatpError('NOT_FOUND', `cannot read the config file ${path}`, { cause });
  }
  return parseServerConfig(text, path);
}

export function parseServerConfig(text: string, where = 'wwatp.yaml'): ServerConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new WwatpError('MALFORMED', `${where}: not valid YAML (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new WwatpError('MALFORMED', `${where}: the top level must be a mapping`);
  const d = doc as Record<string, unknown>;
  for (const key of Object.keys(d)) if (!KEYS.has(key)) throw new WwatpError('MALFORMED', `${where}: unknown key "${key}" (known: ${[...KEYS].join(', ')})`);
  const str = (key: string): string | undefined => {
    const v = d[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new WwatpError('MALFORMED', `${where}: "${key}" must be a string`);
    return v;
  };
  const port = d['port'];
  if (port !== undefined && !(typeof port === 'number' && Number.isInteger(port) && port >= 0 && port < 65536)) {
    throw new WwatpError('MALFORMED', `${where}: "port" must be a whole number from 0 to 65535`);
  }
  const mountsRaw = d['mounts'] ?? {};
  if (typeof mountsRaw !== 'object' || mountsRaw === null || Array.isArray(mountsRaw)) throw new WwatpError('MALFORMED', `${where}: "mounts" must map labels to backends`);
  const mounts = Object.entries(mountsRaw as Record<string, unknown>).map(([label, spec]) => {
    if (typeof spec !== 'string') throw new WwatpError('MALFORMED', `${where}: mount "${label}" must name a backend`);
    return { label, spec: parseBackendSpec(spec) };
  });
  const backend = str('backend');
  const collectorRaw = d['collector'];
  if (collectorRaw !== undefined && collectorRaw !== null && collectorRaw !== false && typeof collectorRaw !== 'string') {
    throw new WwatpError('MALFORMED', `${where}: "collector" must be a directory, or off`);
  }
  // YAML reads a bare `off` as the string "off" (YAML 1.2); `false` works too.
  const collector = collectorRaw === false || collectorRaw === 'off' ? '' : typeof collectorRaw === 'string' ? collectorRaw : undefined;
  return {
    backend: parseBackendSpec(backend ?? `sqlite:${str('data') ?? './data'}/tree.db`),
    ...(str('host') !== undefined ? { host: str('host') } : {}),
    ...(typeof port === 'number' ? { port } : {}),
    ...(str('static') !== undefined ? { staticDir: str('static') } : {}),
    ...(str('cert') !== undefined ? { certFile: str('cert') } : {}),
    ...(str('key') !== undefined ? { keyFile: str('key') } : {}),
    mounts,
    ...(str('data') !== undefined ? { dataDir: str('data') } : {}),
    ...(collector !== undefined ? { collector } : {}),
  };
}
