/**
 * Serdes turn keys and values into bytes at the edges of a topology (sources, sinks, repartition
 * topics, changelogs). Serialization may be asynchronous, because the Avro serde asks the schema
 * registry for a schema id the first time it sees a schema; every later call hits its cache and can
 * answer synchronously. The runtime therefore accepts `T | Promise<T>` and only awaits real thenables,
 * so a topology whose serdes are all synchronous never pays for a Promise per record.
 *
 * `null` stays `null` in both directions (a tombstone or an absent key), as in Kafka.
 */
import type { Headers } from './processor.js';

export type MaybePromise<T> = T | Promise<T>;

export interface Serializer<T> {
  serialize(topic: string, data: T, headers: Headers): MaybePromise<Buffer | null>;
}

export interface Deserializer<T> {
  deserialize(topic: string, data: Buffer | null, headers: Headers): MaybePromise<T>;
}

export interface Serde<T> extends Serializer<T>, Deserializer<T> {
  /** Short name shown by `Topology.describe()` and in error messages, e.g. `json`, `string`, `avro`. */
  readonly name: string;
}

/** A serde that never returns a Promise: required for state-store changelogs, which are written inline. */
export interface SyncSerde<T> extends Serde<T> {
  serialize(topic: string, data: T, headers: Headers): Buffer | null;
  deserialize(topic: string, data: Buffer | null, headers: Headers): T;
}

/** True for a Promise or any other thenable: the only values the runtime awaits. */
export function isThenable<T = unknown>(value: unknown): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

const NO_HEADERS: Headers = Object.freeze({});

const stringSerde: SyncSerde<string | null> = {
  name: 'string',
  serialize: (_topic, data) => (data === null || data === undefined ? null : Buffer.from(data, 'utf8')),
  deserialize: (_topic, data) => (data === null ? null : data.toString('utf8')),
};

const bytesSerde: SyncSerde<Buffer | null> = {
  name: 'bytes',
  serialize: (_topic, data) => data ?? null,
  deserialize: (_topic, data) => data,
};

/**
 * JSON with Node's native JSON.parse/stringify (the fastest general codec in V8). `undefined`
 * serializes as null (a tombstone).
 */
function jsonSerde<T = unknown>(): SyncSerde<T> {
  return {
    name: 'json',
    serialize: (_topic, data) => (data === null || data === undefined ? null : Buffer.from(JSON.stringify(data), 'utf8')),
    deserialize: (_topic, data) => (data === null ? null : JSON.parse(data.toString('utf8'))) as T,
  };
}

const TWO_32 = 4_294_967_296;

/**
 * Writes a safe integer as a signed 64-bit big-endian value without allocating a BigInt (this is on
 * the hot path: every count, window key and changelog key).
 */
export function writeInt64BE(buffer: Buffer, value: number, offset: number): void {
  const high = Math.floor(value / TWO_32);
  buffer.writeInt32BE(high, offset);
  buffer.writeUInt32BE(value - high * TWO_32, offset + 4);
}

export function readInt64BE(buffer: Buffer, offset: number): number {
  return buffer.readInt32BE(offset) * TWO_32 + buffer.readUInt32BE(offset + 4);
}

/** Signed 64-bit big-endian integers as JS numbers (Kafka's LongSerde wire format), for counts. */
const longSerde: SyncSerde<number | null> = {
  name: 'long',
  serialize: (_topic, data) => {
    if (data === null || data === undefined) return null;
    const buffer = Buffer.allocUnsafe(8);
    writeInt64BE(buffer, Math.trunc(data), 0);
    return buffer;
  },
  deserialize: (_topic, data) => (data === null ? null : readInt64BE(data, 0)),
};

/** Void serde for keyless topics: always null. */
const voidSerde: SyncSerde<null> = {
  name: 'void',
  serialize: () => null,
  deserialize: () => null,
};

export const Serdes = {
  String: (): SyncSerde<string> => stringSerde as SyncSerde<string>,
  Bytes: (): SyncSerde<Buffer> => bytesSerde as SyncSerde<Buffer>,
  Json: <T = unknown>(): SyncSerde<T> => jsonSerde<T>(),
  Long: (): SyncSerde<number> => longSerde as SyncSerde<number>,
  Void: (): SyncSerde<null> => voidSerde,
} as const;

/** Serializes synchronously or throws: used where a Promise cannot be awaited (changelogs). */
export function serializeSync<T>(serde: Serde<T>, topic: string, data: T, headers: Headers = NO_HEADERS): Buffer | null {
  const result = serde.serialize(topic, data, headers);
  if (isThenable(result)) throw new TypeError(`serde ${serde.name} is asynchronous; state-store changelogs need a synchronous serde`);
  return result;
}

export function deserializeSync<T>(serde: Serde<T>, topic: string, data: Buffer | null, headers: Headers = NO_HEADERS): T {
  const result = serde.deserialize(topic, data, headers);
  if (isThenable(result)) throw new TypeError(`serde ${serde.name} is asynchronous; state-store changelogs need a synchronous serde`);
  return result;
}
