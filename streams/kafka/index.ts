export { KafkaStreams, closeOnSignals, type KafkaStreamsOptions, type KafkaStreamsState } from './kafka-streams.js';
export { kafkaTopology, type KafkaTaskOptions } from './kafka-topology.js';
export { planInternalTopics, taskIdOf, transactionalIdOf, type InternalTopicPlan } from './internal-topics.js';
export { assignTasks, taskAssignor } from './task-assignor.js';
export type { CreateTaskOptions, EngineTopology, StreamTask } from './seam.js';
