/**
 * The one place that turns QuintetConfig into a schema-registry client: @kafkajs/confluent-schema-registry
 * for registering, fetching and (for other consumers) encoding/decoding, plus ConfluentRegistryRest for the
 * calls the library keeps private (subject compatibility, deletion).
 *
 * Works against any registry speaking the Confluent REST API: Confluent Schema Registry, or Apicurio
 * Registry 3 at /apis/ccompat/v7 (the local stack). The password leaves its `Secret` only here.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { QuintetConfig } from '../../core/config.js';
import { SchemaRegistryError } from './errors.js';
import { codeForStatus, ConfluentRegistryRest, type CompatibilityLevel } from './rest.js';

export type SchemaRegistrySettings = QuintetConfig['schemaRegistry'];

export interface SchemaRegistryConnectionOptions {
  /** Sent as the client id header of the library (Confluent logs it). */
  readonly clientId?: string;
  /** Per-request timeout of the REST helper, in ms. */
  readonly timeoutMs?: number;
  /** Retries of the library client on network errors and 5xx (mappersmith retry). */
  readonly retries?: number;
}

export interface RegisterOptions {
  /** Set on the subject (PUT /config/<subject>) before registering, so that it governs this very version. */
  readonly compatibility?: CompatibilityLevel;
}

/** An Avro schema as JSON (e.g. `canonicalEventAvroSchema()`) or as its text. */
export type AvroSchemaDefinition = object | string;

/** Turns the library's and fetch's failures into SchemaRegistryError with a stable code. */
export function toSchemaRegistryError(error: unknown, action: string, details: Record<string, unknown> = {}): SchemaRegistryError {
  if (error instanceof SchemaRegistryError) return error;
  const status = typeof error === 'object' && error !== null && typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : undefined;
  const message = error instanceof Error ? error.message : String(error);
  // mappersmith reports a refused connection as status 400 with the socket error in the message.
  const network = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|socket hang up/i.test(message);
  const code = network ? 'SCHEMA_REGISTRY_UNAVAILABLE' : status === undefined ? 'SCHEMA_REGISTRY_REQUEST_FAILED' : codeForStatus(status);
  return new SchemaRegistryError(code, `${action} failed: ${message}`, { cause: error, details: { ...details, status } });
}

function parseAvroSchema(schema: AvroSchemaDefinition): { type: avro.Type; text: string } {
  let parsed: avro.Schema;
  try {
    parsed = (typeof schema === 'string' ? JSON.parse(schema) : schema) as avro.Schema;
    const type = avro.Type.forSchema(parsed);
    return { type, text: typeof schema === 'string' ? schema : JSON.stringify(schema) };
  } catch (cause) {
    throw new SchemaRegistryError('SCHEMA_INVALID', `not a valid Avro schema: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export class SchemaRegistryConnection {
  /** The unchanged @kafkajs/confluent-schema-registry client (its own per-id schema cache included). */
  readonly client: SchemaRegistry;
  readonly rest: ConfluentRegistryRest;
  readonly url: string;

  constructor(settings: SchemaRegistrySettings, options: SchemaRegistryConnectionOptions = {}) {
    this.url = settings.url.replace(/\/+$/, '');
    const password = settings.password?.reveal();
    this.client = new SchemaRegistry({
      host: this.url,
      clientId: options.clientId ?? 'quintet',
      ...(settings.username === undefined ? {} : { auth: { username: settings.username, password: password ?? '' } }),
      retry: { retries: options.retries ?? 3 },
    });
    this.rest = new ConfluentRegistryRest({
      url: this.url,
      username: settings.username,
      password,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }

  /**
   * Registers an Avro schema under `subject` (e.g. `<topic>-value`) and returns its id. With
   * `compatibility`, the subject's level is set first, so an incompatible evolution is rejected with
   * SCHEMA_INCOMPATIBLE. Registering a schema the subject already has returns the existing id.
   */
  async registerAvroSchema(subject: string, schema: AvroSchemaDefinition, options: RegisterOptions = {}): Promise<number> {
    const { text } = parseAvroSchema(schema);
    // The library compares the subject's level (GET /config/<subject>) with the level it is given and
    // refuses to register when they differ. Confluent answers 404 for a subject without a level of its
    // own; Apicurio answers with the global level (NONE by default) once the subject exists. So the
    // library is always handed the level the subject really has.
    const level = options.compatibility === undefined ? await this.rest.getCompatibility(subject) : await this.rest.setCompatibility(subject, options.compatibility);
    try {
      const { id } = await this.client.register({ type: SchemaType.AVRO, schema: text }, { subject, compatibility: (level ?? 'BACKWARD') as never, updateConfig: false });
      return id;
    } catch (error) {
      throw toSchemaRegistryError(error, `registering an Avro schema under subject ${subject}`, { subject });
    }
  }

  /** The id of `schema` under `subject` if it is registered there (no registration); SCHEMA_NOT_FOUND otherwise. */
  async lookupAvroSchemaId(subject: string, schema: AvroSchemaDefinition): Promise<number> {
    const { text } = parseAvroSchema(schema);
    return this.rest.lookupSchemaId(subject, text);
  }

  /** The latest schema id of a subject. */
  async latestSchemaId(subject: string): Promise<number> {
    try {
      return await this.client.getLatestSchemaId(subject);
    } catch (error) {
      throw toSchemaRegistryError(error, `reading the latest schema of subject ${subject}`, { subject });
    }
  }

  /** The writer schema of an id as an avsc Type (cached by the library after the first fetch). */
  async avroType(schemaId: number): Promise<avro.Type> {
    let schema: unknown;
    try {
      schema = await this.client.getSchema(schemaId);
    } catch (error) {
      throw toSchemaRegistryError(error, `fetching schema id ${schemaId}`, { schemaId });
    }
    if (!avro.Type.isType(schema)) {
      throw new SchemaRegistryError('SCHEMA_INVALID', `schema id ${schemaId} is not an Avro schema`, { details: { schemaId } });
    }
    return schema as avro.Type;
  }
}

export function connectSchemaRegistry(config: QuintetConfig | SchemaRegistrySettings, options: SchemaRegistryConnectionOptions = {}): SchemaRegistryConnection {
  const settings = 'schemaRegistry' in config ? config.schemaRegistry : config;
  return new SchemaRegistryConnection(settings, options);
}
