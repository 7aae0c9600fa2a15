/** Starts and stops fixture programs in child processes (node --import tsx). */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

export interface Fixture {
  readonly child: ChildProcess;
  readonly states: string[];
  /** Every task assignment the fixture received, in order. */
  readonly assignments: string[][];
  /** Resolves when the fixture reports `state` (rejects if it exits first). */
  waitForState(state: string, timeoutMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export function startFixture(program: string, args: unknown, env: Record<string, string> = {}): Fixture {
  // Debugging aid: STREAMS_FIXTURE_LOG_DIR=<dir> keeps each child's output (state lines, logs) in <dir>/<pid>.log.
  const logDir = process.env.STREAMS_FIXTURE_LOG_DIR;
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', program), JSON.stringify(args)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', logDir === undefined ? 'inherit' : 'pipe'],
  });
  const logFile = logDir === undefined || child.pid === undefined ? undefined : join(logDir, `${child.pid}.log`);
  if (logFile !== undefined) child.stderr?.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
  const states: string[] = [];
  const assignments: string[][] = [];
  const waiters: { state: string; resolve: () => void }[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    if (logFile !== undefined) appendFileSync(logFile, chunk);
    buffered += chunk.toString();
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
      try {
        const parsed = JSON.parse(line) as { state?: string; assignment?: string[] };
        if (parsed.assignment !== undefined) assignments.push(parsed.assignment);
        if (parsed.state !== undefined) {
          states.push(parsed.state);
          for (const waiter of waiters.filter((w) => w.state === parsed.state)) waiter.resolve();
        }
      } catch {
        // not a state line
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    states,
    assignments,
    exited,
    waitForState(state, timeoutMs = 60_000) {
      if (states.includes(state)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fixture did not reach ${state} within ${timeoutMs} ms (states: ${states.join(',')})`)), timeoutMs);
        waiters.push({
          state,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`fixture exited before reaching ${state} (states: ${states.join(',')})`));
        });
      });
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
