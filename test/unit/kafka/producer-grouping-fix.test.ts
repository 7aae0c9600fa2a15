import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupMessagesPerPartition } from '../../../connectors/kafka/producer-grouping-fix.js';

/** kafkajs 2.2.4's groupMessagesPerPartition, as shipped (quadratic). */
const shipped = ({ topic, partitionMetadata, messages, partitioner }: Parameters<typeof groupMessagesPerPartition>[0]) =>
  partitionMetadata.length === 0
    ? {}
    : messages.reduce<Record<number, unknown[]>>((result, message) => {
        const partition = partitioner({ topic, partitionMetadata, message });
        const current = result[partition] ?? [];
        return Object.assign(result, { [partition]: [...current, message] });
      }, {});

describe('linear groupMessagesPerPartition', () => {
  it('groups exactly like kafkajs, keeping message order per partition', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.string(), partition: fc.integer({ min: 0, max: 5 }) })), fc.integer({ min: 0, max: 6 }), (messages, count) => {
        const args = {
          topic: 't',
          partitionMetadata: Array.from({ length: count }, (_, i) => ({ partitionId: i })),
          messages,
          partitioner: ({ message }: { message: unknown }) => (message as { partition: number }).partition,
        };
        expect(groupMessagesPerPartition(args)).toEqual(shipped(args));
      }),
    );
  });
});
