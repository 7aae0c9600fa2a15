/**
 * Adapts a core `Topology` to the engine: the engine asks for metadata (topics, stores, sub-topologies)
 * and for one `StreamTask` per task, which is the very task class the TopologyTestDriver runs.
 */
import { StreamTask, type StreamTaskOptions } from '../task.js';
import type { Topology } from '../topology.js';
import type { EngineTopology } from './seam.js';

export type KafkaTaskOptions = Omit<StreamTaskOptions, 'applicationId' | 'subtopology' | 'partition' | 'collector'>;

export function kafkaTopology(topology: Topology, taskOptions: KafkaTaskOptions = {}): EngineTopology {
  return {
    metadata: (applicationId) => topology.metadata(applicationId),
    createTask: (options) =>
      new StreamTask(topology, {
        ...taskOptions,
        applicationId: options.applicationId,
        subtopology: options.subTopologyId,
        partition: options.partition,
        collector: options.collector,
      }),
  };
}
