import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { QuintetError } from '../../core/errors.js';
import { componentLogger, createLogger, type Logger } from '../../core/logger.js';
import { ApiKeys, MemoryApiKeyStore } from '../../api/api-keys.js';
import { ApiServer } from '../../api/server.js';
import { embeddedApiBackends } from '../../embedded/api.js';
import { runDemo, type DemoReport } from '../../embedded/demo.js';
import type { EmbeddedPipeline, RawInput } from '../../embedded/pipeline.js';
import { exportLine } from '../../processors/chain/export-format.js';
import { formatTable } from '../../processors/analytics/dashboards.js';
import type { ChainCheckpoint } from '../../processors/chain/checkpoint.js';
import type { CanonicalEnvelope } from '../../schemas/avro.js';
import { configFor } from '../context.js';
import { Progress } from '../progress.js';

interface DemoCommandOptions {
  events: string;
  seed: string;
  in?: string;
  erase?: string;
  json?: boolean;
  export?: string;
  data?: string;
  partitions?: string;
  serve?: boolean;
}

function integer(raw: string, option: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new QuintetError('OPTION_INVALID', `${option} must be an integer from ${min} to ${max}, not ${JSON.stringify(raw)}`);
  }
  return value;
}

async function readInput(path: string): Promise<RawInput[]> {
  const input = path === '-' ? process.stdin : createReadStream(path);
  const records: RawInput[] = [];
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) if (line.trim() !== '') records.push({ value: line });
  } catch (error) {
    throw new QuintetError('INPUT_UNREADABLE', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return records;
}

function textReport(report: DemoReport): string {
  const lines: string[] = [];
  const section = (title: string) => lines.push('', title, '-'.repeat(title.length));
  lines.push('Quintet demo — every topology in one process, no services');
  section('Pipeline');
  lines.push(`events in            ${report.events_in}`);
  if (report.generated_by_kind !== undefined) {
    lines.push(`  generated          ${Object.entries(report.generated_by_kind).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  if (report.resumed !== undefined) lines.push(`resumed              from the data folder: ${report.resumed.canonical} canonical events of earlier runs`);
  lines.push(`canonical out        ${report.canonical_out}`);
  lines.push(`dead-lettered        ${report.dead_lettered}${report.dead_lettered > 0 ? `  (${Object.entries(report.dead_lettered_by_reason).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`);
  lines.push(`throughput           ${report.events_per_second} events/s through all four topologies`);
  section('Hash chains');
  lines.push(
    `${report.chains.intact ? 'intact' : 'BROKEN'}: ${report.chains.records} entries in ${report.chains.partitions} chains, ${report.chains.checkpoints_valid} signed checkpoints valid${report.chains.truncation_checked ? ' (tail truncation checked)' : ''}`,
  );
  section(`Home feed of ${report.sample_feed.reader} (pseudonyms; newest first)`);
  for (const item of report.sample_feed.items) lines.push(`${item.time}  ${item.actor}  ${item.action}  ${item.entity}`);
  if (report.sample_feed.items.length === 0) lines.push('(empty)');
  section('A notification');
  lines.push(report.sample_notification === null ? '(none)' : `to ${report.sample_notification.owner}: "${report.sample_notification.text}" (unread: ${report.sample_notification.unread})`);
  for (const dashboard of report.dashboards) {
    section(`Dashboard ${dashboard.dashboard}: ${dashboard.title}`);
    const shown = { ...dashboard, rows: dashboard.rows.slice(0, 8) };
    lines.push(formatTable(shown).replace(/\(\d+ rows\)$/, `(${dashboard.rows.length} rows${dashboard.rows.length > 8 ? ', first 8 shown' : ''})`));
  }
  if (report.erasure !== null) {
    const e = report.erasure;
    section('Erasure (crypto-shredding) of the demo subject');
    lines.push(`${e.passed ? 'PASSED' : 'FAILED'}: ${e.subject_pseudonyms} pseudonym(s) shredded; they resolve to ${e.pseudonyms_resolve_to_nothing ? 'nothing' : 'SOMETHING'}`);
    lines.push(
      `raw identifiers found: canonical log ${e.raw_identifiers_found.canonical_log}, checkpoints ${e.raw_identifiers_found.checkpoints}, dead letters ${e.raw_identifiers_found.dead_letters}, analytics ${e.raw_identifiers_found.analytics}`,
    );
    lines.push(`subject's items left in others' inboxes ${e.inbox_items_by_subject}, notifications naming it ${e.notifications_naming_subject}, its own inbox ${e.subject_inbox_items}`);
    lines.push(`privacy.subject.erased chained into the log: ${e.erased_event_chained ? 'yes' : 'no'}`);
  }
  lines.push('', `keys: ${report.keys}; ${report.seconds}s in all`);
  return lines.join('\n');
}

/** Serves the HTTP API on the embedded pipeline until SIGINT/SIGTERM, with a fresh in-memory admin key. */
async function serveEmbedded(pipeline: EmbeddedPipeline, logger: Logger): Promise<void> {
  const config = pipeline.config;
  const keys = new ApiKeys(new MemoryApiKeyStore());
  const admin = await keys.create({ name: 'demo', scopes: ['ingest', 'read', 'admin'] });
  const server = new ApiServer({ keys, ...embeddedApiBackends(pipeline), logger: componentLogger(logger, 'http') });
  const port = await server.listen(config.http.port, config.http.host);
  process.stderr.write(`serving the HTTP API on http://${config.http.host}:${port} (Ctrl-C stops)\nadmin key for this run: ${admin.key}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('Run every topology in one process on a generated workload (or --in NDJSON), with no services, and report')
    .option('--events <n>', 'size of the generated workload', '5000')
    .option('--seed <n>', 'seed of the generated workload', '42')
    .option('--in <file>', 'ingest this NDJSON file (any supported format; - for stdin) instead of a generated workload')
    .option('--erase <subject>', 'subject id to erase at the end (default: a generated user)')
    .option('--partitions <n>', 'partitions of the raw and canonical topics (one hash chain each)')
    .option('--data <dir>', 'keep the state in this folder (keys, vault, chains, user profiles, feeds, analytics) and continue from it on the next run')
    .option('--json', 'print the report as one JSON object')
    .option('--serve', 'after the report, keep serving the HTTP API on the embedded pipeline (prints an admin key) until Ctrl-C')
    .option('--export <file>', 'also write the canonical log in the `quintet export` NDJSON format (verify it with `quintet verify --in`)')
    .action(async (options: DemoCommandOptions, command: Command) => {
      const config = configFor(command);
      const input = options.in === undefined ? undefined : await readInput(options.in);
      const progress = new Progress('demo: events through the pipeline');
      // Structured logs go to stderr at the configured level; the report stays alone on stdout.
      const logger = createLogger({ level: config.logLevel });
      const { report, pipeline } = await runDemo({
        config,
        events: integer(options.events, '--events', 1, 10_000_000),
        seed: integer(options.seed, '--seed', 0, 2 ** 31),
        ...(input === undefined ? {} : { input }),
        ...(options.erase === undefined ? {} : { eraseSubject: options.erase }),
        ...(options.partitions === undefined ? {} : { partitions: integer(options.partitions, '--partitions', 1, 64) }),
        ...(options.data === undefined ? {} : { dataDir: options.data }),
        // An exported log is only verifiable with its chain keys: keep generated ones in the data folder.
        ...(options.export === undefined ? {} : { keysDir: options.data ?? config.dataDir }),
        onProgress: (done, total) => progress.update(done, total),
        logger,
      });
      progress.done();
      try {
        if (options.export !== undefined) {
          const topic = config.topics.canonical;
          const envelopes = pipeline.canonicalEnvelopes();
          const lines = pipeline
            .records(topic)
            .map((r, i) => exportLine({ topic, partition: r.partition, offset: r.offset, event: (envelopes[i] as CanonicalEnvelope).event, chain: (envelopes[i] as CanonicalEnvelope).chain ?? null }));
          writeFileSync(options.export, lines.join(''));
          const checkpointTopic = config.topics.checkpoints;
          const checkpoints = pipeline
            .records(checkpointTopic)
            .map((r, i) => exportLine({ topic: checkpointTopic, partition: r.partition, offset: r.offset, checkpoint: pipeline.checkpoints()[i] as ChainCheckpoint }));
          writeFileSync(`${options.export}.checkpoints`, checkpoints.join(''));
          writeFileSync(`${options.export}.public-key.pem`, pipeline.secrets.verifyingKey.export({ type: 'spki', format: 'pem' }).toString());
        }
        process.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : `${textReport(report)}\n`);
        if (!report.chains.intact || (report.erasure !== null && !report.erasure.passed)) process.exitCode = 1;
        if (options.serve === true) await serveEmbedded(pipeline, logger);
      } finally {
        await pipeline.close();
      }
    });
}
