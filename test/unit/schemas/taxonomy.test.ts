import { describe, expect, it } from 'vitest';
import { EventNamePattern, EventNamePatternSet, toSnakeSegment, validateEventName, vendorNameToTaxonomy } from '../../../schemas/taxonomy.js';

describe('validateEventName', () => {
  it.each(['billing.invoice.created', 'auth.user.login_failed', 'aws.s3.put_object', 'a.b.c', 'x1.y2.z3_4'])('accepts %s', (name) => {
    expect(validateEventName(name)).toEqual({ ok: true });
  });

  it.each([
    ['billing.invoice', 'exactly 3'],
    ['billing.invoice.created.v2', 'exactly 3'],
    ['Billing.invoice.created', 'domain segment'],
    ['billing.Invoice.created', 'entity segment'],
    ['billing.invoice.created_', 'action segment'],
    ['billing.invoice.payment__failed', 'action segment'],
    ['billing.1invoice.created', 'entity segment'],
    ['billing..created', 'entity segment'],
    ['billing.invoice.cré', 'action segment'],
    ['', 'exactly 3'],
    [`a.b.${'c'.repeat(65)}`, 'longer than 64'],
    [`a.b.${'c'.repeat(300)}`, 'longer than 200'],
  ])('rejects %j with a reason naming %s', (name, reason) => {
    const check = validateEventName(name);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toContain(reason);
  });

  it('rejects non-strings and never echoes the name', () => {
    expect(validateEventName(42)).toEqual({ ok: false, reason: 'event name must be a string' });
    const check = validateEventName('secret@example.com');
    expect(check.ok ? '' : check.reason).not.toContain('secret');
  });
});

describe('EventNamePattern', () => {
  const cases: Array<[string, string, boolean]> = [
    ['billing.*', 'billing.invoice.created', true],
    ['billing.*', 'billing.payment.failed', true],
    ['billing.*', 'auth.user.login_failed', false],
    ['*.login_failed', 'auth.user.login_failed', true],
    ['*.login_failed', 'auth.admin.login_failed', true],
    ['*.login_failed', 'auth.user.login_failed_twice', false],
    ['social.post.*', 'social.post.liked', true],
    ['social.post.*', 'social.comment.liked', false],
    ['*.*.liked', 'social.post.liked', true],
    ['*.*.liked', 'social.post.unliked', false],
    ['*', 'any.thing.here', true],
    ['billing.invoice.created', 'billing.invoice.created', true],
    ['billing.invoice.created', 'billing.invoice.created2', false],
    ['billing.*.created', 'billing.invoice.created', true],
  ];
  it.each(cases)('%s matches %s: %s', (pattern, name, expected) => {
    expect(EventNamePattern.compile(pattern).matches(name)).toBe(expected);
  });

  it.each(['billing.invoice', 'Billing.*', 'a.b.c.d', 'billing.**', 'billing.inv*'])('rejects the invalid pattern %s', (pattern) => {
    expect(() => EventNamePattern.compile(pattern)).toThrow(TypeError);
  });

  it('a set matches when any pattern does', () => {
    const set = new EventNamePatternSet(['billing.*', '*.login_failed']);
    expect(set.matches('billing.invoice.sent')).toBe(true);
    expect(set.matches('auth.user.login_failed')).toBe(true);
    expect(set.matches('auth.user.login_succeeded')).toBe(false);
    expect(set.patterns).toEqual(['billing.*', '*.login_failed']);
  });
});

describe('vendor name normalization', () => {
  it.each([
    ['PutObject', 'put_object'],
    ['AssumeRoleWithSAML', 'assume_role_with_saml'],
    ['GetObjectACL', 'get_object_acl'],
    ['ListBucketsV2', 'list_buckets_v2'],
    ['execute-api', 'execute_api'],
    ['Order Completed', 'order_completed'],
    ['  spaced  out ', 'spaced_out'],
  ])('toSnakeSegment(%s) = %s', (input, expected) => {
    expect(toSnakeSegment(input)).toBe(expected);
  });

  it.each([
    ['Order Completed', 'analytics.order.completed'],
    ['Product Added To Cart', 'analytics.product.added_to_cart'],
    ['order_completed', 'analytics.order.completed'],
    ['play song', 'analytics.play.song'],
    ['[Amplitude] Page Viewed', 'analytics.page.viewed'],
    ['$mp_web_page_view', 'analytics.mp.web_page_view'],
    ['order.completed', 'analytics.order.completed'],
    ['billing.invoice.created', 'billing.invoice.created'],
    ['Billing.Invoice.Created', 'billing.invoice.created'],
    ['signUp', 'analytics.sign.up'],
  ])('%s → %s', (raw, expected) => {
    expect(vendorNameToTaxonomy(raw, 'analytics')).toEqual({ ok: true, name: expected });
  });

  it.each(['Purchase', '', '$', 'a.b.c.d', '404 Page Viewed', '注文 完了'])('rejects %j with a reason', (raw) => {
    const mapped = vendorNameToTaxonomy(raw, 'analytics');
    expect(mapped.ok).toBe(false);
  });
});
