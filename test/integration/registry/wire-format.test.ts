/**
 * Issue 2's proof that the schema registry works: register an Avro schema under `<topic>-value` in the
 * real registry, encode and decode with @kafkajs/confluent-schema-registry, and check the Confluent wire
 * format byte by byte. Quintet's own codec must be byte-compatible with the library in both directions.
 */
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfluentAvroCodec, SchemaRegistryError } from '../../../connectors/schema-registry/index.js';
import { registryConnection, SubjectJanitor } from './registry-support.js';

const PAGE_VIEW = {
  type: 'record',
  name: 'PageView',
  namespace: 'io.quintet.test',
  fields: [
    { name: 'page', type: 'string' },
    { name: 'visits', type: 'long' },
    { name: 'referrer', type: ['null', 'string'], default: null },
  ],
} as const;

describe('schema registry: Avro in the Confluent wire format', () => {
  const connection = registryConnection();
  const janitor = new SubjectJanitor(connection);
  afterAll(() => janitor.cleanup());

  it('registers under <topic>-value and encodes as magic byte 0, the 4-byte id, then the Avro body', async () => {
    const { subject } = janitor.valueSubject('registry-wire');
    const id = await connection.registerAvroSchema(subject, PAGE_VIEW, { compatibility: 'BACKWARD' });
    expect(Number.isInteger(id) && id > 0).toBe(true);
    expect(await connection.rest.versions(subject)).toEqual([1]);
    expect(await connection.rest.getCompatibility(subject)).toBe('BACKWARD');
    expect(await connection.latestSchemaId(subject)).toBe(id);

    const value = { page: '/pricing', visits: 3, referrer: 'search' };
    const encoded = await connection.client.encode(id, value);
    expect(encoded[0]).toBe(0);
    expect(encoded.readUInt32BE(1)).toBe(id);
    const avroBody = (await connection.avroType(id)).toBuffer(value);
    expect(encoded.subarray(5).equals(avroBody)).toBe(true);

    // A fresh client has no cache: decoding fetches the writer schema by id from the registry.
    const fresh = registryConnection();
    expect(await fresh.client.decode(encoded)).toEqual(value);
  });

  it('is byte-compatible with @kafkajs/confluent-schema-registry in both directions', async () => {
    const { subject } = janitor.valueSubject('registry-interop');
    const id = await connection.registerAvroSchema(subject, PAGE_VIEW);
    const codec = new ConfluentAvroCodec(registryConnection());
    const value = { page: '/docs', visits: 12, referrer: null };

    const ours = await codec.encode(id, value);
    const theirs = await connection.client.encode(id, value);
    expect(ours.equals(theirs)).toBe(true);
    expect(await connection.client.decode(ours)).toEqual(value);
    expect(await codec.decode(theirs)).toEqual(value);
  });

  it('answers from its cache once an id is known: encode and decode stop returning Promises', async () => {
    const { subject } = janitor.valueSubject('registry-cache');
    const id = await connection.registerAvroSchema(subject, PAGE_VIEW);
    const codec = new ConfluentAvroCodec(registryConnection());
    expect(codec.isPrepared(id)).toBe(false);
    const first = codec.encode(id, { page: '/a', visits: 1, referrer: null });
    expect(first).toBeInstanceOf(Promise);
    await first;
    const second = codec.encode(id, { page: '/b', visits: 2, referrer: null });
    expect(Buffer.isBuffer(second)).toBe(true);
    const decoded = codec.decode(second as Buffer);
    expect(decoded).toEqual({ page: '/b', visits: 2, referrer: null });
  });

  it('gives the same schema the same id under every subject, and re-registering returns the existing id', async () => {
    const a = janitor.valueSubject('registry-same-a').subject;
    const b = janitor.valueSubject('registry-same-b').subject;
    const idA = await connection.registerAvroSchema(a, PAGE_VIEW);
    const idB = await connection.registerAvroSchema(b, PAGE_VIEW);
    expect(idB).toBe(idA);
    expect(await connection.registerAvroSchema(a, PAGE_VIEW)).toBe(idA);
    expect(await connection.rest.versions(a)).toEqual([1]);
    expect(await connection.lookupAvroSchemaId(a, PAGE_VIEW)).toBe(idA);
  });

  it('rejects bad input with stable codes and without quoting the value', async () => {
    const { subject } = janitor.valueSubject('registry-errors');
    const id = await connection.registerAvroSchema(subject, PAGE_VIEW);
    const codec = new ConfluentAvroCodec(connection);
    await codec.prepare(id);

    const secret = 'alice@example.com';
    const invalid = (() => {
      try {
        codec.encode(id, { page: 42, visits: secret, referrer: null });
      } catch (error) {
        return error;
      }
    })();
    expect(invalid).toBeInstanceOf(SchemaRegistryError);
    expect((invalid as SchemaRegistryError).code).toBe('AVRO_VALUE_INVALID');
    expect((invalid as SchemaRegistryError).message).toContain('page');
    expect((invalid as SchemaRegistryError).message).toContain('visits');
    expect(JSON.stringify(invalid) + String((invalid as Error).message)).not.toContain(secret);

    expect(() => codec.decode(Buffer.from('{"page":"/x"}'))).toThrow(expect.objectContaining({ code: 'SCHEMA_WIRE_FORMAT_INVALID' }));
    expect(() => codec.decode(Buffer.from([0, 0, 0]))).toThrow(expect.objectContaining({ code: 'SCHEMA_WIRE_FORMAT_INVALID' }));
    const good = codec.encode(id, { page: '/x', visits: 1, referrer: null }) as Buffer;
    expect(() => codec.decode(good.subarray(0, good.length - 2))).toThrow(expect.objectContaining({ code: 'AVRO_DECODE_FAILED' }));

    const unknownId = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2]);
    await expect(codec.decode(unknownId)).rejects.toMatchObject({ code: 'SCHEMA_NOT_FOUND' });
    await expect(connection.registerAvroSchema(subject, '{"type":"record","name":"Broken","fields":[{"name":"x"}]}')).rejects.toMatchObject({ code: 'SCHEMA_INVALID' });
  });

  it('reports a registry that does not answer as SCHEMA_REGISTRY_UNAVAILABLE', async () => {
    const nowhere = registryConnection();
    const offline = new (nowhere.constructor as typeof import('../../../connectors/schema-registry/index.js').SchemaRegistryConnection)(
      { url: 'http://127.0.0.1:1/apis/ccompat/v7', username: undefined, password: undefined },
      { retries: 0, timeoutMs: 2_000 },
    );
    await expect(offline.registerAvroSchema('nobody-value', PAGE_VIEW, { compatibility: 'BACKWARD' })).rejects.toMatchObject({ code: 'SCHEMA_REGISTRY_UNAVAILABLE' });
    await expect(offline.avroType(1)).rejects.toMatchObject({ code: 'SCHEMA_REGISTRY_UNAVAILABLE' });
    expect(SchemaType.AVRO).toBe('AVRO');
  });
});
