import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../schemas/canonical-event.js';
import { deterministicUuid, eventId, mergeJson, namedSource, uuidV5, isoFromText, isoFromUnixNano, normalizeTimestamp } from '../../../processors/adapters/common.js';

describe('timestamp normalization', () => {
  it.each([
    ['2026-11-28T09:01:03.123Z', '2026-11-28T09:01:03.123Z'],
    ['2026-11-28T09:01:03Z', '2026-11-28T09:01:03.000Z'],
    ['2026-11-28T09:01:03.1Z', '2026-11-28T09:01:03.100Z'],
    ['2026-11-28T09:01:03.123456789Z', '2026-11-28T09:01:03.123Z'],
    ['2026-11-28T09:01:03.999999Z', '2026-11-28T09:01:03.999Z'],
    ['2026-11-28T10:01:03.123+01:00', '2026-11-28T09:01:03.123Z'],
    ['2026-11-28T04:31:03.123-0430', '2026-11-28T09:01:03.123Z'],
    ['2026-11-28T00:30:00+05', '2026-11-27T19:30:00.000Z'],
    ['2026-11-28 09:01:03', '2026-11-28T09:01:03.000Z'],
    ['2026-11-28T09:01', '2026-11-28T09:01:00.000Z'],
    ['2026-11-28', '2026-11-28T00:00:00.000Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
  ])('%s → %s', (input, expected) => {
    expect(isoFromText(input)).toBe(expected);
  });

  it.each(['2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-28T24:00:00Z', '2026-11-28T09:60:00Z', 'yesterday', '', '0999-01-01T00:00:00Z', '2026-11-28T09:01:03+25:00'])(
    'rejects %j',
    (input) => {
      expect(isoFromText(input)).toBeUndefined();
    },
  );

  it('reads epoch numbers in the declared unit, and auto-detects seconds below 1e11', () => {
    expect(normalizeTimestamp(1618716477000)).toBe('2021-04-18T03:27:57.000Z');
    expect(normalizeTimestamp(1618716477, 's')).toBe('2021-04-18T03:27:57.000Z');
    expect(normalizeTimestamp(1618716477, 'auto')).toBe('2021-04-18T03:27:57.000Z');
    expect(normalizeTimestamp(1618716477.5, 'auto')).toBe('2021-04-18T03:27:57.500Z');
    expect(normalizeTimestamp('1618716477000')).toBe('2021-04-18T03:27:57.000Z');
    expect(normalizeTimestamp(-1)).toBeUndefined();
    expect(normalizeTimestamp(1e20)).toBeUndefined();
    expect(normalizeTimestamp(true)).toBeUndefined();
  });

  it('reads OTLP nanoseconds exactly, without float rounding', () => {
    expect(isoFromUnixNano('1544712660300999999')).toBe('2018-12-13T14:51:00.300Z');
    expect(isoFromUnixNano('0')).toBeUndefined();
    expect(isoFromUnixNano('12x')).toBeUndefined();
    expect(isoFromUnixNano(1_000_000_000_000_000)).toBe('1970-01-12T13:46:40.000Z');
  });
});

describe('event ids', () => {
  it('keeps a source UUID (lowercased, urn prefix removed)', () => {
    expect(eventId('segment', '022BB90C-BBAC-11E4-8DFC-AA07A5B093DB')).toBe('022bb90c-bbac-11e4-8dfc-aa07a5b093db');
    expect(eventId('cloudevents', 'urn:uuid:022bb90c-bbac-11e4-8dfc-aa07a5b093db')).toBe('022bb90c-bbac-11e4-8dfc-aa07a5b093db');
  });

  it('derives a deterministic RFC 4122 v5 UUID from format and id', () => {
    const id = eventId('github', 'LwW2vpJZCDS-WUmo9Z-ifw');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventId('github', 'LwW2vpJZCDS-WUmo9Z-ifw')).toBe(id);
    expect(eventId('auth0', 'LwW2vpJZCDS-WUmo9Z-ifw')).not.toBe(id);
    expect(eventId('amplitude', 42)).toBe(deterministicUuid('amplitude:42'));
  });

  it('matches the RFC 4122 v5 construction (known vector: DNS namespace, "python.org")', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(deterministicUuid('x')).toBe(uuidV5('0f5a1d3e-7c2b-5e4a-9b8d-6c1f2e3a4b5c', 'x'));
    expect(deterministicUuid('x')).not.toBe(deterministicUuid('y'));
  });

  it('generates a random v4 UUID only when the source has no id', () => {
    const a = eventId('otel', undefined);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
    expect(eventId('otel', '')).not.toBe(a);
  });
});

describe('mergeJson', () => {
  it('equals a spread of both objects: keys, order (integer keys first), values, overwrites in place', () => {
    const object = fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.nat(20).map(String)), fc.jsonValue({ maxDepth: 1 })) as fc.Arbitrary<JsonObject>;
    fc.assert(
      fc.property(fc.option(object, { nil: undefined }), fc.option(object, { nil: undefined }), (first, second) => {
        const merged = mergeJson(first, second);
        const spread = { ...first, ...second };
        expect(Object.keys(merged)).toEqual(Object.keys(spread));
        expect(merged).toStrictEqual(spread);
      }),
      { numRuns: 500 },
    );
  });

  it('defines an own "__proto__" key like a spread, never sets the prototype', () => {
    const first = JSON.parse('{"a":1,"__proto__":{"polluted":true}}') as JsonObject;
    const merged = mergeJson(first, { b: 2 });
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.keys(merged)).toEqual(Object.keys({ ...first, b: 2 }));
    expect((merged as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('namedSource', () => {
  it('URI-encodes the name; a lone surrogate becomes U+FFFD instead of throwing', () => {
    expect(namedSource('segment', 'analytics.js')).toBe('segment/analytics.js');
    expect(namedSource('segment', 'my app')).toBe('segment/my%20app');
    expect(namedSource('mixpanel', 'a\ud800')).toBe('mixpanel/a%EF%BF%BD');
  });
});
