/**
 * The analytics topology with the Avro → RowBinary transcoder (the deployment's serde) against the
 * real schema registry and ClickHouse 18.16: the same canonical-topic records, from three writer
 * schemas (the canonical one, one with an added field, one the transcoder cannot follow) plus broken
 * and hostile records, land as exactly the rows of the general path (projection decode → row →
 * RowBinary), and the same records are dead-lettered with the same codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseEventWriter } from '../../../connectors/clickhouse/analytics-store.js';
import { migrate } from '../../../connectors/clickhouse/migrations.js';
import { ClickHouseServer, connectionOptionsFrom, type ClickHouseConnectionOptions } from '../../../connectors/clickhouse/server.js';
import { sqlIdentifier } from '../../../connectors/clickhouse/sql-literal.js';
import { confluentAvroSerde } from '../../../connectors/schema-registry/avro-serde.js';
import { ANALYTICS_COLUMNS, type AnalyticsRow } from '../../../processors/analytics/analytics-row.js';
import type { AnalyticsSourceValue } from '../../../processors/analytics/analytics-sink-processor.js';
import type { BatchWriter } from '../../../processors/analytics/batching-sink.js';
import { syntheticEvents } from '../../../processors/analytics/synthetic-events.js';
import { canonicalEventAvroSchema, toAvroRecord, type CanonicalEnvelope } from '../../../schemas/avro.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';
import { readDeadLetterHeaders } from '../../../streams/dead-letter.js';
import type { ConsumedRecord, ProducedRecord } from '../../../streams/records.js';
import { Serdes, type Serde } from '../../../streams/serdes.js';
import { StreamTask } from '../../../streams/task.js';
import { analyticsCanonicalSerde, analyticsProjectionSerde, buildAnalyticsTopology } from '../../../topologies/analytics.js';
import { registryConnection, SubjectJanitor } from '../registry/registry-support.js';
import { testConfig, uniqueIdentifier } from '../../support/environment.js';

type Schema = Record<string, unknown>;
const START = Date.UTC(2026, 10, 1);

/** The canonical schema with `edit` applied to a copy. */
function canonicalWith(edit: (schema: Schema) => void): Schema {
  const schema = structuredClone(canonicalEventAvroSchema());
  edit(schema);
  return schema;
}
const telemetryOf = (schema: Schema): Schema => {
  const context = (schema.fields as Schema[]).find((f) => f.name === 'context') as Schema;
  const contextRecord = (context.type as Schema[])[1] as Schema;
  return (((contextRecord.fields as Schema[]).find((f) => f.name === 'telemetry') as Schema).type as Schema[])[1] as Schema;
};

