import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { WwatpError } from '../../../tree/errors.js';
import { TreeNode } from '../../../tree/tree-node.js';
import type { Command } from '../command.js';
import { CLIENT_OPTIONS_HELP, listOption, parseClientArgs, stringOption } from '../client-options.js';
import { UsageError } from '../exit-codes.js';
import { withClient } from './with-client.js';

const HELP = `wwatp collector SUBCOMMAND URL ...   collections on a server's /collector mount

  create   URL NS/COLLECTION [--type json|<package>.<Message>] [--index FIELD]... [--label KEY=VALUE]...
           creates the collection (schemaless json by default), or updates its indexed fields and labels
  put      URL NS/COLLECTION ID JSON|@FILE|-     writes a record (JSON text, a file, or stdin)
  get      URL NS/COLLECTION ID                  prints the record's JSON
  delete   URL NS/COLLECTION [ID]                deletes a record, or the whole collection
  search   URL NS/COLLECTION ['QUERY']           prints matching records, one JSON line each:
           QUERY like 'year>=2000&title~dune&order=-year&limit=10' (docs/COLLECTOR.md)
           NS or COLLECTION may be * to search several collections
  describe URL NS/COLLECTION                     prints the collection: type, indexed fields, labels, count
  list     URL [NS]                              lists namespaces, or a namespace's collections
  register URL NS FILE.proto                     registers a .proto file's types in namespace NS

Each is a plain tree operation on /collector/... paths, the same as wwatp get/put/query/delete.
  --mount LABEL    where the collector is mounted (default collector)

${CLIENT_OPTIONS_HELP}`;

function collectionPath(text: string | undefined): string {
  if (text === undefined) throw new UsageError('missing NS/COLLECTION');
  const parts = text.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length !== 2 || parts.some((p) => p === '')) throw new UsageError(`give the collection as NS/COLLECTION, got "${text}"`);
  return parts.join('/');
}

