/**
 * What every adapter shares: the adapter signature, timestamp normalization, deterministic ids,
 * safe readers of untyped input, and the final pruning of empty fields.
 */
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { deadLetter, ok, type DeadLetter, type StepResult } from '../../core/result.js';
import { CANONICAL_SPEC_VERSION, type ActionType, type CanonicalEvent, type JsonObject } from '../../schemas/canonical-event.js';
import { CANONICAL_EVENT_FIELDS, type RecordField } from '../../schemas/canonical-fields.js';
import { isCanonicalTimestampText } from '../../schemas/json-schema.js';
import { vendorNameToTaxonomy } from '../../schemas/taxonomy.js';
import { TranslationReason, TranslationStage } from '../validation/reasons.js';
import { nameBasedUuid } from './name-based-uuid.js';

export const SOURCE_FORMATS = ['segment', 'mixpanel', 'amplitude', 'cloudtrail', 'auth0', 'github', 'otel', 'cloudevents', 'canonical'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

export interface AdapterContext {
  /** Ingestion time (epoch ms), used for observed_timestamp and when the source gives no time. */
  readonly now: number;
  /** `now` as `YYYY-MM-DDTHH:mm:ss.sssZ`. */
  readonly observed: string;
  /** Explicit vendor name → canonical name overrides, applied before the generic normalization. */
  readonly nameOverrides: ReadonlyMap<string, string>;
  /** Kafka/HTTP headers of the record (CloudEvents binary mode). */
  readonly headers: Readonly<Record<string, string>>;
}

/** A pure adapter: one parsed payload → one or more canonical events (not yet validated). */
export type Adapter = (payload: unknown, context: AdapterContext) => StepResult<CanonicalEvent[]>;

/* ------------------------------------------------------------------ reading untyped input */

export type Obj = Record<string, unknown>;
export const isObject = (value: unknown): value is Obj => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A non-empty string, or a finite number as its decimal text (ids are often numbers). */
export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

/** A non-empty plain object as a JsonObject (input is parsed JSON, hence JSON-valued). */
export function jsonObject(value: unknown): JsonObject | undefined {
  if (!isObject(value)) return undefined;
  for (const _ in value) return value as JsonObject;
  return undefined;
}

/** Copies only the listed keys that are present (not undefined/null). */
export function pick(source: Obj, keys: readonly string[]): JsonObject | undefined {
  let out: JsonObject | undefined;
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined && value !== null) (out ??= {})[key] = value as JsonObject[string];
  }
  return out;
}

/** Copies all keys except the listed ones. */
export function omit(source: Obj, keys: ReadonlySet<string>): JsonObject | undefined {
  let out: JsonObject | undefined;
  for (const key in source) {
    if (keys.has(key)) continue;
    const value = source[key];
    if (value !== undefined) (out ??= {})[key] = value as JsonObject[string];
  }
  return out;
}

/**
 * `{ ...first, ...second }` by assignment: V8 takes a slow path (microseconds) for a spread of two
 * sources or a spread followed by more properties. Same keys, order and values as the spread for
 * parsed JSON objects; a `__proto__` key (the limits reject them anyway) is defined, as spread would.
 */
export function mergeJson(first: JsonObject | undefined, second?: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  if (first !== undefined) copyOwn(out, first);
  if (second !== undefined) copyOwn(out, second);
  return out;
}

/**
 * Object.prototype.hasOwnProperty, for for-in loops: called on the for-in object with the for-in key,
 * V8 answers from the enumeration cache without a lookup, which it does not do for Object.hasOwn.
 * Module-local on purpose: an imported binding of it loses that fast path (measured: 60 against 9 ns an object).
 */
const hasOwnProperty = Object.prototype.hasOwnProperty;

function copyOwn(into: JsonObject, source: JsonObject): void {
  for (const key in source) {
    if (!hasOwnProperty.call(source, key)) continue;
    if (key === '__proto__') Object.defineProperty(into, key, { value: source[key], enumerable: true, writable: true, configurable: true });
    else into[key] = source[key] as JsonObject[string];
  }
}

