/**
 * One `quintet run <topology>` child process, restarted whenever it exits, as a production supervisor
 * (systemd, Kubernetes) would: after a SIGKILL of the chaos run, and also after an exit of its own (a
 * topology that stops in ERROR exits 1 so that its supervisor restarts it). Its stderr goes to a log file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './private-stack.js';

const RESTART_DELAY_MS = 500;
/** What `quintet run` logs when a topology fails and the process is about to exit (cli/commands/run.ts). */
const FATAL_STOP = 'stopping so that a supervisor can restart the process';
/**
 * How long a process that announced that exit may take to do it. Past this it counts as hung and is
 * killed, as a liveness probe would have it killed; the count is reported, not hidden.
 */
const FATAL_EXIT_GRACE_MS = 30_000;

export class ProcessorSupervisor {
  readonly topology: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #log: WriteStream;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #killing = false;
  #stopping = false;
  /** Starts after the first one. */
  restarts = 0;
  kills = 0;
  /** Exits the chaos run did not cause, with their exit codes (each followed by a restart). */
  readonly selfExits: (number | string)[] = [];
  /** Processes that announced a fatal stop and were still running FATAL_EXIT_GRACE_MS later. */
  hungAfterFailure = 0;

  constructor(topology: string, env: NodeJS.ProcessEnv, logDir: string) {
    this.topology = topology;
    this.#env = env;
    this.logFile = join(logDir, `${topology}.log`);
    this.#log = createWriteStream(this.logFile, { flags: 'a' });
  }

  readonly logFile: string;

  start(): void {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'run', this.topology], {
      cwd: ROOT,
      env: this.#env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#child = child;
    this.#log.write(`--- ${new Date().toISOString()} started pid ${child.pid}\n`);
    child.stderr?.pipe(this.#log, { end: false });
    let fatalTimer: NodeJS.Timeout | undefined;
    child.stderr?.on('data', (chunk: Buffer) => {
      if (fatalTimer !== undefined || !chunk.toString().includes(FATAL_STOP)) return;
      fatalTimer = setTimeout(() => {
        if (child.exitCode !== null || child.signalCode !== null || this.#stopping) return;
        this.hungAfterFailure += 1;
        this.#log.write(`--- ${new Date().toISOString()} chaos: pid ${child.pid} still running ${FATAL_EXIT_GRACE_MS} ms after its fatal stop; SIGKILL\n`);
        child.kill('SIGKILL');
      }, FATAL_EXIT_GRACE_MS);
    });
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        clearTimeout(fatalTimer);
        this.#log.write(`--- ${new Date().toISOString()} pid ${child.pid} exited (${code ?? signal})\n`);
        const killedByUs = this.#killing;
        this.#killing = false;
        if (!killedByUs && !this.#stopping) this.selfExits.push(code ?? signal ?? 'unknown');
        if (!this.#stopping) {
          setTimeout(() => {
            if (this.#stopping) return;
            this.restarts += 1;
            this.start();
          }, RESTART_DELAY_MS);
        }
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The current process's id (it changes at every restart). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** SIGKILL of the current process (the supervisor restarts it); false when none was running. */
  async kill(): Promise<boolean> {
    // #killing: a kill is already on its way (two callers must not both count the same death).
    if (!this.running || this.#child === undefined || this.#killing) return false;
    this.#killing = true;
    this.kills += 1;
    this.#log.write(`--- ${new Date().toISOString()} chaos: SIGKILL pid ${this.#child.pid}\n`);
    this.#child.kill('SIGKILL');
    await this.#exited;
    return true;
  }

  /** SIGTERM (a clean shutdown), SIGKILL after `timeoutMs`; no restart afterwards. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.#stopping = true;
    if (this.running) {
      this.#child?.kill('SIGTERM');
      const timer = setTimeout(() => this.#child?.kill('SIGKILL'), timeoutMs);
      await this.#exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }
}
