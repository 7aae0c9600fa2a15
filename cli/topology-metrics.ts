/**
 * Metrics of the topologies `quintet run` deploys on Kafka, bound where records cross the engine's
 * seam (streams/kafka/seam.ts) so that the engine itself stays metrics-agnostic:
 *
 * - records out and dead letters by stage and reason: every record a task hands to its collector;
 * - processing latency: each batch a task processes;
 * - late records dropped: the runtime's own counters (windowed topologies);
 * - read at scrape time: state store sizes and chain heads from the running tasks, and consumer lag
 *   (end offset − committed offset of each input partition, asked of the brokers).
 *
 * Records in and commit latency are counted by the engine (KafkaStreams' `metrics` option).
 */
import type { QuintetConfig } from '../core/config.js';
import type { QuintetMetrics } from '../core/metrics.js';
import { KafkaTopicAdmin } from '../connectors/kafka/admin.js';
import { createKafkaClient } from '../connectors/kafka/client.js';
import type { ChainHead } from '../processors/chain/hash-chainer.js';
import { readDeadLetterHeaders } from '../streams/dead-letter.js';
import type { KafkaStreams } from '../streams/kafka/kafka-streams.js';
import { kafkaTopology } from '../streams/kafka/kafka-topology.js';
import type { EngineTopology, StreamTask } from '../streams/kafka/seam.js';
import type { KeyValueStore } from '../streams/state/index.js';
import type { Topology } from '../streams/topology.js';
import { CHAIN_HEAD_STORE } from '../topologies/ingest.js';

/** The topology with every task's output and batches counted under the `topology` label. */
export function instrumentedTopology(topology: Topology | EngineTopology, metrics: QuintetMetrics, name: string, deadLetterTopic: string): EngineTopology {
  const engine = 'createTask' in topology ? topology : kafkaTopology(topology, { metrics: metrics.runtimeCounters(name) });
  return {
    metadata: (applicationId) => engine.metadata(applicationId),
    createTask: (options) => {
      const task: StreamTask = engine.createTask({
        ...options,
        collector: {
          send: (record, kind) => {
            if (kind !== 'changelog') {
              const reason = kind === 'dead-letter' || record.topic === deadLetterTopic ? readDeadLetterHeaders(record.headers) : undefined;
              metrics.recordProduced(name, record.topic, reason === undefined ? undefined : { stage: reason.stage ?? 'unknown', code: reason.code ?? 'UNKNOWN' });
            }
            return options.collector.send(record, kind);
          },
        },
      });
      const process = task.process.bind(task);
      const timed = (records: Parameters<StreamTask['process']>[0]): ReturnType<StreamTask['process']> => {
        const started = performance.now();
        const observe = () => metrics.processingLatency.observe({ topology: name }, (performance.now() - started) / 1000);
        const result = process(records);
        if (result instanceof Promise) return result.finally(observe);
        observe();
        return result;
      };
      Object.defineProperty(task, 'process', { value: timed, configurable: true, writable: true });
      return task;
    },
  };
}

export interface RunningTopology {
  readonly name: string;
  readonly applicationId: string;
  readonly streams: KafkaStreams;
  readonly inputTopics: readonly string[];
}

/**
 * Sets the figures that are read rather than counted, at each scrape: state store sizes and chain
 * heads of the tasks running here, and the consumer lag of each topology's input partitions. Returns
 * a closer for the admin connection.
 */
export function observeRunningTopologies(metrics: QuintetMetrics, config: QuintetConfig, running: () => readonly RunningTopology[]): () => Promise<void> {
  let admin: KafkaTopicAdmin | undefined;
  metrics.onScrape(async () => {
    for (const topology of running()) {
      const stores = metrics.reportStateStores(topology.name, topology.streams.runningTasks().values());
      if (stores.has(CHAIN_HEAD_STORE)) {
        for (const heads of topology.streams.localStores<KeyValueStore<number, ChainHead>>(CHAIN_HEAD_STORE)) {
          for (const { key, value } of heads.all()) metrics.chainHeadSequence.set({ partition: String(key) }, value.sequence);
        }
      }
    }
    admin ??= new KafkaTopicAdmin(createKafkaClient(config, { clientIdSuffix: 'metrics' }));
    for (const topology of running()) {
      for (const topic of topology.inputTopics) {
        try {
          const [committed, range] = await Promise.all([admin.committedOffsets(topology.applicationId, topic), admin.offsetRange(topic)]);
          for (const [partition, { high }] of range) {
            const at = Number(committed.get(partition) ?? '-1');
            // No commit yet: everything from the start of the partition is still to be read.
            const lag = Number(high) - (at < 0 ? Number(range.get(partition)?.low ?? 0) : at);
            metrics.consumerLag.set({ topology: topology.name, topic, partition: String(partition) }, Math.max(0, lag));
          }
        } catch {
          // A scrape must not fail because a broker is briefly unreachable: the gauge keeps its last value.
        }
      }
    }
  });
  return async () => {
    await admin?.close();
  };
}
