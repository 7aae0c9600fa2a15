/**
 * A streams Serde (streams/serdes.ts) for Avro in the Confluent wire format, as Kafka Streams'
 * SpecificAvroSerde / KafkaAvroSerializer do it:
 *
 * - the subject follows the TopicNameStrategy: `<topic>-value` (or `<topic>-key` for a key serde);
 * - the writer schema's id is found once per subject, by registering the schema (`autoRegister`,
 *   Confluent's `auto.register.schemas`, with the subject's compatibility set first) or by looking it
 *   up (the default in production: schemas are registered by a deploy step, not by every producer);
 * - after that first call, serialize and deserialize are synchronous: ids and schemas are cached.
 *
 * `toAvro` / `fromAvro` convert between the application's type and the Avro record (e.g. the canonical
 * event's JSON-text fields); without them values pass through as they are.
 */
import type avro from 'avsc';
import type { Headers } from '../../streams/processor.js';
import type { MaybePromise, Serde } from '../../streams/serdes.js';
import { ConfluentAvroCodec } from './avro-codec.js';
import type { AvroSchemaDefinition, SchemaRegistryConnection } from './client.js';
import type { CompatibilityLevel } from './rest.js';

export interface ConfluentAvroSerdeOptions<T> {
  /** The schema values are written with. */
  readonly schema: AvroSchemaDefinition;
  /** Register the schema under the subject on first use (default false: look its id up). */
  readonly autoRegister?: boolean;
  /** Compatibility level set on the subject when auto-registering (default BACKWARD). */
  readonly compatibility?: CompatibilityLevel;
  /** Serde for record keys: subject `<topic>-key` instead of `<topic>-value`. */
  readonly isKey?: boolean;
  /** Subject of a topic; default TopicNameStrategy. */
  readonly subjectOf?: (topic: string) => string;
  /**
   * Decode into this schema instead of each record's writer schema (Avro schema resolution). Default:
   * `schema`, so a consumer sees records of older and newer writers in the shape it was built for.
   */
  readonly readerSchema?: object | avro.Type;
  readonly toAvro?: (value: T) => unknown;
  readonly fromAvro?: (record: unknown) => T;
}

export function confluentAvroSerde<T>(connection: SchemaRegistryConnection, options: ConfluentAvroSerdeOptions<T>): Serde<T> {
  const suffix = options.isKey === true ? 'key' : 'value';
  const subjectOf = options.subjectOf ?? ((topic: string) => `${topic}-${suffix}`);
  const readerSchema = options.readerSchema ?? (typeof options.schema === 'string' ? (JSON.parse(options.schema) as object) : options.schema);
  const codec = new ConfluentAvroCodec<unknown>(connection, { readerSchema });
  const toAvro = options.toAvro ?? ((value: T) => value);
  const fromAvro = options.fromAvro ?? ((record: unknown) => record as T);
  const idsBySubject = new Map<string, number>();
  const pendingBySubject = new Map<string, Promise<number>>();

  const writerId = (topic: string): number | Promise<number> => {
    const subject = subjectOf(topic);
    const known = idsBySubject.get(subject);
    if (known !== undefined) return known;
    let pending = pendingBySubject.get(subject);
    if (pending === undefined) {
      const lookup =
        options.autoRegister === true
          ? connection.registerAvroSchema(subject, options.schema, { compatibility: options.compatibility ?? 'BACKWARD' })
          : connection.lookupAvroSchemaId(subject, options.schema);
      pending = lookup
        .then(async (id) => {
          await codec.prepare(id);
          idsBySubject.set(subject, id);
          return id;
        })
        .finally(() => pendingBySubject.delete(subject));
      pendingBySubject.set(subject, pending);
    }
    return pending;
  };

  return {
    name: 'avro',
    serialize(topic: string, data: T, _headers: Headers): MaybePromise<Buffer | null> {
      if (data === null || data === undefined) return null;
      const id = writerId(topic);
      if (typeof id === 'number') return codec.encode(id, toAvro(data));
      return id.then((resolved) => codec.encode(resolved, toAvro(data)));
    },
    deserialize(_topic: string, data: Buffer | null, _headers: Headers): MaybePromise<T> {
      if (data === null) return null as T;
      const decoded = codec.decode(data);
      return decoded instanceof Promise ? decoded.then(fromAvro) : fromAvro(decoded);
    },
  };
}
