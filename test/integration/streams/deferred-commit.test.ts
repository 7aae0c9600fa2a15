/**
 * A commit that waits for a processor's writes outside Kafka (`writesAcknowledged`, the analytics
 * sink's inserts) on the real broker, under exactly-once: the task goes on processing while the
 * acknowledgement is pending; the group's offsets stay where they were until it comes; then exactly
 * the positions of the moment the commit began are committed, with exactly the output produced
 * before them, and the output produced meanwhile goes out with the next commit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Partitioners } from '../../../connectors/kafka/kafkajs.js';
import { KafkaTopicAdmin } from '../../../connectors/kafka/admin.js';
import { createKafkaClient } from '../../../connectors/kafka/client.js';
import { KafkaStreams } from '../../../streams/kafka/kafka-streams.js';
import type { Processor, ProcessorContext, StreamRecord } from '../../../streams/processor.js';
import { Serdes, type Serde } from '../../../streams/serdes.js';
import { Topology } from '../../../streams/topology.js';
import { testConfig, uniqueName } from '../../support/environment.js';
import { waitFor } from '../../support/wait.js';
import { readCommitted } from './support.js';

/** What the test sees of the processor: records processed, and one gate per commit that found writes pending. */
class GatedWrites {
  processed: string[] = [];
  readonly gates: { readonly pendingThrough: number; open(): void }[] = [];
  #acknowledgedThrough = 0;

  /** A writer that forwards every value and acknowledges its "writes" only when the test opens the gate. */
  processor(): Processor<string, string, string, string> {
    let context: ProcessorContext<string, string> | undefined;
    return {
      init: (ctx) => {
        context = ctx;
      },
      process: (record: StreamRecord<string, string>) => {
        this.processed.push(record.value);
        context?.forward(record);
      },
      writesAcknowledged: () => {
        const through = this.processed.length;
        if (through <= this.#acknowledgedThrough) return undefined;
        return new Promise<void>((resolve) => {
          this.gates.push({
            pendingThrough: through,
            open: () => {
              this.#acknowledgedThrough = Math.max(this.#acknowledgedThrough, through);
              resolve();
            },
          });
        });
      },
    };
  }
}

/** Polls every 50 ms: the states waited for here last only a commit interval (200 ms). */
const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => waitFor(what, probe, { timeoutMs: 30_000, intervalMs: 50 });

describe('a commit waiting for writes outside Kafka (exactly-once, real broker)', () => {
  const config = testConfig({ 'streams.processingGuarantee': 'exactly_once' });
  const kafka = createKafkaClient(config);
  const admin = new KafkaTopicAdmin(kafka);
  const input = uniqueName('deferred-commit-in');
  const output = uniqueName('deferred-commit-out');
  const applicationId = uniqueName('deferred-commit');

  afterAll(async () => {
    await admin.deleteTopics([input, output]).catch(() => undefined);
    await admin.deleteGroups([applicationId]).catch(() => undefined);
    await admin.close();
  });

  const committedOffset = async (): Promise<number> => Number((await admin.committedOffsetsAndMetadata(applicationId, input)).get(0)?.offset ?? -1);

  it('keeps processing, commits the positions and output of the moment the commit began once acknowledged, and the rest at the next commit', { timeout: 90_000 }, async () => {
    await admin.ensureTopics([
      { name: input, partitions: 1, replicationFactor: 1 },
      { name: output, partitions: 1, replicationFactor: 1 },
    ]);
    const writes = new GatedWrites();
    const string = Serdes.String() as Serde<string>;
    const topology = new Topology()
      .addSource('in', input, { keySerde: string, valueSerde: string })
      .addProcessor('gated-writer', () => writes.processor(), 'in')
      .addSink('out', output, { keySerde: string, valueSerde: string }, 'gated-writer');
    const streams = new KafkaStreams(topology, { config, applicationId, commitIntervalMs: 200 });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const send = (values: string[]) => producer.send({ topic: input, acks: -1, messages: values.map((value) => ({ key: 'k', value })) });
    const first = ['a1', 'a2', 'a3', 'a4', 'a5'];
    const second = ['b1', 'b2', 'b3', 'b4', 'b5'];
    try {
      await streams.start();
      await send(first);
      const gateA = await until('a commit to wait for the first writes', () => writes.gates[0]);
      expect(gateA.pendingThrough).toBe(5);

      // The commit is pending: the task processes the next records all the same.
      await send(second);
      await until('the second records to be processed', () => (writes.processed.length === 10 ? true : undefined));
      expect(await committedOffset()).toBe(-1);
      expect(await readCommitted(kafka, output, () => false, 1_500)).toEqual([]);

      // Acknowledged: the positions and output of the moment the commit began, nothing after.
      gateA.open();
      await until('offset 5 to be committed', async () => ((await committedOffset()) === 5 ? true : undefined));
      const gateB = await until('the next commit to wait for the second writes', () => writes.gates[1]);
      expect(gateB.pendingThrough).toBe(10);
      const afterFirst = await readCommitted(kafka, output, (records) => records.length >= 5, 10_000);
      expect(afterFirst.map((record) => record.value)).toEqual(first);
      expect(await committedOffset()).toBe(5);

      gateB.open();
      await until('offset 10 to be committed', async () => ((await committedOffset()) === 10 ? true : undefined));
      const all = await readCommitted(kafka, output, (records) => records.length >= 10, 10_000);
      expect(all.map((record) => record.value)).toEqual([...first, ...second]);
    } finally {
      for (const gate of writes.gates) gate.open();
      await producer.disconnect();
      await streams.close();
    }
  });
});
