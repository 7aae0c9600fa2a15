/** The chaos run's workload producer. */
import type { Message, Producer } from 'kafkajs';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { loadConfig } from '../../core/config.js';
import { generateWorkload } from '../../workload/generator.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends the workload at a steady rate; a failed send (broker restarting) is retried with a fresh producer. */
export async function produceSteadily(env: NodeJS.ProcessEnv, messages: readonly Message[], seconds: number, counters: { acked: number; resends: number }): Promise<void> {
  const config = loadConfig({ env });
  const kafka = createKafkaClient(config, { clientIdSuffix: 'chaos-producer' });
  const tickMs = 250;
  const perTick = Math.max(1, Math.ceil(messages.length / ((seconds * 1_000) / tickMs)));
  let producer: Producer | undefined;
  const started = Date.now();
  for (let i = 0; i < messages.length; i += perTick) {
    const batch = messages.slice(i, i + perTick);
    for (;;) {
      try {
        if (producer === undefined) {
          producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
          await producer.connect();
        }
        await producer.send({ topic: config.topics.raw, acks: -1, messages: [...batch] });
        counters.acked += batch.length;
        break;
      } catch {
        // The batch may or may not have landed: resending can duplicate raw records, which the
        // invariants count on both sides (a duplicate raw record is not a canonical duplicate).
        counters.resends += 1;
        await producer?.disconnect().catch(() => undefined);
        producer = undefined;
        await sleep(1_000);
      }
    }
    const due = started + ((i + perTick) / perTick) * tickMs;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  await producer?.disconnect().catch(() => undefined);
}

/** The generated workload as Kafka messages for the raw topic. */
export function workloadMessages(events: number, seed: number): Message[] {
  return generateWorkload({ events, seed }).events.map((event) => ({
    value: event.value,
    ...(event.key === undefined ? {} : { key: event.key }),
    ...(event.headers === undefined ? {} : { headers: { ...event.headers } }),
  }));
}
