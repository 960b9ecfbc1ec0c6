import { treeToYaml } from '../../tree/codecs/yaml-tree.js';
import { nodeToJson } from '../../tree/codecs/json-node.js';
import type { TreeNode } from '../../tree/tree-node.js';

export function printNodes(nodes: readonly TreeNode[], json: boolean): void {
  if (json) console.log(JSON.stringify(nodes.map(nodeToJson), null, 2));
  else if (nodes.length > 0) process.stdout.write(treeToYaml(nodes));
}

/** An indented outline of nodes (parents before children), one line each. */
export function printOutline(nodes: readonly TreeNode[], base: string): void {
  const depthOf = (label: string): number => label.split('/').length - (base === '' ? 0 : base.split('/').length);
  for (const node of nodes) {
    const depth = Math.max(0, depthOf(node.labelRule) - (base === '' ? 1 : 0));
    const name = node.labelRule.split('/').at(-1) ?? node.labelRule;
    const props = node.propertyInfos.length > 0 ? `  [${node.propertyInfos.map((p) => `${p.name}:${p.type}`).join(', ')}]` : '';
    const description = node.description ? `  — ${node.description.split('\n')[0]}` : '';
    console.log(`${'  '.repeat(depth)}${name}${description}${props}`);
  }
}
