/**
 * The `quintet` command line. Each command lives in cli/commands/<name>.ts and exports
 * `register(program)`; this file only assembles them and turns user mistakes into one clear line.
 */
import { Command, CommanderError } from 'commander';
import { isQuintetError } from '../core/errors.js';
import { commands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('quintet')
    .description('Quintet: one canonical, privacy-safe, tamper-evident event log and the read models built from it.')
    .option('--config <file>', 'JSON configuration file (see docs/configuration.md)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting so that tests can call it in-process. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version output end with a CommanderError whose exitCode is 0.
      return error.exitCode;
    }
    if (isQuintetError(error)) {
      process.stderr.write(`quintet: ${error.message} [${error.code}]\n`);
      return 2;
    }
    process.stderr.write(`quintet: unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
    return 70;
  }
}
