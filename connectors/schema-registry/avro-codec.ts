/**
 * Avro values in the Confluent wire format, with every schema the codec has seen kept in memory, so that
 * a record costs no network round trip once its schema id is known: `encode` and `decode` answer
 * synchronously when the id is cached and return a Promise only for the first record of a new id.
 *
 * With a `readerSchema`, decoding follows Avro schema resolution from each record's writer schema into
 * the reader schema (one resolver per writer id, cached), which is what a consumer compiled against an
 * older or newer version of the schema does: fields the reader does not know are skipped, fields the
 * writer did not have take the reader's default.
 */
import avro from 'avsc';
import { SchemaRegistryError } from './errors.js';
import { copiedBytes } from '../../streams/byte-slab.js';
import { decodeWireFrame, MAGIC_BYTE, WIRE_HEADER_BYTES } from './wire-format.js';

/** Where writer schemas come from: SchemaRegistryConnection (or anything that resolves an id). */
export interface WriterSchemaSource {
  avroType(schemaId: number): Promise<avro.Type>;
}

export interface ConfluentAvroCodecOptions {
  /** Decode every record into this schema (Avro schema resolution); default: the writer schema. */
  readonly readerSchema?: object | avro.Type;
}

type MaybePromise<T> = T | Promise<T>;

/** A resolver from one writer schema into the reader schema; `undefined` means "same schema". */
interface ReaderPlan {
  readonly writer: avro.Type;
  readonly resolver: ReturnType<avro.Type["createResolver"]> | undefined;
}

export class ConfluentAvroCodec<T = unknown> {
  readonly #source: WriterSchemaSource;
  readonly #reader: avro.Type | undefined;
  readonly #writers = new Map<number, avro.Type>();
  readonly #plans = new Map<number, ReaderPlan>();
  readonly #pending = new Map<number, Promise<avro.Type>>();

  constructor(source: WriterSchemaSource, options: ConfluentAvroCodecOptions = {}) {
    this.#source = source;
    const reader = options.readerSchema;
    this.#reader = reader === undefined ? undefined : avro.Type.isType(reader) ? (reader as avro.Type) : avro.Type.forSchema(reader as avro.Schema);
  }

  /** Fetches (once) the schema of `schemaId`, so that later calls with it are synchronous. */
  async prepare(schemaId: number): Promise<void> {
    await this.#writerType(schemaId);
  }

  /** True when `schemaId` is cached: encode/decode with it will not return a Promise. */
  isPrepared(schemaId: number): boolean {
    return this.#writers.has(schemaId);
  }

  /** Magic byte 0, the 4-byte id, then the Avro body of `value` written with schema `schemaId`. */
  encode(schemaId: number, value: unknown): MaybePromise<Buffer> {
    const writer = this.#writers.get(schemaId);
    if (writer !== undefined) return encodeWith(writer, schemaId, value);
    return this.#writerType(schemaId).then((type) => encodeWith(type, schemaId, value));
  }

  /** The value of a framed record, in the reader schema if one was given. */
  decode(buffer: Buffer): MaybePromise<T> {
    const { schemaId, body } = decodeWireFrame(buffer);
    const plan = this.#plans.get(schemaId);
    if (plan !== undefined) return this.#decodeWith(plan, schemaId, body);
    const writer = this.#writers.get(schemaId);
    if (writer !== undefined) return this.#decodeWith(this.#planFor(schemaId, writer), schemaId, body);
    return this.#writerType(schemaId).then((type) => this.#decodeWith(this.#planFor(schemaId, type), schemaId, body));
  }

  /** The writer schema id of a framed record, without decoding it. */
  static schemaIdOf(buffer: Buffer): number {
    return decodeWireFrame(buffer).schemaId;
  }

  #writerType(schemaId: number): Promise<avro.Type> {
    const cached = this.#writers.get(schemaId);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.#pending.get(schemaId);
    if (pending === undefined) {
      // One request per id, however many records of it arrive before the answer.
      pending = this.#source.avroType(schemaId).then(
        (writer) => {
          this.#writers.set(schemaId, writer);
          this.#pending.delete(schemaId);
          return writer;
        },
        (error: unknown) => {
          this.#pending.delete(schemaId);
          throw error;
        },
      );
      this.#pending.set(schemaId, pending);
    }
    return pending;
  }

  /** How records of a writer id are read; cached, except a failure, which is raised for every record. */
  #planFor(schemaId: number, writer: avro.Type): ReaderPlan {
    const cached = this.#plans.get(schemaId);
    if (cached !== undefined) return cached;
    const reader = this.#reader;
    try {
      const plan: ReaderPlan =
        reader === undefined || reader.equals(writer) ? { writer: reader ?? writer, resolver: undefined } : { writer: reader, resolver: reader.createResolver(writer) };
      this.#plans.set(schemaId, plan);
      return plan;
    } catch (cause) {
      throw new SchemaRegistryError(
        'AVRO_SCHEMAS_INCOMPATIBLE',
        `writer schema id ${schemaId} cannot be read as the reader schema: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause, details: { schemaId } },
      );
    }
  }

  #decodeWith(plan: ReaderPlan, schemaId: number, body: Buffer): T {
    try {
      return plan.writer.fromBuffer(body, plan.resolver) as T;
    } catch (cause) {
      // avsc's messages here are about the bytes ("truncated buffer", "trailing data"), not values.
      throw new SchemaRegistryError('AVRO_DECODE_FAILED', `Avro body of ${body.length} bytes does not decode with schema id ${schemaId}: ${cause instanceof Error ? cause.message : String(cause)}`, {
        cause,
        details: { schemaId },
      });
    }
  }
}

/**
 * Frame and body written into one scratch buffer, then copied into a slice of exactly its size carved
 * from a shared slab (streams/byte-slab.ts: encoded values are outputs, produced and released), where
 * `toBuffer` + framing made a zero-filled unpooled body and a frame, and Node's 8 KiB pool is replaced
 * every few records of a canonical event's size.
 * Encoding is synchronous, so one scratch buffer serves every codec; it grows for a larger value.
 */
let scratch = Buffer.allocUnsafe(16 * 1024);

function encodeWith(type: avro.Type, schemaId: number, value: unknown): Buffer {
  let end: number;
  try {
    end = encodeFramed(type, schemaId, value);
    if (end < 0) {
      // avsc returns minus the missing byte count when the buffer is too small.
      scratch = Buffer.allocUnsafe(2 * (scratch.length - end));
      end = encodeFramed(type, schemaId, value);
    }
  } catch {
    // avsc's message quotes the offending value (maybe PII): report field paths only.
    const paths: string[] = [];
    type.isValid(value, { errorHook: (path: string[]) => paths.push(path.join('.') || '(root)') });
    throw new SchemaRegistryError('AVRO_VALUE_INVALID', `value does not match Avro schema id ${schemaId} at ${paths.length > 0 ? paths.join(', ') : '(unknown path)'}`, {
      cause: new Error('avsc rejected the value'),
      details: { schemaId, paths },
    });
  }
  return copiedBytes(scratch, 0, end);
}

function encodeFramed(type: avro.Type, schemaId: number, value: unknown): number {
  scratch[0] = MAGIC_BYTE;
  scratch.writeUInt32BE(schemaId, 1);
  return type.encode(value, scratch, WIRE_HEADER_BYTES);
}
