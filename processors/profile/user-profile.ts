/**
 * The user profile and the state-at-the-time pattern (design Part 1.1).
 *
 * `identify`-style events (canonical action type `identify`: Segment identify, Amplitude $identify,
 * Mixpanel $identify) state facts about their actor. After the PII vault step, their PII traits are
 * vault tokens (or gone); the traits on the allow-list that are plain, non-PII values update the actor's
 * profile, keyed by pseudonym. Every event of that actor is then stamped with
 * `context.domain_specific.analytics.user_state_snapshot`: the profile as it stood at the event's
 * `event_timestamp` (a stream–table join against a versioned table).
 *
 * Versioning: a profile keeps its last `maxVersions` updates with their event times; older ones are
 * folded into a base. The snapshot at time t is the base plus every update with time ≤ t, applied in
 * time order (ties in arrival order), so an update that happened after an event never shows in it, even
 * when the update is processed first. A time older than the base's horizon has no known state: the
 * event gets no snapshot (like a Kafka Streams versioned store past its history retention).
 *
 * Never in a profile: a key off the allow-list; a key the PII policy treats as personal data; a vault
 * token; an e-mail-shaped string; a non-scalar value; a string longer than `maxValueLength`.
 */
import type { CanonicalEvent, JsonObject } from '../../schemas/canonical-event.js';
import { DEFAULT_PII_POLICY, keyAction, looksLikeEmail, normalizeKey, type PiiPolicy } from '../pseudonymization/pii-policy.js';

/** A profile's traits: scalar values only. */
export type ProfileTraits = Record<string, string | number | boolean>;

/** One identify, as it changes the profile: traits set, and traits unset (sent as null). */
export interface ProfileUpdate {
  /** Event time, epoch ms. */
  readonly at: number;
  readonly set: ProfileTraits;
  readonly unset: readonly string[];
}

/** The stored value of the profile table (JSON in the store and its changelog; no raw identifier). */
export interface UserProfile {
  /** Fold of the updates dropped from `updates`; valid from `baseAt` on. */
  readonly base: ProfileTraits;
  /** Event time of the newest folded update; null while nothing was folded (the base is then empty and valid forever). */
  readonly baseAt: number | null;
  /** Newest updates, sorted by `at` (stable: equal times keep arrival order). */
  readonly updates: readonly ProfileUpdate[];
}

export interface ProfilePolicy {
  /** Trait keys (compared after normalizeKey: lower case, alphanumerics only) that may enter a profile. */
  readonly allowedTraits: readonly string[];
  /** Updates kept per profile before the oldest are folded into the base (default 16). */
  readonly maxVersions: number;
  /** Longest string value kept (default 256); longer ones are left out. */
  readonly maxValueLength: number;
}

/**
 * The default allow-list: the stateful, non-identifying user properties of the analytics platforms'
 * examples (plan, signup type, A/B group, role, locale...). Deployments extend or replace it with
 * `profile.traits` (QUINTET_PROFILE_TRAITS).
 */
export const DEFAULT_PROFILE_TRAITS: readonly string[] = [
  'plan',
  'payment_plan',
  'subscription_plan',
  'subscription_status',
  'signup_type',
  'signup_source',
  'ab_test_group',
  'experiment_group',
  'cohort',
  'role',
  'account_type',
  'account_status',
  'tier',
  'industry',
  'company_size',
  'language',
  'locale',
  'timezone',
  'country',
  'created_at',
];

export const DEFAULT_PROFILE_POLICY: ProfilePolicy = { allowedTraits: DEFAULT_PROFILE_TRAITS, maxVersions: 16, maxValueLength: 256 };

export function defineProfilePolicy(overrides: Partial<ProfilePolicy> = {}): ProfilePolicy {
  const policy = { ...DEFAULT_PROFILE_POLICY, ...overrides };
  if (!Number.isInteger(policy.maxVersions) || policy.maxVersions < 1) throw new RangeError('profile maxVersions must be a positive integer');
  if (!Number.isInteger(policy.maxValueLength) || policy.maxValueLength < 1) throw new RangeError('profile maxValueLength must be a positive integer');
  return policy;
}

