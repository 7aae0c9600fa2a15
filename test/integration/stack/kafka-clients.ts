/**
 * Small helpers shared by the stack tests: a kafkajs client for the configured brokers and a consumer
 * that collects records until a condition holds. Every consumer gets its own random group.
 */
import type { Consumer, KafkaMessage } from 'kafkajs';
import { Kafka, logLevel } from '../../../connectors/kafka/kafkajs.js';
import { testConfig, uniqueName } from '../../support/environment.js';

export function kafkaClient(): Kafka {
  const config = testConfig();
  // NOTHING: kafkajs logs retriable broker answers (e.g. CONCURRENT_TRANSACTIONS right after a commit)
  // at ERROR level although it retries them; assertions below are what tells success from failure.
  return new Kafka({ clientId: uniqueName('stack-test'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING });
}

export interface CollectOptions {
  readonly topic: string;
  readonly readUncommitted: boolean;
  /** Stop once this returns true for the values collected so far. */
  readonly until: (values: readonly string[]) => boolean;
  readonly timeoutMs?: number;
}

/** Reads `topic` from the beginning with a fresh group until `until` holds; returns the values in order. */
export async function collectValues(kafka: Kafka, options: CollectOptions): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({
    groupId: uniqueName('stack-collect'),
    readUncommitted: options.readUncommitted,
    maxWaitTimeInMs: 200,
  });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`collected ${values.length} records from ${options.topic} without meeting the condition: ${JSON.stringify(values)}`)),
        options.timeoutMs ?? 30_000,
      );
      consumer
        .run({
          eachMessage: async ({ message }: { message: KafkaMessage }) => {
            values.push(message.value?.toString('utf8') ?? '');
            if (options.until(values)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}
