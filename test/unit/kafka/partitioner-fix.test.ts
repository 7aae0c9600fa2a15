import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// kafkajs as the application loads it: the work-arounds first.
import '../../../connectors/kafka/kafkajs.js';
import { shippedModule } from '../../../connectors/kafka/module-cache.js';
import { createPartitioner, installPartitionerFix, murmur2 } from '../../../connectors/kafka/partitioner-fix.js';

const require = createRequire(import.meta.url);
const shippedMurmur2 = shippedModule<(key: unknown) => number>('kafkajs/src/producer/partitioners/default/murmur2.js');
type Partitioner = (args: { topic: string; partitionMetadata: { partitionId: number; leader: number }[]; message: { partition?: number | null; key?: unknown } }) => number;
const shippedFactory = shippedModule<(hash: (key: unknown) => number) => () => Partitioner>('kafkajs/src/producer/partitioners/legacy/partitioner.js');

const key = fc.oneof(
  fc.uint8Array({ maxLength: 120 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.integer(),
);

describe('murmur2 and the default partitioner without BigInt', () => {
  it("hashes as the Java client's Utils.murmur2 (its own test vectors)", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [text, expected] of vectors) expect(murmur2(Buffer.from(text))).toBe(expected);
  });

  it("hashes every key as kafkajs' murmur2 does", () => {
    fc.assert(
      fc.property(key, (k) => {
        expect(murmur2(k)).toBe(shippedMurmur2(k));
      }),
      { numRuns: 2_000 },
    );
  });

  it("chooses the partition kafkajs' partitioner chooses for a given partition or a key", () => {
    const ours = createPartitioner(murmur2)();
    const theirs = shippedFactory(shippedMurmur2)();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.option(fc.nat(63), { nil: undefined }), key, (partitions, partition, k) => {
        const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: partitionId % 3 === 0 ? -1 : 1 }));
        const message = { key: k, ...(partition === undefined ? {} : { partition }) };
        expect(ours({ topic: 't', partitionMetadata, message })).toBe(theirs({ topic: 't', partitionMetadata, message }));
      }),
    );
  });

  it('spreads keyless messages round robin over the partitions that have a leader, else over all', () => {
    const partitioner = createPartitioner(murmur2)();
    const partitionMetadata = [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: partitionId === 2 ? -1 : 1 }));
    const chosen = Array.from({ length: 6 }, () => partitioner({ topic: 't', partitionMetadata, message: { key: null } }));
    expect(new Set(chosen)).toEqual(new Set([0, 1, 3]));
    expect(chosen.slice(0, 3).sort()).toEqual(chosen.slice(3).sort());
    const leaderless = [0, 1].map((partitionId) => ({ partitionId, leader: -1 }));
    const some = Array.from({ length: 4 }, () => partitioner({ topic: 'u', partitionMetadata: leaderless, message: {} }));
    expect(new Set(some)).toEqual(new Set([0, 1]));
  });

  it('is what kafkajs partitions with once the client is loaded', () => {
    expect(installPartitionerFix()).toBe(true);
    expect(require('kafkajs/src/producer/partitioners/default/murmur2.js')).toBe(murmur2);
  });
});
