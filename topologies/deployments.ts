/**
 * Kafka mode: each topology wired to the real connectors (Redis vault and feed stores, ClickHouse,
 * the schema registry's Avro serde for the canonical topic), ready for `quintet run <name>`.
 * The embedded mode (embedded/pipeline.ts) wires the same topologies to the in-memory twins.
 */
import type { Redis } from 'ioredis';
import type { QuintetConfig } from '../core/config.js';
import type { QuintetMetrics } from '../core/metrics.js';
import { QuintetError } from '../core/errors.js';
import { ClickHouseEventWriter } from '../connectors/clickhouse/analytics-store.js';
import { ClickHouseServer, connectionOptionsFrom } from '../connectors/clickhouse/server.js';
import { createFeedRedis } from '../connectors/redis/feed-client.js';
import { RedisErasureTombstones, RedisFollowGraphStore, RedisInboxStore, RedisNotificationStore } from '../connectors/redis/feed-stores.js';
import { createVaultRedis } from '../connectors/redis/vault-client.js';
import { RedisVaultStore } from '../connectors/redis/vault-store.js';
import { confluentAvroSerde, connectSchemaRegistry } from '../connectors/schema-registry/index.js';
import { CanonicalTranslator } from '../processors/adapters/translator.js';
import { DEFAULT_CELEBRITY_THRESHOLD } from '../processors/feeds/fan-out-planner.js';
import { ChainKeyRing } from '../processors/chain/chain-hash.js';
import { CheckpointSigner, signingKeyFromConfig } from '../processors/chain/checkpoint.js';
import { PiiVault } from '../processors/pseudonymization/pii-vault.js';
import { MasterKeyRing } from '../processors/pseudonymization/vault-crypto.js';
import { canonicalEventAvroSchema, fromAvroRecord, toAvroRecord, type CanonicalEnvelope } from '../schemas/avro.js';
import type { Serde } from '../streams/serdes.js';
import { Serdes } from '../streams/serdes.js';
import type { Topology } from '../streams/topology.js';
import { kafkaTopology } from '../streams/kafka/kafka-topology.js';
import type { EngineTopology } from '../streams/kafka/seam.js';
import { KafkaTopicAdmin } from '../connectors/kafka/admin.js';
import { createKafkaClient } from '../connectors/kafka/client.js';
import { analyticsCanonicalSerde, buildAnalyticsTopology } from './analytics.js';
import { buildFeedsTopology } from './feeds.js';
import { buildIngestTopology, ingestTaskOptions } from './ingest.js';
import { defineProfilePolicy } from '../processors/profile/user-profile.js';
import { buildLikesTopology } from './likes.js';

export const TOPOLOGY_NAMES = ['ingest', 'feeds', 'likes', 'analytics'] as const;
export type TopologyName = (typeof TOPOLOGY_NAMES)[number];

export interface Deployment {
  readonly name: TopologyName;
  /** Consumer group, transactional-id prefix and internal-topic prefix: `<applicationId>-<name>`. */
  readonly applicationId: string;
  /** A plain topology, or one with engine options (the ingest topology names its sinks' partition counts). */
  readonly topology: Topology | EngineTopology;
  /** Commit interval of this topology when it differs from `streams.commitIntervalMs` (analytics: its batch delay). */
  readonly commitIntervalMs?: number;
  /** Releases the connections the topology's stores hold. */
  close(): Promise<void>;
}

export function isTopologyName(name: string): name is TopologyName {
  return (TOPOLOGY_NAMES as readonly string[]).includes(name);
}

/** The canonical topic's value serde: Avro through the schema registry, subject `<topic>-value`. */
export function canonicalAvroSerde(config: QuintetConfig): Serde<CanonicalEnvelope> {
  return confluentAvroSerde<CanonicalEnvelope>(connectSchemaRegistry(config), {
    schema: canonicalEventAvroSchema() as never,
    autoRegister: true,
    compatibility: 'BACKWARD',
    toAvro: toAvroRecord,
    fromAvro: (record) => fromAvroRecord(record as Record<string, unknown>),
  });
}

const disconnect = async (redis: Redis): Promise<void> => {
  await redis.quit().catch(() => redis.disconnect());
};

/** The store with its batch writes timed as sink batches, when metrics are given. */
const timedBatches = <S extends object>(store: S, method: keyof S & string, sink: string, metrics: QuintetMetrics | undefined): S => metrics?.instrumentBatches(store, method, sink) ?? store;

