import { describe, expect, it } from 'vitest';
import { isQuintetError } from '../../../core/errors.js';
import type { CanonicalEvent, JsonObject } from '../../../schemas/canonical-event.js';
import { TrackingPlan } from '../../../schemas/tracking-plan.js';
import { CanonicalTranslator } from '../../../processors/adapters/translator.js';

const plan = TrackingPlan.fromJson({
  version: 1,
  events: {
    'analytics.order.completed': {
      description: 'An order was paid',
      properties: {
        properties: { order_id: { type: 'string' }, revenue: { type: 'number', minimum: 0 }, currency: { type: 'string', enum: ['EUR', 'USD'] } },
        required: ['order_id'],
      },
    },
    'analytics.page.viewed': {},
    'aws.*': {},
    'analytics.product.viewed': { properties: { type: 'object', additionalProperties: true } },
  },
});

const event = (name: string, properties?: JsonObject): CanonicalEvent => ({
  id: '0b8a4f7e-3c9d-4e21-9f6a-2d7c5b1e8a90',
  event_timestamp: '2026-11-28T09:01:03.123Z',
  observed_timestamp: '2026-11-28T09:01:04.000Z',
  source: 'web',
  spec_version: '1.0',
  action: { name, type: 'track' },
  actor: { id: 'u', type: 'user' },
  ...(properties === undefined ? {} : { context: { domain_specific: { analytics: { properties } } } }),
});

describe('TrackingPlan', () => {
  it('accepts a planned event whose properties match', () => {
    expect(plan.check(event('analytics.order.completed', { order_id: 'o1', revenue: 3, currency: 'EUR' })).kind).toBe('ok');
  });

  it('rejects an unplanned event', () => {
    expect(plan.check(event('analytics.cart.abandoned'))).toMatchObject({ kind: 'deadLetter', code: 'UNPLANNED_EVENT', path: '/action/name' });
  });

  it('rejects an unplanned property (declared properties close the schema)', () => {
    const result = plan.check(event('analytics.order.completed', { order_id: 'o1', coupon: 'X' }));
    expect(result).toMatchObject({ kind: 'deadLetter', code: 'UNPLANNED_PROPERTY' });
    expect(result.kind === 'deadLetter' && result.message).toContain('"coupon"');
  });

  it('rejects a property of the wrong type or value, naming the path and never the value', () => {
    const result = plan.check(event('analytics.order.completed', { order_id: 'o1', currency: 'secret-currency' }));
    expect(result).toMatchObject({ kind: 'deadLetter', code: 'PROPERTY_INVALID', path: '/context/domain_specific/analytics/properties/currency' });
    expect(JSON.stringify(result)).not.toContain('secret-currency');
    expect(plan.check(event('analytics.order.completed', { order_id: 7 }))).toMatchObject({ code: 'PROPERTY_INVALID' });
  });

  it('treats absent properties as {} (required properties then fail)', () => {
    expect(plan.check(event('analytics.order.completed'))).toMatchObject({ code: 'PROPERTY_INVALID' });
  });

  it('allows families through patterns, and any properties where the schema says so', () => {
    expect(plan.check(event('aws.s3.put_object')).kind).toBe('ok');
    expect(plan.check(event('analytics.page.viewed', { anything: 1 })).kind).toBe('ok');
    expect(plan.check(event('analytics.product.viewed', { anything: 1 })).kind).toBe('ok');
  });

  it.each([
    [null, 'expected a JSON object'],
    [{ events: [] }, '"events"'],
    [{ version: 2, events: {} }, 'version'],
    [{ events: { 'Order Completed': {} } }, 'segments'],
    [{ events: { 'billing.*.x.y': {} } }, 'pattern'],
    [{ events: { 'a.b.c': { properties: { type: 'nonsense' } } } }, 'does not compile'],
  ])('refuses an invalid plan %j', (document, message) => {
    try {
      TrackingPlan.fromJson(document);
      expect.unreachable();
    } catch (error) {
      expect(isQuintetError(error) && error.code).toBe('TRACKING_PLAN_INVALID');
      expect((error as Error).message).toContain(message);
    }
  });

  it('is enforced by the translator', () => {
    const translator = new CanonicalTranslator({ trackingPlan: plan });
    const track = (event: string, properties: JsonObject) =>
      translator.translate({ value: JSON.stringify({ type: 'track', event, userId: 'u1', messageId: 'm', timestamp: '2026-01-01T00:00:00Z', properties }) }, Date.now());
    expect(track('Order Completed', { order_id: 'o1' }).kind).toBe('ok');
    expect(track('Cart Abandoned', {})).toMatchObject({ code: 'UNPLANNED_EVENT', stage: 'validate' });
    expect(track('Order Completed', { order_id: 'o1', extra: true })).toMatchObject({ code: 'UNPLANNED_PROPERTY' });
  });
});
