import type { Command } from 'commander';
import { ClickHouseServer, connectionOptionsFrom } from '../../connectors/clickhouse/server.js';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { PiiScanner } from '../../connectors/privacy/pii-scanner.js';
import { createFeedRedis } from '../../connectors/redis/feed-client.js';
import { QuintetError } from '../../core/errors.js';
import { configFor } from '../context.js';

interface ScanOptions {
  identifier: string[];
  identifiersFile?: string;
  topics?: string;
  redis?: boolean;
  clickhouse?: boolean;
  files: string[];
}

export function register(program: Command): void {
  program
    .command('scan-pii')
    .description('Search every topic written after the vault, Redis, ClickHouse and files (logs, exports, archives) for raw identifiers')
    .option('--identifier <value>', 'a raw identifier to look for (user id, e-mail, name, IP; repeatable)', (v: string, all: string[]) => [...all, v], [])
    .option('--topics <list>', 'comma-separated topics (default: canonical, dead-letter and checkpoints)')
    .option('--no-redis', 'skip Redis')
    .option('--no-clickhouse', 'skip ClickHouse')
    .option('--file <path>', 'a log file, export, archive file or folder (repeatable)', (v: string, all: string[]) => [...all, v], [])
    .action(async (options: ScanOptions & { file: string[] }, command: Command) => {
      const config = configFor(command);
      // Identifiers may come from stdin (one per line) so that they stay out of shell history and process lists.
      const identifiers = [...options.identifier];
      if (identifiers.length === 0 && process.stdin.isTTY !== true) {
        for await (const chunk of process.stdin) identifiers.push(...String(chunk).split('\n').map((l) => l.trim()).filter((l) => l !== ''));
      }
      if (identifiers.length === 0) throw new QuintetError('OPTION_INVALID', 'give identifiers with --identifier or one per line on stdin');
      const scanner = new PiiScanner(identifiers);
      const topics = options.topics === undefined ? [config.topics.canonical, config.topics.deadLetter, config.topics.checkpoints] : options.topics.split(',').map((t) => t.trim()).filter((t) => t !== '');
      if (topics.length > 0) await scanner.scanTopics(createKafkaClient(config, { clientIdSuffix: 'scan-pii' }), topics);
      if (options.redis !== false) {
        const redis = createFeedRedis(config, { connectionName: 'quintet-scan-pii' });
        try {
          await scanner.scanRedis(redis);
        } finally {
          redis.disconnect();
        }
      }
      if (options.clickhouse !== false) {
        const server = ClickHouseServer.connect(connectionOptionsFrom(config));
        try {
          await scanner.scanClickHouse(server);
        } finally {
          await server.close();
        }
      }
      if (options.file.length > 0) await scanner.scanFiles(options.file);
      const summary = scanner.summary();
      process.stdout.write(`${JSON.stringify({ clean: summary.findings.length === 0, ...summary })}\n`);
      if (summary.findings.length > 0) process.exitCode = 1;
    });
}
