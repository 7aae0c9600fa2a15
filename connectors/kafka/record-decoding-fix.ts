/**
 * Work-around for a kafkajs 2.2.4 hot spot: decoding fetched records. For every record kafkajs slices
 * the record into a Buffer and wraps it in a new `Decoder`, reads the timestamp delta as a chain of
 * BigInt-backed `Long`s (four allocations per varint byte), re-parses the batch's first offset and
 * first timestamp from their decimal strings (`Long.fromValue`) to add the deltas, and builds the
 * headers object by spreading it once per header. On the analytics deployment (canonical topic →
 * ClickHouse) that was about a sixth of the Node process's busy time, plus much of its garbage.
 *
 * This module replaces `decodeMessages` (fetch v4 to v11: a partition's record batches → records) with
 * one that walks uncompressed record batches in place: numbers stay numbers where they are exact, the
 * offsets and timestamps are formatted once, and the records are the objects kafkajs builds, field for
 * field (a unit test compares them with kafkajs' own on varied batches). Anything else is handed to
 * kafkajs' own code, so its result (or error) is kafkajs': compressed batches, legacy message sets, and
 * any batch whose bytes do not add up (a record running past its length, a negative length, a count
 * larger than the batch, a varlong longer than kafkajs reads).
 *
 * Like producer-grouping-fix.ts it puts the module into the CommonJS cache under kafkajs' own path.
 * kafkajs requires `decodeMessages` lazily, when it loads the fetch response of the version it
 * negotiated (on the first Fetch), and kafkajs is only imported through connectors/kafka/kafkajs.ts,
 * which imports this module first: so it would take effect even if kafkajs itself were loaded earlier.
 */
import { createRequire } from 'node:module';
import { replaceUnlessLoaded } from './module-cache.js';

const require = createRequire(import.meta.url);

/** kafkajs' protocol Decoder (the part used here). */
export interface KafkaDecoder {
  readonly buffer: Buffer;
  offset: number;
  readInt32(): number;
  canReadBytes(length: number): boolean;
  readBytes(length?: number): Buffer | null;
}
type DecoderConstructor = new (buffer: Buffer) => KafkaDecoder;
type Headers = Record<string, unknown>;

/** A fetched record, as kafkajs' record decoder builds it. */
export interface DecodedRecord {
  readonly magicByte: number;
  readonly attributes: number;
  readonly timestamp: string;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
  readonly isControlRecord: boolean;
  readonly batchContext: BatchContext;
}

export interface BatchContext {
  readonly firstOffset: string;
  readonly firstTimestamp: string;
  readonly partitionLeaderEpoch: number;
  readonly inTransaction: boolean;
  readonly isControlBatch: boolean;
  readonly lastOffsetDelta: number;
  readonly producerId: string;
  readonly producerEpoch: number;
  readonly firstSequence: number;
  readonly maxTimestamp: string;
  readonly timestampType: number;
  readonly magicByte: number;
}

export type DecodeMessages = (decoder: KafkaDecoder) => Promise<unknown[]>;

export const DECODE_MESSAGES_PATH = 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js';
/** Where kafkajs' decodeMessages looks for the magic byte (the same offset in every message format). */
const MAGIC_OFFSET = 16;
/** kafkajs' minimum of bytes left for another record batch. */
const RECORD_BATCH_OVERHEAD = 49;
const RECORD_BATCH_MAGIC = 2;
/** firstOffset (int64) and length (int32): the part of a batch not counted in its length. */
const BATCH_LOG_OVERHEAD = 12;
const COMPRESSION_CODEC_MASK = 0x07;
const TIMESTAMP_TYPE_FLAG_MASK = 0x08;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
const CREATE_TIME = 0;
const LOG_APPEND_TIME = 1;
/** kafkajs reads a varlong of at most 10 bytes (and throws past that). */
const MAX_VARLONG_BYTES = 10;
/** Below this many bytes a varlong's value fits a double exactly (7 × 7 = 49 bits). */
const EXACT_VARLONG_BYTES = 7;

interface KafkajsParts {
  readonly Decoder: DecoderConstructor;
  readonly recordBatchDecoder: (decoder: KafkaDecoder) => Promise<{ records: unknown[] }>;
  readonly messageSetDecoder: (decoder: KafkaDecoder, size: number) => Promise<unknown[]>;
}

let parts: KafkajsParts | undefined;
/** kafkajs' own decoders, loaded on first use (after every fix of kafkajs.ts is installed). */
function kafkajs(): KafkajsParts {
  parts ??= {
    Decoder: require('kafkajs/src/protocol/decoder.js') as DecoderConstructor,
    recordBatchDecoder: require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as KafkajsParts['recordBatchDecoder'],
    messageSetDecoder: require('kafkajs/src/protocol/messageSet/decoder.js') as KafkajsParts['messageSetDecoder'],
  };
  return parts;
}

/** A batch the fast path leaves to kafkajs (thrown inside `decodeBatch`, never outside this module). */
const DELEGATE = Symbol('delegate');

/** Reading position, shared by the helpers below (module state: decoding is synchronous). */
let pos = 0;