export const ipOrUndefined = (value: unknown): string | undefined => (typeof value === 'string' && isIP(value) !== 0 ? value : undefined);

/**
 * `<format>/<name, URI-encoded>`, the source of formats that name the producing library or app.
 * Remembered (bounded): names repeat, and one string per name also lets the schema check's memo
 * of sources hit without hashing a new string.
 */
export function namedSource(format: SourceFormat, name: string): string {
  let byName = namedSources.get(format);
  if (byName === undefined) namedSources.set(format, (byName = new Map()));
  let source = byName.get(name);
  if (source === undefined) {
    // A lone surrogate (a JSON `\ud800` escape) would make encodeURIComponent throw: it becomes U+FFFD.
    source = `${format}/${encodeURIComponent(toWellFormed(name))}`;
    if (byName.size >= NAMED_SOURCES_MAX) byName.clear();
    byName.set(name, source);
  }
  return source;
}
const namedSources = new Map<SourceFormat, Map<string, string>>();

/** String.prototype.toWellFormed (ES2024; Node 20 has it, the ES2023 lib types do not). */
export const toWellFormed = (text: string): string => (text as unknown as { toWellFormed(): string }).toWellFormed();
const NAMED_SOURCES_MAX = 1024;

/* ------------------------------------------------------------------ timestamps */

const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,12}))?)?)? ?(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;
const MIN_MS = Date.UTC(1000, 0, 1);
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Epoch milliseconds → `YYYY-MM-DDTHH:mm:ss.sssZ`, or undefined outside years 1000–9999. */
export function isoFromMs(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const whole = Math.floor(ms);
  return whole < MIN_MS || whole > MAX_MS ? undefined : utcText(whole);
}

const DAY_MS = 86_400_000;
const digitCode = (n: number): number => 48 + n;

/**
 * What `new Date(ms).toISOString()` gives for years 1000–9999, computed here: the Date and its
 * formatting cost five times this (adapters call it per event with an epoch time). The calendar date
 * is H. Hinnant's days-to-civil algorithm (proleptic Gregorian, as ECMAScript dates); the text is one
 * fromCharCode call, so it is a flat string, not a rope of pieces.
 */
function utcText(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  let time = ms - days * DAY_MS;
  // Days since 0000-03-01, in 400-year eras of 146097 days; the year starts in March (leap day last).
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(time / 3_600_000);
  time -= hour * 3_600_000;
  const minute = Math.floor(time / 60_000);
  time -= minute * 60_000;
  const second = Math.floor(time / 1000);
  const millis = time - second * 1000;
  return String.fromCharCode(
    digitCode(Math.floor(year / 1000)), digitCode(Math.floor(year / 100) % 10), digitCode(Math.floor(year / 10) % 10), digitCode(year % 10), 45,
    digitCode(Math.floor(month / 10)), digitCode(month % 10), 45,
    digitCode(Math.floor(day / 10)), digitCode(day % 10), 84,
    digitCode(Math.floor(hour / 10)), digitCode(hour % 10), 58,
    digitCode(Math.floor(minute / 10)), digitCode(minute % 10), 58,
    digitCode(Math.floor(second / 10)), digitCode(second % 10), 46,
    digitCode(Math.floor(millis / 100)), digitCode(Math.floor(millis / 10) % 10), digitCode(millis % 10), 90,
  );
}

/**
 * Any ISO-8601 date-time text → UTC with milliseconds. Extra fraction digits are truncated (not
 * rounded), a zone offset is applied, and a text without a zone is read as UTC (documented).
 */
export function isoFromText(value: string): string | undefined {
  // The usual form already (one pass, no regex); the same shape with an impossible date is rejected.
  if (isCanonicalTimestampText(value)) return value;
  if (ISO_MS_UTC.test(value)) return undefined;
  const m = ISO.exec(value.trim());
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4] ?? 0);
  const minute = Number(m[5] ?? 0);
  const second = Number(m[6] ?? 0);
  const millis = Number(((m[7] ?? '') + '000').slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (new Date(local).getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z' && zone !== 'UTC') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || '0');
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  return isoFromMs(local - offsetMinutes * 60_000);
}

/** Epoch nanoseconds (OTLP `timeUnixNano`, a decimal string or number) → ISO ms; undefined for 0/absent. */
export function isoFromUnixNano(value: unknown): string | undefined {
  let digits: string;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) digits = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) digits = String(value);
  else return undefined;
  // OTLP times are fixed64: 20 digits may exceed 2^64 - 1 (same-length strings compare numerically).
  if (/^0+$/.test(digits) || (digits.length === 20 && digits > '18446744073709551615')) return undefined;
  const ms = digits.length > 6 ? Number(digits.slice(0, -6)) : 0;
  return isoFromMs(ms);
}

