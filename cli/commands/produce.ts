import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Message } from 'kafkajs';
import { CompressionTypes } from '../../connectors/kafka/kafkajs.js';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { QuintetError } from '../../core/errors.js';
import { generateWorkload } from '../../workload/generator.js';
import { configFor } from '../context.js';
import { Progress } from '../progress.js';

const BATCH = 1_000;

interface ProduceOptions {
  in?: string;
  generate?: string;
  seed?: string;
  topic?: string;
}

function positiveInteger(raw: string, option: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new QuintetError('OPTION_INVALID', `${option} must be a positive integer, not ${JSON.stringify(raw)}`);
  return value;
}

/** Lines of a file or stdin, each sent as it is: the ingest topology detects the format. */
async function* lines(path: string | undefined): AsyncGenerator<Message> {
  const input = path === undefined ? process.stdin : createReadStream(path);
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (line.trim() !== '') yield { value: line };
  }
}

/** The workload ends now: its events are recent, never later than ingestion time (limits.maxFutureSkewMs). */
function* generated(count: number, seed: number): Generator<Message> {
  const spacingMs = 250;
  for (const event of generateWorkload({ events: count, seed, spacingMs, startMs: Date.now() - (count + 1) * spacingMs }).events) {
    yield { value: event.value, ...(event.key === undefined ? {} : { key: event.key }) };
  }
}

export function register(program: Command): void {
  program
    .command('produce')
    .description('Send raw events (NDJSON, any supported format) or a generated workload to the raw topic')
    .option('--in <file>', 'NDJSON file (default: stdin)')
    .option('--generate <n>', 'send a generated realistic workload of n events instead')
    .option('--seed <n>', 'seed of the generated workload', '42')
    .option('--topic <name>', 'topic (default: the configured raw topic)')
    .action(async (options: ProduceOptions, command: Command) => {
      const config = configFor(command);
      const topic = options.topic ?? config.topics.raw;
      const total = options.generate === undefined ? undefined : positiveInteger(options.generate, '--generate');
      const source = total === undefined ? lines(options.in) : generated(total, positiveInteger(options.seed ?? '42', '--seed'));
      const producer = createKafkaClient(config, { clientIdSuffix: 'produce' }).producer({ idempotent: true, maxInFlightRequests: 5 });
      await producer.connect();
      const progress = new Progress(`producing to ${topic}`);
      let sent = 0;
      try {
        let batch: Message[] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: batch });
          sent += batch.length;
          batch = [];
          progress.update(sent, total);
        };
        for await (const message of source) {
          batch.push(message);
          if (batch.length >= BATCH) await flush();
        }
        await flush();
      } finally {
        progress.done();
        await producer.disconnect();
      }
      process.stdout.write(`${JSON.stringify({ topic, sent })}\n`);
    });
}
