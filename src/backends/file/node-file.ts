import { WwatpError } from '../../tree/errors.js';
import { treeToYaml, yamlToTree } from '../../tree/codecs/yaml-tree.js';
import { stateOf, type NodeState, type TreeNode } from '../../tree/tree-node.js';

/**
 * One node as the text of its `.node.yaml` file: the node's own mapping from the
 * whole-tree YAML format (description, version, query_how_to, qa_sequence,
 * child_names, `name.type: value` properties), at the top level of the file.
 *
 * yaml-tree.ts exports only whole-tree functions, so a node is written as a one-node
 * tree under a placeholder key and the key line is cut off; reading puts it back. YAML
 * indentation is relative (block scalar indicators like `|2` included), so shifting
 * every line by the same amount keeps the meaning. Document markers and directives
 * only mean something at column 0, so a file holding them is refused as MALFORMED
 * (a leading `---` alone is allowed and dropped).
 */
const KEY = 'node';
const INDENT = '  ';

export function nodeToText(node: TreeNode): string {
  const whole = treeToYaml([node.withLabel(KEY)]);
  const lines = whole.split('\n');
  if (lines[0] !== `${KEY}:`) throw new WwatpError('INTERNAL', `unexpected tree YAML shape: ${JSON.stringify(lines[0])}`);
  return lines
    .slice(1)
    .map((line) => {
      if (line === '') return line;
      if (!line.startsWith(INDENT)) throw new WwatpError('INTERNAL', `unexpected tree YAML indentation: ${JSON.stringify(line)}`);
      return line.slice(INDENT.length);
    })
    .join('\n');
}

const MARKER = /^(?:---|\.\.\.)(?:\s|$)|^%/;

/** Parses a node file; the label comes from the file's path. Throws WwatpError. */
export function textToState(text: string, label: string): NodeState {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const marker = lines[0] !== undefined && /^---\s*$/.test(lines[0]);
  if (marker) lines.shift();
  if (lines.some((line) => MARKER.test(line))) {
    throw new WwatpError('MALFORMED', 'a node file holds one YAML document without directives or further document markers');
  }
  const nested = `${KEY}:\n${lines.map((line) => (line === '' ? line : INDENT + line)).join('\n')}`;
  let nodes: TreeNode[];
  try {
    nodes = yamlToTree(nested);
  } catch (cause) {
    // yamlToTree names the placeholder node; name the real one.
    if (cause instanceof WwatpError) throw new WwatpError(cause.code, `node "${label}": ${unshift(cause.message, marker ? 0 : 1)}`, { cause });
    throw cause;
  }
  const [node] = nodes;
  if (!node || node.labelRule !== KEY || nodes.length !== 1) {
    throw new WwatpError('MALFORMED', 'a node file holds one node mapping (description, properties, ...) and no "children" (they are files in the directory)');
  }
  return stateOf(node.withLabel(label));
}

/** Points a parser message back at the file: drops the placeholder and the added line and indent. */
function unshift(message: string, addedLines: number): string {
  return message
    .replace(`node "${KEY}": `, '')
    .replace(/at line (\d+), column (\d+)/, (_, line: string, column: string) => `at line ${Number(line) - addedLines}, column ${Math.max(1, Number(column) - INDENT.length)}`);
}