/**
 * A source timestamp: ISO text, or epoch number in `unit`. With `auto`, numbers below 10^11 are
 * seconds (Mixpanel's legacy `time`), others milliseconds: 10^11 s is year 5138, 10^11 ms is 1973.
 */
export function normalizeTimestamp(value: unknown, unit: 'ms' | 's' | 'auto' = 'ms'): string | undefined {
  if (typeof value === 'string') {
    if (/^\d{9,16}(\.\d+)?$/.test(value)) return normalizeTimestamp(Number(value), unit);
    return isoFromText(value);
  }
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    const seconds = unit === 's' || (unit === 'auto' && value < 1e11);
    return isoFromMs(seconds ? value * 1000 : value);
  }
  return undefined;
}

/* ------------------------------------------------------------------ ids */

/** Namespace of Quintet's v5 ids (fixed forever: changing it would change every derived id). */
export const QUINTET_ID_NAMESPACE = '0f5a1d3e-7c2b-5e4a-9b8d-6c1f2e3a4b5c';
const NAMESPACE_BYTES = uuidBytes(QUINTET_ID_NAMESPACE);
const UUID = /^(?:urn:uuid:)?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/** RFC 4122 version-5 (SHA-1, name-based) UUID of `name` in Quintet's namespace. */
export function deterministicUuid(name: string): string {
  return uuidV5(NAMESPACE_BYTES, name);
}

/** RFC 4122 §4.3 name-based UUID, SHA-1 flavour. */
export function uuidV5(namespace: Buffer | string, name: string): string {
  return nameBasedUuid(typeof namespace === 'string' ? uuidBytes(namespace) : namespace, name);
}

/**
 * The canonical id of a source event: the source's own id when it is a UUID (lowercased); a v5 UUID
 * of `<format>:<id>` when it is another id, so redelivery of the same source event gets the same
 * canonical id; a random v4 UUID only when the source has no id at all.
 */
export function eventId(format: SourceFormat, sourceId: unknown): string {
  const id = text(sourceId);
  if (id === undefined) return randomUUID();
  const uuid = UUID.exec(id);
  if (uuid !== null) return (uuid[1] as string).toLowerCase();
  return deterministicUuid(`${format}:${id}`);
}

/* ------------------------------------------------------------------ names and action types */

/** Override first, then the generic vendor-name normalization (schemas/taxonomy.ts). */
export function mapVendorName(raw: unknown, defaultDomain: string, context: AdapterContext, path: string): { name: string } | DeadLetter {
  if (typeof raw !== 'string' || raw.trim() === '') return adaptFailure(TranslationReason.EVENT_NAME_INVALID, 'event name is missing or not a string', path);
  const override = context.nameOverrides.get(raw);
  if (override !== undefined) return { name: override };
  const mapped = vendorNameToTaxonomy(raw, defaultDomain);
  return mapped.ok ? { name: mapped.name } : adaptFailure(TranslationReason.EVENT_NAME_INVALID, mapped.reason, path);
}