/** kafkajs' Decoder#readVarInt, arithmetic included (zig-zag of a 32-bit accumulation). */
function readVarInt(buffer: Buffer): number {
  let byte: number;
  let result = 0;
  let shift = 0;
  do {
    byte = buffer[pos++] as number;
    result += (byte & 0x7f) << shift;
    shift += 7;
  } while (byte >= 0x80);
  return (result >>> 1) ^ -(result & 1);
}

/** kafkajs' readVarIntBytes: null for -1; anything else negative is left to kafkajs. */
function readVarIntBytes(buffer: Buffer, end: number): Buffer | null {
  const length = readVarInt(buffer);
  if (length === -1) return null;
  if (length < 0 || pos + length > end) throw DELEGATE;
  const bytes = buffer.subarray(pos, pos + length);
  pos += length;
  return bytes;
}

/** Varlong delta for a timestamp: a number when exact, else the BigInt kafkajs' Long arithmetic gives. */
function readVarLong(buffer: Buffer): number | bigint {
  const first = buffer[pos] as number;
  if (first < 0x80) {
    pos += 1;
    return first & 1 ? -(first + 1) / 2 : first / 2;
  }
  let value = 0;
  let scale = 1;
  let count = 0;
  let byte: number;
  const start = pos;
  do {
    byte = buffer[pos++] as number;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    count += 1;
  } while (byte >= 0x80 && count < EXACT_VARLONG_BYTES);
  if (byte < 0x80) return value % 2 === 1 ? -(value + 1) / 2 : value / 2;
  // Longer: kafkajs sums (byte & 0x7f) << 7i as an unbounded BigInt, then zig-zags it.
  pos = start;
  let big = 0n;
  for (let shift = 0; ; shift += 7) {
    if (shift > 7 * (MAX_VARLONG_BYTES - 1)) throw DELEGATE; // kafkajs throws KafkaJSInvalidLongError
    byte = buffer[pos++] as number;
    big += BigInt(byte & 0x7f) << BigInt(shift);
    if (byte < 0x80) break;
  }
  return (big >> 1n) ^ -(big & 1n);
}

/** `first + delta` as kafkajs' Long gives it, in decimal. */
function plus(firstNumber: number, first: bigint, delta: number | bigint): string {
  if (typeof delta === 'number') {
    const sum = firstNumber + delta;
    // Exact when both are and the sum is a safe integer (a rounded sum would be ≥ 2^53).
    if (Number.isSafeInteger(sum) && Number.isSafeInteger(firstNumber)) return String(sum);
    return String(first + BigInt(delta));
  }
  return String(first + delta);
}

/**
 * Header names by position, as their bytes and their string: records of a topic carry the same names
 * in the same order (the CloudEvents `ce_*` headers), so the previous record's string is reused when
 * the bytes are the same, instead of decoding (and allocating) it again for every record.
 */
const MAX_REMEMBERED_KEYS = 16;
const MAX_REMEMBERED_KEY_BYTES = 64;
const rememberedKeyBytes: Buffer[] = [];
const rememberedKeys: string[] = [];

function headerKey(buffer: Buffer, from: number, to: number, index: number): string {
  const length = to - from;
  const bytes = rememberedKeyBytes[index];
  if (bytes !== undefined && bytes.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (bytes[i] !== buffer[from + i]) {
        same = false;
        break;
      }
    }
    if (same) return rememberedKeys[index] as string;
  }
  const key = buffer.toString('utf8', from, to);
  if (index < MAX_REMEMBERED_KEYS && length <= MAX_REMEMBERED_KEY_BYTES) {
    rememberedKeyBytes[index] = Buffer.from(buffer.subarray(from, to));
    rememberedKeys[index] = key;
  }
  return key;
}

/**
 * One record's headers, as kafkajs' reduce builds them: a repeated key becomes an array of its values;
 * the lookup of the previous value sees inherited properties too, as kafkajs' does.
 */
function readHeaders(buffer: Buffer, end: number): Headers {
  const count = readVarInt(buffer);
  let headers: Headers = {};
  if (count <= 0) {
    if (count < -1) throw DELEGATE;
    return headers;
  }
  for (let i = 0; i < count; i++) {
    const keyLength = readVarInt(buffer);
    let key: string | null = null;
    if (keyLength !== -1) {
      if (keyLength < 0 || pos + keyLength > end) throw DELEGATE;
      key = headerKey(buffer, pos, pos + keyLength, i);
      pos += keyLength;
    }
    const value = readVarIntBytes(buffer, end);
    const previous = headers[key as string];
    const next = previous === undefined ? value : Array.isArray(previous) ? previous.concat([value]) : [previous, value];
    // Assignment keeps the key order of kafkajs' `{ ...obj, [key]: … }` except for `__proto__`, a setter.
    if (key === '__proto__') headers = { ...headers, [key]: next };
    else headers[key as string] = next;
  }
  return headers;
}

/**
 * The records of the uncompressed record batch at `start` (its `length` bytes after firstOffset and
 * length are in `buffer`), appended to `records`; throws DELEGATE for anything kafkajs should decode.
 */
