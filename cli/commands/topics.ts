import type { Command } from 'commander';
import { KafkaTopicAdmin } from '../../connectors/kafka/admin.js';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { topicPlan } from '../../topologies/topic-plan.js';
import { configFor } from '../context.js';

export function register(program: Command): void {
  const topics = program.command('topics').description('Kafka topics of a Quintet deployment');
  topics
    .command('plan')
    .description('Print the topics `topics create` would create, with partitions and configuration')
    .action((_options: unknown, command: Command) => {
      for (const topic of topicPlan(configFor(command))) process.stdout.write(`${JSON.stringify(topic)}\n`);
    });
  topics
    .command('create')
    .description('Create every public topic (idempotent; existing topics must have the planned partition count)')
    .action(async (_options: unknown, command: Command) => {
      const config = configFor(command);
      const admin = new KafkaTopicAdmin(createKafkaClient(config));
      try {
        const result = await admin.ensureTopics(
          topicPlan(config).map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, config: t.config })),
        );
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } finally {
        await admin.close();
      }
    });
}
