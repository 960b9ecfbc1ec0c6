import { parseArgs } from 'node:util';
import type { ConnectOptions } from '../client/connect.js';
import { UsageError } from './exit-codes.js';

export const CLIENT_OPTIONS = {
  hash: { type: 'string' },
  ca: { type: 'string' },
  insecure: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const CLIENT_OPTIONS_HELP = `Server verification (one is required):
  --hash HEX       the server certificate's SHA-256 (printed by wwatp serve; or env WWATP_CERT_HASH)
  --ca FILE        a CA certificate in PEM (or env WWATP_CA)
  --insecure       accept any certificate (development only)
Output:
  --json           machine-readable output`;

type Extra = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

export type OptionValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface ParsedArgs {
  positionals: string[];
  values: OptionValues;
}

/** Parses a client command's arguments: positionals plus the shared and extra options. */
export function parseClientArgs(args: string[], extra: Extra): ParsedArgs {
  try {
    const parsed = parseArgs({ args, options: { ...CLIENT_OPTIONS, ...extra }, allowPositionals: true, strict: true });
    return { positionals: parsed.positionals, values: parsed.values as OptionValues };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function listOption(values: OptionValues, name: string): string[] | undefined {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

export function connectOptions(values: { hash?: unknown; ca?: unknown; insecure?: unknown }): ConnectOptions {
  const certificateHash = typeof values.hash === 'string' ? values.hash : process.env['WWATP_CERT_HASH'];
  const ca = typeof values.ca === 'string' ? values.ca : process.env['WWATP_CA'];
  const insecure = values.insecure === true;
  if (!certificateHash && !ca && !insecure) {
    throw new UsageError('the server cannot be verified: give --hash HEX (printed by wwatp serve), --ca FILE, or --insecure');
  }
  return { ...(certificateHash ? { certificateHash } : {}), ...(ca ? { ca } : {}), insecure, cacheSize: 0, reconnect: false };
}
