import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
// kafkajs as the application loads it: the work-arounds first.
import '../../../connectors/kafka/kafkajs.js';
import { crc32c } from '../../../connectors/kafka/crc32c.js';
import { shippedModule } from '../../../connectors/kafka/module-cache.js';
import { installRecordEncodingFix, ProduceRequestV3, Record, RecordBatch } from '../../../connectors/kafka/record-encoding-fix.js';

const require = createRequire(import.meta.url);

type Encoded = { readonly buffer: Buffer; size(): number };
const shippedRecord = shippedModule<(input: object) => Encoded>('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const shippedBatch = shippedModule<{ RecordBatch: (input: object) => Promise<Encoded> }>('kafkajs/src/protocol/recordBatch/v0/index.js').RecordBatch;
const shippedCrc = shippedModule<(bytes: Buffer) => number>('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js');
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): unknown };
type ProduceRequest = (input: object) => { apiKey: number; apiVersion: number; apiName: string; expectResponse(): boolean; encode(): Promise<Encoded> };
// kafkajs' own produce request v3 (its record encoding is this module's, compared above on its own).
const shippedProduceRequest = shippedModule<ProduceRequest>('kafkajs/src/protocol/requests/produce/v3/request.js');

const bytes = fc.oneof(
  fc.constant(null),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array)),
);
const headerValue = fc.oneof(fc.string({ maxLength: 20 }), fc.uint8Array({ maxLength: 30 }).map((array) => Buffer.from(array)));
const message = fc.record({
  key: bytes,
  value: bytes,
  headers: fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })), { maxKeys: 4 }),
  timestampDelta: fc.oneof(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: -(2 ** 41), max: 2 ** 41 }), fc.constantFrom(2 ** 52, -(2 ** 52), 2 ** 53 - 1)),
});
const batch = fc.record({
  messages: fc.array(message, { maxLength: 40 }),
  transactional: fc.boolean(),
  gzip: fc.boolean(),
  firstTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  producerId: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 40 }), fc.bigInt({ min: 0n, max: 2n ** 62n }).map((id) => Long.fromValue(id.toString()))),
  producerEpoch: fc.integer({ min: 0, max: 32_767 }),
  firstSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
});

describe('one-pass record batch encoding', () => {
  it('writes the same bytes as kafkajs for every batch, compressed or not', async () => {
    await fc.assert(
      fc.asyncProperty(batch, async (input) => {
        const common = {
          compression: input.gzip ? 1 : 0,
          firstTimestamp: input.firstTimestamp,
          maxTimestamp: input.firstTimestamp + 5,
          partitionLeaderEpoch: input.partitionLeaderEpoch,
          lastOffsetDelta: input.messages.length - 1,
          transactional: input.transactional,
          producerId: input.producerId,
          producerEpoch: input.producerEpoch,
          firstSequence: input.firstSequence,
        };
        const ours = await RecordBatch({ ...common, records: input.messages.map((m, offsetDelta) => Record({ ...m, offsetDelta })) });
        const theirs = await shippedBatch({ ...common, records: input.messages.map((m, offsetDelta) => shippedRecord({ ...m, offsetDelta })) });
        expect(ours.size()).toBe(theirs.size());
        expect(ours.buffer.equals(theirs.buffer)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('measures each record at the size kafkajs encodes it', () => {
    fc.assert(
      fc.property(message, fc.integer({ min: 0, max: 100_000 }), (m, offsetDelta) => {
        expect(Record({ ...m, offsetDelta }).size).toBe(shippedRecord({ ...m, offsetDelta }).size());
      }),
    );
  });

  it('checksums like kafkajs, over any sub-range', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // the CRC-32C check value
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(20), fc.nat(20), (array, cutStart, cutEnd) => {
        const buffer = Buffer.from(array);
        const start = Math.min(cutStart, buffer.length);
        const end = Math.max(start, buffer.length - cutEnd);
        expect(crc32c(buffer, start, end)).toBe(shippedCrc(buffer.subarray(start, end)));
      }),
    );
  });

  it('is what kafkajs produces with once the client is loaded', () => {
    expect(installRecordEncodingFix()).toBe(true);
    expect((require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: unknown }).RecordBatch).toBe(RecordBatch);
    expect(require('kafkajs/src/protocol/requests/produce/v3/request.js')).toBe(ProduceRequestV3);
    // v4 to v7 build on v3's request.
    const v7 = require('kafkajs/src/protocol/requests/produce/v7/request.js') as ProduceRequest;
    expect(v7({ acks: -1, timeout: 30_000, topicData: [] }).apiVersion).toBe(7);
  });
});

describe('produce request without a copy of every message', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // Timestamps of every kind kafkajs meets: numbers and numeric strings of different lengths (kafkajs
  // sorts them as strings), equal ones of both kinds, 0 (taken as "now"), and none.
  const timestamp = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.constant(0),
    fc.integer({ min: 1, max: 2 ** 45 }),
    fc.integer({ min: 1, max: 2 ** 45 }).map(String),
    fc.constantFrom(999, '999', 1000, '1000', 1_764_000_000_000, '1764000000000'),
  );
  const produced = fc.record({ key: bytes, value: bytes, headers: message.map((m) => m.headers), timestamp }, { requiredKeys: ['value'] });
  const request = fc.record({
    acks: fc.constantFrom(-1, 0, 1),
    timeout: fc.integer({ min: 0, max: 60_000 }),
    transactionalId: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    producerId: fc.option(fc.integer({ min: 0, max: 2 ** 40 }).map((id) => Long.fromValue(id)), { nil: undefined }),
    producerEpoch: fc.option(fc.integer({ min: 0, max: 32_767 }), { nil: undefined }),
    compression: fc.option(fc.constantFrom(0, 1), { nil: undefined }),
    topicData: fc.array(
      fc.record({
        topic: fc.string({ minLength: 1, maxLength: 20 }),
        partitions: fc.array(fc.record({ partition: fc.nat(50), messages: fc.array(produced, { maxLength: 12 }), firstSequence: fc.option(fc.nat(2 ** 31 - 1), { nil: undefined }) }, { requiredKeys: ['partition', 'messages'] }), { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
  });

  it('writes the same request bytes as kafkajs', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_764_300_000_123);
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        const ours = ProduceRequestV3(input as never);
        const theirs = shippedProduceRequest(input);
        expect([ours.apiKey, ours.apiVersion, ours.apiName, ours.expectResponse()]).toEqual([theirs.apiKey, theirs.apiVersion, theirs.apiName, theirs.expectResponse()]);
        const [oursEncoded, theirsEncoded] = [await ours.encode(), await theirs.encode()];
        expect(oursEncoded.buffer.equals(theirsEncoded.buffer)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
