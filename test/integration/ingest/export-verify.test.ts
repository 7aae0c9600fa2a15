/**
 * `quintet export` and `quintet verify --topic` against the real broker and registry: a chained canonical
 * topic in Avro (Confluent wire format, written in transactions, so the end offsets sit behind commit
 * markers) and a checkpoints topic; the export verifies, tampering with it is detected, and so is a
 * topic whose tail is missing compared with its checkpoints.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaClient } from '../../../connectors/kafka/client.js';
import { confluentAvroSerde, connectSchemaRegistry } from '../../../connectors/schema-registry/index.js';
import type { QuintetConfig } from '../../../core/config.js';
import { ChainKeyRing } from '../../../processors/chain/chain-hash.js';
import { CheckpointSigner } from '../../../processors/chain/checkpoint.js';
import { parseRecordLine } from '../../../processors/chain/export-format.js';
import { HashChainer, MemoryChainHeadStore } from '../../../processors/chain/hash-chainer.js';
import { canonicalEventAvroSchema, fromAvroRecord, toAvroRecord, type CanonicalEnvelope } from '../../../schemas/avro.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';
import { exportTopic } from '../../../cli/commands/export.js';
import { verifyFile, verifyTopic } from '../../../cli/commands/verify.js';
import { wireForm } from '../../../topologies/ingest.js';
import { testConfig, uniqueName } from '../../support/environment.js';

const PARTITIONS = 2;
const PER_PARTITION = 15;
const chainKey = randomBytes(32);
const { privateKey } = generateKeyPairSync('ed25519');
const canonicalTopic = uniqueName('it-canonical');
const checkpointTopic = uniqueName('it-checkpoints');
const shortTopic = uniqueName('it-canonical-short');
let config: QuintetConfig;
let kafka: Kafka;
let admin: Admin;
let dir: string;

const event = (i: number): CanonicalEvent =>
  wireForm({
    id: randomUUID(),
    event_timestamp: new Date(Date.UTC(2026, 10, 28, 9, 0, i)).toISOString(),
    observed_timestamp: new Date(Date.UTC(2026, 10, 28, 9, 1, i)).toISOString(),
    source: 'it://export',
    spec_version: '1.0',
    action: { name: 'shop.order.completed', type: 'track' },
    actor: { type: 'user', pseudonym: 'ps_abcdefghijklmnopqrstuvwxyz' },
    context: { client: { ip_address: '203.0.113.0' }, attributes: { total: i * 2.5, items: ['a', 'ü'] } },
  });

beforeAll(async () => {
  config = testConfig({
    'secrets.chainKeys': `c1:${chainKey.toString('base64')}`,
    'secrets.signingKey': privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    'topics.checkpoints': checkpointTopic,
  });
  kafka = createKafkaClient(config, { clientIdSuffix: 'it-export' });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [canonicalTopic, checkpointTopic, shortTopic].map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  dir = mkdtempSync(join(tmpdir(), 'quintet-it-export-'));

  const serde = confluentAvroSerde<CanonicalEnvelope>(connectSchemaRegistry(config), {
    schema: canonicalEventAvroSchema() as never,
    autoRegister: true,
    toAvro: toAvroRecord,
    fromAvro: (record) => fromAvroRecord(record as Record<string, unknown>),
  });
  const chainer = new HashChainer(new ChainKeyRing('c1', new Map([['c1', chainKey]])), new MemoryChainHeadStore());
  const producer = kafka.producer({ transactionalId: uniqueName('it-export-tx'), idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const signer = new CheckpointSigner(privateKey);
  const checkpoints: { partition: number; value: string }[] = [];
  for (let i = 0; i < PER_PARTITION; i += 1) {
    const tx = await producer.transaction();
    for (let partition = 0; partition < PARTITIONS; partition += 1) {
      const e = event(i * PARTITIONS + partition);
      const link = chainer.append(partition, e);
      if (link.kind !== 'ok') throw new Error('chain failed');
      const value = (await serde.serialize(canonicalTopic, { event: e, chain: link.value }, {})) as Buffer;
      const messages = [{ partition, key: e.actor.pseudonym ?? null, value }];
      await tx.send({ topic: canonicalTopic, messages });
      // The short topic misses the last two entries of partition 1 (a truncated tail).
      if (!(partition === 1 && i >= PER_PARTITION - 2)) await tx.send({ topic: shortTopic, messages });
    }
    await tx.commit();
  }
  for (let partition = 0; partition < PARTITIONS; partition += 1) {
    checkpoints.push({ partition, value: JSON.stringify(signer.sign(canonicalTopic, partition, chainer.head(partition)!, new Date())) });
    checkpoints.push({ partition, value: JSON.stringify(signer.sign(shortTopic, partition, chainer.head(partition)!, new Date())) });
  }
  const tx = await producer.transaction();
  await tx.send({ topic: checkpointTopic, messages: checkpoints.map((c) => ({ partition: 0, key: String(c.partition), value: c.value })) });
  await tx.commit();
  await producer.disconnect();
});

afterAll(async () => {
  await admin?.deleteTopics({ topics: [canonicalTopic, checkpointTopic, shortTopic] }).catch(() => undefined);
  await admin?.disconnect();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function exportLines(topic: string): Promise<string[]> {
  const lines: string[] = [];
  const result = await exportTopic(config, topic, (line) => void lines.push(line.trimEnd()));
  expect(result.skipped).toBe(0);
  return lines;
}

describe('export and verify on Kafka', () => {
  it('exports every committed record of every partition, in offset order, decoded from Avro', async () => {
    const lines = await exportLines(canonicalTopic);
    expect(lines).toHaveLength(PARTITIONS * PER_PARTITION);
    for (let partition = 0; partition < PARTITIONS; partition += 1) {
      const sequences = lines.map((l) => parseRecordLine(l)!).filter((r) => r.partition === partition);
      expect(sequences.map((r) => r.chain?.sequence)).toEqual(Array.from({ length: PER_PARTITION }, (_, i) => i));
      const offsets = sequences.map((r) => BigInt(r.offset));
      expect(offsets.every((o, i) => i === 0 || o > (offsets[i - 1] as bigint))).toBe(true);
    }
    expect(parseRecordLine(lines[0] as string)?.event.context?.attributes?.items).toEqual(['a', 'ü']);
  });

  it('verifies the export offline, and detects a deleted and a modified line', async () => {
    const lines = await exportLines(canonicalTopic);
    const checkpointLines = await exportLines(checkpointTopic);
    const write = (name: string, content: string[]): string => {
      const file = join(dir, name);
      writeFileSync(file, `${content.join('\n')}\n`);
      return file;
    };
    const checkpoints = write('checkpoints.ndjson', checkpointLines.filter((l) => (JSON.parse(l) as { checkpoint: { topic: string } }).checkpoint.topic === canonicalTopic));
    expect(await verifyFile(config, write('intact.ndjson', lines), checkpoints, undefined)).toMatchObject({ intact: true, truncation_checked: true, records: 30 });

    const deleted = lines.filter((l) => !(parseRecordLine(l)?.partition === 1 && parseRecordLine(l)?.chain?.sequence === 7));
    expect((await verifyFile(config, write('deleted.ndjson', deleted), checkpoints, undefined)).breaks).toEqual([
      expect.objectContaining({ kind: 'deleted', partition: 1, sequence: 7 }),
    ]);
    const modified = lines.map((l) => (parseRecordLine(l)?.partition === 0 && parseRecordLine(l)?.chain?.sequence === 4 ? l.replace('"total":20', '"total":21') : l));
    expect(modified).not.toEqual(lines);
    expect((await verifyFile(config, write('modified.ndjson', modified), checkpoints, undefined)).breaks).toEqual([
      expect.objectContaining({ kind: 'modified', partition: 0, sequence: 4 }),
    ]);
  });

  it('verifies a topic directly against its checkpoints, and detects a truncated tail', async () => {
    expect(await verifyTopic(config, canonicalTopic, checkpointTopic, undefined)).toMatchObject({ intact: true, truncation_checked: true, records: 30 });
    const short = await verifyTopic(config, shortTopic, checkpointTopic, undefined);
    expect(short.intact).toBe(false);
    expect(short.breaks).toEqual([expect.objectContaining({ kind: 'truncated', partition: 1, sequence: PER_PARTITION - 2 })]);
  });
});
