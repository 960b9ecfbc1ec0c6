/** One `wwatp` subcommand: its help and what it does. `run` returns the exit status. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  run(args: string[]): Promise<number>;
}
