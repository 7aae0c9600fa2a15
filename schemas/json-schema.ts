/**
 * The canonical event's JSON Schema (draft-07), generated from CANONICAL_EVENT_FIELDS, and its
 * precompiled ajv validator. Records are closed (`additionalProperties: false`): a typo in a canonical
 * producer is an error, not a silently ignored field.
 */
import { isIP } from 'node:net';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { CANONICAL_EVENT_FIELDS, type Field, type RecordField } from './canonical-fields.js';

// ajv-formats is CommonJS with a default export; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv,
  formats: string[],
) => Ajv;

export const TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$';
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const SEGMENT = '[a-z][a-z0-9]*(?:_[a-z0-9]+)*';
export const EVENT_NAME_PATTERN = `^${SEGMENT}\\.${SEGMENT}\\.${SEGMENT}$`;

type JsonSchema = Record<string, unknown>;

function schemaOf(field: Field): JsonSchema {
  const base: JsonSchema = { description: field.doc };
  switch (field.kind) {
    case 'string':
      switch (field.format) {
        case 'uuid':
          return { ...base, type: 'string', format: 'uuid', pattern: UUID_PATTERN };
        case 'timestamp':
          return { ...base, type: 'string', format: 'date-time', pattern: TIMESTAMP_PATTERN };
        case 'uri-reference':
          return { ...base, type: 'string', format: 'uri-reference', minLength: 1, maxLength: 2048 };
        case 'ip':
          return { ...base, type: 'string', format: 'ipv4-or-ipv6' };
        case 'event-name':
          return { ...base, type: 'string', pattern: EVENT_NAME_PATTERN, maxLength: 200 };
        case 'trace-id':
          return { ...base, type: 'string', pattern: '^[0-9a-f]{32}$' };
        case 'span-id':
          return { ...base, type: 'string', pattern: '^[0-9a-f]{16}$' };
        case 'none':
          return { ...base, type: 'string' };
      }
      break;
    case 'number':
      return { ...base, type: 'number' };
    case 'integer':
      return { ...base, type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
    case 'enum':
      return { ...base, type: 'string', enum: [...field.values] };
    case 'json':
      return { ...base, type: 'object' };
    case 'record':
      return recordSchema(field);
  }
}

function recordSchema(record: RecordField): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(record.fields)) {
    properties[name] = schemaOf(field);
    if (!field.optional) required.push(name);
  }
  const schema: JsonSchema = { description: record.doc, type: 'object', properties, additionalProperties: false };
  if (required.length > 0) schema.required = required;
  return schema;
}

/** The canonical event JSON Schema (draft-07). */
export function canonicalEventJsonSchema(): JsonSchema {
  const schema = recordSchema(CANONICAL_EVENT_FIELDS);
  const actor = (schema.properties as Record<string, JsonSchema>).actor as JsonSchema;
  // An actor is identified (raw id before the vault, pseudonym after) unless it is anonymous and
  // the source gave nothing to identify it by (e.g. a failed login with no user).
  actor.if = { properties: { type: { const: 'anonymous' } }, required: ['type'] };
  actor.else = { anyOf: [{ required: ['id'] }, { required: ['pseudonym'] }] };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://quintet.dev/schemas/canonical-event.json',
    title: 'CanonicalActivityEvent',
    ...schema,
  };
}

/** A configured ajv instance: draft-07, strict, with the formats the canonical schema uses. */
export function createAjv(): Ajv {
  const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: false, allowUnionTypes: true });
  addFormats(ajv, ['date-time', 'uuid', 'uri-reference', 'uri', 'email', 'ipv4', 'ipv6', 'date', 'time']);
  ajv.addFormat('ipv4-or-ipv6', { type: 'string', validate: (value: string) => isIP(value) !== 0 });
  return ajv;
}

let compiled: ValidateFunction | undefined;

/** Replaces `format: date-time` by `canonical-timestamp` in a schema tree (copy). */
function withFastTimestamps(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withFastTimestamps);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = key === 'format' && value === 'date-time' ? 'canonical-timestamp' : withFastTimestamps(value);
  return out;
}

const digitsAt = (text: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
};

/**
 * Calendar check of a string already shaped as `YYYY-MM-DDTHH:mm:ss.sssZ` (by the pattern, or by
 * isCanonicalTimestampText): year ≥ 1000, a real month and day, hours < 24, minutes and seconds < 60.
 * No Date and no closure: it runs twice per event.
 */
