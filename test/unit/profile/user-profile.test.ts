/** The versioned user profile (pure logic of the state-at-the-time pattern). */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.js';
import {
  applyProfileUpdate,
  DEFAULT_PROFILE_TRAITS,
  defineProfilePolicy,
  profileSnapshotAt,
  profileUpdateOf,
  type ProfileUpdate,
  type UserProfile,
} from '../../../processors/profile/user-profile.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';

const identifyWith = (details: CanonicalEvent['actor']['details']): CanonicalEvent => ({
  id: '00000000-0000-4000-8000-000000000000',
  event_timestamp: '2026-11-28T09:00:00.000Z',
  observed_timestamp: '2026-11-28T09:00:00.000Z',
  source: 'test',
  spec_version: '1.0',
  action: { name: 'analytics.user.identified', type: 'identify' },
  actor: { type: 'user', pseudonym: 'ps_aaaaaaaaaaaaaaaaaaaaaaaaaa', ...(details === undefined ? {} : { details }) },
});
const update = (at: number, set: ProfileUpdate['set'], unset: string[] = []): ProfileUpdate => ({ at, set, unset });

describe('user profile', () => {
  it('reads only allow-listed scalar traits that are not PII, and null as unset', () => {
    const policy = defineProfilePolicy({ allowedTraits: ['plan', 'Email', 'seats', 'beta', 'tags', 'note', 'phone_number', 'old'] });
    const event = identifyWith({
      plan: 'pro',
      email: 'pii:ps_aaaaaaaaaaaaaaaaaaaaaaaaaa:aaaaaaaaaaaaaaaaaaaa',
      seats: 12,
      beta: true,
      tags: ['a'],
      note: 'x'.repeat(300),
      phone_number: '555', // PII by key name, whatever the allow-list says
      old: null,
      unlisted: 'x',
    });
    expect(profileUpdateOf(event, 5, policy)).toEqual({ at: 5, set: { plan: 'pro', seats: 12, beta: true }, unset: ['old'] });
    expect(profileUpdateOf(identifyWith({ unlisted: 'x' }), 5, policy)).toBeUndefined();
    expect(profileUpdateOf(identifyWith(undefined), 5, policy)).toBeUndefined();
  });

  it('answers the state at any time from its versions, whatever the arrival order', () => {
    const policy = defineProfilePolicy();
    let profile: UserProfile | undefined;
    for (const u of [update(30, { plan: 'team' }), update(10, { plan: 'free', role: 'a' }), update(20, { plan: 'pro' }, ['role'])]) profile = applyProfileUpdate(profile, u, policy);
    expect(profileSnapshotAt(profile, 5)).toBeUndefined();
    expect(profileSnapshotAt(profile, 10)).toEqual({ plan: 'free', role: 'a' });
    expect(profileSnapshotAt(profile, 25)).toEqual({ plan: 'pro' });
    expect(profileSnapshotAt(profile, 99)).toEqual({ plan: 'team' });
  });

  it('folds the oldest versions beyond maxVersions and knows nothing before the fold', () => {
    const policy = defineProfilePolicy({ maxVersions: 2 });
    let profile: UserProfile | undefined;
    for (const [at, plan] of [[10, 'a'], [20, 'b'], [30, 'c'], [40, 'd']] as const) profile = applyProfileUpdate(profile, update(at, { plan, [`k${at}`]: at }), policy);
    expect(profile?.updates.map((u) => u.at)).toEqual([30, 40]);
    expect(profile?.baseAt).toBe(20);
    expect(profileSnapshotAt(profile, 15)).toBeUndefined();
    expect(profileSnapshotAt(profile, 25)).toEqual({ plan: 'b', k10: 10, k20: 20 });
    expect(profileSnapshotAt(profile, 45)).toEqual({ plan: 'd', k10: 10, k20: 20, k30: 30, k40: 40 });
    // A very late update only fills keys nothing newer speaks of.
    profile = applyProfileUpdate(profile, update(5, { plan: 'old', region: 'eu' }), policy);
    expect(profileSnapshotAt(profile, 45)).toMatchObject({ plan: 'd', region: 'eu' });
  });

  it('the configuration default is the documented allow-list', () => {
    expect(loadConfig({ env: {} }).profile.traits).toEqual(DEFAULT_PROFILE_TRAITS);
  });
});