/** `metrics`: the vault's cache and the sinks' batches are reported there (the engine reports the rest). */
export async function openDeployment(name: TopologyName, config: QuintetConfig, metrics?: QuintetMetrics): Promise<Deployment> {
  const applicationId = `${config.streams.applicationId}-${name}`;
  const keys = { keyPrefix: config.redis.keyPrefix };
  const canonicalTopic = config.topics.canonical;
  switch (name) {
    case 'ingest': {
      // The chain sink routes each event to its chain's partition: the engine must know how many there are.
      const admin = new KafkaTopicAdmin(createKafkaClient(config, { clientIdSuffix: 'ingest-admin' }));
      const canonicalPartitions = await admin.partitionCount(config.topics.canonical).finally(() => admin.close());
      const redis = createVaultRedis(config, { connectionName: `quintet-${name}` });
      const vault = PiiVault.fromConfig(new RedisVaultStore(redis, { prefix: config.redis.keyPrefix }), config);
      metrics?.observeVault(vault);
      const masterKeys = MasterKeyRing.fromConfig(config.secrets.masterKeys);
      const plain = buildIngestTopology({
        topics: config.topics,
        translator: new CanonicalTranslator({ limits: config.limits }),
        vault,
        chainKeys: ChainKeyRing.fromConfig(config.secrets.chainKeys),
        masterKeys,
        partitions: canonicalPartitions,
        profilePolicy: defineProfilePolicy({ allowedTraits: config.profile.traits }),
        ...(config.secrets.signingKey === undefined ? {} : { signer: new CheckpointSigner(signingKeyFromConfig(config.secrets.signingKey)) }),
        canonicalValueSerde: canonicalAvroSerde(config),
      });
      const topology = kafkaTopology(plain, ingestTaskOptions({ topics: config.topics, canonicalPartitions, masterKeys }));
      return { name, applicationId, topology, close: async () => (await vault.close(), await disconnect(redis)) };
    }
    case 'feeds': {
      const redis = createFeedRedis(config, { connectionName: `quintet-${name}` });
      const topology = buildFeedsTopology({
        canonicalTopic,
        stores: {
          graph: new RedisFollowGraphStore(redis, DEFAULT_CELEBRITY_THRESHOLD, keys),
          inboxes: timedBatches(new RedisInboxStore(redis, undefined, keys), 'writeBatch', 'inboxes', metrics),
          tombstones: new RedisErasureTombstones(redis, keys),
        },
        keySerde: Serdes.String() as Serde<unknown>,
        valueSerde: canonicalAvroSerde(config),
      });
      return { name, applicationId, topology, close: () => disconnect(redis) };
    }
    case 'likes': {
      const redis = createFeedRedis(config, { connectionName: `quintet-${name}` });
      const topology = buildLikesTopology({
        canonicalTopic,
        stores: { notifications: timedBatches(new RedisNotificationStore(redis, undefined, keys), 'upsertBatch', 'notifications', metrics), tombstones: new RedisErasureTombstones(redis, keys) },
        keySerde: Serdes.String() as Serde<unknown>,
        valueSerde: canonicalAvroSerde(config),
      });
      return { name, applicationId, topology, close: () => disconnect(redis) };
    }
    case 'analytics': {
      const clickhouse = ClickHouseServer.connect(connectionOptionsFrom(config));
      const topology = buildAnalyticsTopology({
        canonicalTopic,
        // The sink never reads the key (rows are keyed by event id): bytes as they are, not a string per record.
        keySerde: Serdes.Bytes() as Serde<unknown>,
        // Reads only the analytics fields of each record (Avro resolution skips the rest).
        valueSerde: analyticsCanonicalSerde(connectSchemaRegistry(config)),
        store: { kind: 'clickhouse', writer: new ClickHouseEventWriter(clickhouse) },
        limits: { maxRows: config.clickhouse.batchMaxRows, maxBytes: config.clickhouse.batchMaxBytes, maxDelayMs: config.clickhouse.batchMaxDelayMs },
        maxInFlight: config.clickhouse.insertsInFlight,
        ...(metrics === undefined ? {} : { onWritten: (batch) => metrics.sinkBatch('clickhouse', batch.rows, batch.seconds) }),
      });
      return { name, applicationId, topology, commitIntervalMs: config.clickhouse.commitIntervalMs, close: () => clickhouse.close() };
    }
    default:
      throw new QuintetError('TOPOLOGY_UNKNOWN', `unknown topology "${String(name)}" (known: ${TOPOLOGY_NAMES.join(', ')})`);
  }
}
