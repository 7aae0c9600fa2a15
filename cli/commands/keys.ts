import { join } from 'node:path';
import type { Command } from 'commander';
import { QuintetError } from '../../core/errors.js';
import { API_SCOPES, ApiKeys, FileApiKeyStore, type ApiScope } from '../../api/api-keys.js';
import { configFor } from '../context.js';

/** The key file lives in the data folder; it holds hashes only, never a key. */
export function apiKeyFile(dataDir: string): string {
  return join(dataDir, 'api-keys.json');
}

export function register(program: Command): void {
  const keys = program.command('keys').description('Manage HTTP API keys (stored hashed in <dataDir>/api-keys.json)');
  const open = (command: Command) => new ApiKeys(new FileApiKeyStore(apiKeyFile(configFor(command).dataDir)));

  keys
    .command('create')
    .description('Create a key; it is printed once and cannot be shown again')
    .requiredOption('--name <name>', 'what the key is for')
    .requiredOption('--scopes <scopes>', `comma-separated: ${API_SCOPES.join(', ')}`)
    .option('--subject <id>', 'bind a read key to one subject (its own feed and notifications only)')
    .option('--ingest-per-second <n>', 'ingest rate limit of this key, events per second')
    .action(async (options: { name: string; scopes: string; subject?: string; ingestPerSecond?: string }, command: Command) => {
      const scopes = options.scopes.split(',').map((s) => s.trim()) as ApiScope[];
      let ingestPerSecond: number | undefined;
      if (options.ingestPerSecond !== undefined) {
        ingestPerSecond = Number(options.ingestPerSecond);
        if (!Number.isInteger(ingestPerSecond) || ingestPerSecond < 1) {
          throw new QuintetError('OPTION_INVALID', `--ingest-per-second must be a positive integer, not ${JSON.stringify(options.ingestPerSecond)}`);
        }
      }
      const created = await open(command).create({
        name: options.name,
        scopes,
        ...(options.subject === undefined ? {} : { subject: options.subject }),
        ...(ingestPerSecond === undefined ? {} : { ingestPerSecond }),
      });
      process.stdout.write(`${JSON.stringify({ id: created.record.id, key: created.key, scopes: created.record.scopes })}\n`);
    });

  keys
    .command('list')
    .description('List keys (ids, names, scopes; never the keys themselves)')
    .action(async (_options: unknown, command: Command) => {
      for (const record of await open(command).list()) {
        const { secretHash: _hash, ...visible } = record;
        process.stdout.write(`${JSON.stringify(visible)}\n`);
      }
    });

  keys
    .command('revoke')
    .description('Revoke a key by id')
    .argument('<id>', 'key id (the 16 hex digits after qk_)')
    .action(async (id: string, _options: unknown, command: Command) => {
      if (!(await open(command).revoke(id))) throw new QuintetError('API_KEY_UNKNOWN', `no active key with id ${JSON.stringify(id.slice(0, 32))}`);
      process.stdout.write(`${JSON.stringify({ id, revoked: true })}\n`);
    });
}