function readJson(text: string): unknown {
  const source = text === '-' ? readFileSync(0, 'utf8') : text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text;
  try {
    return JSON.parse(source);
  } catch (cause) {
    throw new WwatpError('MALFORMED', `the record is not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  }
}

function needs(value: string | undefined, what: string): string {
  if (value === undefined) throw new UsageError(`missing ${what}`);
  return value;
}

/** A collection node's properties as one JSON object. */
function describeNode(node: TreeNode): Record<string, unknown> {
  const out: Record<string, unknown> = { collection: node.labelRule };
  for (const p of node.properties()) out[p.name] = typeof p.value === 'bigint' ? Number(p.value) : p.value;
  return out;
}

function recordLine(node: TreeNode, mount: string): string {
  const label = node.labelRule.slice(mount.length + 1);
  const [ns, collection, id] = label.split('/');
  return JSON.stringify({ namespace: ns, collection, id, version: node.version.versionNumber, record: node.getProperty('record') ?? null });
}

export const collectorCommand: Command = {
  name: 'collector',
  summary: 'create, write, read and search collections under /collector',
  help: HELP,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === undefined) throw new UsageError('missing the subcommand (create, put, get, delete, search, describe, list, register)');
    const { positionals, values } = parseClientArgs(rest, {
      type: { type: 'string' },
      index: { type: 'string', multiple: true },
      label: { type: 'string', multiple: true },
      mount: { type: 'string' },
    });
    const mount = (stringOption(values, 'mount') ?? 'collector').replace(/^\/+|\/+$/g, '');
    const json = values.json === true;
    return withClient(positionals, values, async (client, operands) => {
      switch (sub) {
        case 'create': {
          const path = collectionPath(operands[0]);
          const node = new TreeNode({ labelRule: `${mount}/${path}` });
          node.insertProperty('messageType', 'string', stringOption(values, 'type') ?? 'json');
          const fields = listOption(values, 'index');
          if (fields !== undefined) node.insertProperty('indexedFields', 'json', fields);
          const labels = listOption(values, 'label');
          if (labels !== undefined) {
            const map: Record<string, string> = {};
            for (const l of labels) {
              const eq = l.indexOf('=');
              if (eq <= 0) throw new UsageError(`--label needs KEY=VALUE, got "${l}"`);
              map[l.slice(0, eq)] = l.slice(eq + 1);
            }
            node.insertProperty('labels', 'json', map);
          }
          await client.upsertNode([node]);
          const described = await client.getNode(`${mount}/${path}`);
          console.log(json && described ? JSON.stringify(describeNode(described)) : `collection ${path} ready`);
          return 0;
        }
        case 'put': {
          const path = collectionPath(operands[0]);
          const id = needs(operands[1], 'the record ID');
          const record = readJson(needs(operands[2], 'the record (JSON, @FILE or -)'));
          const label = `${mount}/${path}/${id}`;
          const prior = await client.getNode(label);
          const node = new TreeNode({ labelRule: label, ...(prior ? { version: { versionNumber: (prior.version.versionNumber + 1) % prior.version.maxVersionSequence } } : {}) });
          node.insertProperty('record', 'json', record);
          await client.upsertNode([node]);
          console.log(json ? JSON.stringify({ written: label }) : `wrote ${path}/${id}`);
          return 0;
        }
        case 'get': {
          const path = collectionPath(operands[0]);
          const id = needs(operands[1], 'the record ID');
          const node = await client.getNode(`${mount}/${path}/${id}`);
          if (!node) throw new WwatpError('NOT_FOUND', `no record ${id} in ${path}`);
          console.log(JSON.stringify(node.getProperty('record'), null, json ? undefined : 2));
          return 0;
        }
        case 'delete': {
          const path = collectionPath(operands[0]);
          const label = operands[1] === undefined ? `${mount}/${path}` : `${mount}/${path}/${operands[1]}`;
          if (!(await client.deleteNode(label))) throw new WwatpError('NOT_FOUND', `nothing at ${label}`);
          console.log(json ? JSON.stringify({ deleted: label }) : `deleted ${label.slice(mount.length + 1)}`);
          return 0;
        }
        case 'search': {
          const path = needs(operands[0], 'NS/COLLECTION');
          const parts = path.split('/');
          if (parts.length !== 2) throw new UsageError(`give the collection as NS/COLLECTION, got "${path}"`);
          const query = operands[1] ?? '';
          const nodes = await client.queryNodes(`${mount}/${path}/*?${query.replace(/^\?/, '')}`);
          for (const node of nodes) console.log(recordLine(node, mount));
          return 0;
        }
        case 'describe': {
          const path = collectionPath(operands[0]);
          const node = await client.getNode(`${mount}/${path}`);
          if (!node) throw new WwatpError('NOT_FOUND', `no collection ${path}`);
          console.log(JSON.stringify(describeNode(node), null, json ? undefined : 2));
          return 0;
        }
        case 'list': {
          const ns = operands[0];
          const nodes = await client.queryNodes(ns === undefined ? `${mount}/*` : `${mount}/${ns}/*`);
          for (const node of nodes) {
            const name = node.labelRule.slice(mount.length + 1);
            if (json) console.log(JSON.stringify(ns === undefined ? { namespace: name } : describeNode(node)));
            else console.log(ns === undefined ? name : `${name}\t${String(node.getProperty('messageType'))}\t${String(node.getProperty('recordCount'))} records`);
          }
          return 0;
        }
        case 'register': {
          const ns = needs(operands[0], 'the namespace NS');
          const file = needs(operands[1], 'the .proto FILE');
          const fileName = basename(file);
          const node = new TreeNode({ labelRule: `${mount}/system/protos/${ns}:${fileName}` });
          node.insertProperty('record', 'json', { namespace: ns, fileName, source: readFileSync(file, 'utf8') });
          await client.upsertNode([node]);
          console.log(json ? JSON.stringify({ registered: `${ns}:${fileName}` }) : `registered ${fileName} in ${ns}`);
          return 0;
        }
        default:
          throw new UsageError(`unknown subcommand "${sub}" (create, put, get, delete, search, describe, list, register)`);
      }
    });
  },
};
