/**
 * The `domain.entity.action` taxonomy (design Part 4.1).
 *
 * A name is exactly three segments separated by dots; each segment is lowercase snake_case
 * (`[a-z][a-z0-9]*(_[a-z0-9]+)*`, at most 64 characters). Exactly three, never more: routing patterns
 * (`billing.*`, `*.login_failed`) then always know which segment is which, and ClickHouse/Redis read
 * models can split a name into three columns. Vendors' deeper names are folded into three segments by
 * `vendorNameToTaxonomy` below.
 */

export const EVENT_NAME_MAX_LENGTH = 200;
const SEGMENT = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const SEGMENT_MAX_LENGTH = 64;
const FULL_NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

export type NameCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };
const VALID: NameCheck = { ok: true };

/** Checks a canonical event name; the reason never repeats the name (it may come from untrusted input). */
export function validateEventName(name: unknown): NameCheck {
  if (typeof name !== 'string') return { ok: false, reason: 'event name must be a string' };
  if (name.length > EVENT_NAME_MAX_LENGTH) return { ok: false, reason: `event name is longer than ${EVENT_NAME_MAX_LENGTH} characters` };
  if (FULL_NAME.test(name)) {
    // The regex already proves the shape; only the per-segment length remains.
    let start = 0;
    for (let i = 0; i <= name.length; i++) {
      if (i === name.length || name.charCodeAt(i) === 46) {
        if (i - start > SEGMENT_MAX_LENGTH) return { ok: false, reason: `event name segment longer than ${SEGMENT_MAX_LENGTH} characters` };
        start = i + 1;
      }
    }
    return VALID;
  }
  const segments = name.split('.');
  if (segments.length !== 3) return { ok: false, reason: `event name must have exactly 3 dot-separated segments (domain.entity.action), found ${segments.length}` };
  const names = ['domain', 'entity', 'action'];
  for (let i = 0; i < 3; i++) {
    if (!SEGMENT.test(segments[i] as string)) {
      return { ok: false, reason: `event name ${names[i]} segment must be lowercase snake_case starting with a letter` };
    }
  }
  return { ok: false, reason: 'event name is not domain.entity.action' };
}

export const isValidEventName = (name: string): boolean => name.length <= EVENT_NAME_MAX_LENGTH && FULL_NAME.test(name) && validateEventName(name).ok;

/**
 * A routing pattern over event names, compiled once to a RegExp.
 *
 * - `*` stands for exactly one segment: `*.*.liked`, `social.post.*`.
 * - A pattern with fewer than three segments must start or end with `*`, which then stands for all the
 *   missing leading or trailing segments: `billing.*` ≡ `billing.*.*`, `*.login_failed` ≡ `*.*.login_failed`.
 * - `*` alone matches every name.
 */
export class EventNamePattern {
  readonly pattern: string;
  readonly #regex: RegExp;

  private constructor(pattern: string, regex: RegExp) {
    this.pattern = pattern;
    this.#regex = regex;
  }

  /** Throws TypeError for an invalid pattern: patterns come from configuration, not from events. */
  static compile(pattern: string): EventNamePattern {
    const raw = pattern.trim().split('.');
    for (const segment of raw) {
      if (segment !== '*' && !SEGMENT.test(segment)) throw new TypeError(`invalid event name pattern "${pattern}": segment "${segment}"`);
    }
    let segments: string[];
    if (raw.length === 3) segments = raw;
    else if (raw.length > 3) throw new TypeError(`invalid event name pattern "${pattern}": more than 3 segments`);
    else if (raw.length === 1 && raw[0] === '*') segments = ['*', '*', '*'];
    else if (raw[raw.length - 1] === '*') segments = [...raw, ...Array<string>(3 - raw.length).fill('*')];
    else if (raw[0] === '*') segments = [...Array<string>(3 - raw.length).fill('*'), ...raw];
    else throw new TypeError(`invalid event name pattern "${pattern}": fewer than 3 segments needs a leading or trailing *`);
    const source = segments.map((s) => (s === '*' ? '[a-z][a-z0-9_]*' : s)).join('\\.');
    return new EventNamePattern(pattern, new RegExp(`^${source}$`));
  }

  matches(name: string): boolean {
    return this.#regex.test(name);
  }
}

