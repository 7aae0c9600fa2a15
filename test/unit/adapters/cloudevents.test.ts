import { CloudEvent, Kafka } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { deterministicUuid } from '../../../processors/adapters/common.js';
import { cloudEventStructured } from './fixtures.js';
import { events, one, rejection } from './helpers.js';

describe('CloudEvents adapter', () => {
  it('maps structured mode: reverse-DNS type, subject, extensions, traceparent, data', () => {
    const event = one(cloudEventStructured, 'cloudevents');
    expect(event).toMatchObject({
      id: deterministicUuid('cloudevents:https://github.com/cloudevents/spec/pull A234-1234-1234'),
      event_timestamp: '2018-04-05T17:31:00.000Z',
      source: 'https://github.com/cloudevents/spec/pull',
      action: { name: 'github.pull_request.opened', type: 'create' },
      actor: { id: 'u-55', type: 'user' },
      entity: { id: '123', type: 'pull_request', details: { title: 'Fix typo', number: 123 } },
      context: {
        telemetry: { trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' },
        attributes: { 'cloudevents.comexampleextension1': 'value', 'cloudevents.comexampleothervalue': 5, 'cloudevents.datacontenttype': 'application/json' },
      },
    });
  });

  it('maps Kafka binary mode as produced by the cloudevents SDK itself', () => {
    // An explicit time: the SDK's default (the real clock) would be ahead of the fixed ingestion time NOW.
    const ce = new CloudEvent({ id: 'evt-1', source: '/orders', type: 'com.example.order.v1.shipped', subject: 'order-9', time: '2026-11-28T08:59:00.000Z', datacontenttype: 'application/json', data: { userId: 'u-1', carrier: 'ups' } });
    const message = Kafka.binary(ce);
    const headers = Object.fromEntries(Object.entries(message.headers).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    const event = one(JSON.stringify(message.value), 'auto', headers);
    expect(event.action.name).toBe('example.order.shipped');
    expect(event.actor).toEqual({ id: 'u-1', type: 'user' });
    expect(event.entity).toEqual({ id: 'order-9', type: 'order', details: { carrier: 'ups' } });
    expect(event.event_timestamp).toBe(new Date(ce.time as string).toISOString());
  });

  it('without a person in data, the source is a service actor; non-JSON data is an attribute; no time means ingestion time', () => {
    const event = one({ specversion: '1.0', id: '1', source: 'urn:sensor:7', type: 'iot.sensor.reading_taken', data: 'twenty degrees' });
    expect(event.actor).toEqual({ id: 'urn:sensor:7', type: 'service' });
    expect(event.context?.attributes?.['cloudevents.data']).toBe('twenty degrees');
  });

  it('a batch yields many', () => {
    expect(events([cloudEventStructured, { ...cloudEventStructured, id: 'other' }], 'cloudevents')).toHaveLength(2);
  });

  it.each([
    [{ ...cloudEventStructured, specversion: '0.3' }, 'FORMAT_UNKNOWN'],
    [{ ...cloudEventStructured, id: '' }, 'FIELD_INVALID'],
    [{ ...cloudEventStructured, type: 'ping' }, 'EVENT_NAME_INVALID'],
    [{ ...cloudEventStructured, time: 'noon' }, 'TIMESTAMP_INVALID'],
    [{ type: 'a.b.c' }, 'FORMAT_UNKNOWN'],
  ])('rejects %#: %s', (payload, code) => {
    expect(rejection(payload, 'cloudevents').code).toBe(code);
  });
});
