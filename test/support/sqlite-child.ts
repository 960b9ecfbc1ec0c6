import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The uid/gid of `nobody`, for running a child where root's permission bypass would hide a fault. */
export const NOBODY = 65534;

export interface NodeChild {
  readonly process: ChildProcess;
  /** Every complete stdout line so far (a line cut by a kill is not included). */
  readonly lines: string[];
  /** Resolves with the first line satisfying `test` (rejects if the child exits first). */
  waitFor(test: (line: string) => boolean): Promise<string>;
  /** Resolves when the child has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs a TypeScript file from test/support in a real child process through tsx's loader
 * (`node --import tsx`, so a SIGKILL hits the process doing the work, not a wrapper).
 */
export function runSupportScript(script: string, args: readonly string[], options: { uid?: number } = {}): NodeChild {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  const lines: string[] = [];
  const waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) {
      if (w.test(line)) w.resolve(line);
      else waiters.push(w);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    process: child,
    lines,
    exited,
    waitFor(test) {
      const seen = lines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ test, resolve });
        void exited.then(({ code, signal }) => reject(new Error(`${script} exited (${String(code ?? signal)}) before the expected line; stderr: ${stderr}`)));
      });
    },
  };
}