function decodeBatch(buffer: Buffer, start: number, length: number, records: DecodedRecord[]): void {
  const batchEnd = start + BATCH_LOG_OVERHEAD + length;
  const attributes = buffer.readInt16BE(start + 21);
  if ((attributes & COMPRESSION_CODEC_MASK) !== 0) throw DELEGATE;
  const firstOffsetBig = buffer.readBigInt64BE(start);
  const firstTimestampBig = buffer.readBigInt64BE(start + 27);
  const maxTimestamp = String(buffer.readBigInt64BE(start + 35));
  const timestampType = (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : CREATE_TIME;
  const isControlBatch = (attributes & CONTROL_FLAG_MASK) > 0;
  const magicByte = buffer.readInt8(start + 16);
  const batchContext: BatchContext = {
    firstOffset: String(firstOffsetBig),
    firstTimestamp: String(firstTimestampBig),
    partitionLeaderEpoch: buffer.readInt32BE(start + 12),
    inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
    isControlBatch,
    lastOffsetDelta: buffer.readInt32BE(start + 23),
    producerId: String(buffer.readBigInt64BE(start + 43)),
    producerEpoch: buffer.readInt16BE(start + 51),
    firstSequence: buffer.readInt32BE(start + 53),
    maxTimestamp,
    timestampType,
    magicByte,
  };
  // kafkajs: LOG_APPEND_TIME with a (always truthy) maxTimestamp string gives every record that time.
  const logAppendTime = timestampType === LOG_APPEND_TIME && maxTimestamp !== '';
  const firstOffset = Number(firstOffsetBig);
  const firstTimestamp = Number(firstTimestampBig);
  const count = buffer.readInt32BE(start + 57);
  if (count === -1) return;
  // Each record takes at least one byte: a larger count is kafkajs' to fail on.
  if (count < 0 || count > batchEnd - (start + 61)) throw DELEGATE;
  pos = start + 61;
  for (let i = 0; i < count; i++) {
    const recordLength = readVarInt(buffer);
    const recordEnd = pos + recordLength;
    if (recordLength < 0 || recordEnd > batchEnd || pos >= recordEnd) throw DELEGATE;
    const recordAttributes = buffer.readInt8(pos);
    pos += 1;
    const timestampDelta = readVarLong(buffer);
    const offsetDelta = readVarInt(buffer);
    const key = readVarIntBytes(buffer, recordEnd);
    const value = readVarIntBytes(buffer, recordEnd);
    const headers = readHeaders(buffer, recordEnd);
    // A field read past the record's own length: kafkajs would have read it from a shorter slice.
    if (pos > recordEnd) throw DELEGATE;
    records.push({
      magicByte,
      attributes: recordAttributes,
      timestamp: logAppendTime ? maxTimestamp : plus(firstTimestamp, firstTimestampBig, timestampDelta),
      offset: plus(firstOffset, firstOffsetBig, offsetDelta),
      key,
      value,
      headers,
      isControlRecord: isControlBatch,
      batchContext,
    });
    pos = recordEnd;
  }
}

/** kafkajs' decodeMessages, with uncompressed record batches decoded in place. */
export async function decodeMessages(decoder: KafkaDecoder): Promise<unknown[]> {
  const messagesSize = decoder.readInt32();
  if (messagesSize <= 0 || !decoder.canReadBytes(messagesSize)) return [];
  const buffer = decoder.readBytes(messagesSize) as Buffer;
  const magicByte = buffer.subarray(MAGIC_OFFSET).readInt8(0);
  if (magicByte !== RECORD_BATCH_MAGIC) {
    const { Decoder, messageSetDecoder } = kafkajs();
    return messageSetDecoder(new Decoder(buffer), messagesSize);
  }
  const records: DecodedRecord[] = [];
  let at = 0;
  while (buffer.length - at >= RECORD_BATCH_OVERHEAD) {
    const length = buffer.readInt32BE(at + 8);
    // A batch cut by the fetch's maxBytes ends the partition's records, as in kafkajs.
    if (buffer.length - (at + BATCH_LOG_OVERHEAD) < length) break;
    const decoded = records.length;
    try {
      if (length < RECORD_BATCH_OVERHEAD) throw DELEGATE;
      decodeBatch(buffer, at, length, records);
      at += BATCH_LOG_OVERHEAD + length;
      continue;
    } catch (error) {
      if (error !== DELEGATE) throw error;
      records.length = decoded;
    }
    const { Decoder, recordBatchDecoder } = kafkajs();
    const batchDecoder = new Decoder(buffer);
    batchDecoder.offset = at;
    try {
      const batch = await recordBatchDecoder(batchDecoder);
      for (const record of batch.records) records.push(record as DecodedRecord);
    } catch (error) {
      if ((error as { name?: unknown }).name === 'KafkaJSPartialMessageError') break;
      throw error;
    }
    at = batchDecoder.offset;
  }
  return records;
}

/** True when the replacement is the decodeMessages kafkajs uses (false if kafkajs loaded its own first). */
export function installRecordDecodingFix(): boolean {
  return replaceUnlessLoaded(DECODE_MESSAGES_PATH, decodeMessages);
}

installRecordDecodingFix();
