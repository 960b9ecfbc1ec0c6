export * from './errors.js';
export * from './limits.js';
export * from './labels.js';
export * from './label-rule.js';
export * from './versions.js';
export * from './property-types.js';
export { TreeNode, nodeStatesEqual, type TreeNodeInit, type PropertyInfo } from './tree-node.js';
