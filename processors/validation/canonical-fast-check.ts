/**
 * A fast, one-sided form of the canonical JSON Schema: `isSurelyCanonical(event)` returns true only
 * for events the ajv validator (schemas/json-schema.ts) accepts too. It returns false for anything it
 * is not sure of, and the validator then runs ajv, which decides and words the error: accept/reject
 * decisions, reason codes and messages therefore stay ajv's (test/unit/validation/canonical-fast-check.test.ts).
 *
 * Why: ajv runs two regexes per id and per timestamp, the RFC 3986 regex per source and a closure per
 * format call; here each string is one pass over its characters, and sources, which repeat endlessly,
 * are looked up in a bounded memo of the very `uri-reference` check ajv uses.
 *
 * Derived from CANONICAL_EVENT_FIELDS like the schema; the one rule the schema adds by hand (an actor
 * is identified unless anonymous, canonicalEventJsonSchema) is repeated in checkActor.
 */
import { CANONICAL_EVENT_FIELDS, type Field, type RecordField } from '../../schemas/canonical-fields.js';
import { canonicalStringFormat, isCanonicalTimestampText } from '../../schemas/json-schema.js';
import { EVENT_NAME_MAX_LENGTH } from '../../schemas/taxonomy.js';

const enum Check {
  String,
  Uuid,
  Timestamp,
  UriReference,
  Ip,
  EventName,
  TraceId,
  SpanId,
  Enum,
  Number,
  Integer,
  JsonObject,
  Record,
}

interface CompiledField {
  readonly check: Check;
  readonly required: boolean;
  readonly values?: ReadonlySet<string>;
  readonly record?: CompiledRecord;
}

interface CompiledRecord {
  readonly fields: ReadonlyMap<string, CompiledField>;
  readonly requiredCount: number;
  /** checkRecord of this record, compiled (compiledRecordCheck). */
  readonly check: (value: Record<string, unknown>) => boolean;
}

function compileField(field: Field): CompiledField {
  const required = !field.optional;
  switch (field.kind) {
    case 'string':
      return { required, check: STRING_CHECKS[field.format] };
    case 'enum':
      return { required, check: Check.Enum, values: new Set(field.values) };
    case 'number':
      return { required, check: Check.Number };
    case 'integer':
      return { required, check: Check.Integer };
    case 'json':
      return { required, check: Check.JsonObject };
    case 'record':
      return { required, check: Check.Record, record: compileRecord(field) };
  }
}

const STRING_CHECKS = {
  none: Check.String,
  uuid: Check.Uuid,
  timestamp: Check.Timestamp,
  'uri-reference': Check.UriReference,
  ip: Check.Ip,
  'event-name': Check.EventName,
  'trace-id': Check.TraceId,
  'span-id': Check.SpanId,
} as const;

function compileRecord(record: RecordField): CompiledRecord {
  const fields = new Map<string, CompiledField>();
  let requiredCount = 0;
  for (const name of Object.keys(record.fields)) {
    const field = compileField(record.fields[name] as Field);
    fields.set(name, field);
    if (field.required) requiredCount++;
  }
  return { fields, requiredCount, check: compiledRecordCheck(fields, requiredCount, record === CANONICAL_EVENT_FIELDS.fields.actor) };
}

/**
 * The record check as code: for-in over the record's keys, as ajv's additionalProperties loop (inherited
 * enumerable keys count as well), each key told apart by a `switch` on the field names instead of a
 * Map lookup per key (the largest cost of the check); then the field's value check, the required count
 * and, for the actor, checkActor. Same decisions as the loop over `fields` it replaces.
 */
function compiledRecordCheck(fields: ReadonlyMap<string, CompiledField>, requiredCount: number, isActor: boolean): CompiledRecord['check'] {
  const constants: CompiledField[] = [];
  const cases: string[] = [];
  for (const [name, field] of fields) {
    const index = constants.push(field) - 1;
    cases.push(
      `case ${JSON.stringify(name)}: {`,
      '  const child = value[key];',
      '  if (child === undefined) break;',
      field.required ? '  required++;' : '',
      `  if (!(${checkExpression(field, index)})) return false;`,
      '  break;',
      '}',
    );
  }
  const body = [
    'let required = 0;',
    'for (const key in value) {',
    '  switch (key) {',
    ...cases,
    '  default:',
    '    return false;',
    '  }',
    '}',
    `if (required !== ${requiredCount}) return false;`,
    isActor ? 'return checkActor(value);' : 'return true;',
  ];
  const parameters = ['checkValue', 'checkActor', 'isLowercaseUuid', 'isCanonicalTimestampText', ...constants.map((_, i) => `field${i}`)];
  const factory = new Function(...parameters, `return function checkRecord(value) {\n${body.join('\n')}\n};`) as (...dependencies: unknown[]) => CompiledRecord['check'];
  return factory(checkValue, checkActor, isLowercaseUuid, isCanonicalTimestampText, ...constants);
}

