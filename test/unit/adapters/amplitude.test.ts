import { describe, expect, it } from 'vitest';
import { amplitudeEvent } from './fixtures.js';
import { events, NOW_ISO, one, rejection } from './helpers.js';

describe('Amplitude adapter', () => {
  it('maps an HTTP V2 event: properties with revenue fields, user properties as actor details, device fields as attributes', () => {
    const event = one(amplitudeEvent, 'amplitude');
    expect(event).toMatchObject({
      id: '5f0adeff-6668-4427-8d02-57d803a2b841',
      event_timestamp: '2014-04-01T19:42:58.123Z',
      source: 'amplitude/iOS',
      action: { name: 'analytics.watch.tutorial', type: 'track' },
      actor: { id: '203201202', type: 'user', details: { ...amplitudeEvent.user_properties, device_id: amplitudeEvent.device_id } },
      context: {
        client: { ip_address: '127.0.0.1', session_id: '1396381378123' },
        domain_specific: {
          analytics: {
            properties: { ...amplitudeEvent.event_properties, price: 4.99, quantity: 3, revenue: -1.99, productId: 'Google Pay Store Product Id', revenueType: 'Refund' },
          },
        },
        attributes: { 'app.version': '2.1.3', platform: 'iOS', 'os.name': 'Android', 'device.model': 'iPhone 9,1', 'geo.city': 'San Francisco', 'amplitude.event_id': 23 },
      },
    });
  });

  it('does not copy advertising ids or precise location (not in the mapping)', () => {
    const text = JSON.stringify(one(amplitudeEvent));
    for (const value of [amplitudeEvent.idfa, amplitudeEvent.idfv, String(amplitudeEvent.location_lat)]) expect(text).not.toContain(value);
  });

  it('a device-only event is anonymous; session -1 means no session; no time means ingestion time', () => {
    const event = one({ device_id: 'dev-1', event_type: 'App Opened', session_id: -1 });
    expect(event.actor).toEqual({ id: 'dev-1', type: 'anonymous' });
    expect(event.context?.client).toBeUndefined();
    expect(event.event_timestamp).toBe(NOW_ISO);
  });

  it('an upload body yields every event and never keeps the api_key', () => {
    const all = events({ api_key: 'secret-api-key-123', events: [amplitudeEvent, { ...amplitudeEvent, insert_id: 'other' }] });
    expect(all).toHaveLength(2);
    expect(JSON.stringify(all)).not.toContain('secret-api-key-123');
  });

  it('$identify maps to analytics.user.identified', () => {
    expect(one({ user_id: 'u', event_type: '$identify', user_properties: { $set: { plan: 'pro' } } }).action).toEqual({ name: 'analytics.user.identified', type: 'identify' });
  });

  it.each([
    [{ event_type: 'Song Played', time: 1396381378123 }, 'ACTOR_MISSING'],
    [{ user_id: 'u', event_type: 'Song Played', time: 'soon' }, 'TIMESTAMP_INVALID'],
    [{ user_id: 'u', event_type: 'Played' }, 'EVENT_NAME_INVALID'],
    [{ api_key: 'k', events: [] }, 'EMPTY_BATCH'],
  ])('rejects %#: %s', (payload, code) => {
    expect(rejection(payload, 'amplitude').code).toBe(code);
  });
});
