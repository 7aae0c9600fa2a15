import { describe, expect, it } from 'vitest';
import { fromAnyValue, hexId, severityBucket } from '../../../processors/adapters/otel.js';
import { otelLogs } from './fixtures.js';
import { events, NOW_ISO, one, rejection } from './helpers.js';

describe('OpenTelemetry OTLP/JSON adapter', () => {
  it('maps every log record with resource, scope, severity, trace ids and typed attributes', () => {
    const [first, second] = events(otelLogs, 'otel');
    expect(first).toMatchObject({
      event_timestamp: '2018-12-13T14:51:00.300Z',
      source: 'my.service',
      action: { name: 'otel.log.info', type: 'log' },
      actor: { id: 'my.service', type: 'service', details: { 'host.name': 'web-1' } },
      context: {
        telemetry: { trace_id: '5b8efff798038103d269b633813fc60c', span_id: 'eee19b7ec3c1b174' },
        attributes: {
          'string.attribute': 'some string',
          'boolean.attribute': true,
          'int.attribute': 10,
          'double.attribute': 637.704,
          'array.attribute': ['many', 'values'],
          'map.attribute': { 'some.map.key': 'some value' },
          'otel.severity_number': 10,
          'otel.severity_text': 'Information',
          'otel.scope.name': 'my.library',
          'otel.scope.version': '1.0.0',
          'otel.body': 'Example log record',
        },
        status: 'UNKNOWN',
      },
    });
    expect(second).toMatchObject({
      event_timestamp: '2018-12-13T14:51:01.123Z',
      action: { name: 'otel.payment.failed', type: 'log' },
      actor: { id: 'u-981', type: 'user' },
      entity: { id: 'inv-77', type: 'invoice' },
      context: { client: { ip_address: '198.51.100.7' }, status: 'FAILURE', error: { code: 'CardDeclined' } },
    });
    // An all-zero span id means "no span".
    expect(second?.context?.telemetry).toEqual({ trace_id: '5b8efff798038103d269b633813fc60c' });
    // OTel logs carry no id: each record gets a random one.
    expect(first?.id).not.toBe(second?.id);
  });

  it('uses observedTimeUnixNano, then ingestion time, when timeUnixNano is 0 or absent', () => {
    const record = (fields: object) => ({ resourceLogs: [{ resource: {}, scopeLogs: [{ scope: {}, logRecords: [fields] }] }] });
    expect(one(record({ timeUnixNano: '0', observedTimeUnixNano: '1544712660300000000' })).event_timestamp).toBe('2018-12-13T14:51:00.300Z');
    expect(one(record({})).event_timestamp).toBe(NOW_ISO);
    expect(one(record({})).source).toBe('otel');
  });

  it('converts AnyValue, ids and severities', () => {
    expect(fromAnyValue({ intValue: '9007199254740993' })).toBe('9007199254740993');
    expect(fromAnyValue({ intValue: 5 })).toBe(5);
    expect(fromAnyValue({})).toBeNull();
    expect(fromAnyValue({ kvlistValue: { values: [{ key: '__proto__', value: { stringValue: 'x' } }] } })).toEqual({});
    expect(hexId('W47/95gDgQPSabYzgT/GDA==', 16)).toBe('5b8efff798038103d269b633813fc60c');
    expect(hexId('xyz', 16)).toBeUndefined();
    expect([1, 5, 9, 13, 17, 21, 24, 0, 25].map(severityBucket)).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'fatal', 'unspecified', 'unspecified']);
  });

  it.each([
    [{ resourceLogs: [] }, 'EMPTY_BATCH'],
    [{ resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'not-hex' }] }] }] }, 'FIELD_INVALID'],
    [{ resourceLogs: [{ scopeLogs: [{ logRecords: [{ spanId: 'abc' }] }] }] }, 'FIELD_INVALID'],
    [{ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'boom' }] }] }] }, 'EVENT_NAME_INVALID'],
    [{ resourceLogs: [{ scopeLogs: [{ logRecords: ['x'] }] }] }, 'FIELD_INVALID'],
  ])('rejects %#: %s', (payload, code) => {
    expect(rejection(payload, 'otel').code).toBe(code);
  });
});
