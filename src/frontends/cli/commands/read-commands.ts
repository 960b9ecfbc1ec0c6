import { WwatpError } from '../../../tree/errors.js';
import { journalEntriesToWire } from '../../../transport/wwatp/payloads.js';
import { nodeToJson } from '../../../tree/codecs/json-node.js';
import type { Command } from '../command.js';
import { CLIENT_OPTIONS_HELP, parseClientArgs } from '../client-options.js';
import { UsageError } from '../exit-codes.js';
import { printNodes, printOutline } from '../output.js';
import { withClient } from './with-client.js';

function needs(rest: string[], what: string): string {
  const value = rest[0];
  if (value === undefined) throw new UsageError(`missing ${what}`);
  return value;
}

export const getCommand: Command = {
  name: 'get',
  summary: 'print one node',
  help: `wwatp get URL LABEL [--json]\n\nPrints the node at LABEL as YAML (or JSON). Exits with NOT_FOUND's code when there is none.\n\n${CLIENT_OPTIONS_HELP}`,
  async run(args) {
    const { positionals, values } = parseClientArgs(args, {});
    return withClient(positionals, values, async (client, rest) => {
      const label = needs(rest, 'the LABEL');
      const node = await client.getNode(label);
      if (!node) throw new WwatpError('NOT_FOUND', `no node at "${label}"`);
      printNodes([node], values.json === true);
      return 0;
    });
  },
};

export const queryCommand: Command = {
  name: 'query',
  summary: 'list the nodes matching a label rule',
  help: `wwatp query URL RULE [--json]\n\nRULE: an exact label, * for one segment, ** for any depth (e.g. "lion/*", "**/note0").\nPrints matching labels with their descriptions, or the nodes as JSON.\n\n${CLIENT_OPTIONS_HELP}`,
  async run(args) {
    const { positionals, values } = parseClientArgs(args, {});
    return withClient(positionals, values, async (client, rest) => {
      const nodes = await client.queryNodes(needs(rest, 'the RULE'));
      if (values.json === true) printNodes(nodes, true);
      else for (const n of nodes) console.log(n.description ? `${n.labelRule}\t${n.description}` : n.labelRule);
      return 0;
    });
  },
};

export const pageCommand: Command = {
  name: 'page',
  summary: "print the nodes a page node lists, in order",
  help: `wwatp page URL LABEL [--json]\n\nThe nodes named by LABEL's child names, in order (missing ones skipped).\n\n${CLIENT_OPTIONS_HELP}`,
  async run(args) {
    const { positionals, values } = parseClientArgs(args, {});
    return withClient(positionals, values, async (client, rest) => {
      const nodes = await client.getPageTree(needs(rest, 'the LABEL'));
      if (values.json === true) printNodes(nodes, true);
      else for (const n of nodes) console.log(n.description ? `${n.labelRule}\t${n.description}` : n.labelRule);
      return 0;
    });
  },
};

export const treeCommand: Command = {
  name: 'tree',
  summary: 'an indented view of the tree or a subtree',
  help: `wwatp tree URL [LABEL] [--json]\n\nPrints the whole tree (or LABEL and everything below it) as an outline.\n\n${CLIENT_OPTIONS_HELP}`,
  async run(args) {
    const { positionals, values } = parseClientArgs(args, {});
    return withClient(positionals, values, async (client, rest) => {
      const base = rest[0];
      let nodes = await client.getFullTree();
      if (base !== undefined) {
        const top = await client.getNode(base);
        nodes = [...(top ? [top] : []), ...(await client.queryNodes(`${base}/**`))];
        if (nodes.length === 0) throw new WwatpError('NOT_FOUND', `nothing at or below "${base}"`);
      }
      if (values.json === true) printNodes(nodes, true);
      else printOutline(nodes, base === undefined ? '' : base.split('/').slice(0, -1).join('/'));
      return 0;
    });
  },
};

export const journalCommand: Command = {
  name: 'journal',
  summary: "print the server's journal of changes",
  help: `wwatp journal URL [--since N] [--limit N] [--json]\n\nChanges after sequence N (default 0), oldest first. Says "resync" when that history is gone.\n\n${CLIENT_OPTIONS_HELP}`,
  async run(args) {
    const { positionals, values } = parseClientArgs(args, { since: { type: 'string', default: '0' }, limit: { type: 'string', default: '1000' } });
    const since = Number(values.since);
    const limit = Number(values.limit);
    if (!Number.isSafeInteger(since) || since < 0 || !Number.isSafeInteger(limit) || limit < 1) throw new UsageError('--since and --limit take whole numbers');
    return withClient(positionals, values, async (client) => {
      const answer = await client.getJournal(since, limit);
      if (values.json === true) {
        const out = answer.kind === 'resync' ? answer : { ...answer, entries: answer.entries.map((e) => ({ sequence: e.sequence, label: e.label, node: e.node ? nodeToJson(e.node) : null })) };
        console.log(JSON.stringify(out, null, 2));
      } else if (answer.kind === 'resync') {
        console.log(`resync: history before ${answer.oldest} is gone; latest is ${answer.latest}`);
      } else {
        for (const [sequence, label, node] of journalEntriesToWire(answer.entries)) console.log(`${sequence}\t${node ? 'put' : 'delete'}\t${label}`);
      }
      return 0;
    });
  },
};
