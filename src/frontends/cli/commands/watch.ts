import { connect } from '../../client/connect.js';
import { nodeToJson } from '../../../tree/codecs/json-node.js';
import type { Command } from '../command.js';
import { CLIENT_OPTIONS_HELP, connectOptions, parseClientArgs } from '../client-options.js';
import { UsageError } from '../exit-codes.js';

export const watchCommand: Command = {
  name: 'watch',
  summary: 'print one JSON line per change until interrupted',
  help: `wwatp watch URL [RULE] [--exact]

Prints {"label", "node"} as one JSON line for every change to RULE (default: the whole
tree) and everything below it (--exact: the matching labels only), until Ctrl-C.
Reconnects by itself if the connection drops.

${CLIENT_OPTIONS_HELP}`,
  async run(args) {
    const { positionals, values } = parseClientArgs(args, { exact: { type: 'boolean', default: false } });
    const [url, rule = ''] = positionals;
    if (!url) throw new UsageError('missing the server URL (wwatp://host:port/)');
    const client = await connect(url, {
      ...connectOptions(values),
      reconnect: true,
      onState: (state) => console.error(`wwatp watch: ${state}`),
    });
    client.registerNodeListener('wwatp-watch', rule, values.exact !== true, (_b, label, node) => {
      console.log(JSON.stringify({ label, node: node ? nodeToJson(node) : null }));
    });
    await client.processNotifications();
    console.error(`wwatp watch: watching ${rule === '' ? 'the whole tree' : rule} on ${url} (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await client.close();
    return 0;
  },
};