const VERB_TYPES: ReadonlyArray<[RegExp, ActionType]> = [
  [/^(create|created|add|added|insert|inserted|upload|uploaded|register|registered|sign_?up|signed_up|invite|invited|submit|submitted|start|started|open|opened|begin|begun)(_|$)/, 'create'],
  [/^(view|viewed|read|get|list|listed|describe|search|searched|download|downloaded|export|exported|clone|cloned|fetch|fetched|lookup|query)(_|$)/, 'read'],
  [/^(update|updated|change|changed|modify|modified|set|edit|edited|rename|renamed|enable|enabled|disable|disabled|complete|completed|transfer|transferred|move|moved|replace|replaced)(_|$)/, 'update'],
  [/^(delete|deleted|remove|removed|destroy|destroyed|archive|archived|terminate|terminated|erase|erased|revoke|revoked|cancel|cancelled|canceled)(_|$)/, 'delete'],
  [/^(login|logout|logged_in|logged_out|log_in|log_out|sign_in|signed_in|sign_out|signed_out|authenticate|authenticated|authorize|authorized|access|accessed|assume|assumed)(_|$)/, 'access'],
  [/^(like|liked|unlike|unliked|comment|commented|share|shared|follow|followed|unfollow|unfollowed|post|posted|mention|mentioned|react|reacted|reply|replied)(_|$)/, 'social'],
];

/** Action type from the action segment of a name (`invoice.created` → create), else `fallback`. */
export function actionTypeFromVerb(action: string, fallback: ActionType): ActionType {
  let type = recentVerbs.get(action);
  if (type === undefined) {
    type = null;
    for (const [pattern, verbType] of VERB_TYPES) {
      if (pattern.test(action)) {
        type = verbType;
        break;
      }
    }
    // Bounded: a flood of distinct verbs cannot grow memory.
    if (recentVerbs.size >= 4096) recentVerbs.clear();
    recentVerbs.set(action, type);
  }
  return type ?? fallback;
}
const recentVerbs = new Map<string, ActionType | null>();

export const lastSegment = (name: string): string => name.slice(name.lastIndexOf('.') + 1);

/* ------------------------------------------------------------------ results */

export const adaptFailure = (code: string, message: string, path?: string): DeadLetter => deadLetter(TranslationStage.adapt, code, message, path);

export const formatMismatch = (format: SourceFormat, why: string): DeadLetter =>
  adaptFailure(TranslationReason.FORMAT_UNKNOWN, `not a ${format} payload: ${why}`);

/* ------------------------------------------------------------------ building the event */

export interface EventDraft {
  id: string;
  event_timestamp: string;
  observed_timestamp: string;
  source: string;
  action: { name: string; type: ActionType };
  actor: CanonicalEvent['actor'];
  entity?: Partial<NonNullable<CanonicalEvent['entity']>> | undefined;
  context?: DraftContext | undefined;
}
type DraftContext = { [K in keyof NonNullable<CanonicalEvent['context']>]?: NonNullable<CanonicalEvent['context']>[K] | undefined };

/**
 * pruneRecord's rules, compiled once: the field kinds by name, so pruning reads no schema object
 * with for-in.
 */
const enum PruneKind {
  String,
  Json,
  Record,
  Other,
}
interface PruneField {
  readonly kind: PruneKind;
  readonly optional: boolean;
  readonly record: PruneRecord | undefined;
  readonly schema: RecordField | undefined;
}
interface PruneRecord {
  readonly fields: ReadonlyMap<string, PruneField>;
  /** The pruned copy of a plain record of this kind (compiledPrunedCopy); sets prunedKeptField. */
  readonly copy: (value: Record<string, unknown>) => Record<string, unknown>;
}

function compilePrune(record: RecordField): PruneRecord {
  const fields = new Map<string, PruneField>();
  for (const name of Object.keys(record.fields)) {
    const field = record.fields[name] as RecordField['fields'][string];
    const kind = field.kind === 'string' ? PruneKind.String : field.kind === 'json' ? PruneKind.Json : field.kind === 'record' ? PruneKind.Record : PruneKind.Other;
    fields.set(name, { kind, optional: field.optional, record: field.kind === 'record' ? compilePrune(field) : undefined, schema: field.kind === 'record' ? field : undefined });
  }
  return { fields, copy: compiledPrunedCopy(fields) };
}

/** Whether the last prunedCopy kept a schema field (a module variable, so no pair is allocated per record). */
let prunedKeptField = false;
const keptField = (): boolean => prunedKeptField;
const setKeptField = (kept: boolean): void => {
  prunedKeptField = kept;
};

