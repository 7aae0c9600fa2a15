/** The Confluent wire format framing and the mapping of registry failures to stable codes (no registry needed). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeForStatus, decodeWireFrame, encodeWireFrame, SchemaRegistryError, toSchemaRegistryError } from '../../../connectors/schema-registry/index.js';

describe('Confluent wire format', () => {
  it('frames any id and body as 0, the id big-endian, then the body, and splits it back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 64 }), (id, bytes) => {
        const body = Buffer.from(bytes);
        const frame = encodeWireFrame(id, body);
        expect(frame.length).toBe(body.length + 5);
        expect(frame[0]).toBe(0);
        expect(frame.readUInt32BE(1)).toBe(id);
        const split = decodeWireFrame(frame);
        expect(split.schemaId).toBe(id);
        expect(split.body.equals(body)).toBe(true);
      }),
    );
  });

  it('matches the bytes Confluent serializers write for schema id 1 and an Avro string "a"', () => {
    expect(encodeWireFrame(1, Buffer.from([0x02, 0x61])).toString('hex')).toBe('00000000010261');
  });

  it('rejects records that are not framed with SCHEMA_WIRE_FORMAT_INVALID', () => {
    for (const bytes of [[], [0, 0, 0, 1], [1, 0, 0, 0, 1, 2], [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d]]) {
      expect(() => decodeWireFrame(Buffer.from(bytes))).toThrow(expect.objectContaining({ code: 'SCHEMA_WIRE_FORMAT_INVALID' }));
    }
  });
});

describe('registry failures', () => {
  it('map HTTP statuses of the Confluent API to stable codes', () => {
    expect([404, 409, 422, 401, 400, 500, 503].map(codeForStatus)).toEqual([
      'SCHEMA_NOT_FOUND',
      'SCHEMA_INCOMPATIBLE',
      'SCHEMA_INVALID',
      'SCHEMA_REGISTRY_REQUEST_FAILED',
      'SCHEMA_REGISTRY_REQUEST_FAILED',
      'SCHEMA_REGISTRY_UNAVAILABLE',
      'SCHEMA_REGISTRY_UNAVAILABLE',
    ]);
  });

  it('map the library errors: status when present, socket errors as unavailable', () => {
    expect(toSchemaRegistryError(Object.assign(new Error('Schema being registered is incompatible'), { status: 409 }), 'registering').code).toBe('SCHEMA_INCOMPATIBLE');
    expect(toSchemaRegistryError(new Error('connect ECONNREFUSED 127.0.0.1:8081'), 'fetching').code).toBe('SCHEMA_REGISTRY_UNAVAILABLE');
    expect(toSchemaRegistryError(new Error('Compatibility does not match'), 'registering').code).toBe('SCHEMA_REGISTRY_REQUEST_FAILED');
    const already = new SchemaRegistryError('SCHEMA_NOT_FOUND', 'gone');
    expect(toSchemaRegistryError(already, 'x')).toBe(already);
  });
});