/** checkValue(field, child) as an expression, written out for the checks of every event (no dispatch on the kind). */
function checkExpression(field: CompiledField, index: number): string {
  switch (field.check) {
    case Check.String:
      return "typeof child === 'string'";
    case Check.Uuid:
      return "typeof child === 'string' && isLowercaseUuid(child)";
    case Check.Timestamp:
      return "typeof child === 'string' && isCanonicalTimestampText(child)";
    default:
      return `checkValue(field${index}, child)`;
  }
}

/** `true` only when ajv's canonical validator surely accepts `event` (see the file comment). */
export function isSurelyCanonical(event: unknown): boolean {
  return isPlainObject(event) && EVENT.check(event);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** canonicalEventJsonSchema's if/else: unless `type` is `anonymous`, `id` or `pseudonym` is present. */
function checkActor(actor: Record<string, unknown>): boolean {
  return actor.type === 'anonymous' || actor.id !== undefined || actor.pseudonym !== undefined;
}

function checkValue(field: CompiledField, value: unknown): boolean {
  switch (field.check) {
    case Check.Record:
      return isPlainObject(value) && (field.record as CompiledRecord).check(value);
    case Check.JsonObject:
      return isPlainObject(value);
    case Check.Number:
      return typeof value === 'number' && Number.isFinite(value);
    case Check.Integer:
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER;
    case Check.Enum:
      return typeof value === 'string' && (field.values as ReadonlySet<string>).has(value);
    default:
      return typeof value === 'string' && checkString(field.check, value);
  }
}

function checkString(check: Check, value: string): boolean {
  switch (check) {
    case Check.String:
      return true;
    case Check.Uuid:
      return isLowercaseUuid(value);
    case Check.Timestamp:
      return isCanonicalTimestampText(value);
    case Check.UriReference:
      // maxLength counts code points, never more than UTF-16 units: within 2048 units is within the limit.
      return value.length >= 1 && value.length <= 2048 && isUriReference(value);
    case Check.Ip:
      return isIpAddress(value);
    case Check.EventName:
      return value.length <= EVENT_NAME_MAX_LENGTH && EVENT_NAME.test(value);
    case Check.TraceId:
      return value.length === 32 && isLowercaseHex(value, 0, 32);
    case Check.SpanId:
      return value.length === 16 && isLowercaseHex(value, 0, 16);
    default:
      return false;
  }
}

const EVENT_NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

function isLowercaseHex(value: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** UUID_PATTERN (which implies ajv's case-insensitive `uuid` format). */
function isLowercaseUuid(value: string): boolean {
  return (
    value.length === 36 &&
    value.charCodeAt(8) === 45 &&
    value.charCodeAt(13) === 45 &&
    value.charCodeAt(18) === 45 &&
    value.charCodeAt(23) === 45 &&
    isLowercaseHex(value, 0, 8) &&
    isLowercaseHex(value, 9, 13) &&
    isLowercaseHex(value, 14, 18) &&
    isLowercaseHex(value, 19, 23) &&
    isLowercaseHex(value, 24, 36)
  );
}

const uriReferenceFormat = canonicalStringFormat('uri-reference');
const isIpAddress = canonicalStringFormat('ipv4-or-ipv6');

/** Bounded memo of the `uri-reference` check: a flood of distinct sources cannot grow memory. */
const knownSources = new Map<string, boolean>();
const KNOWN_SOURCES_MAX = 4096;

function isUriReference(value: string): boolean {
  let known = knownSources.get(value);
  if (known === undefined) {
    known = uriReferenceFormat(value);
    if (knownSources.size >= KNOWN_SOURCES_MAX) knownSources.clear();
    knownSources.set(value, known);
  }
  return known;
}

const EVENT = compileRecord(CANONICAL_EVENT_FIELDS);
