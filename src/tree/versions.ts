import { WwatpError } from './errors.js';
import { DEFAULT_MAX_VERSION_SEQUENCE, MAX_VERSION_SEQUENCE_LIMIT } from './limits.js';

/**
 * A node's version: a sequence number modulo maxVersionSequence, a policy name, and
 * optional references (node labels) for authorial proof, authors and readers.
 */
export interface Version {
  readonly versionNumber: number;
  readonly maxVersionSequence: number;
  readonly policy: string;
  readonly authorialProof?: string;
  readonly authors?: string;
  readonly readers?: string;
  readonly collisionDepth?: number;
}

export type VersionInit = Partial<Version>;

function isUint(value: unknown, limit: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < limit;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new WwatpError('INVALID_NODE', `version.${field} must be a string`);
  return value;
}

/** Validates and completes a version, returning a frozen value. */
export function makeVersion(init: VersionInit = {}): Version {
  return versionFromFields(
    init.versionNumber ?? 0, init.maxVersionSequence ?? DEFAULT_MAX_VERSION_SEQUENCE, init.policy ?? 'default',
    init.authorialProof, init.authors, init.readers, init.collisionDepth,
  );
}

/** makeVersion from its fields one by one (for decoders, which have no init object to hand). */
export function versionFromFields(number: unknown, max: unknown, policy: unknown, proof: unknown, authors: unknown, readers: unknown, depth: unknown): Version {
  if (max === DEFAULT_MAX_VERSION_SEQUENCE && policy === 'default' && proof == null && authors == null && readers == null && depth == null && isUint(number, max)) {
    return plainVersion(number);
  }
  if (!isUint(max, MAX_VERSION_SEQUENCE_LIMIT + 1) || max < 2) {
    throw new WwatpError('INVALID_NODE', `version.maxVersionSequence must be an integer from 2 to ${MAX_VERSION_SEQUENCE_LIMIT}, got ${String(max)}`);
  }
  if (!isUint(number, max)) {
    throw new WwatpError('INVALID_NODE', `version.versionNumber must be an integer from 0 to ${max - 1}, got ${String(number)}`);
  }
  if (typeof policy !== 'string') throw new WwatpError('INVALID_NODE', 'version.policy must be a string');
  const version: { -readonly [K in keyof Version]: Version[K] } = { versionNumber: number, maxVersionSequence: max, policy };
  const checkedProof = optionalString(proof, 'authorialProof');
  const checkedAuthors = optionalString(authors, 'authors');
  const checkedReaders = optionalString(readers, 'readers');
  if (checkedProof !== undefined) version.authorialProof = checkedProof;
  if (checkedAuthors !== undefined) version.authors = checkedAuthors;
  if (checkedReaders !== undefined) version.readers = checkedReaders;
  if (depth !== undefined && depth !== null) {
    if (!isUint(depth, 2 ** 32)) throw new WwatpError('INVALID_NODE', 'version.collisionDepth must be a non-negative integer');
    version.collisionDepth = depth;
  }
  return Object.freeze(version);
}

// Versions with every field at its default but the number: most nodes have one, so each
// is one shared value instead of an object per node decoded.
const plainVersions: Version[] = [];

/** The shared version `number` of the default policy and sequence, nothing else set. */
export function plainVersion(number: number): Version {
  let v = plainVersions[number];
  if (v === undefined) {
    if (!isUint(number, DEFAULT_MAX_VERSION_SEQUENCE)) throw new WwatpError('INVALID_NODE', `version.versionNumber must be an integer from 0 to ${DEFAULT_MAX_VERSION_SEQUENCE - 1}, got ${String(number)}`);
    v = Object.freeze({ versionNumber: number, maxVersionSequence: DEFAULT_MAX_VERSION_SEQUENCE, policy: 'default' });
    plainVersions[number] = v;
  }
  return v;
}

export const DEFAULT_VERSION: Version = makeVersion();

/** The next version: sequence number plus one, wrapping at maxVersionSequence. */
export function incrementVersion(version: Version): Version {
  return makeVersion({ ...version, versionNumber: (version.versionNumber + 1) % version.maxVersionSequence });
}

/**
 * Wrap-aware ordering of sequence numbers: within half of max, the lower number is
 * older, so with max 256, 250 is older than 5. Returns -1, 0 or 1 like a comparator.
 */
export function compareVersionNumbers(a: number, b: number, max = DEFAULT_MAX_VERSION_SEQUENCE): -1 | 0 | 1 {
  if (a === b) return 0;
  const forward = (((a - b) % max) + max) % max;
  return forward < max / 2 ? 1 : -1;
}

/** True when `a` is newer than `b` under wrap-aware ordering. */
export function isNewerVersion(a: Version, b: Version): boolean {
  return compareVersionNumbers(a.versionNumber, b.versionNumber, a.maxVersionSequence) > 0;
}

export function versionsEqual(a: Version, b: Version): boolean {
  return (
    a.versionNumber === b.versionNumber &&
    a.maxVersionSequence === b.maxVersionSequence &&
    a.policy === b.policy &&
    a.authorialProof === b.authorialProof &&
    a.authors === b.authors &&
    a.readers === b.readers &&
    a.collisionDepth === b.collisionDepth
  );
}
