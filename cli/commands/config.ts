import type { Command } from 'commander';
import { CONFIG_KEYS } from '../../core/config.js';
import { configFor } from '../context.js';

/** The documented table of every configuration key (docs/configuration.md is generated from it). */
export function configurationTable(): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const rows = CONFIG_KEYS.map(
    (k) => `| \`${k.env}\` | \`${k.path}\` | ${k.defaultValue === undefined ? '(unset)' : `\`${escape(k.defaultValue)}\``} | ${escape(k.description)}${k.secret ? ' Secret: also `' + k.env + '_FILE`.' : ''} |`,
  );
  return ['| environment variable | file key | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function register(program: Command): void {
  const config = program.command('config').description('Show the configuration');
  config
    .command('keys')
    .description('Print the table of every configuration key (Markdown)')
    .action(() => {
      process.stdout.write(`${configurationTable()}\n`);
    });
  config
    .command('show')
    .description('Print the effective configuration as JSON (secrets redacted)')
    .action((_options: unknown, command: Command) => {
      process.stdout.write(`${JSON.stringify(configFor(command), null, 2)}\n`);
    });
}
