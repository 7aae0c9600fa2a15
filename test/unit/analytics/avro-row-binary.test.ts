/**
 * The Avro → RowBinary transcoder gives the very bytes of the general path (projection decode →
 * toAnalyticsRow → encodeRowBinary) or declines (undefined), never other bytes: over the synthetic mix,
 * hostile values, broken records and writer schemas that differ from the canonical one.
 */
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { toAnalyticsRow, type AnalyticsEventFields } from '../../../processors/analytics/analytics-row.js';
import { completeLogPosition, compileRowBinaryTranscoder, type RowBinaryTranscoder } from '../../../processors/analytics/avro-row-binary.js';
import { encodeRowBinary } from '../../../processors/analytics/row-binary.js';
import { syntheticEvents } from '../../../processors/analytics/synthetic-events.js';
import { canonicalEventAvroSchema, toAvroRecord, type CanonicalEnvelope } from '../../../schemas/avro.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';
import { analyticsReaderSchema } from '../../../topologies/analytics.js';

type Schema = Record<string, unknown>;
const reader = avro.Type.forSchema(analyticsReaderSchema() as avro.Schema);
const canonicalWriter = avro.Type.forSchema(canonicalEventAvroSchema() as avro.Schema);
const START = Date.UTC(2026, 10, 1);
const POSITION = { partition: 7, offset: '123456' };

/** What the general path writes for an Avro body: the RowBinary row, or the dead-letter code. */
function generalPath(writer: avro.Type, body: Buffer, position = POSITION): Buffer | string {
  const event = reader.fromBuffer(body, reader.createResolver(writer)) as AnalyticsEventFields;
  const row = toAnalyticsRow(event, position);
  return row.kind === 'ok' ? encodeRowBinary([row.value]) : row.kind === 'deadLetter' ? row.code : 'drop';
}

function fastPath(transcoder: RowBinaryTranscoder, body: Buffer, position = POSITION): Buffer | undefined {
  // Framed as on the topic: the transcoder reads from byte 5.
  const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), body]);
  const row = transcoder.transcode(framed, 5);
  return row === undefined ? undefined : Buffer.from(completeLogPosition(row, position.partition, position.offset));
}

function transcoderFor(writer: avro.Type): RowBinaryTranscoder {
  const transcoder = compileRowBinaryTranscoder(writer, reader);
  if (transcoder === undefined) throw new Error('no plan for the writer schema');
  return transcoder;
}

const realistic = (event: CanonicalEvent, i: number): CanonicalEnvelope => ({
  event: {
    ...event,
    entity: { ...event.entity, details: { title: `Post ${i}`, tags: ['a', 'b'] } },
    context: { ...event.context, client: { user_agent: 'Mozilla/5.0', ip_address: '192.0.2.1' }, domain_specific: { analytics: { properties: { path: `/p/${i}` } } } },
  } as CanonicalEvent,
  chain: { partition: 0, sequence: i, previous_hash: 'a'.repeat(64), hash: 'b'.repeat(64), key_id: 'k1' },
});

const synthetic = (count: number, seed: number) => [...syntheticEvents({ count, startMs: START, spanMs: 30 * 86_400_000, seed })];

