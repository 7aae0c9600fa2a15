import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { DECODE_MESSAGES_PATH, decodeMessages, installRecordDecodingFix, type DecodeMessages, type KafkaDecoder } from '../../../connectors/kafka/record-decoding-fix.js';
import { shippedModule } from '../../../connectors/kafka/module-cache.js';
import { prng } from '../../../processors/analytics/synthetic-events.js';

const require = createRequire(import.meta.url);

const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => KafkaDecoder;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (options: Record<string, unknown>) => Promise<{ buffer: Buffer }> };
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (options: Record<string, unknown>) => unknown;
const MessageSet = require('kafkajs/src/protocol/messageSet/index.js') as (options: Record<string, unknown>) => { buffer: Buffer };
const { Types: Compression } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number; GZIP: number } };

const original = shippedModule<DecodeMessages>(DECODE_MESSAGES_PATH);

// ---- a hand encoder, to write what kafkajs' encoder cannot (any attributes, long varlongs, bad lengths)

function uleb(value: bigint): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return bytes;
}
const varint = (n: number): number[] => uleb(BigInt(((n << 1) ^ (n >> 31)) >>> 0));
const varlong = (n: bigint): number[] => uleb(BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
const sized = (bytes: Buffer | null): number[] => (bytes === null ? varint(-1) : [...varint(bytes.length), ...bytes]);

interface RawRecord {
  readonly attributes?: number;
  readonly timestampDelta?: bigint;
  readonly offsetDelta?: number;
  readonly key?: Buffer | null;
  readonly value?: Buffer | null;
  readonly headers?: ReadonlyArray<readonly [string | null, Buffer | null]>;
  /** Replaces the encoded timestamp delta (e.g. an over-long varlong). */
  readonly rawTimestampDelta?: number[];
  /** Added to the record's length prefix (a record that lies about its length). */
  readonly lengthError?: number;
  /** The record's bytes as they are. */
  readonly raw?: number[];
}

function record(r: RawRecord): number[] {
  if (r.raw !== undefined) return r.raw;
  const headers = r.headers ?? [];
  const body = [
    (r.attributes ?? 0) & 0xff,
    ...(r.rawTimestampDelta ?? varlong(r.timestampDelta ?? 0n)),
    ...varint(r.offsetDelta ?? 0),
    ...sized(r.key === undefined ? Buffer.from('k') : r.key),
    ...sized(r.value === undefined ? Buffer.from('v') : r.value),
    ...varint(headers.length),
    ...headers.flatMap(([key, value]) => [...sized(key === null ? null : Buffer.from(key)), ...sized(value)]),
  ];
  return [...varint(body.length + (r.lengthError ?? 0)), ...body];
}

interface RawBatch {
  readonly firstOffset?: bigint;
  readonly firstTimestamp?: bigint;
  readonly maxTimestamp?: bigint;
  readonly attributes?: number;
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly firstSequence?: number;
  readonly partitionLeaderEpoch?: number;
  readonly lastOffsetDelta?: number;
  readonly records: readonly RawRecord[];
  /** Overrides the record count. */
  readonly count?: number;
  /** Overrides the batch length. */
  readonly length?: number;
}

function batch(b: RawBatch): Buffer {
  const records = Buffer.from(b.records.flatMap(record));
  const header = Buffer.alloc(61);
  header.writeBigInt64BE(b.firstOffset ?? 0n, 0);
  header.writeInt32BE(b.length ?? 49 + records.length, 8);
  header.writeInt32BE(b.partitionLeaderEpoch ?? 3, 12);
  header.writeInt8(2, 16);
  header.writeUInt32BE(0xdeadbeef, 17); // kafkajs does not check the CRC
  header.writeInt16BE(b.attributes ?? 0, 21);
  header.writeInt32BE(b.lastOffsetDelta ?? Math.max(0, b.records.length - 1), 23);
  header.writeBigInt64BE(b.firstTimestamp ?? 1_764_000_000_000n, 27);
  header.writeBigInt64BE(b.maxTimestamp ?? 1_764_000_009_999n, 35);
  header.writeBigInt64BE(b.producerId ?? -1n, 43);
  header.writeInt16BE(b.producerEpoch ?? -1, 51);
  header.writeInt32BE(b.firstSequence ?? -1, 53);
  header.writeInt32BE(b.count ?? b.records.length, 57);
  return Buffer.concat([header, records]);
}

/** A partition's record set as the fetch response carries it: int32 size, then the batches. */
function recordSet(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** Everything observable, key order included: buffers as hex, objects as entry lists. */
function canonical(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { buffer: value.toString('hex') };
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'function') return { function: value.name };
  if (value !== null && typeof value === 'object') {
    return { prototype: Object.getPrototypeOf(value) === Object.prototype ? 'Object' : String(Object.getPrototypeOf(value)), entries: Object.entries(value).map(([k, v]) => [k, canonical(v)]) };
  }
  return value;
}

type Outcome = { records: unknown } | { error: string };
async function outcome(decode: (decoder: KafkaDecoder) => Promise<unknown[]>, bytes: Buffer): Promise<Outcome> {
  const decoder = new Decoder(bytes);
  try {
    const records = await decode(decoder);
    // Records of one batch share one context object in kafkajs: so must they here.
    const contexts = new Map<unknown, number>();
    const shared = records.map((r) => {
      const context = (r as { batchContext?: unknown }).batchContext;
      if (!contexts.has(context)) contexts.set(context, contexts.size);
      return contexts.get(context);
    });
    return { records: { records: canonical(records), shared, consumed: decoder.offset } };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

async function expectSameAsKafkajs(bytes: Buffer): Promise<Outcome> {
  const expected = await outcome(original, bytes);
  expect(await outcome(decodeMessages, bytes)).toEqual(expected);
  return expected;
}

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('record decoding fix (kafkajs decodeMessages replacement)', () => {
  it('is the decodeMessages kafkajs requires', () => {
    expect(installRecordDecodingFix()).toBe(true);
    expect(require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js')).toBe(decodeMessages);
    expect(original).not.toBe(decodeMessages);
  });

  it('decodes plain records, null and empty keys and values, exactly as kafkajs', async () => {
    const records: RawRecord[] = [
      { offsetDelta: 0, timestampDelta: 0n, key: buf('event-1'), value: buf('{"a":1}') },
      { offsetDelta: 1, timestampDelta: 5n, key: null, value: buf('no key') },
      { offsetDelta: 2, timestampDelta: -7n, key: buf('tombstone'), value: null },
      { offsetDelta: 3, timestampDelta: 63n, key: Buffer.alloc(0), value: Buffer.alloc(0) },
      { offsetDelta: 4, timestampDelta: 64n, key: null, value: null, attributes: 0x7f },
      { offsetDelta: 5, timestampDelta: -64n, key: Buffer.alloc(300, 1), value: Buffer.alloc(70_000, 2), attributes: -1 },
    ];
    const outcome = await expectSameAsKafkajs(recordSet(batch({ firstOffset: 42n, records })));
    expect((outcome as { records: { records: unknown[] } }).records.records).toHaveLength(6);
  });

  it('builds headers as kafkajs does: repeated keys as arrays, null values and keys, inherited names', async () => {
    const records: RawRecord[] = [
      { headers: [['ce_specversion', buf('1.0')], ['ce_id', buf('e-1')], ['ce_source', buf('svc')], ['ce_type', buf('post.liked')], ['ce_time', buf('2026-11-28T00:00:00.000Z')], ['content-type', buf('application/avro')]] },
      { offsetDelta: 1, headers: [['a', buf('1')], ['b', buf('2')], ['a', buf('3')], ['a', null], ['b', buf('4')]] },
      { offsetDelta: 2, headers: [['null-value', null], ['null-value', null]] },
      { offsetDelta: 3, headers: [[null, buf('key is null')], ['null', buf('and the string null')]] },
      { offsetDelta: 4, headers: [['toString', buf('x')], ['__proto__', buf('y')], ['__proto__', buf('z')], ['constructor', buf('w')], ['hasOwnProperty', null]] },
      { offsetDelta: 5, headers: [['2', buf('integer-like')], ['1', buf('keys')], ['ключ', buf('ünïcödé 🎉')], ['', buf('empty name')]] },
    ];
    await expectSameAsKafkajs(recordSet(batch({ records })));
  });

  it('reuses a header name of the previous records only for the same bytes (same length, other bytes; long names; many headers)', async () => {
    const long = 'x'.repeat(70);
    const names = [['ce_id', 'ce_ix', 'ce_id'], [long, `${long.slice(1)}y`, long], ['ü', 'é', 'ü'], ['ab', 'abc', 'ab']];
    const records: RawRecord[] = [];
    for (let i = 0; i < 6; i++) {
      const headers = names.map((variants) => [variants[i % 3] as string, buf(`v${i}`)] as const);
      const many = Array.from({ length: 20 }, (_, h) => [`h${(h + i) % 20}`, buf(String(h))] as const);
      records.push({ offsetDelta: i, headers: i % 2 === 0 ? headers : [...headers, ...many] });
    }
    const first = await expectSameAsKafkajs(recordSet(batch({ records })));
    // Decoded again (the names remembered from the first pass): the same records.
    expect(await outcome(decodeMessages, recordSet(batch({ records })))).toEqual(first);
  });

  it('adds offsets and timestamps exactly, beyond 2^53 and with varlongs of every length', async () => {
    const deltas = [0n, 1n, -1n, 2n ** 20n, -(2n ** 35n), 2n ** 48n - 1n, 2n ** 48n, -(2n ** 48n), 2n ** 49n, 2n ** 55n + 3n, -(2n ** 62n), 2n ** 63n - 1n, -(2n ** 63n)];
    const records = deltas.map((timestampDelta, i) => ({ offsetDelta: i * 1_000_003 - 7, timestampDelta }));
    for (const firstOffset of [0n, 2n ** 53n - 5n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      for (const firstTimestamp of [1_764_000_000_000n, -1n, 0n, 2n ** 53n - 3n, 2n ** 53n + 3n, 2n ** 60n, -(2n ** 63n)]) {
        await expectSameAsKafkajs(recordSet(batch({ firstOffset, firstTimestamp, records })));
      }
    }
    // Varlongs padded with continuation bytes (up to kafkajs' 10), and an 11-byte one, which kafkajs refuses.
    for (let extra = 1; extra <= 9; extra++) {
      const padded = [...Array.from({ length: extra }, () => 0x80 | 0x02), 0x00];
      await expectSameAsKafkajs(recordSet(batch({ records: [{ rawTimestampDelta: padded }, { offsetDelta: 1 }] })));
    }
    const outcome = await expectSameAsKafkajs(recordSet(batch({ records: [{ rawTimestampDelta: [...Array.from({ length: 10 }, () => 0xff), 0x01] }] })));
    expect(outcome).toEqual({ error: expect.stringContaining('Invalid Long') });
  });

  it('carries the batch context: transactional, control and log-append-time batches', async () => {
    const transactional = batch({ attributes: 0x10, producerId: 4_242n, producerEpoch: 7, firstSequence: 100, firstOffset: 10n, records: [{}, { offsetDelta: 1 }] });
    const abortMarker = batch({ attributes: 0x30, producerId: 4_242n, producerEpoch: 7, firstOffset: 12n, records: [{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 5]) }] });
    const commitMarker = batch({ attributes: 0x30, producerId: 9n, firstOffset: 13n, records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 5]) }] });
    const logAppend = batch({ attributes: 0x08, firstOffset: 14n, maxTimestamp: 1_800_000_000_123n, records: [{ timestampDelta: 5n }, { offsetDelta: 1, timestampDelta: 9n }] });
    const everything = batch({ attributes: -1 & ~0x07, firstOffset: 16n, records: [{}] });
    await expectSameAsKafkajs(recordSet(transactional, abortMarker, commitMarker, logAppend, everything));
  });

  it('matches kafkajs on batches kafkajs encodes, compressed ones included (decoded by kafkajs itself)', async () => {
    const messages = Array.from({ length: 50 }, (_, i) =>
      KafkajsRecord({ offsetDelta: i, timestampDelta: i * 3, key: i % 7 === 0 ? null : buf(`key-${i}`), value: buf(`value ${i} `.repeat(i % 5)), headers: i % 3 === 0 ? {} : { trace: buf(`t${i}`), dup: [buf('1'), buf('2')] } }),
    );
    const plain = (await RecordBatch({ firstOffset: 1_000, firstTimestamp: 1_764_000_000_000, maxTimestamp: 1_764_000_000_500, lastOffsetDelta: 49, records: messages })).buffer;
    const gzip = (await RecordBatch({ compression: Compression.GZIP, firstOffset: 1_050, firstTimestamp: 1_764_000_001_000, lastOffsetDelta: 49, records: messages })).buffer;
    const transactional = (await RecordBatch({ transactional: true, producerId: 77, producerEpoch: 1, firstOffset: 1_100, lastOffsetDelta: 49, records: messages })).buffer;
    const outcome = await expectSameAsKafkajs(recordSet(plain, gzip, transactional, plain));
    expect((outcome as { records: { records: unknown[] } }).records.records).toHaveLength(200);
  });

  it('stops at a batch cut by maxBytes at every possible place, as kafkajs does', async () => {
    const first = batch({ firstOffset: 0n, records: [{}, { offsetDelta: 1, headers: [['h', buf('v')]] }] });
    const second = batch({ firstOffset: 2n, records: [{ key: buf('a'), value: buf('b'.repeat(40)) }, { offsetDelta: 1 }] });
    const whole = Buffer.concat([first, second]);
    for (let cut = 0; cut <= whole.length; cut++) await expectSameAsKafkajs(recordSet(whole.subarray(0, cut)));
  });

  it('leaves legacy message sets to kafkajs', async () => {
    for (const messageVersion of [0, 1]) {
      const set = MessageSet({ messageVersion, compression: Compression.None, entries: [{ key: buf('k'), value: buf('v1'), timestamp: 1_764_000_000_000 }, { key: null, value: buf('v2'), timestamp: 1_764_000_000_001 }] }).buffer;
      await expectSameAsKafkajs(recordSet(set));
    }
  });

  it('gives kafkajs’ result or error for batches whose bytes do not add up', async () => {
    const good = batch({ firstOffset: 5n, records: [{}, { offsetDelta: 1 }] });
    const cases: Buffer[] = [
      batch({ records: [{}, { offsetDelta: 1, lengthError: 3 }] }), // says longer than it is
      batch({ records: [{ lengthError: -2 }, { offsetDelta: 1 }] }), // says shorter than it is
      batch({ records: [{}], count: 3 }), // more records than bytes
      batch({ records: [{}], count: 1_000_000 }),
      batch({ records: [], count: -1 }),
      batch({ records: [{}], count: -5 }),
      batch({ records: [{}], length: 20 }),
      batch({ records: [{}], length: -4 }),
      batch({ records: [{ key: Buffer.alloc(0) }] }).fill(0x7f, 61 + 3, 61 + 4), // key length byte → 63, past the record
      // A record that ends after its timestamp: kafkajs reads the rest of it as zeros (offset delta 0,
      // empty key and value) where the bytes that follow say offset delta 1, null key and value.
      batch({ records: [{ raw: [...varint(2), 0, 0] }, { raw: [...varint(1), ...varint(-1), ...varint(-1), ...varint(0)] }], count: 1 }),
    ];
    for (const bad of cases) {
      await expectSameAsKafkajs(recordSet(bad));
      await expectSameAsKafkajs(recordSet(good, bad, good));
    }
  });

  it('agrees with kafkajs on randomly corrupted and random record sets', async () => {
    const next = prng(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const randomBytes = (max: number): Buffer | null => (next() < 0.1 ? null : Buffer.from(Array.from({ length: Math.floor(next() * max) }, () => Math.floor(next() * 256))));
    const randomBatch = (firstOffset: bigint): Buffer =>
      batch({
        firstOffset,
        attributes: pick([0, 0, 0x08, 0x10, 0x20, 0x30]),
        producerId: BigInt(Math.floor(next() * 1_000)),
        firstTimestamp: pick([1_764_000_000_000n, -1n, 2n ** 55n]),
        records: Array.from({ length: 1 + Math.floor(next() * 6) }, (_, i) => ({
          offsetDelta: i,
          timestampDelta: BigInt(Math.floor((next() - 0.5) * 2 ** Math.floor(next() * 60))),
          key: randomBytes(20),
          value: randomBytes(200),
          headers: Array.from({ length: pick([0, 0, 1, 3]) }, () => [pick(['a', 'b', 'ce_id', '__proto__', 'toString']), randomBytes(8)] as const),
        })),
      });
    for (let round = 0; round < 300; round++) {
      const set = recordSet(randomBatch(BigInt(round * 10)), randomBatch(BigInt(round * 10 + 6)));
      await expectSameAsKafkajs(set);
      // Flip a few bytes after the size prefix (headers, lengths, varints: wherever they land).
      const corrupted = Buffer.from(set);
      for (let flips = 1 + Math.floor(next() * 3); flips > 0; flips--) corrupted[4 + Math.floor(next() * (corrupted.length - 4))] = Math.floor(next() * 256);
      await expectSameAsKafkajs(corrupted);
    }
  });
});
