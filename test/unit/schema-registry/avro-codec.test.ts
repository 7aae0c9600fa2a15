import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { ConfluentAvroCodec } from '../../../connectors/schema-registry/avro-codec.js';
import { encodeWireFrame } from '../../../connectors/schema-registry/wire-format.js';

const type = avro.Type.forSchema({
  type: 'record',
  name: 'Sample',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'count', type: 'long' },
  ],
});

const codec = () => new ConfluentAvroCodec({ avroType: () => Promise.resolve(type) });

describe('ConfluentAvroCodec.encode', () => {
  it('writes exactly the Confluent frame of the Avro body, for small values and for values larger than its scratch buffer', async () => {
    const subject = codec();
    await subject.prepare(7);
    const values = [
      { id: 'a', note: null, count: 1 },
      { id: 'é😀', note: 'x'.repeat(100), count: -42 },
      { id: 'big', note: 'y'.repeat(70_000), count: 2 ** 40 },
      { id: 'after-big', note: 'z', count: 0 },
    ];
    const frames = values.map((value) => subject.encode(7, value) as Buffer);
    values.forEach((value, i) => expect((frames[i] as Buffer).equals(encodeWireFrame(7, type.toBuffer(value)))).toBe(true));
    // Each frame is its own memory: encoding the next value does not change an earlier one.
    expect((frames[0] as Buffer).equals(encodeWireFrame(7, type.toBuffer(values[0])))).toBe(true);
    expect(subject.decode(frames[2] as Buffer)).toEqual(values[2]);
  });

  it('rejects a value that does not match the schema with the field path, not the value', async () => {
    const subject = codec();
    await subject.prepare(3);
    let error: unknown;
    try {
      subject.encode(3, { id: 'secret@example.com', note: 12, count: 1 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'AVRO_VALUE_INVALID' });
    expect(String((error as Error).message)).toContain('note');
    expect(String((error as Error).message)).not.toContain('secret@example.com');
  });
});
