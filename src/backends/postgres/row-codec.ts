import { WwatpError } from '../../tree/errors.js';
import { encodePage } from '../../tree/codecs/page-encoding.js';
import type { PropertyInfo } from '../../tree/property-layout.js';
import { nodeFromState, type NodeState, type TreeNode } from '../../tree/tree-node.js';
import { makeVersion, type Version } from '../../tree/versions.js';

/**
 * A node row's `node` column is the node as a one-record page of the wire's page encoding
 * (src/tree/codecs/page-encoding.ts, docs/ENCODING.md): compact, documented, and the
 * same bytes a client receives. Rows are validated when written, so reading them back
 * checks bounds (a damaged row is STORAGE) but does not re-run the node model's checks
 * as decodePage does for untrusted input: that would triple the cost of large reads.
 */
export function encodeRow(state: NodeState): Buffer {
  const bytes = encodePage([nodeFromState(state)]);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// Versions are frozen values and most nodes share a few: reuse them instead of rebuilding.
const plainVersions = new Map<string, Version>();

function plainVersion(versionNumber: number, maxVersionSequence: number, policy: string): Version {
  const key = `${versionNumber}/${maxVersionSequence}/${policy}`;
  let version = plainVersions.get(key);
  if (!version) {
    version = makeVersion({ versionNumber, maxVersionSequence, policy });
    if (plainVersions.size >= 4096) plainVersions.clear();
    plainVersions.set(key, version);
  }
  return version;
}

const EMPTY_STRINGS: readonly string[] = Object.freeze([]);
const EMPTY_INFOS: readonly PropertyInfo[] = Object.freeze([]);

class RowReader {
  #pos = 0;
  readonly #end: number;

  constructor(
    readonly buf: Buffer,
    readonly label: string,
  ) {
    this.#end = buf.length;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  damaged(what: string): WwatpError {
    return new WwatpError('STORAGE', `the stored row of node "${this.label}" is damaged (${what})`);
  }

  #need(n: number, what: string): number {
    if (n > this.#end - this.#pos) throw this.damaged(`${what} runs past the end`);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  u8(what: string): number {
    return this.buf[this.#need(1, what)] as number;
  }

  u16(what: string): number {
    return this.buf.readUInt16LE(this.#need(2, what));
  }

  u32(what: string): number {
    return this.buf.readUInt32LE(this.#need(4, what));
  }

  str(what: string): string {
    const n = this.u32(what);
    const at = this.#need(n, what);
    return this.buf.toString('utf8', at, at + n);
  }

  optional(what: string): string | undefined {
    const flag = this.u8(what);
    if (flag > 1) throw this.damaged(`presence byte of ${what}`);
    return flag === 1 ? this.str(what) : undefined;
  }

  /** A plain Uint8Array view (not a Buffer, whose slice() would share memory). */
  bytes(what: string): Uint8Array {
    const n = this.u32(what);
    const at = this.#need(n, what);
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + at, n);
  }
}

/** The state stored in a row; its label must be the row's. */
export function decodeState(label: string, buf: Buffer): NodeState {
  const r = new RowReader(buf, label);
  if (r.u32('record count') !== 1) throw r.damaged('not one record');
  if (r.u32('record length') !== r.remaining) throw r.damaged('record length');
  const labelRule = r.str('label');
  if (labelRule !== label) throw r.damaged(`it holds node "${labelRule}"`);
  const description = r.str('description');
  const queryHowTo = r.optional('queryHowTo');
  const qaSequence = r.optional('qaSequence');
  const propertyCount = r.u32('property count');
  const infos: PropertyInfo[] = [];
  for (let i = 0; i < propertyCount; i++) {
    const type = r.str('property type');
    infos.push(Object.freeze({ type, name: r.str('property name') }));
  }
  const versionNumber = r.u16('version');
  const maxVersionSequence = r.u32('max version sequence');
  const policy = r.str('policy');
  const authorialProof = r.optional('authorialProof');
  const authors = r.optional('authors');
  const readers = r.optional('readers');
  const depthFlag = r.u8('collisionDepth');
  if (depthFlag > 1) throw r.damaged('presence byte of collisionDepth');
  const collisionDepth = depthFlag === 1 ? r.u32('collisionDepth') : undefined;
  const childCount = r.u32('child count');
  const childNames: string[] = [];
  for (let i = 0; i < childCount; i++) childNames.push(r.str('child name'));
  const propertyData = r.bytes('contents');
  if (r.remaining !== 0) throw r.damaged('trailing bytes');
  let version: Version;
  try {
    const plain = authorialProof === undefined && authors === undefined && readers === undefined && collisionDepth === undefined;
    version = plain ? plainVersion(versionNumber, maxVersionSequence, policy) : makeVersion({ versionNumber, maxVersionSequence, policy, authorialProof, authors, readers, collisionDepth });
  } catch {
    throw r.damaged('version');
  }
  return Object.freeze({
    labelRule,
    description,
    propertyInfos: infos.length === 0 ? EMPTY_INFOS : Object.freeze(infos),
    version,
    childNames: childNames.length === 0 ? EMPTY_STRINGS : Object.freeze(childNames),
    propertyData,
    queryHowTo,
    qaSequence,
  });
}

export function decodeRow(label: string, buf: Buffer): TreeNode {
  return nodeFromState(decodeState(label, buf));
}
