/**
 * The wire form of nodes (cbor-node.ts) read straight from the CBOR bytes into node
 * states, the mirror of cbor-node-writer.ts. The generic way (cbor-x builds arrays of
 * arrays, then nodeFromWire checks them and builds the state) made about fifteen objects
 * per node, and a 10,000-node answer spent more time collecting them than decoding.
 *
 * This reader takes only ordinary input (see CborCursor) and runs the same checks as
 * nodeFromWire. On anything else, a node that fails a check included, it answers
 * undefined and the caller decodes the same bytes the generic way, which then fails with
 * its exact error, so both ways accept the same input and say the same thing about it.
 */
import { DEFAULT_MAX_CONTENT_BYTES } from '../limits.js';
import { nodeFromState, propertyInfosFromPairs, stateFromDecoded, type PropertyInfo, type TreeNode } from '../tree-node.js';
import { versionFromFields } from '../versions.js';
import { CborCursor, MAJOR_ARRAY } from './cbor-cursor.js';
import { fillsItsBuffer, type NodeDecodeOptions } from './cbor-node.js';

// Scratch for a node's property names and types; reads never interleave.
const pairs: string[] = [];
// The shape and policy of the node read last: the next one usually has the same.
let lastShape: readonly PropertyInfo[] = propertyInfosFromPairs([], 0);
let lastPolicy = 'default';

function readNode(c: CborCursor, limit: number, ownedInput: boolean): TreeNode {
  c.expectLength(MAJOR_ARRAY, 8);
  const label = c.text();
  const description = c.text();
  const count = c.expect(MAJOR_ARRAY);
  let sameShape = count === lastShape.length;
  for (let i = 0; i < count; i++) {
    c.expectLength(MAJOR_ARRAY, 2);
    const known = sameShape ? lastShape[i] : undefined;
    const type = c.textLike(known?.type);
    const name = c.textLike(known?.name);
    if (known === undefined || type !== known.type || name !== known.name) sameShape = false;
    pairs[2 * i] = type;
    pairs[2 * i + 1] = name;
  }
  if (!sameShape) lastShape = propertyInfosFromPairs(pairs, count);
  const infos = lastShape;
  c.expectLength(MAJOR_ARRAY, 7);
  const number = c.uint();
  const max = c.uint();
  const policy = (lastPolicy = c.textLike(lastPolicy));
  const proof = c.optText();
  const authors = c.optText();
  const readers = c.optText();
  const depth = c.nul() ? undefined : c.uint();
  const version = versionFromFields(number, max, policy, proof, authors, readers, depth);
  const childCount = c.expect(MAJOR_ARRAY);
  const childNames: string[] = [];
  for (let i = 0; i < childCount; i++) childNames.push(c.text());
  const contents = c.byteString();
  // Over the limit: the generic path says TOO_LARGE.
  if (contents.length > limit) c.giveUp();
  const queryHowTo = c.optText();
  const qaSequence = c.optText();
  return nodeFromState(stateFromDecoded(label, description, infos, version, childNames, contents, queryHowTo, qaSequence, ownedInput && fillsItsBuffer(contents)));
}

function attempt<T>(bytes: Uint8Array, start: number, end: number, read: (c: CborCursor) => T): T | undefined {
  try {
    const c = new CborCursor(bytes, start, end);
    const value = read(c);
    return c.atEnd ? value : undefined;
  } catch {
    // Unusual input or a failed check: the generic decoder has the last word.
    return undefined;
  }
}

/** The nodes of a CBOR array of wire nodes at bytes[start, end), or undefined (see above). */
export function readWireNodeList(bytes: Uint8Array, start: number, end: number, options: NodeDecodeOptions = {}): TreeNode[] | undefined {
  const limit = options.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  const owned = options.ownedInput === true;
  return attempt(bytes, start, end, (c) => {
    const n = c.expect(MAJOR_ARRAY);
    const nodes: TreeNode[] = [];
    for (let i = 0; i < n; i++) nodes.push(readNode(c, limit, owned));
    return nodes;
  });
}

/** One wire node at bytes[start, end), or undefined (see above). */
export function readWireNode(bytes: Uint8Array, start: number, end: number, options: NodeDecodeOptions = {}): TreeNode | undefined {
  return attempt(bytes, start, end, (c) => readNode(c, options.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES, options.ownedInput === true));
}
