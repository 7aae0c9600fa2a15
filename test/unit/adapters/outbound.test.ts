import { CloudEvent, Kafka } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';
import { cloudEventHeaders, toCloudEventsBinary, toCloudEventStructured } from '../../../processors/adapters/outbound/cloudevents.js';
import { toAnyValue, toOtelLogRecord, toOtlpLogs } from '../../../processors/adapters/outbound/otel.js';
import { fromAnyValue } from '../../../processors/adapters/otel.js';
import * as fixtures from './fixtures.js';
import { events, NOW_ISO, one } from './helpers.js';

/** One canonical event of every source format, as the translator produced them. */
const samples: CanonicalEvent[] = [
  one(fixtures.canonicalEvent),
  one(fixtures.segmentTrack),
  one(fixtures.segmentAnonymousPage),
  one(fixtures.amplitudeEvent),
  one(fixtures.cloudTrailAssumedRole),
  one(fixtures.cloudTrailFederatedUserDenied),
  one(fixtures.auth0WrongPassword),
  one({ date: '2023-03-01T00:00:00Z', type: 'limit_wc', ip: '203.0.113.1', log_id: 'x1' }),
  one(fixtures.githubRepoDestroy),
  ...events(fixtures.otelLogs),
  one(fixtures.cloudEventStructured),
  { ...one(fixtures.canonicalEvent), actor: { type: 'user', pseudonym: 'psn_0001', details: { tier: 'gold' } } } as CanonicalEvent,
];

describe('canonical → CloudEvents', () => {
  const event = one(fixtures.canonicalEvent);

  it('binary mode headers follow the Kafka protocol binding', () => {
    expect(cloudEventHeaders(event)).toEqual({
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_source: 'billing-service',
      ce_type: 'billing.invoice.created',
      ce_time: '2026-11-28T09:01:03.123Z',
      ce_subject: 'inv-9',
      'content-type': 'application/json',
    });
  });

  it('the cloudevents SDK reads our binary message back to the same CloudEvent', () => {
    const message = toCloudEventsBinary(event);
    const kafkaMessage = { headers: message.headers, value: message.value, body: message.value, key: 'k', timestamp: '0' };
    const read = Kafka.toEvent(kafkaMessage as unknown as Parameters<typeof Kafka.toEvent>[0]) as CloudEvent<CanonicalEvent>;
    expect(read.id).toBe(event.id);
    expect(read.type).toBe(event.action.name);
    expect(read.source).toBe(event.source);
    expect(read.time).toBe(event.event_timestamp);
    expect(read.subject).toBe('inv-9');
    expect(read.data).toEqual(event);
  });

  it.each(samples.map((s) => [s.action.name, s] as const))('round-trips %s through binary and structured mode', (_, sample) => {
    const binary = toCloudEventsBinary(sample);
    const back = events(binary.value.toString('utf8'), 'auto', {}, binary.headers);
    expect(back).toEqual([{ ...sample, observed_timestamp: NOW_ISO }]);
    const structured = toCloudEventStructured(sample);
    expect(structured).toMatchObject({ specversion: '1.0', id: sample.id, type: sample.action.name, source: sample.source });
    expect(events(structured)).toEqual([{ ...sample, observed_timestamp: NOW_ISO }]);
  });
});

describe('canonical → OpenTelemetry', () => {
  it('maps per design Part 4.2', () => {
    const event = one(fixtures.canonicalEvent);
    const record = toOtelLogRecord(event);
    expect(record.eventName).toBe('billing.invoice.created');
    expect(record.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(record.spanId).toBe('eee19b7ec3c1b174');
    expect(record.timeUnixNano).toBe('1795856463123000000');
    expect(record.severityNumber).toBe(9);
    expect(record.attributes).toEqual(expect.arrayContaining([{ key: 'http.method', value: { stringValue: 'POST' } }, { key: 'log.record.uid', value: { stringValue: event.id } }, { key: 'user.id', value: { stringValue: 'user-123' } }]));
    const payload = toOtlpLogs([event, one(fixtures.segmentTrack), event]);
    expect(payload.resourceLogs.map((r) => r.resource.attributes[0]?.value)).toEqual([{ stringValue: 'billing-service' }, { stringValue: 'segment/analytics.js' }]);
    expect(payload.resourceLogs[0]?.scopeLogs[0]?.logRecords).toHaveLength(2);
  });

  it('a FAILURE is severity ERROR', () => {
    expect(toOtelLogRecord(one(fixtures.cloudTrailFederatedUserDenied)).severityNumber).toBe(17);
  });

  it.each(samples.map((s) => [s.action.name, s] as const))('round-trips %s through OTLP/JSON', (_, sample) => {
    const back = events(JSON.parse(JSON.stringify(toOtlpLogs([sample]))), 'auto');
    expect(back).toEqual([{ ...sample, observed_timestamp: NOW_ISO }]);
  });

  it('AnyValue conversion is lossless for JSON', () => {
    const value = { s: 'x', i: 7, d: 1.5, b: false, n: null, a: [1, 'two', { three: 3 }], o: { deep: { er: [] } } };
    expect(fromAnyValue(toAnyValue(value))).toEqual(value);
  });
});
