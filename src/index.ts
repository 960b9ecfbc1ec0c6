/**
 * wwatp — the World Wide Anthropomorphic Tree Protocol: a tree of versioned nodes that
 * people, programs and agents browse, watch and write. This is the package root.
 */
export * from './tree/index.js';
export * from './backends/index.js';
export { YamlMediator, FileDocument, NodeDocument, type YamlDocument, type YamlMediatorOptions, type YamlFileOptions } from './frontends/yaml-mediator/index.js';
