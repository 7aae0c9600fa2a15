import { describe, expect, it } from 'vitest';
import { mixpanelTrack } from './fixtures.js';
import { events, one, rejection } from './helpers.js';

describe('Mixpanel adapter', () => {
  it('maps a track event; the project token never survives', () => {
    const event = one(mixpanelTrack, 'mixpanel');
    expect(event).toMatchObject({
      id: '935d87b1-00cd-41b7-be34-b9d98dd08b42',
      event_timestamp: '2021-04-18T03:27:57.000Z',
      source: 'mixpanel/web',
      action: { name: 'analytics.signed.up', type: 'track' },
      actor: { id: '91304156-cafc-4673-a237-623d1129c801', type: 'user' },
      context: {
        client: { ip_address: '136.24.0.114' },
        domain_specific: { analytics: { properties: { 'Referred by': 'Friend', URL: 'mixpanel.com/signup' } } },
        attributes: { 'library.name': 'web', 'browser.name': 'Chrome' },
      },
    });
    expect(JSON.stringify(event)).not.toContain(mixpanelTrack.properties.token);
  });

  it('reads time in seconds (legacy) as well as milliseconds', () => {
    expect(one({ ...mixpanelTrack, properties: { ...mixpanelTrack.properties, time: 1618716477 } }).event_timestamp).toBe('2021-04-18T03:27:57.000Z');
  });

  it('a device-only distinct_id is an anonymous actor; $user_id wins over distinct_id', () => {
    const anon = one({ event: 'Page Viewed', properties: { distinct_id: '$device:abc', $device_id: 'abc', time: 1618716477000 } });
    expect(anon.actor).toEqual({ id: '$device:abc', type: 'anonymous', details: { device_id: 'abc' } });
    const user = one({ event: 'Page Viewed', properties: { distinct_id: '$device:abc', $device_id: 'abc', $user_id: 'u-1', time: 1618716477000 } });
    expect(user.actor).toEqual({ id: 'u-1', type: 'user', details: { device_id: 'abc' } });
  });

  it('finds the entity from <entity>_id properties', () => {
    const event = one({ event: 'Song Played', properties: { distinct_id: 'u', time: 1618716477000, song_id: 's-9', artist_id: 'a-1' } });
    expect(event.entity).toEqual({ id: 's-9', type: 'song' });
  });

  it('an array of events yields many', () => {
    expect(events([mixpanelTrack, mixpanelTrack], 'mixpanel')).toHaveLength(2);
  });

  it.each([
    [{ event: 'Signed up', properties: { time: 1618716477000 } }, 'ACTOR_MISSING'],
    [{ event: 'Signed up', properties: { distinct_id: 'x', time: 'not a time' } }, 'TIMESTAMP_INVALID'],
    [{ event: 'Signup', properties: { distinct_id: 'x' } }, 'EVENT_NAME_INVALID'],
    [{ event: 'Signed up' }, 'FORMAT_UNKNOWN'],
  ])('rejects %#: %s', (payload, code) => {
    expect(rejection(payload, 'mixpanel').code).toBe(code);
  });
});
