import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const module = (path: string): string => JSON.stringify(pathToFileURL(join(root, path)).href);

describe('kafkajs work-arounds', () => {
  // The CLI's module graph is the deployed one (`quintet run`): the streams runtime and the produce
  // command import kafkajs too, and the grouping fix only works if it is in place before kafkajs loads.
  // A process of its own, loaded as Node loads it (the test runner's module loader orders imports its own way).
  it('are in place wherever the CLI loads kafkajs', { timeout: 30_000 }, () => {
    const script = [
      `await import(${module('cli/program.ts')});`,
      `const { installProducerGroupingFix } = await import(${module('connectors/kafka/producer-grouping-fix.ts')});`,
      `const { installRecordEncodingFix } = await import(${module('connectors/kafka/record-encoding-fix.ts')});`,
      `const { installConsumerBatchFix } = await import(${module('connectors/kafka/consumer-batch-fix.ts')});`,
      `const { installRequestFramingFix } = await import(${module('connectors/kafka/request-framing-fix.ts')});`,
      `const { installPartitionerFix } = await import(${module('connectors/kafka/partitioner-fix.ts')});`,
      `process.stdout.write(JSON.stringify({ grouping: installProducerGroupingFix(), encoding: installRecordEncodingFix(), batch: installConsumerBatchFix(), framing: installRequestFramingFix(), partitioner: installPartitionerFix() }));`,
    ].join('\n');
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual({ grouping: true, encoding: true, batch: true, framing: true, partitioner: true });
  });
});
