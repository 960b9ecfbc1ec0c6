import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { WwatpError } from '../../../tree/errors.js';
import { TreeNode } from '../../../tree/tree-node.js';
import { yamlToTree } from '../../../tree/codecs/yaml-tree.js';
import { nodeFromJson } from '../../../tree/codecs/json-node.js';
import type { Command } from '../command.js';
import { CLIENT_OPTIONS_HELP, listOption, parseClientArgs, stringOption } from '../client-options.js';
import { UsageError } from '../exit-codes.js';
import { withClient } from './with-client.js';

/**
 * Nodes from a document: JSON (one node or an array, in the --json form of `wwatp get`)
 * or YAML (the tree form of `wwatp get`: nested labels, `name.type: value` properties).
 */
export function nodesFromDocument(text: string): TreeNode[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw new WwatpError('MALFORMED', 'the document is not valid JSON', { cause });
    }
    return (Array.isArray(value) ? value : [value]).map(nodeFromJson);
  }
  return yamlToTree(text);
}

/** Types whose value is the text as given. */
const TEXT_TYPES = ['string', 'String', 'Error', 'Callback'];
/** Types stored as JSON text (their values are JSON values, numbers included). */
const JSON_TYPES = ['json', 'List', 'Dictionary'];

/**
 * `name.type=value` from --property, checked by type afterwards. Text types take the
 * value as given; `json` (and `List`, `Dictionary`) read it as JSON, numbers as numbers;
 * `yaml` reads it as YAML; the rest read it as YAML with integers as 64-bit `bigint`s
 * (so `int64` keeps every digit).
 */
function propertyArg(text: string): { name: string; type: string; value: unknown } {
  const eq = text.indexOf('=');
  const key = eq < 0 ? '' : text.slice(0, eq);
  const dot = key.lastIndexOf('.');
  if (eq < 0 || dot <= 0) throw new UsageError(`--property needs name.type=value, got "${text}"`);
  const raw = text.slice(eq + 1);
  const type = key.slice(dot + 1);
  return { name: key.slice(0, dot), type, value: propertyValue(key, type, raw) };
}

function propertyValue(key: string, type: string, raw: string): unknown {
  if (TEXT_TYPES.includes(type)) return raw;
  if (JSON_TYPES.includes(type)) {
    try {
      return JSON.parse(raw) as unknown;
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new UsageError(`--property ${key}: the value is not valid JSON (${why}): ${raw}`);
    }
  }
  if (type === 'yaml') return parseYaml(raw);
  return parseYaml(raw, { intAsBigInt: true });
}

export const putCommand: Command = {
  name: 'put',
  summary: 'write nodes (from YAML or JSON, or from options)',
  help: `wwatp put URL FILE|-            nodes from a YAML tree document or JSON (- reads stdin)
wwatp put URL LABEL [--description TEXT] [--child NAME]... [--property name.type=value]...

The YAML form is what \`wwatp get\` prints: nested labels, "description", "children",
and properties written "name.type: value". The JSON form is what \`wwatp get --json\` prints.

--property values: text types (string) as given; json, List and Dictionary as JSON
('record.json={"title":"Dune","year":1965}'); yaml as YAML; others as YAML with
64-bit integers ('popularity.int64=10', 'ok.bool=true').

${CLIENT_OPTIONS_HELP}`,
  async run(args) {
    const { positionals, values } = parseClientArgs(args, {
      description: { type: 'string' },
      child: { type: 'string', multiple: true },
      property: { type: 'string', multiple: true },
    });
    return withClient(positionals, values, async (client, rest) => {
      const target = rest[0];
      if (target === undefined) throw new UsageError('missing FILE, - or LABEL');
      let nodes: TreeNode[];
      const description = stringOption(values, 'description');
      const children = listOption(values, 'child');
      const properties = listOption(values, 'property');
      if (description !== undefined || children !== undefined || properties !== undefined) {
        const node = new TreeNode({ labelRule: target, description: description ?? '', childNames: children ?? [] });
        for (const p of (properties ?? []).map(propertyArg)) node.insertProperty(p.name, p.type, p.value);
        nodes = [node];
      } else {
        const text = target === '-' ? readFileSync(0, 'utf8') : readFileSync(target, 'utf8');
        nodes = nodesFromDocument(text);
      }
      await client.upsertNode(nodes);
      if (values.json === true) console.log(JSON.stringify({ written: nodes.map((n) => n.labelRule) }));
      else console.log(`wrote ${nodes.length} node${nodes.length === 1 ? '' : 's'}`);
      return 0;
    });
  },
};

export const deleteCommand: Command = {
  name: 'delete',
  summary: 'delete a node and everything below it',
  help: `wwatp delete URL LABEL\n\nRemoves LABEL and its descendants (links to other nodes survive). Exits with NOT_FOUND's code when nothing was there.\n\n${CLIENT_OPTIONS_HELP}`,
  async run(args) {
    const { positionals, values } = parseClientArgs(args, {});
    return withClient(positionals, values, async (client, rest) => {
      const label = rest[0];
      if (label === undefined) throw new UsageError('missing the LABEL');
      if (!(await client.deleteNode(label))) throw new WwatpError('NOT_FOUND', `no node at "${label}"`);
      if (values.json === true) console.log(JSON.stringify({ deleted: label }));
      else console.log(`deleted ${label}`);
      return 0;
    });
  },
};
