/**
 * Work-around for kafkajs 2.2.4's default partitioner, which every producer of Quintet uses
 * (`Partitioners.DefaultPartitioner`, the Java client's choice of partition):
 *
 * - its murmur2 hash (`producer/partitioners/default/murmur2.js`) computes in kafkajs' BigInt-backed
 *   `Long`, a handful of objects per four key bytes: in a profile of the pass-through bench, hashing the
 *   keys took ~14 % of the process (murmur2 and long.js). Only the low 32 bits of each step reach the
 *   result, so the same hash is 32-bit integer arithmetic (`Math.imul`), as in the Java client: the
 *   streams runtime's own (streams/partitioner.ts), which the driver and the engine already share;
 * - its partitioner (`producer/partitioners/legacy/partitioner.js`) filtered the partitions with a
 *   leader for every message, even one whose partition is given (the streams runtime sets it on
 *   repartition and changelog records, the ingest on the canonical topic); here only keyless messages
 *   need them.
 *
 * Same partitions (unit test against kafkajs' own modules on random keys). kafkajs requires both as
 * it loads (`Partitioners`), so they are put into the module cache before kafkajs is imported
 * (connectors/kafka/kafkajs.ts).
 */
import { randomBytes } from 'node:crypto';
import { murmur2 as bytesMurmur2 } from '../../streams/partitioner.js';
import { replaceUnlessLoaded } from './module-cache.js';

/** Kafka's murmur2 of a key as kafkajs takes it: a Buffer, or anything else as its UTF-8 string. */
export function murmur2(key: unknown): number {
  return bytesMurmur2(Buffer.isBuffer(key) ? key : Buffer.from(String(key)));
}

interface PartitionMetadata {
  readonly partitionId: number;
  readonly leader: number;
}

interface PartitionerArgs {
  readonly topic: string;
  readonly partitionMetadata: readonly PartitionMetadata[];
  readonly message: { readonly partition?: number | null; readonly key?: unknown };
}

const toPositive = (x: number): number => x & 0x7fffffff;

/**
 * kafkajs' partitioner factory (legacy/partitioner.js, which the default partitioner uses with the
 * murmur2 above): the message's partition if it has one; else the hash of its key; else round robin
 * over the partitions that have a leader (from a random start per topic), or over all of them when
 * none has.
 */
export function createPartitioner(hash: (key: unknown) => number) {
  return () => {
    const counters = new Map<string, number>();
    return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
      if (message.partition !== null && message.partition !== undefined) return message.partition;
      const numPartitions = partitionMetadata.length;
      if (message.key !== null && message.key !== undefined) return toPositive(hash(message.key)) % numPartitions;
      const counter = (counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1;
      counters.set(topic, counter);
      const available = partitionMetadata.filter((p) => p.leader >= 0);
      if (available.length > 0) return (available[toPositive(counter) % available.length] as PartitionMetadata).partitionId;
      return toPositive(counter) % numPartitions;
    };
  };
}

/** True when kafkajs' default partitioner hashes with murmur2 above and chooses with createPartitioner. */
export function installPartitionerFix(): boolean {
  const hashInstalled = replaceUnlessLoaded('kafkajs/src/producer/partitioners/default/murmur2.js', murmur2);
  const partitionerInstalled = replaceUnlessLoaded('kafkajs/src/producer/partitioners/legacy/partitioner.js', createPartitioner);
  return hashInstalled && partitionerInstalled;
}

installPartitionerFix();
