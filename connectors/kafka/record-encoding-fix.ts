/**
 * Work-around for a kafkajs 2.2.4 hot spot: encoding produced records. kafkajs builds each record in
 * a fresh zero-filled 512-byte `Encoder` (growing it by doubling and copying), each varint through a
 * temporary array and `Buffer.from`, then copies every record into a growing batch body, checksums it
 * byte by byte and copies the batch twice more. On the ingest process that was ~12 % of its CPU, the
 * largest single cost outside our own processing.
 *
 * This module encodes a record batch in one pass: `Record` only measures a record, `RecordBatch`
 * allocates the batch once at its exact size, writes every record into it and checksums it with
 * slicing-by-8 CRC-32C. The produce request (v3, which v4–v7 extend) measures each message where it
 * is, instead of copying it into a new object first, and finds the batch's first and last timestamps
 * without sorting them all. The bytes are the same as kafkajs' (unit tests compare batches and whole
 * requests on varied input, compressed ones included). Like producer-grouping-fix.ts, it puts the
 * three modules into the CommonJS cache under kafkajs' own paths. kafkajs requires its produce request (and with it these two
 * modules) lazily, at the first Produce, and kafkajs is only imported through connectors/kafka/kafkajs.ts,
 * which imports this module first: so it would take effect even if kafkajs itself were loaded earlier.
 * Installing is all or nothing.
 */
import { createRequire } from 'node:module';
import { crc32c } from './crc32c.js';
import { loadedModule, replaceModule } from './module-cache.js';

const require = createRequire(import.meta.url);

interface KafkaLong {
  readonly value: bigint;
  getHighBits(): number;
  getLowBits(): number;
}
interface KafkaEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  size(): number;
}
interface Codec {
  compress(encoder: KafkaEncoder): Promise<Buffer>;
}

const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): KafkaLong };
const Encoder = require('kafkajs/src/protocol/encoder.js') as new (initialSize?: number) => KafkaEncoder;
const Compression = require('kafkajs/src/protocol/message/compression/index.js') as {
  readonly Types: { readonly None: number };
  readonly COMPRESSION_CODEC_MASK: number;
  lookupCodec(type: number): Codec | null;
};

const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;
/** firstOffset, length, partitionLeaderEpoch, magic, crc. */
const BATCH_PREFIX = 8 + 4 + 4 + 1 + 4;
/** attributes … firstSequence, then the int32 record count. */
const BATCH_BODY_HEADER = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
const EMPTY = Buffer.alloc(0);

type Bytes = Buffer | string | null;

/** A record measured for its batch: what kafkajs' `Record` returns an `Encoder` for. */
export class MeasuredRecord {
  constructor(
    /** Record length (the body, without its own length varint). */
    readonly bodySize: number,
    /** The whole record, length varint included. */
    readonly size: number,
    readonly timestampDelta: number | bigint,
    readonly offsetDelta: number,
    readonly key: Bytes,
    readonly keyLength: number,
    readonly value: Bytes,
    readonly valueLength: number,
    /** Header keys and values, alternating. */
    readonly headers: readonly Bytes[],
    /** The byte length of each of `headers` (-1 for null), measured once. */
    readonly headerLengths: readonly number[],
  ) {}
}

interface RecordInput {
  readonly offsetDelta?: number;
  readonly timestampDelta?: unknown;
  readonly key?: unknown;
  readonly value?: unknown;
  readonly headers?: Record<string, unknown>;
}

interface RecordBatchInput {
  readonly compression?: number;
  readonly firstOffset?: unknown;
  readonly firstTimestamp?: unknown;
  readonly maxTimestamp?: unknown;
  readonly partitionLeaderEpoch?: number;
  readonly lastOffsetDelta?: number;
  readonly transactional?: boolean;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly firstSequence?: number;
  readonly records?: readonly MeasuredRecord[];
}

/** kafkajs writes non-Buffer bytes as `String(value)`; a Uint8Array is taken as the bytes it is. */
function asBytes(value: unknown): Bytes {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return String(value);
}

/** UTF-8 length; short ASCII strings (most header names and values) without a call into C++. */
function utf8Length(text: string): number {
  if (text.length > 64) return Buffer.byteLength(text, 'utf8');
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text, 'utf8');
  return text.length;
}

const byteLength = (value: Bytes): number => (value === null ? -1 : typeof value === 'string' ? utf8Length(value) : value.length);

/** Bytes of an unsigned varint (u < 2^53). */
function unsignedVarintSize(u: number): number {
  let size = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 0x80);
    size++;
  }
  return size;
}

/** Zig-zag of a 32-bit int as an unsigned number, as Kafka's varint does. */
const zigZag = (n: number): number => ((n << 1) ^ (n >> 31)) >>> 0;

