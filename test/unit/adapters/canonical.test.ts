import { describe, expect, it } from 'vitest';
import { canonicalEvent } from './fixtures.js';
import { NOW_ISO, one, rejection, translate } from './helpers.js';

describe('canonical passthrough', () => {
  it('keeps the event, sets observed_timestamp to the ingestion time', () => {
    const event = one({ ...canonicalEvent, observed_timestamp: '1999-01-01T00:00:00.000Z' }, 'canonical');
    expect(event).toEqual({ ...canonicalEvent, observed_timestamp: NOW_ISO });
  });

  it('normalizes the timestamp precision and zone, lowercases the id, fills spec_version', () => {
    const { spec_version: _, ...withoutVersion } = canonicalEvent;
    const event = one({ ...withoutVersion, id: canonicalEvent.id.toUpperCase(), event_timestamp: '2026-11-28T10:01:03.123456789+01:00' });
    expect(event.event_timestamp).toBe('2026-11-28T09:01:03.123Z');
    expect(event.id).toBe(canonicalEvent.id);
    expect(event.spec_version).toBe('1.0');
  });

  it.each([
    [{ ...canonicalEvent, action: { name: 'Billing Invoice Created', type: 'create' } }, 'EVENT_NAME_INVALID', '/action/name'],
    [{ ...canonicalEvent, action: { name: 'billing.invoice.created', type: 'made' } }, 'SCHEMA_INVALID', '/action/type'],
    [{ ...canonicalEvent, id: 'not-a-uuid' }, 'SCHEMA_INVALID', '/id'],
    [{ ...canonicalEvent, actor: { type: 'user' } }, 'SCHEMA_INVALID', '/actor'],
    [{ ...canonicalEvent, actor: { id: 'u', email: 'jane@example.com' } }, 'SCHEMA_INVALID', '/actor'],
    [{ ...canonicalEvent, spec_version: '2.0' }, 'SCHEMA_INVALID', 'spec_version'],
    [{ ...canonicalEvent, event_timestamp: 'soon' }, 'TIMESTAMP_INVALID', 'event_timestamp'],
  ])('rejects %#: %s at %s, never echoing values', (payload, code, path) => {
    const result = rejection(payload, 'canonical', 'jane@example.com');
    expect(result.code).toBe(code);
    expect(result.path).toBe(path);
  });

  it('an array of canonical events yields many; one bad element rejects the record and names the element', () => {
    expect(translate([canonicalEvent, canonicalEvent], 'canonical')).toMatchObject({ kind: 'ok' });
    const result = translate([canonicalEvent, { ...canonicalEvent, id: 'bad' }], 'canonical');
    expect(result).toMatchObject({ kind: 'deadLetter', code: 'SCHEMA_INVALID' });
    expect(result.kind === 'deadLetter' && result.message).toMatch(/^event 1:/);
  });
});