/** Several patterns, e.g. a route's filter list; matches when any does. */
export class EventNamePatternSet {
  readonly #patterns: readonly EventNamePattern[];
  constructor(patterns: readonly string[]) {
    this.#patterns = patterns.map((p) => EventNamePattern.compile(p));
  }
  matches(name: string): boolean {
    for (const pattern of this.#patterns) if (pattern.matches(name)) return true;
    return false;
  }
  get patterns(): readonly string[] {
    return this.#patterns.map((p) => p.pattern);
  }
}

/**
 * One vendor word or phrase → one snake_case segment: `PutObject` → `put_object`,
 * `AssumeRoleWithSAML` → `assume_role_with_saml`, `Order Completed` → `order_completed`,
 * `execute-api` → `execute_api`. Letters outside ASCII are dropped (segments are ASCII by rule).
 */
export function toSnakeSegment(text: string): string {
  const cached = recentSegments.get(text);
  if (cached !== undefined) return cached;
  const segment = snakeCase(text);
  if (recentSegments.size >= RECENT_MAPPINGS_MAX) recentSegments.clear();
  recentSegments.set(text, segment);
  return segment;
}
const recentSegments = new Map<string, string>();

function snakeCase(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export type NameMapping = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly reason: string };

/**
 * Deterministic mapping of a free-text vendor event name into the taxonomy, used by the analytics
 * adapters (Segment, Mixpanel, Amplitude, OTel, CloudEvents):
 *
 * 1. A name that already is `domain.entity.action` is kept as is.
 * 2. A leading `[Tag] ` (Amplitude's `[Amplitude] Page Viewed`) and leading `$` are removed.
 * 3. A dotted name is split on dots and each part made snake_case: three parts are kept, two parts get
 *    `defaultDomain` in front (`order.completed` → `analytics.order.completed`); otherwise rejected.
 * 4. Otherwise the words (spaces, `_`, `-`, camelCase) follow Segment's "Object Action" convention:
 *    the first word is the entity, the remaining words the action (`Order Completed` →
 *    `analytics.order.completed`, `Product Added To Cart` → `analytics.product.added_to_cart`).
 *    A single word has no action and is rejected.
 * 5. The result must pass validateEventName, or the event is rejected with that reason.
 */
export function vendorNameToTaxonomy(raw: string, defaultDomain: string): NameMapping {
  // Vendor names repeat endlessly (a tracking plan has tens to hundreds): remember recent mappings,
  // per domain (a handful), so the lookup key is the raw name itself, not a new concatenated string.
  let byName = recentMappings.get(defaultDomain);
  if (byName === undefined) {
    byName = new Map();
    if (recentMappings.size >= RECENT_DOMAINS_MAX) recentMappings.clear();
    recentMappings.set(defaultDomain, byName);
  }
  const cached = byName.get(raw);
  if (cached !== undefined) return cached;
  const mapped = mapVendorName(raw, defaultDomain);
  if (byName.size >= RECENT_MAPPINGS_MAX) byName.clear();
  byName.set(raw, mapped);
  return mapped;
}

/** Bounded so that a flood of distinct names cannot grow memory: cleared when full. */
const RECENT_MAPPINGS_MAX = 4096;
const RECENT_DOMAINS_MAX = 64;
const recentMappings = new Map<string, Map<string, NameMapping>>();

function mapVendorName(raw: string, defaultDomain: string): NameMapping {
  if (raw.length <= EVENT_NAME_MAX_LENGTH && FULL_NAME.test(raw)) return isValidEventName(raw) ? { ok: true, name: raw } : { ok: false, reason: 'event name segment too long' };
  if (raw.length > EVENT_NAME_MAX_LENGTH * 2) return { ok: false, reason: 'event name too long' };
  const cleaned = raw.replace(/^\s*\[[^\]]*\]\s*/, '').replace(/^\$+/, '');
  let segments: string[];
  if (cleaned.includes('.')) {
    const parts = cleaned
      .split('.')
      .map(toSnakeSegment)
      .filter((s) => s !== '');
    if (parts.length === 3) segments = parts;
    else if (parts.length === 2) segments = [defaultDomain, ...parts];
    else return { ok: false, reason: `dotted event name has ${parts.length} segments; 2 or 3 are needed` };
  } else {
    const words = toSnakeSegment(cleaned).split('_').filter((w) => w !== '');
    if (words.length < 2) return { ok: false, reason: 'event name needs an object and an action ("Object Action"), found one word or none' };
    segments = [defaultDomain, words[0] as string, words.slice(1).join('_')];
  }
  const name = segments.join('.');
  const check = validateEventName(name);
  return check.ok ? { ok: true, name } : { ok: false, reason: `normalized ${check.reason}` };
}