/** Zig-zag of a 64-bit varlong: a safe integer in Number arithmetic, anything else through kafkajs' Long. */
function zigZag64(value: unknown): number | bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) < 2 ** 52) return value >= 0 ? value * 2 : -value * 2 - 1;
  const long = BigInt.asIntN(64, Long.fromValue(value).value);
  return BigInt.asUintN(64, (long << 1n) ^ (long >> 63n));
}

function varlongSize(zigZagged: number | bigint): number {
  if (typeof zigZagged === 'number') return unsignedVarintSize(zigZagged);
  let size = 1;
  for (let u = zigZagged; u >= 0x80n; u >>= 7n) size++;
  return size;
}

const bytesFieldSize = (length: number): number => (length < 0 ? 1 : unsignedVarintSize(zigZag(length)) + length);

/** Measures one record (kafkajs' `Record` signature); the bytes are written by `RecordBatch`. */
export function Record({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordInput): MeasuredRecord {
  return measureRecord(offsetDelta, timestampDelta, key, value, headers);
}

function measureRecord(offsetDelta: number, timestampDelta: unknown, key: unknown, value: unknown, headers: Record<string, unknown>): MeasuredRecord {
  const keyBytes = asBytes(key);
  const valueBytes = asBytes(value);
  const keyLength = byteLength(keyBytes);
  const valueLength = byteLength(valueBytes);
  const flatHeaders: Bytes[] = [];
  const headerLengths: number[] = [];
  let headersSize = 0;
  for (const headerKey in headers) {
    if (!Object.hasOwn(headers, headerKey)) continue;
    const headerValue = headers[headerKey];
    if (Array.isArray(headerValue)) for (const one of headerValue as unknown[]) headersSize += addHeader(flatHeaders, headerLengths, headerKey, one);
    else headersSize += addHeader(flatHeaders, headerLengths, headerKey, headerValue);
  }
  const zigZaggedDelta = zigZag64(timestampDelta);
  const bodySize =
    1 +
    varlongSize(zigZaggedDelta) +
    unsignedVarintSize(zigZag(offsetDelta)) +
    bytesFieldSize(keyLength) +
    bytesFieldSize(valueLength) +
    unsignedVarintSize(zigZag(headerLengths.length / 2)) +
    headersSize;
  return new MeasuredRecord(
    bodySize,
    unsignedVarintSize(zigZag(bodySize)) + bodySize,
    zigZaggedDelta,
    offsetDelta,
    keyBytes,
    keyLength,
    valueBytes,
    valueLength,
    flatHeaders,
    headerLengths,
  );
}

/** Appends one header; returns its encoded size. */
function addHeader(headers: Bytes[], lengths: number[], key: string, value: unknown): number {
  const bytes = asBytes(value);
  const keyLength = utf8Length(key);
  const valueLength = byteLength(bytes);
  headers.push(key, bytes);
  lengths.push(keyLength, valueLength);
  return bytesFieldSize(keyLength) + bytesFieldSize(valueLength);
}

function writeUnsignedVarint(target: Buffer, offset: number, u: number): number {
  while (u >= 0x80) {
    target[offset++] = (u % 0x80) | 0x80;
    u = Math.floor(u / 0x80);
  }
  target[offset++] = u;
  return offset;
}

function writeVarlong(target: Buffer, offset: number, zigZagged: number | bigint): number {
  if (typeof zigZagged === 'number') return writeUnsignedVarint(target, offset, zigZagged);
  let u = zigZagged;
  while (u >= 0x80n) {
    target[offset++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  target[offset++] = Number(u);
  return offset;
}

/** Writes a length-prefixed field whose byte length (-1 for null) was measured already. */
function writeBytesField(target: Buffer, offset: number, bytes: Bytes, length: number): number {
  if (bytes === null) {
    target[offset] = 1; // zig-zag of -1
    return offset + 1;
  }
  offset = writeUnsignedVarint(target, offset, zigZag(length));
  if (typeof bytes !== 'string') {
    bytes.copy(target, offset);
  } else if (length === bytes.length && length <= 64) {
    // ASCII (its UTF-8 length is its length): byte by byte beats a call into C++ for short text.
    for (let i = 0; i < length; i++) target[offset + i] = bytes.charCodeAt(i);
  } else {
    target.write(bytes, offset, length, 'utf8');
  }
  return offset + length;
}

function writeRecord(target: Buffer, offset: number, record: MeasuredRecord): number {
  offset = writeUnsignedVarint(target, offset, zigZag(record.bodySize));
  target[offset++] = 0; // attributes: none are used per record
  offset = writeVarlong(target, offset, record.timestampDelta);
  offset = writeUnsignedVarint(target, offset, zigZag(record.offsetDelta));
  offset = writeBytesField(target, offset, record.key, record.keyLength);
  offset = writeBytesField(target, offset, record.value, record.valueLength);
  const { headers, headerLengths } = record;
  offset = writeUnsignedVarint(target, offset, zigZag(headers.length / 2));
  for (let i = 0; i < headers.length; i++) offset = writeBytesField(target, offset, headers[i]!, headerLengths[i]!);
  return offset;
}

function writeInt64(target: Buffer, offset: number, value: unknown): number {
  const long = Long.fromValue(value);
  target.writeInt32BE(long.getHighBits(), offset);
  target.writeInt32BE(long.getLowBits(), offset + 4);
  return offset + 8;
}

/** A kafkajs `Encoder` holding exactly `bytes`, for the produce request's `writeEncoder`. */
function encoderOf(bytes: Buffer): KafkaEncoder {
  const encoder = new Encoder(0);
  encoder.buf = bytes;
  encoder.offset = bytes.length;
  return encoder;
}

/** One record batch (magic 2), as kafkajs' `RecordBatch` encodes it, in one allocation. */
export async function RecordBatch(input: RecordBatchInput): Promise<KafkaEncoder> {
  return encoderOf(await recordBatchBytes(input));
}

async function recordBatchBytes({
  compression = Compression.Types.None,
  firstOffset = 0,
  firstTimestamp = Date.now(),
  maxTimestamp = Date.now(),
  partitionLeaderEpoch = 0,
  lastOffsetDelta = 0,
  transactional = false,
  producerId = -1,
  producerEpoch = 0,
  firstSequence = 0,
  records = [],
}: RecordBatchInput): Promise<Buffer> {
  const codec = compression & Compression.COMPRESSION_CODEC_MASK;
  let recordsSize = 0;
  for (const record of records) recordsSize += record.size;
  let compressed: Buffer = EMPTY;
  if (compression !== Compression.Types.None) {
    const plain = Buffer.allocUnsafe(recordsSize);
    let offset = 0;
    for (const record of records) offset = writeRecord(plain, offset, record);
    const found = Compression.lookupCodec(compression);
    if (found === null) throw new Error(`unknown compression codec ${compression}`);
    compressed = await found.compress(encoderOf(plain));
  }
  const total = BATCH_PREFIX + BATCH_BODY_HEADER + (compression === Compression.Types.None ? recordsSize : compressed.length);
  const batch = Buffer.allocUnsafe(total);
  let offset = writeInt64(batch, 0, firstOffset);
  batch.writeInt32BE(total - 12, offset); // the bytes after this length field
  batch.writeInt32BE(partitionLeaderEpoch, offset + 4);
  batch[offset + 8] = MAGIC_BYTE;
  const crcOffset = offset + 9;
  const bodyStart = crcOffset + 4;
  offset = batch.writeInt16BE(codec | (transactional ? TRANSACTIONAL_MASK : 0), bodyStart);
  offset = batch.writeInt32BE(lastOffsetDelta, offset);
  offset = writeInt64(batch, offset, firstTimestamp);
  offset = writeInt64(batch, offset, maxTimestamp);
  offset = writeInt64(batch, offset, producerId);
  offset = batch.writeInt16BE(producerEpoch, offset);
  offset = batch.writeInt32BE(firstSequence, offset);
  offset = batch.writeInt32BE(records.length, offset);
  if (compression === Compression.Types.None) for (const record of records) offset = writeRecord(batch, offset, record);
  else offset += compressed.copy(batch, offset);
  if (offset !== total) throw new Error(`record batch encoding wrote ${offset} of ${total} bytes`);
  batch.writeUInt32BE(crc32c(batch, bodyStart, total), crcOffset);
  return batch;
}

interface ProduceMessage {
  readonly key?: unknown;
  readonly value?: unknown;
  readonly headers?: Record<string, unknown>;
  readonly timestamp?: unknown;
}

interface ProducePartitionData {
  readonly partition: number;
  readonly messages: readonly ProduceMessage[];
  readonly firstSequence?: number;
}

interface ProduceRequestInput {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId?: string | null;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly compression?: number;
  readonly topicData: readonly { readonly topic: string; readonly partitions: readonly ProducePartitionData[] }[];
}

const PRODUCE_API_KEY = (require('kafkajs/src/protocol/requests/apiKeys.js') as { Produce: number }).Produce;

/**
 * One partition's record batch, as kafkajs' produce request v3 builds it, without its per-message
 * object spread (`{ ...message, offsetDelta, timestampDelta }`) and its sort of every timestamp: kafkajs
 * sorts them with Array#sort's default order (as strings) and takes the first and the last, which a
 * scan comparing them as strings finds too (the earliest of equals first, the latest last, as the
 * stable sort leaves them).
 */
async function producePartitionBatch(compression: number, { messages, firstSequence }: ProducePartitionData, transactionalId: string | null, producerId: unknown, producerEpoch: number): Promise<Buffer> {
  const dateNow = Date.now();
  let first: unknown;
  let last: unknown;
  let firstText = '';
  let lastText = '';
  for (const message of messages) {
    const timestamp = message.timestamp;
    if (timestamp === null || timestamp === undefined) continue;
    const text = String(timestamp);
    if (first === undefined) {
      first = last = timestamp;
      firstText = lastText = text;
      continue;
    }
    if (text < firstText) {
      first = timestamp;
      firstText = text;
    }
    if (text >= lastText) {
      last = timestamp;
      lastText = text;
    }
  }
  if (first === undefined) first = last = dateNow;
  const records = new Array<MeasuredRecord>(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as ProduceMessage;
    const timestampDelta = ((message.timestamp as number) || dateNow) - (first as number);
    records[i] = measureRecord(i, timestampDelta, message.key, message.value, message.headers ?? {});
  }
  return recordBatchBytes({
    compression,
    records,
    firstTimestamp: first,
    maxTimestamp: last,
    producerId,
    producerEpoch,
    ...(firstSequence === undefined ? {} : { firstSequence }),
    transactional: !!transactionalId,
    lastOffsetDelta: records.length - 1,
  });
}

/** A protocol STRING: int16 byte length (-1 for null), then UTF-8. */
const protocolStringSize = (text: string | null): number => 2 + (text === null ? 0 : Buffer.byteLength(text, 'utf8'));

function writeProtocolString(target: Buffer, offset: number, text: string | null): number {
  if (text === null) return target.writeInt16BE(-1, offset);
  const length = target.write(text, offset + 2, 'utf8');
  target.writeInt16BE(length, offset);
  return offset + 2 + length;
}

/**
 * kafkajs' produce request v3 (which v4–v7 extend). The body is written once into a buffer of its
 * exact size: kafkajs copies each batch into a partition encoder, that into a topic encoder and that
 * into the request's, each growing by doubling into zero-filled buffers.
 */
export function ProduceRequestV3({ acks, timeout, transactionalId = null, producerId = Long.fromValue(-1), producerEpoch = 0, compression = Compression.Types.None, topicData }: ProduceRequestInput) {
  return {
    apiKey: PRODUCE_API_KEY,
    apiVersion: 3,
    apiName: 'Produce',
    expectResponse: () => acks !== 0,
    encode: async (): Promise<KafkaEncoder> => {
      let size = protocolStringSize(transactionalId) + 2 + 4 + 4;
      const batches: Buffer[][] = [];
      for (const { topic, partitions } of topicData) {
        size += protocolStringSize(topic) + 4;
        const topicBatches: Buffer[] = [];
        for (const data of partitions) {
          const batch = await producePartitionBatch(compression, data, transactionalId, producerId, producerEpoch);
          topicBatches.push(batch);
          size += 8 + batch.length;
        }
        batches.push(topicBatches);
      }
      const body = Buffer.allocUnsafe(size);
      let offset = writeProtocolString(body, 0, transactionalId);
      offset = body.writeInt16BE(acks, offset);
      offset = body.writeInt32BE(timeout, offset);
      offset = body.writeInt32BE(topicData.length, offset);
      topicData.forEach(({ topic, partitions }, t) => {
        offset = writeProtocolString(body, offset, topic);
        offset = body.writeInt32BE(partitions.length, offset);
        partitions.forEach(({ partition }, p) => {
          const batch = (batches[t] as Buffer[])[p] as Buffer;
          offset = body.writeInt32BE(partition, offset);
          offset = body.writeInt32BE(batch.length, offset);
          offset += batch.copy(body, offset);
        });
      });
      if (offset !== size) throw new Error(`produce request encoding wrote ${offset} of ${size} bytes`);
      return encoderOf(body);
    },
  };
}

const RECORD_PATH = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const RECORD_BATCH_PATH = 'kafkajs/src/protocol/recordBatch/v0/index.js';

const PRODUCE_V3_PATH = 'kafkajs/src/protocol/requests/produce/v3/request.js';

/** True when kafkajs' produce request encodes with this module (all three replacements in place). */
export function installRecordEncodingFix(): boolean {
  const record = loadedModule(RECORD_PATH);
  const batch = loadedModule(RECORD_BATCH_PATH);
  const request = loadedModule(PRODUCE_V3_PATH);
  if (record !== undefined || batch !== undefined || request !== undefined) {
    return record?.exports === Record && (batch?.exports as { RecordBatch?: unknown } | undefined)?.RecordBatch === RecordBatch && request?.exports === ProduceRequestV3;
  }
  replaceModule(RECORD_PATH, Record);
  replaceModule(RECORD_BATCH_PATH, { RecordBatch, MAGIC_BYTE });
  replaceModule(PRODUCE_V3_PATH, ProduceRequestV3);
  return true;
}

installRecordEncodingFix();