/**
 * The pruned copy of a record as code: a copy of an adapter-built record without undefined/null values,
 * empty strings, empty free-form objects and empty optional records, keys in their original order;
 * keys the schema does not know are copied as they are (the schema check rejects them). A copy instead
 * of deleting in place: deleted keys turn V8 objects into slow dictionaries, for every later step as well.
 *
 * For-in over the record with a `switch` on the field names: each known key is told apart without a
 * Map lookup and stored under its constant name (a store with its own inline cache, where one keyed
 * store for every key was megamorphic). Same reads, rules and key order as the loop it replaces.
 */
function compiledPrunedCopy(fields: ReadonlyMap<string, PruneField>): PruneRecord['copy'] {
  const records: PruneField[] = [];
  const cases: string[] = [];
  for (const [name, field] of fields) {
    const key = JSON.stringify(name);
    cases.push(`case ${key}: {`, '  if (child === undefined || child === null) break;');
    switch (field.kind) {
      case PruneKind.Record:
        cases.push(`  const pruned = prunedRecord(record${records.push(field) - 1}, child);`);
        if (field.optional) cases.push('  if (!keptField()) break;');
        cases.push(`  out[${key}] = pruned;`);
        break;
      case PruneKind.Json:
        cases.push('  if (isEmptyObject(child)) break;', `  out[${key}] = child;`);
        break;
      case PruneKind.String:
        cases.push("  if (child === '') break;", `  out[${key}] = child;`);
        break;
      default:
        cases.push(`  out[${key}] = child;`);
    }
    cases.push('  kept = true;', '  break;', '}');
  }
  const body = ['const out = {};', 'let kept = false;', 'for (const key in value) {', '  const child = value[key];', '  switch (key) {', ...cases, '  default:', '    out[key] = child;', '  }', '}', 'setKeptField(kept);', 'return out;'];
  const parameters = ['prunedRecord', 'isEmptyObject', 'keptField', 'setKeptField', ...records.map((_, i) => `record${i}`)];
  const factory = new Function(...parameters, `return function prunedCopy(value) {\n${body.join('\n')}\n};`) as (...dependencies: unknown[]) => PruneRecord['copy'];
  return factory(prunedRecord, isEmptyObject, keptField, setKeptField, ...records);
}

/** An object literal (or null-prototype object) whose keys for-in lists exactly as pruneRecord reads them. */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** The in-place rules, for records an adapter did not build as plain objects (an array, a primitive). */
function pruneRecord(record: RecordField, value: Record<string, unknown>): boolean {
  let kept = false;
  for (const name in record.fields) {
    const child = value[name];
    if (child === undefined || child === null) {
      if (name in value) delete value[name];
      continue;
    }
    const field = record.fields[name];
    if (field?.kind === 'record') {
      if (!pruneRecord(field, child as Record<string, unknown>) && field.optional) {
        delete value[name];
        continue;
      }
    } else if (field?.kind === 'json' && isEmptyObject(child)) {
      delete value[name];
      continue;
    } else if (field?.kind === 'string' && child === '') {
      delete value[name];
      continue;
    }
    kept = true;
  }
  return kept;
}

/** No own enumerable key (as Object.keys(value).length === 0, without allocating the key array). */
function isEmptyObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  for (const key in value) if (hasOwnProperty.call(value, key)) return false;
  return true;
}

/**
 * Drops undefined/null/empty fields and empty optional records, and stamps spec_version. The top
 * level is written out (its keys and their order are this function's own); nested records go through
 * prunedCopy. Same rules as prunedCopy on the whole event, which the translator golden test pins.
 */
