#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { WwatpError } from '../../tree/errors.js';
import type { Command } from './command.js';
import { exitCodeOf, exitCodeTable, UsageError } from './exit-codes.js';
import { serveCommand } from './commands/serve.js';
import { getCommand, journalCommand, pageCommand, queryCommand, treeCommand } from './commands/read-commands.js';
import { deleteCommand, putCommand } from './commands/write-commands.js';
import { watchCommand } from './commands/watch.js';
import { collectorCommand } from './commands/collector.js';

const COMMANDS: readonly Command[] = [serveCommand, getCommand, putCommand, deleteCommand, queryCommand, pageCommand, treeCommand, watchCommand, journalCommand, collectorCommand];

/** The version in the nearest package.json above this file (works from src/ and dist/). */
function version(): string {
  for (let up = '../'; up.length < 40; up += '../') {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'wwatp') return pkg.version;
    } catch {
      // keep looking further up
    }
  }
  return 'unknown';
}

function mainHelp(): string {
  return `wwatp — the World Wide Anthropomorphic Tree Protocol

usage: wwatp <command> [arguments]   (wwatp <command> --help for each)

${COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join('\n')}

Client commands take the server URL first (wwatp://host:port/) and verify the server
with --hash HEX (printed by wwatp serve), --ca FILE or --insecure.

Exit status: 0 success, 1 unexpected failure, 2 bad command line, or the error's code:
${exitCodeTable()}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(version());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`wwatp: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (error) {
    if (error instanceof UsageError) console.error(`wwatp ${name}: ${error.message}\n\n${command.help}`);
    else if (error instanceof WwatpError) console.error(`wwatp ${name}: ${error.code}: ${error.message}`);
    else console.error(`wwatp ${name}:`, error);
    return exitCodeOf(error);
  }
}

process.exitCode = await main(process.argv.slice(2));
