/**
 * Deterministic synthetic canonical events (already pseudonymized) for the analytics contract tests
 * and benchmarks: a seeded mix of page views, logins (some failed), invoices, likes and unlikes, with
 * durations on some, spread over a time range. Same seed, same events.
 *
 * Two orders: `random` (times uniformly at random over the range: a shuffled backfill, the worst case
 * for time-bucketed tables) and `log` (times rising with the position, as on a canonical topic, which
 * is in arrival order, with a share of late events as real clients and retries produce).
 */
import type { CanonicalEvent } from '../../schemas/canonical-event.js';

export interface SyntheticOptions {
  readonly count: number;
  readonly startMs: number;
  /** Events are spread over [startMs, startMs + spanMs). */
  readonly spanMs: number;
  /** `random` (default): uniformly at random; `log`: in time order with `lateShare` of events late. */
  readonly order?: 'random' | 'log';
  /** With `log`: the share of events whose time is up to `maxLatenessMs` before their position. */
  readonly lateShare?: number;
  readonly maxLatenessMs?: number;
  readonly seed?: number;
  readonly actors?: number;
  readonly posts?: number;
}

const ACTIONS = [
  { name: 'app.page.viewed', type: 'read' },
  { name: 'app.page.viewed', type: 'read' },
  { name: 'auth.user.logged_in', type: 'access' },
  { name: 'auth.user.login_failed', type: 'access' },
  { name: 'billing.invoice.created', type: 'create' },
  { name: 'social.post.liked', type: 'social' },
  { name: 'social.post.liked', type: 'social' },
  { name: 'social.post.unliked', type: 'social' },
] as const;
const SOURCES = ['web', 'api-gateway', 'billing-service', 'auth0'];

/** mulberry32: a tiny seeded PRNG, good enough for test data. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The time of event `i` in log order: its share of the range, or earlier by up to the lateness bound. */
function logTime(options: SyntheticOptions, i: number, random: () => number): number {
  const onTime = options.startMs + Math.floor((i * options.spanMs) / options.count);
  if (random() >= (options.lateShare ?? 0.02)) return onTime;
  return Math.max(options.startMs, onTime - Math.floor(random() * (options.maxLatenessMs ?? 600_000)));
}

export function* syntheticEvents(options: SyntheticOptions): Generator<CanonicalEvent> {
  const random = prng(options.seed ?? 1);
  const actors = options.actors ?? 500;
  const posts = options.posts ?? 200;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  for (let i = 0; i < options.count; i += 1) {
    const action = pick(ACTIONS);
    const at = options.order === 'log' ? logTime(options, i, random) : options.startMs + Math.floor(random() * options.spanMs);
    const social = action.name.startsWith('social.');
    const failed = action.name.endsWith('.login_failed') || random() < 0.02;
    const event: CanonicalEvent = {
      id: `00000000-0000-4000-8000-${(options.seed ?? 1).toString(16).padStart(4, '0').slice(-4)}${i.toString(16).padStart(8, '0')}`,
      event_timestamp: new Date(at).toISOString(),
      observed_timestamp: new Date(at + 50).toISOString(),
      source: pick(SOURCES),
      spec_version: '1.0',
      action: { name: action.name, type: action.type },
      actor: { type: 'user', pseudonym: `ps_${Math.floor(random() * actors).toString(36)}` },
      entity: social ? { type: 'post', id: `post-${Math.floor(random() * posts)}` } : { type: 'page', id: `/p/${Math.floor(random() * 50)}` },
      context: {
        status: failed ? 'FAILURE' : 'SUCCESS',
        ...(failed ? { error: { code: 'E_DENIED' } } : {}),
        ...(random() < 0.6 ? { telemetry: { duration_ms: Math.round(random() * 2000 * 100) / 100, trace_id: i.toString(16).padStart(32, '0') } } : {}),
      },
    };
    yield event;
  }
}