describe('Avro → RowBinary transcoder on the real registry and ClickHouse', () => {
  const connection = registryConnection();
  const janitor = new SubjectJanitor(connection);
  let options: ClickHouseConnectionOptions;
  let server: ClickHouseServer;

  beforeAll(async () => {
    options = connectionOptionsFrom(testConfig(), { database: uniqueIdentifier('quintet_test_transcoder') });
    await migrate(options);
    server = ClickHouseServer.connect(options);
    await server.command('CREATE TABLE events_general AS events');
  });

  afterAll(async () => {
    await janitor.cleanup();
    await server.command(`DROP DATABASE IF EXISTS ${sqlIdentifier(options.database)}`);
    await server.close();
  });

  /** Framed values written with `schema` under a fresh subject. */
  async function written(schema: Schema, envelopes: readonly CanonicalEnvelope[], extra: Record<string, unknown> = {}): Promise<Buffer[]> {
    const { topic } = janitor.valueSubject('quintet-test-transcoder');
    const serde = confluentAvroSerde<Record<string, unknown>>(connection, { schema: schema as never, autoRegister: true, compatibility: 'NONE' });
    const values: Buffer[] = [];
    for (const envelope of envelopes) values.push((await serde.serialize(topic, { ...toAvroRecord(envelope), ...extra }, {})) as Buffer);
    return values;
  }

  async function run(table: string, serde: Serde<AnalyticsSourceValue>, writer: BatchWriter<AnalyticsRow>, records: readonly ConsumedRecord[]): Promise<ProducedRecord[]> {
    const produced: ProducedRecord[] = [];
    const topology = buildAnalyticsTopology({ canonicalTopic: 'quintet.canonical', keySerde: Serdes.String() as Serde<unknown>, valueSerde: serde, store: { kind: 'clickhouse', writer }, limits: { maxRows: 700 }, flushAt: 'commit' });
    const task = new StreamTask(topology, { applicationId: `quintet-test-${table}`, subtopology: 0, partition: 2, collector: { send: (record) => produced.push(record) } });
    await task.initialize();
    for (let at = 0; at < records.length; at += 500) await task.process(records.slice(at, at + 500));
    await task.flush();
    await task.close();
    return produced;
  }

  it('stores exactly the rows of the general path and dead-letters the same records', async () => {
    const events = [...syntheticEvents({ count: 1_500, startMs: START, spanMs: 7 * 86_400_000, seed: 41, actors: 200, posts: 30 })];
    const base = events[0] as CanonicalEvent;
    const hostile: CanonicalEvent[] = [
      { ...base, id: '' },
      { ...base, id: 'bad-time', event_timestamp: 'yesterday' },
      { ...base, id: 'offset-time', event_timestamp: '2026-11-28T09:01:03.123+01:00' },
      { ...base, id: 'bad-observed', observed_timestamp: 'later' },
      { ...base, id: 'utf8-日本-🎉', source: 'ßource', entity: { id: 'é'.repeat(300), type: '' }, context: { status: 'FAILURE', error: { code: '\t\n\\' }, telemetry: { duration_ms: 4.56 } } } as unknown as CanonicalEvent,
      { id: 'minimal', event_timestamp: '2026-11-28T09:01:03.123Z', observed_timestamp: '2026-11-28T09:01:04.000Z', source: 's', spec_version: '1.0', action: { name: 'a.b.c', type: 'READ' }, actor: {} } as unknown as CanonicalEvent,
    ];
    const envelope = (event: CanonicalEvent, i: number): CanonicalEnvelope => ({
      event: { ...event, context: { ...event.context, client: { user_agent: 'Mozilla/5.0' } } } as CanonicalEvent,
      chain: { partition: 2, sequence: i, previous_hash: '0'.repeat(64), hash: 'f'.repeat(64), key_id: 'k1' },
    });
    const canonical = await written(canonicalEventAvroSchema(), [...events.slice(0, 700), ...hostile].map(envelope));
    const added = await written(
      canonicalWith((schema) => (schema.fields as Schema[]).splice(2, 0, { name: 'tenant_id', type: ['null', 'string'], default: null })),
      events.slice(700, 1_100).map(envelope),
      { tenant_id: 'tenant-1' },
    );
    const retyped = await written(
      canonicalWith((schema) => {
        const duration = (telemetryOf(schema).fields as Schema[]).find((f) => f.name === 'duration_ms') as Schema;
        duration.type = ['null', 'long'];
      }),
      events.slice(1_100).map((event, i) => envelope({ ...event, context: { ...event.context, telemetry: { duration_ms: i } } } as CanonicalEvent, i)),
    );
    // One with invalid UTF-8 patched into a string, one with an id the registry does not have, one not framed.
    const invalidUtf8 = Buffer.from(canonical[3] as Buffer);
    invalidUtf8[invalidUtf8.indexOf(Buffer.from((events[3] as CanonicalEvent).source)) + 1] = 0xff;
    const unknownId = Buffer.from(canonical[4] as Buffer);
    unknownId.writeUInt32BE(2_000_000_000, 1);
    const unframed = Buffer.from('{"event":{}}');
    const values = [...canonical, ...added, ...retyped, invalidUtf8, unknownId, unframed];
    const records: ConsumedRecord[] = values.map((value, i) => ({ topic: 'quintet.canonical', partition: 2, offset: String(9_007_199_254_740_000 + i), key: null, value, timestamp: START + i, headers: {} }));

    const transcoding = analyticsCanonicalSerde(connection);
    const viaTranscoder = await run('events', transcoding, new ClickHouseEventWriter(server, 'events'), records);
    const plain = new ClickHouseEventWriter(server, 'events_general');
    const rowObjects: BatchWriter<AnalyticsRow> = { name: 'clickhouse', write: (rows) => plain.write(rows), isRetryable: (error) => plain.isRetryable(error) };
    const viaGeneral = await run('events_general', analyticsProjectionSerde(connection), rowObjects, records);

    const columns = ANALYTICS_COLUMNS.map((c) => sqlIdentifier(c)).join(', ');
    const rowsOf = (table: string) => server.rows<Record<string, unknown>>(`SELECT ${columns} FROM ${sqlIdentifier(table)} ORDER BY log_offset`);
    const stored = await rowsOf('events');
    expect(stored.length).toBe(values.length - 4);
    expect(stored).toEqual(await rowsOf('events_general'));
    const reasons = (produced: readonly ProducedRecord[]) => produced.map((p) => `${readDeadLetterHeaders(p.headers).sourceOffset ?? '?'} ${readDeadLetterHeaders(p.headers).code ?? '?'}`);
    expect(reasons(viaTranscoder)).toEqual(reasons(viaGeneral));
    expect(reasons(viaTranscoder).map((r) => r.split(' ')[1]).sort()).toEqual(['ANALYTICS_EVENT_ID_MISSING', 'ANALYTICS_TIME_OUT_OF_RANGE', 'DESERIALIZATION_FAILED', 'DESERIALIZATION_FAILED']);

    // The transcoder really carried the canonical and the added-field writers, and left the retyped one alone.
    const kinds = values.map((value) => {
      try {
        const result = transcoding.deserialize('quintet.canonical', value, {});
        if (result instanceof Promise) {
          result.catch(() => undefined); // the unknown id: its failure was checked above
          return 'async';
        }
        return Buffer.isBuffer(result) ? 'transcoded' : 'general';
      } catch {
        return 'error';
      }
    });
    expect(kinds.slice(0, 700).every((k) => k === 'transcoded')).toBe(true);
    expect(kinds.slice(706, 1_106).every((k) => k === 'transcoded')).toBe(true);
    expect(kinds.slice(1_106, 1_506).every((k) => k === 'general')).toBe(true);
    expect(kinds.slice(700, 706)).toEqual(['general', 'general', 'general', 'general', 'transcoded', 'transcoded']);
  });
});
