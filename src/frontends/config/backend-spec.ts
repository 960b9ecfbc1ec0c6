import { WwatpError } from '../../tree/errors.js';

/**
 * How a user names a backend on the command line or in wwatp.yaml:
 *   memory · sqlite:PATH · postgres:URL (or postgres://..., postgresql://...) · file:DIR
 *   · wwatp://host:port/ (or https://host:port/) for a remote tree.
 */
export type BackendSpec =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string }
  | { kind: 'file'; dir: string }
  | { kind: 'remote'; url: string };

export function parseBackendSpec(text: string): BackendSpec {
  const spec = text.trim();
  if (spec === 'memory') return { kind: 'memory' };
  if (spec.startsWith('sqlite:')) return nonEmpty({ kind: 'sqlite', path: spec.slice('sqlite:'.length) }, spec);
  if (spec.startsWith('file:')) return nonEmpty({ kind: 'file', dir: spec.slice('file:'.length) }, spec);
  if (spec.startsWith('postgres://') || spec.startsWith('postgresql://')) return { kind: 'postgres', url: spec };
  if (spec.startsWith('postgres:')) return nonEmpty({ kind: 'postgres', url: spec.slice('postgres:'.length) }, spec);
  if (spec.startsWith('wwatp://') || spec.startsWith('https://')) return { kind: 'remote', url: spec };
  throw new WwatpError('INVALID_NODE', `unknown backend "${spec}": use memory, sqlite:PATH, postgres:URL, file:DIR or wwatp://host:port/`);
}

function nonEmpty<T extends BackendSpec>(spec: T, text: string): T {
  const value = 'path' in spec ? spec.path : 'dir' in spec ? spec.dir : 'url' in spec ? spec.url : 'x';
  if (value === '') throw new WwatpError('INVALID_NODE', `backend "${text}" needs a value after the colon`);
  return spec;
}

/** `LABEL=SPEC`, as given to --mount. */
export function parseMount(text: string): { label: string; spec: BackendSpec } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new WwatpError('INVALID_NODE', `--mount needs LABEL=BACKEND, got "${text}"`);
  return { label: text.slice(0, eq), spec: parseBackendSpec(text.slice(eq + 1)) };
}