const VAULT_TOKEN = /^pii:ps_/;
const ACTOR_DETAILS = 'actor.details';

/** True for the events that update their actor's profile. */
export const isIdentifyEvent = (event: CanonicalEvent): boolean => event.action.type === 'identify';

/** Event time of a canonical event in epoch ms (validated ISO-8601 upstream), or undefined. */
export function eventTimeMs(event: CanonicalEvent): number | undefined {
  const ms = Date.parse(event.event_timestamp);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The profile change an identify event carries, read from its pseudonymized `actor.details`; undefined
 * when it changes nothing. `piiPolicy` is the vault step's policy: a key it acts on is never a trait.
 */
export function profileUpdateOf(event: CanonicalEvent, at: number, policy: ProfilePolicy, piiPolicy: PiiPolicy = DEFAULT_PII_POLICY): ProfileUpdate | undefined {
  const details = event.actor.details;
  if (details === undefined) return undefined;
  const allowed = allowedKeys(policy);
  const set: ProfileTraits = {};
  const unset: string[] = [];
  for (const key of Object.keys(details)) {
    if (!allowed.has(normalizeKey(key))) continue;
    const action = keyAction(piiPolicy, ACTOR_DETAILS, key);
    if (action !== undefined && action !== 'keep') continue;
    const value = details[key];
    if (value === null) unset.push(key);
    else if (isTraitValue(value, policy)) set[key] = value;
  }
  return Object.keys(set).length === 0 && unset.length === 0 ? undefined : { at, set, unset };
}

function isTraitValue(value: unknown, policy: ProfilePolicy): value is string | number | boolean {
  if (typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'string') return false;
  return value.length <= policy.maxValueLength && !VAULT_TOKEN.test(value) && !looksLikeEmail(value);
}

const allowedCache = new WeakMap<ProfilePolicy, ReadonlySet<string>>();
function allowedKeys(policy: ProfilePolicy): ReadonlySet<string> {
  let keys = allowedCache.get(policy);
  if (keys === undefined) {
    keys = new Set(policy.allowedTraits.map(normalizeKey));
    allowedCache.set(policy, keys);
  }
  return keys;
}

const applyTo = (traits: ProfileTraits, update: ProfileUpdate): void => {
  for (const key of update.unset) delete traits[key];
  Object.assign(traits, update.set);
};

/** The profile with `update` inserted at its event time, the oldest updates folded beyond `maxVersions`. */
export function applyProfileUpdate(profile: UserProfile | undefined, update: ProfileUpdate, policy: ProfilePolicy): UserProfile {
  const current = profile ?? { base: {}, baseAt: null, updates: [] };
  // An update older than the folded horizon can no longer be placed in time: it only fills keys that
  // nothing newer speaks of (the base does not remember which keys its folded updates unset).
  if (current.baseAt !== null && update.at < current.baseAt) {
    const base = { ...current.base };
    for (const [key, value] of Object.entries(update.set)) {
      if (!(key in base) && !current.updates.some((u) => key in u.set || u.unset.includes(key))) base[key] = value;
    }
    return { base, baseAt: current.baseAt, updates: current.updates };
  }
  const updates = [...current.updates];
  let index = updates.length;
  while (index > 0 && (updates[index - 1] as ProfileUpdate).at > update.at) index--;
  updates.splice(index, 0, update);
  let base = current.base;
  let baseAt = current.baseAt;
  if (updates.length > policy.maxVersions) {
    base = { ...base };
    for (const folded of updates.splice(0, updates.length - policy.maxVersions)) {
      applyTo(base, folded);
      baseAt = folded.at;
    }
  }
  return { base, baseAt, updates };
}

/** The profile's traits as they stood at `at` (epoch ms); undefined when unknown or empty. */
export function profileSnapshotAt(profile: UserProfile | undefined, at: number): JsonObject | undefined {
  if (profile === undefined) return undefined;
  if (profile.baseAt !== null && at < profile.baseAt) return undefined;
  const traits: ProfileTraits = { ...profile.base };
  for (const update of profile.updates) {
    if (update.at > at) break;
    applyTo(traits, update);
  }
  return Object.keys(traits).length === 0 ? undefined : traits;
}
