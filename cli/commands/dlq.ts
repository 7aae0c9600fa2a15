/**
 * `quintet dlq inspect [--topic T]`: counts of dead letters by stage and reason (never a payload).
 * `quintet dlq replay [--reason CODE] [--to TOPIC]`: decrypts the original key and value of each dead
 * letter (master key ring from configuration) and produces them again to their source topic (or `--to`),
 * after the cause was fixed. Replaying twice submits twice: the canonical log then holds both.
 */
import type { Command } from 'commander';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { DeadLetterTally, decodeDeadLetter, unsealDeadLetter } from '../../processors/dead-letter/dead-letter-record.js';
import { MasterKeyRing } from '../../processors/pseudonymization/vault-crypto.js';
import { configFor } from '../context.js';
import { readTopicToEnd } from './export.js';

export function register(program: Command): void {
  const dlq = program.command('dlq').description('Inspect and replay the dead-letter topic');

  dlq
    .command('inspect')
    .description('Counts of dead letters by stage and reason code')
    .option('--topic <topic>', 'dead-letter topic (default: topics.deadLetter)')
    .action(async (options: { topic?: string }, command: Command) => {
      const config = configFor(command);
      const tally = new DeadLetterTally();
      await readTopicToEnd(createKafkaClient(config, { clientIdSuffix: 'dlq' }), options.topic ?? config.topics.deadLetter, (record) => tally.add(record.value, record.headers));
      process.stdout.write(`${JSON.stringify(tally.summary(), null, 2)}\n`);
    });

  dlq
    .command('replay')
    .description('Re-submit dead letters (decrypted) to their source topic')
    .option('--topic <topic>', 'dead-letter topic (default: topics.deadLetter)')
    .option('--reason <code>', 'only dead letters with this reason code')
    .option('--to <topic>', 'produce to this topic instead of each record’s source topic')
    .action(async (options: { topic?: string; reason?: string; to?: string }, command: Command) => {
      const config = configFor(command);
      const ring = MasterKeyRing.fromConfig(config.secrets.masterKeys);
      const kafka = createKafkaClient(config, { clientIdSuffix: 'dlq-replay' });
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      let replayed = 0;
      let skipped = 0;
      try {
        await readTopicToEnd(kafka, options.topic ?? config.topics.deadLetter, async (record) => {
          const letter = decodeDeadLetter(record.value, record.headers);
          if (letter === undefined || (options.reason !== undefined && letter.reason !== options.reason)) {
            skipped += 1;
            return;
          }
          const original = unsealDeadLetter(ring, letter);
          await producer.send({ topic: options.to ?? letter.source.topic, acks: -1, messages: [{ key: original.key, value: original.value }] });
          replayed += 1;
        });
      } finally {
        await producer.disconnect();
      }
      process.stdout.write(`${JSON.stringify({ replayed, skipped })}\n`);
    });
}