export function finishEvent(draft: EventDraft): CanonicalEvent {
  const event: Record<string, unknown> = {};
  if (isKeptString(draft.id)) event.id = draft.id;
  if (isKeptString(draft.event_timestamp)) event.event_timestamp = draft.event_timestamp;
  if (isKeptString(draft.observed_timestamp)) event.observed_timestamp = draft.observed_timestamp;
  if (isKeptString(draft.source)) event.source = draft.source;
  event.spec_version = CANONICAL_SPEC_VERSION;
  if (draft.action !== undefined && draft.action !== null) event.action = prunedRecord(ACTION_PRUNE, draft.action);
  if (draft.actor !== undefined && draft.actor !== null) event.actor = prunedRecord(ACTOR_PRUNE, draft.actor);
  if (draft.entity !== undefined && draft.entity !== null) {
    const entity = prunedRecord(ENTITY_PRUNE, draft.entity);
    if (prunedKeptField) event.entity = entity;
  }
  if (draft.context !== undefined && draft.context !== null) {
    const context = prunedRecord(CONTEXT_PRUNE, draft.context);
    if (prunedKeptField) event.context = context;
  }
  return event as unknown as CanonicalEvent;
}

/** A string-kind field is dropped when undefined, null or empty (whatever its type otherwise). */
const isKeptString = (value: unknown): boolean => value !== undefined && value !== null && value !== '';

/** One record field of the event, pruned as prunedCopy would; sets prunedKeptField. */
function prunedRecord(field: PruneField, value: unknown): unknown {
  if (isPlainRecord(value)) return (field.record as PruneRecord).copy(value);
  prunedKeptField = pruneRecord(field.schema as RecordField, value as Record<string, unknown>);
  return value;
}

const EVENT_PRUNE = compilePrune(CANONICAL_EVENT_FIELDS);
const pruneFieldOf = (name: string): PruneField => EVENT_PRUNE.fields.get(name) as PruneField;
const ACTION_PRUNE = pruneFieldOf('action');
const ACTOR_PRUNE = pruneFieldOf('actor');
const ENTITY_PRUNE = pruneFieldOf('entity');
const CONTEXT_PRUNE = pruneFieldOf('context');

/**
 * `key, value, key, value, …` → an object of the scalar values only (non-empty strings, finite
 * numbers, booleans), keys as given. Alternating arguments instead of pairs: one array per call.
 */
export function scalarAttributes(...keysAndValues: unknown[]): JsonObject {
  const into: JsonObject = {};
  for (let i = 0; i + 1 < keysAndValues.length; i += 2) putScalar(into, keysAndValues[i] as string, keysAndValues[i + 1]);
  return into;
}

/** scalarAttributes' rule for one pair, for hot adapters that fill the object without the argument array. */
export function putScalar(into: JsonObject, key: string, value: unknown): void {
  if (typeof value === 'string' ? value !== '' : typeof value === 'number' ? Number.isFinite(value) : typeof value === 'boolean') {
    into[key] = value as string | number | boolean;
  }
}

/** Stands in for an absent nested object of the input: reads of it give undefined, and none is allocated. */
export const NO_FIELDS: Readonly<Obj> = Object.freeze({});

/**
 * Vendors send one event or a batch of them (Segment `batch`, Amplitude `events`, CloudTrail `Records`,
 * a JSON array of Auth0 logs, GitHub entries or Mixpanel events). A batch is all-or-nothing: its first
 * bad element rejects the record, named by its path (`Records[3].eventTime`).
 *
 * `batchField` names the field holding the batch; undefined means the payload itself is an array.
 */
export function adaptOneOrBatch(
  payload: unknown,
  batchField: string | undefined,
  emptyMessage: string,
  adaptOne: (item: unknown, at: string) => StepResult<CanonicalEvent>,
): StepResult<CanonicalEvent[]> {
  const items = batchField === undefined ? (Array.isArray(payload) ? payload : undefined) : isObject(payload) && Array.isArray(payload[batchField]) ? (payload[batchField] as unknown[]) : undefined;
  if (items === undefined) {
    const one = adaptOne(payload, '');
    return one.kind === 'ok' ? ok([one.value]) : one;
  }
  if (items.length === 0) return adaptFailure(TranslationReason.EMPTY_BATCH, emptyMessage, batchField);
  const events: CanonicalEvent[] = [];
  for (let i = 0; i < items.length; i++) {
    const one = adaptOne(items[i], `${batchField ?? ''}[${i}].`);
    if (one.kind !== 'ok') return one;
    events.push(one.value);
  }
  return ok(events);
}