export function isCanonicalTimestamp(value: string): boolean {
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 7);
  const day = digitsAt(value, 8, 10);
  if (year < 1000 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= monthDays && digitsAt(value, 11, 13) < 24 && digitsAt(value, 14, 16) < 60 && digitsAt(value, 17, 19) < 60;
}

/** Stands for a non-digit: larger than any field value, and small integers throughout (no doubles). */
const NOT_A_DIGIT = 10_000;

/**
 * TIMESTAMP_PATTERN and isCanonicalTimestamp in one pass over the characters, written out position by
 * position (it runs twice per event): the separators first, then each field's digits as its value.
 */
export function isCanonicalTimestampText(value: string): boolean {
  if (
    value.length !== 24 ||
    value.charCodeAt(4) !== 45 /* - */ ||
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 84 /* T */ ||
    value.charCodeAt(13) !== 58 /* : */ ||
    value.charCodeAt(16) !== 58 ||
    value.charCodeAt(19) !== 46 /* . */ ||
    value.charCodeAt(23) !== 90 /* Z */
  ) {
    return false;
  }
  // A field with a non-digit comes out at NOT_A_DIGIT or more, beyond every upper bound checked below.
  const year = twoDigits(value, 0) * 100 + twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  if (year < 1000 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= monthDays && twoDigits(value, 11) < 24 && twoDigits(value, 14) < 60 && twoDigits(value, 17) < 60 && twoDigits(value, 20) * 10 + digit(value, 22) <= 999;
}

/** The ASCII digit at `at` as 0-9, else NOT_A_DIGIT. */
function digit(value: string, at: number): number {
  const d = value.charCodeAt(at) - 48;
  return d >= 0 && d <= 9 ? d : NOT_A_DIGIT;
}

function twoDigits(value: string, at: number): number {
  return digit(value, at) * 10 + digit(value, at + 1);
}

/**
 * The precompiled validator, built on first use and shared. Identical to canonicalEventJsonSchema()
 * except that timestamps, which the pattern already pins to `YYYY-MM-DDTHH:mm:ss.sssZ`, get a
 * calendar check of that one shape instead of the general RFC 3339 `date-time` parser (hot path).
 */
export function canonicalEventValidator(): ValidateFunction {
  if (compiled === undefined) {
    const ajv = createAjv();
    ajv.addFormat('canonical-timestamp', { type: 'string', validate: isCanonicalTimestamp });
    compiled = ajv.compile(withFastTimestamps(canonicalEventJsonSchema()) as Record<string, unknown>);
    compiledFormats = ajv.formats;
  }
  return compiled;
}
let compiledFormats: Ajv['formats'] | undefined;

/**
 * The very check the canonical validator applies for a string `format` (`uri-reference`,
 * `ipv4-or-ipv6`, …), so that a faster validator can reuse it and stay exactly equivalent.
 */
export function canonicalStringFormat(name: string): (value: string) => boolean {
  canonicalEventValidator();
  const format = compiledFormats?.[name];
  if (format instanceof RegExp) return (value) => format.test(value);
  if (typeof format === 'function') return format as (value: string) => boolean;
  if (format !== undefined && typeof format === 'object' && 'validate' in format) {
    const validate = format.validate;
    if (validate instanceof RegExp) return (value) => validate.test(value);
    if (typeof validate === 'function' && format.async !== true) return validate as (value: string) => boolean;
  }
  throw new TypeError(`the canonical validator has no synchronous string format "${name}"`);
}

/** One PII-free sentence from an ajv error: names the JSON path and the rule, never the value. */
export function describeAjvError(error: ErrorObject | undefined): { path: string; message: string } {
  if (error === undefined) return { path: '', message: 'does not match the canonical schema' };
  const path = error.instancePath === '' ? '/' : error.instancePath;
  if (error.keyword === 'additionalProperties') {
    const extra = String((error.params as { additionalProperty?: unknown }).additionalProperty ?? '');
    // The property name comes from input: show it only when it is a plain identifier.
    const shown = /^[A-Za-z0-9_]{1,64}$/.test(extra) ? ` "${extra}"` : '';
    return { path, message: `${path}: unknown property${shown}` };
  }
  return { path, message: `${path}: ${error.message ?? error.keyword}` };
}
