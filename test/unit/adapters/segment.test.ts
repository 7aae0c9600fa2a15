import { describe, expect, it } from 'vitest';
import { deterministicUuid } from '../../../processors/adapters/common.js';
import { segmentAnonymousPage, segmentIdentify, segmentTrack } from './fixtures.js';
import { NOW_ISO, events, one, rejection } from './helpers.js';

describe('Segment adapter', () => {
  it('maps a track call with its context fields', () => {
    const event = one(segmentTrack, 'segment');
    expect(event).toEqual({
      id: deterministicUuid('segment:ajs-f8ca1e4de5024d9430b3928bd8ac6b96'),
      event_timestamp: '2015-12-12T19:11:01.249Z',
      observed_timestamp: NOW_ISO,
      source: 'segment/analytics.js',
      spec_version: '1.0',
      action: { name: 'analytics.course.clicked', type: 'track' },
      actor: { id: 'AiUGstSDIg', type: 'user', details: { email: 'peter@example.com', plan: 'premium', anonymous_id: '507f191e810c19729de860ea' } },
      entity: { id: 'c-42', type: 'course' },
      context: {
        client: {
          ip_address: '8.8.8.8',
          user_agent: segmentTrack.context.userAgent,
        },
        domain_specific: { analytics: { properties: { title: 'Intro to Analytics', course_id: 'c-42' } } },
        attributes: {
          'segment.type': 'track',
          'library.name': 'analytics.js',
          'library.version': '2.11.1',
          'page.path': '/academy/',
          'page.url': 'https://segment.com/academy/',
          locale: 'en-US',
        },
      },
    });
  });

  it('maps identify: traits become actor details, the name is analytics.user.identified, a UUID messageId is kept', () => {
    const event = one(segmentIdentify);
    expect(event.id).toBe('022bb90c-bbac-11e4-8dfc-aa07a5b093db');
    expect(event.action).toEqual({ name: 'analytics.user.identified', type: 'identify' });
    expect(event.actor).toEqual({ id: '97980cfea0067', type: 'user', details: { ...segmentIdentify.traits, anonymous_id: '507f191e810c19729de860ea' } });
    expect(event.entity).toEqual({ type: 'user' });
  });

  it('an anonymousId-only page call has an anonymous actor, and the zone offset is normalized to UTC', () => {
    const event = one(segmentAnonymousPage);
    expect(event.actor).toEqual({ id: '507f191e810c19729de860ea', type: 'anonymous' });
    expect(event.action.name).toBe('analytics.page.viewed');
    expect(event.event_timestamp).toBe('2015-02-23T21:28:55.111Z');
    expect(event.context?.domain_specific?.analytics?.properties).toMatchObject({ name: 'Home', category: 'Docs' });
  });

  it('a batch yields one event per message, in order', () => {
    const all = events({ batch: [segmentTrack, segmentIdentify, segmentAnonymousPage] });
    expect(all.map((e) => e.action.name)).toEqual(['analytics.course.clicked', 'analytics.user.identified', 'analytics.page.viewed']);
  });

  it('the same message redelivered gets the same id; a message without id gets a random one', () => {
    expect(one(segmentTrack).id).toBe(one(segmentTrack).id);
    const { messageId: _, ...withoutId } = segmentTrack;
    expect(one(withoutId).id).not.toBe(one(withoutId).id);
  });

  it('falls back to originalTimestamp, then to the ingestion time', () => {
    const { timestamp: _t, receivedAt: _r, sentAt: _s, ...rest } = segmentTrack;
    expect(one(rest).event_timestamp).toBe('2015-12-12T19:11:01.152Z');
    const { originalTimestamp: _o, ...none } = rest;
    expect(one(none).event_timestamp).toBe(NOW_ISO);
  });

  it('drops a client IP that is not an IP address', () => {
    const event = one({ ...segmentTrack, context: { ...segmentTrack.context, ip: 'not-an-ip' } });
    expect(event.context?.client?.ip_address).toBeUndefined();
  });

  it.each([
    [{ ...segmentTrack, userId: undefined, anonymousId: undefined }, 'ACTOR_MISSING'],
    [{ ...segmentTrack, event: 'Purchase' }, 'EVENT_NAME_INVALID'],
    [{ ...segmentTrack, event: 42 }, 'EVENT_NAME_INVALID'],
    [{ ...segmentTrack, timestamp: 'yesterday at noon' }, 'TIMESTAMP_INVALID'],
    [{ ...segmentTrack, type: 'frobnicate' }, 'FORMAT_UNKNOWN'],
    [{ batch: [] }, 'EMPTY_BATCH'],
  ])('rejects %#: %s', (payload, code) => {
    expect(rejection(payload, 'segment', 'peter@example.com').code).toBe(code);
  });

  it('a bad message in a batch rejects the batch and names its index', () => {
    const result = rejection({ batch: [segmentTrack, { ...segmentTrack, timestamp: 'nope' }] }, 'segment');
    expect(result).toMatchObject({ code: 'TIMESTAMP_INVALID', path: 'batch[1].timestamp' });
  });

  it('a library name with a lone surrogate (a JSON escape) gives a U+FFFD source instead of throwing', () => {
    const event = one('{"type":"track","event":"Course Clicked","userId":"u","context":{"library":{"name":"js\\ud800"}}}');
    expect(event.source).toBe('segment/js%EF%BF%BD');
  });
});