describe('Avro → RowBinary transcoder', () => {
  it('writes the bytes of the general path for the synthetic mix, with and without the fields analytics skips', () => {
    const transcoder = transcoderFor(canonicalWriter);
    synthetic(3_000, 11).forEach((event, i) => {
      for (const envelope of [{ event }, realistic(event, i)]) {
        const body = canonicalWriter.toBuffer(toAvroRecord(envelope));
        const position = { partition: i % 5, offset: String(i * 7919) };
        const fast = fastPath(transcoder, body, position);
        expect(fast, event.id).toBeDefined();
        expect(fast?.equals(generalPath(canonicalWriter, body, position) as Buffer), event.id).toBe(true);
      }
    });
  });

  const base = synthetic(1, 5)[0] as CanonicalEvent;
  const hostile: Array<[string, CanonicalEvent]> = [
    ['every optional field absent', { id: 'e-1', event_timestamp: '2026-11-28T09:01:03.123Z', observed_timestamp: '2026-11-28T09:01:04.000Z', source: 'svc', spec_version: '1.0', action: { name: 'a.b.c', type: 'READ' }, actor: {} } as unknown as CanonicalEvent],
    ['empty strings everywhere', { ...base, source: '', action: { name: '', type: '' }, actor: { type: '', pseudonym: '' }, entity: { id: '', type: '' }, context: { status: '', error: { code: '' }, telemetry: { trace_id: '' } } } as unknown as CanonicalEvent],
    ['multi-byte UTF-8', { ...base, id: 'id-ü-日本-🎉', source: 'ßource-Ω', action: { name: 'x.y.é', type: 'CREATE' }, entity: { id: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301', type: 'ποστ' }, context: { error: { code: '\u0000\t\n\\' } } } as unknown as CanonicalEvent],
    ['a long string (two- and three-byte LEB128 lengths)', { ...base, entity: { id: 'x'.repeat(200), type: 'é'.repeat(9_000) } } as unknown as CanonicalEvent],
    ['context without telemetry, error or status', { ...base, context: { client: { session_id: 's' } } } as unknown as CanonicalEvent],
    ['telemetry without duration', { ...base, context: { telemetry: { trace_id: 'f'.repeat(32) } } } as unknown as CanonicalEvent],
    ...[4.56, -0, 5e-324, Number.MAX_VALUE, 0, -12.5].map((duration_ms): [string, CanonicalEvent] => [`duration ${duration_ms}`, { ...base, context: { telemetry: { duration_ms } } } as unknown as CanonicalEvent]),
    ...[Infinity, -Infinity, NaN].map((duration_ms): [string, CanonicalEvent] => [`duration ${duration_ms} (NULL)`, { ...base, context: { telemetry: { duration_ms } } } as unknown as CanonicalEvent]),
    ['leap day and the last second DateTime holds', { ...base, event_timestamp: '2024-02-29T23:59:59.999Z', observed_timestamp: '2105-12-31T23:59:59.000Z' }],
    ['the epoch', { ...base, event_timestamp: '1970-01-01T00:00:00.000Z', observed_timestamp: '1970-01-01T00:00:00.000Z' }],
  ];

  it.each(hostile)('%s: the same bytes', (_name, event) => {
    const body = canonicalWriter.toBuffer(toAvroRecord({ event }));
    const fast = fastPath(transcoderFor(canonicalWriter), body);
    expect(fast).toBeDefined();
    expect(fast?.equals(generalPath(canonicalWriter, body) as Buffer)).toBe(true);
  });

  const declined: Array<[string, CanonicalEvent, string | 'row']> = [
    ['an empty id (dead letter)', { ...base, id: '' }, 'ANALYTICS_EVENT_ID_MISSING'],
    ['an event time before 1970 (dead letter)', { ...base, event_timestamp: '1969-12-31T23:59:59.999Z' }, 'ANALYTICS_TIME_OUT_OF_RANGE'],
    ['an event time after DateTime (dead letter)', { ...base, event_timestamp: '2106-01-01T00:00:00.000Z' }, 'ANALYTICS_TIME_OUT_OF_RANGE'],
    ['an unreadable event time (dead letter)', { ...base, event_timestamp: 'yesterday' }, 'ANALYTICS_TIME_OUT_OF_RANGE'],
    ['a time with an offset (Date path)', { ...base, event_timestamp: '2026-11-28T09:01:03.123+01:00' }, 'row'],
    ['a rolled-over date (Date path)', { ...base, event_timestamp: '2026-02-30T00:00:00.000Z' }, 'row'],
    ['an unusable observed time (takes the event time)', { ...base, observed_timestamp: 'not a time' }, 'row'],
    ['a time without milliseconds (Date path)', { ...base, observed_timestamp: '2026-11-28T09:01:03Z' }, 'row'],
    ['an observed time past the last DateTime second (takes the event time)', { ...base, observed_timestamp: '2105-12-31T23:59:59.999Z' }, 'row'],
  ];

  it.each(declined)('%s: left to the general path', (_name, event, expected) => {
    const body = canonicalWriter.toBuffer(toAvroRecord({ event }));
    expect(fastPath(transcoderFor(canonicalWriter), body)).toBeUndefined();
    const general = generalPath(canonicalWriter, body);
    if (expected === 'row') expect(Buffer.isBuffer(general)).toBe(true);
    else expect(general).toBe(expected);
  });

  it('converts times over the whole DateTime range as the general path does (leap years, month ends, the last second)', () => {
    const transcoder = transcoderFor(canonicalWriter);
    const last = 4_291_747_199_999;
    const times: number[] = [0, 999, Date.UTC(2000, 1, 29), Date.UTC(2100, 1, 28, 23, 59, 59, 999), Date.UTC(2100, 2, 1), Date.UTC(2104, 1, 29, 12), last - 999, last - 998, last];
    for (let year = 1970; year <= 2105; year++) for (const month of [0, 1, 2, 11]) times.push(Date.UTC(year, month, 1), Date.UTC(year, month + 1, 1) - 1);
    let seed = 17;
    for (let i = 0; i < 3_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      times.push(Math.floor((seed / 2_147_483_648) * last));
    }
    times.forEach((ms, i) => {
      const iso = new Date(ms).toISOString();
      const observed = times[(i * 7) % times.length] as number;
      const event = { ...base, event_timestamp: iso, observed_timestamp: new Date(observed).toISOString() };
      const body = canonicalWriter.toBuffer(toAvroRecord({ event }));
      const fast = fastPath(transcoder, body);
      // Past the last whole DateTime second the general path decides (a dead letter, or the event time).
      if (ms > last - 999 || observed > last - 999) expect(fast, iso).toBeUndefined();
      else expect(fast?.equals(generalPath(canonicalWriter, body) as Buffer), iso).toBe(true);
    });
    // Not digits where digits belong: left to the general path (which dead-letters them or parses them with Date).
    for (const bad of ['2026-1a-28T09:01:03.123Z', '2026-11-28T09:01:03.12xZ', '202/-11-28T09:01:03.123Z', '2026-11-28T09:-1:03.123Z', '2026-11-28T24:00:00.000Z', '2026-00-10T00:00:00.000Z']) {
      const body = canonicalWriter.toBuffer(toAvroRecord({ event: { ...base, event_timestamp: bad } }));
      expect(fastPath(transcoder, body), bad).toBeUndefined();
    }
  });

  it('declines UTF-8 the general decoder would repair, and broken bodies', () => {
    const transcoder = transcoderFor(canonicalWriter);
    const marker = 'MARKER-MARKER';
    const body = canonicalWriter.toBuffer(toAvroRecord({ event: { ...base, source: marker } }));
    const at = body.indexOf(marker);
    for (const invalid of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98]]) {
      const broken = Buffer.from(body);
      Buffer.from(invalid).copy(broken, at + 2);
      expect(fastPath(transcoder, broken), JSON.stringify(invalid)).toBeUndefined();
      // The general path stores U+FFFD instead: other bytes than the input's.
      expect(generalPath(canonicalWriter, broken)).toBeInstanceOf(Buffer);
    }
    expect(fastPath(transcoder, body.subarray(0, body.length - 3))).toBeUndefined();
    expect(() => generalPath(canonicalWriter, body.subarray(0, body.length - 3))).toThrow();
    expect(fastPath(transcoder, Buffer.concat([body, Buffer.from([0])]))).toBeUndefined();
    expect(() => generalPath(canonicalWriter, Buffer.concat([body, Buffer.from([0])]))).toThrow();
    expect(fastPath(transcoder, Buffer.alloc(0))).toBeUndefined();
  });

  it('declines an invalid union branch, which the general path rejects', () => {
    const event = { id: 'e-1', event_timestamp: '2026-11-28T09:01:03.123Z', observed_timestamp: '2026-11-28T09:01:04.000Z', source: 's', spec_version: '1.0', action: { name: 'a.b.c', type: 'READ' }, actor: {} } as unknown as CanonicalEvent;
    const body = canonicalWriter.toBuffer(toAvroRecord({ event }));
    // The last byte is the chain union's branch (0 = null); 4 is no branch.
    const broken = Buffer.from(body);
    broken[broken.length - 1] = 4;
    expect(fastPath(transcoderFor(canonicalWriter), broken)).toBeUndefined();
    expect(() => generalPath(canonicalWriter, broken)).toThrow();
  });

  it('fills the log position exactly above 2^53', () => {
    const body = canonicalWriter.toBuffer(toAvroRecord({ event: base }));
    for (const offset of ['0', '9007199254740993', '18446744073709551615']) {
      const position = { partition: 4_294_967_295, offset };
      expect(fastPath(transcoderFor(canonicalWriter), body, position)?.equals(generalPath(canonicalWriter, body, position) as Buffer)).toBe(true);
    }
  });
});

/** The canonical schema with `edit` applied to a copy. */
function evolved(edit: (schema: Schema) => void): avro.Type {
  const schema = structuredClone(canonicalEventAvroSchema());
  edit(schema);
  return avro.Type.forSchema(schema as avro.Schema);
}
const fieldsOf = (record: Schema): Schema[] => record.fields as Schema[];
const recordIn = (record: Schema, name: string): Schema => {
  const field = fieldsOf(record).find((f) => f.name === name) as Schema;
  const type = field.type;
  return (Array.isArray(type) ? type.find((t) => typeof t === 'object') : type) as Schema;
};
const removeField = (record: Schema, name: string): void => {
  record.fields = fieldsOf(record).filter((f) => f.name !== name);
};

describe('Avro → RowBinary transcoder with other writer schemas', () => {
  const added = (record: Schema): void => {
    fieldsOf(record).splice(1, 0, 
      { name: 'added_map', type: ['null', { type: 'map', values: { type: 'array', items: 'long' } }], default: null },
      { name: 'added_enum', type: ['null', { type: 'enum', name: `E${String(record.name)}`, symbols: ['A', 'B', 'C'] }], default: null },
      { name: 'added_fixed', type: ['null', { type: 'fixed', name: `F${String(record.name)}`, size: 3 }], default: null },
      { name: 'added_misc', type: ['null', 'boolean', 'float', 'int', 'bytes', { type: 'array', items: ['null', 'string'] }], default: null },
    );
  };
  const writers: Array<[string, avro.Type]> = [
    ['added optional fields of every kind, top level and nested', evolved((schema) => {
      added(schema);
      added(recordIn(schema, 'action'));
      added(recordIn(recordIn(schema, 'context'), 'telemetry'));
    })],
    ['removed optional fields (entity, context.status, telemetry.duration_ms, the chain)', evolved((schema) => {
      removeField(schema, 'entity');
      removeField(schema, 'chain');
      removeField(recordIn(schema, 'context'), 'status');
      removeField(recordIn(recordIn(schema, 'context'), 'telemetry'), 'duration_ms');
    })],
    ['union branches in the other order', evolved((schema) => {
      for (const field of fieldsOf(recordIn(schema, 'actor'))) {
        if (!Array.isArray(field.type)) continue;
        // A union's default must be of its first branch: a writer schema has no use for defaults.
        field.type = [...(field.type as unknown[])].reverse();
        delete field.default;
      }
    })],
  ];

  it.each(writers)('%s: the same bytes', (_name, writer) => {
    const transcoder = transcoderFor(writer);
    let random = 17;
    const next = () => (random = (random * 1_103_515_245 + 12_345) % 2_147_483_648);
    synthetic(400, 23).forEach((event, i) => {
      const record = writer.random() as unknown as Record<string, unknown>;
      // Random values of the added fields, canonical values of the others.
      const canonical = toAvroRecord(realistic(event, i)) as Record<string, unknown>;
      const merged = mergeInto(record, canonical, writer);
      const body = writer.toBuffer(merged);
      const position = { partition: next() % 8, offset: String(next()) };
      const fast = fastPath(transcoder, body, position);
      const general = generalPath(writer, body, position);
      if (fast === undefined) expect(typeof general === 'string' || !isCanonicalTime(merged)).toBe(true);
      else expect(fast.equals(general as Buffer), JSON.stringify(merged).slice(0, 200)).toBe(true);
    });
  });

  const incompatible: Array<[string, avro.Type]> = [
    ['duration_ms as a long (promoted by avsc)', evolved((schema) => {
      const telemetry = recordIn(recordIn(schema, 'context'), 'telemetry');
      (fieldsOf(telemetry).find((f) => f.name === 'duration_ms') as Schema).type = ['null', 'long'];
    })],
    ['source as bytes', evolved((schema) => {
      (fieldsOf(schema).find((f) => f.name === 'source') as Schema).type = 'bytes';
    })],
    ['a renamed nested record', evolved((schema) => {
      recordIn(schema, 'action').name = 'Deed';
    })],
    ['a required field missing', evolved((schema) => removeField(schema, 'observed_timestamp'))],
    ['a recursive record among the skipped fields', evolved((schema) => {
      fieldsOf(schema).push({ name: 'tree', type: ['null', { type: 'record', name: 'Node', fields: [{ name: 'children', type: { type: 'array', items: 'Node' } }] }], default: null });
    })],
  ];

  it.each(incompatible)('%s: no plan (every record takes the general path)', (_name, writer) => {
    expect(compileRowBinaryTranscoder(writer, reader)).toBeUndefined();
  });
});

const isCanonicalTime = (record: Record<string, unknown>): boolean => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(String(record.event_timestamp));

/** The writer's random record with the canonical values wherever the writer has the canonical field. */
function mergeInto(random: Record<string, unknown>, canonical: Record<string, unknown>, type: avro.Type): Record<string, unknown> {
  const record = type as unknown as { fields: Array<{ name: string; type: avro.Type }> };
  const out: Record<string, unknown> = {};
  for (const field of record.fields) {
    const fromCanonical = canonical[field.name];
    const fromRandom = random[field.name];
    if (!(field.name in canonical)) out[field.name] = fromRandom;
    else if (fromCanonical !== null && typeof fromCanonical === 'object' && !Buffer.isBuffer(fromCanonical)) {
      const branch = recordBranch(field.type);
      out[field.name] = branch === undefined ? fromCanonical : mergeInto(fromRandom !== null && typeof fromRandom === 'object' ? (fromRandom as Record<string, unknown>) : (branch.random() as unknown as Record<string, unknown>), fromCanonical as Record<string, unknown>, branch);
    } else out[field.name] = fromCanonical;
  }
  return out;
}

function recordBranch(type: avro.Type): avro.Type | undefined {
  const any = type as unknown as { typeName: string; types?: avro.Type[] };
  if (any.typeName === 'record') return type;
  return any.types?.find((t) => (t as unknown as { typeName: string }).typeName === 'record');
}
