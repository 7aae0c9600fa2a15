/**
 * The canonical event's Avro schema (wire format of the canonical topic), generated from
 * CANONICAL_EVENT_FIELDS, and the conversions between a CanonicalEvent (+ ChainLink) and an Avro record.
 *
 * Choices (see docs/canonical-model.md):
 * - Record `io.quintet.CanonicalEvent`; nested records are named `io.quintet.<Name>` (Action, Actor, …).
 * - Every optional field is `["null", T]` with default null, so adding an optional field stays
 *   BACKWARD and FORWARD compatible.
 * - Enumerations (action.type, actor.type, status) are Avro strings, validated by the JSON Schema: an
 *   Avro enum would make every new value a breaking change for old readers.
 * - Free-form objects (details, audit request/response, analytics properties/snapshot, attributes)
 *   are JSON text (`string`, doc says "JSON-encoded object"). Avro cannot type arbitrary JSON without a
 *   recursive union that is slower to encode and awkward in every consumer; ClickHouse and Redis read
 *   models store them as JSON anyway.
 * - Timestamps stay ISO-8601 strings (`YYYY-MM-DDTHH:mm:ss.sssZ`) so that the Avro record, the JSON
 *   form and the hash-chain serialization carry the very same text.
 * - The hash-chain link is an optional `chain` field (record `io.quintet.ChainLink`) at the end of the
 *   event record: the chain engineer hashes the event without it and then sets it; one subject,
 *   one schema, and readers that do not care about the chain ignore it.
 */
import avro from 'avsc';
import type { CanonicalEvent, ChainLink } from './canonical-event.js';
import { AVRO_NAMESPACE, CANONICAL_EVENT_FIELDS, CHAIN_LINK_FIELDS, type Field, type RecordField } from './canonical-fields.js';

type AvroSchema = string | Record<string, unknown> | Array<AvroSchema>;

function avroTypeOf(field: Field): AvroSchema {
  switch (field.kind) {
    case 'string':
    case 'enum':
    case 'json':
      return 'string';
    case 'number':
      return 'double';
    case 'integer':
      return 'long';
    case 'record':
      return avroRecord(field);
  }
}

function fieldDoc(field: Field): string {
  if (field.kind === 'json') return `${field.doc} JSON-encoded object.`;
  if (field.kind === 'enum') return `${field.doc} One of: ${field.values.join(', ')} (more may be added).`;
  return field.doc;
}

function avroRecord(record: RecordField, extra: Array<Record<string, unknown>> = []): Record<string, unknown> {
  const fields = Object.entries(record.fields).map(([name, field]) => {
    const type = avroTypeOf(field);
    return field.optional ? { name, type: ['null', type], default: null, doc: fieldDoc(field) } : { name, type, doc: fieldDoc(field) };
  });
  return { type: 'record', name: record.avroName, namespace: AVRO_NAMESPACE, doc: record.doc, fields: [...fields, ...extra] };
}

/** The Avro schema of the canonical topic's values: the event plus its optional chain link. */
export function canonicalEventAvroSchema(): Record<string, unknown> {
  return avroRecord(CANONICAL_EVENT_FIELDS, [
    { name: 'chain', type: ['null', avroRecord(CHAIN_LINK_FIELDS)], default: null, doc: CHAIN_LINK_FIELDS.doc },
  ]);
}

export const CANONICAL_AVRO_FULL_NAME = `${AVRO_NAMESPACE}.${CANONICAL_EVENT_FIELDS.avroName}`;

let avroType: avro.Type | undefined;
/** The avsc Type of canonicalEventAvroSchema(), built once. */
export function canonicalAvroType(): avro.Type {
  avroType ??= avro.Type.forSchema(canonicalEventAvroSchema() as avro.Schema);
  return avroType;
}

/** A canonical event as stored on the canonical topic: the event and, once chained, its link. */
export interface CanonicalEnvelope {
  readonly event: CanonicalEvent;
  readonly chain?: ChainLink;
}

type AvroValue = string | number | null | { [key: string]: AvroValue };

type RecordCopy = (value: Record<string, unknown>) => Record<string, unknown>;

/**
 * The statement for a present free-form field (`child` neither undefined nor null) of a compiled copy;
 * records are copied by their own compiled copy and other values as they are, in every copy.
 */
type FreeFormField = (key: string) => string;

/**
 * A copy of one record kind as straight-line code compiled once from its fields: for each field in
 * order, `child = value["name"]`, then, if it is neither undefined nor null, its copy (`freeForm`'s
 * statement for a free-form field), else `absent`'s. A loop over `record.fields` read every member of every event by a variable key, a
 * megamorphic lookup each; a constant name is cached per site (the wire form of 8 k generator and 4 k
 * Segment events took 0.89 -> 0.34 us each). The same members in the same order as that loop, so the same
 * objects. Names are the schema's own (JSON-quoted in the code): nothing from events goes into it.
 */
function compileRecordCopy(record: RecordField, freeForm: FreeFormField, absent: (key: string) => string): RecordCopy {
  const nested: RecordCopy[] = [];
  const body = ['const out = {};', 'let child;'];
  for (const name of Object.keys(record.fields)) {
    const field = record.fields[name] as Field;
    const key = JSON.stringify(name);
    let present: string;
    if (field.kind === 'record') {
      nested.push(compileRecordCopy(field, freeForm, absent));
      present = `out[${key}] = nested${nested.length - 1}(child);`;
    } else {
      present = field.kind === 'json' ? freeForm(key) : `out[${key}] = child;`;
    }
    body.push(`child = value[${key}];`, `if (child === undefined || child === null) {${absent(key)}} else {${present}}`);
  }
  body.push('return out;');
  const parameters = ['isJsonData', 'jsonRoundTrip', ...nested.map((_, i) => `nested${i}`)];
  const factory = new Function(...parameters, `return function copyRecord(value) {\n${body.join('\n')}\n};`) as (...dependencies: unknown[]) => RecordCopy;
  return factory(isJsonData, jsonRoundTrip, ...nested);
}

/**
 * The wire form (canonicalWireForm): absent fields left out, free-form values as they are when they are
 * JSON data, else through jsonRoundTrip (left out if that gives undefined). Parsed input is almost always
 * JSON data already: then the value itself is what a reader decodes, and copying it (the clone was a
 * tenth of the chain step's allocation) changes nothing.
 */
const wireFreeForm: FreeFormField = (key) => `const copy = isJsonData(child) ? child : jsonRoundTrip(child); if (copy !== undefined) out[${key}] = copy;`;

/** The Avro record (toAvroRecord): absent fields null, free-form values as JSON text. */
const avroFreeForm: FreeFormField = (key) => `out[${key}] = JSON.stringify(child);`;

let copyWireEvent: RecordCopy | undefined;
let copyAvroEvent: RecordCopy | undefined;
let copyAvroChain: RecordCopy | undefined;

/**
 * `JSON.parse(JSON.stringify(value))` without the text in between, for the plain data of events: the
 * same result (undefined, functions and symbols left out of objects and null in arrays, non-finite
 * numbers null, -0 as 0, keys in the same order). Anything unusual (toJSON, a `__proto__` key, a
 * bigint) takes the real round trip, so the result is always what a JSON reader would get.
 */
export function jsonRoundTrip(value: unknown): unknown {
  const copy = cloneAsJson(value);
  if (copy !== UNUSUAL) return copy;
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

const UNUSUAL = Symbol('unusual');

/**
 * Whether `value` is its own JSON round trip: cloneAsJson would return an equal value with the same
 * keys in the same order (plain objects and arrays of strings, booleans, null and finite numbers other
 * than -0; no undefined, no hole, no `__proto__` key, no toJSON). Allocates nothing.
 */
/**
 * For for-in loops: V8 answers `hasOwnProperty.call(object, forInKey)` from its enum cache, Object.hasOwn
 * it does not. Module-local on purpose: an imported binding of it loses that fast path (measured: 60 against 9 ns an object).
 */
const hasOwnProperty = Object.prototype.hasOwnProperty;

function isJsonData(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) if (!isJsonData(value[i])) return false;
    return true;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    // An inherited enumerable key (cloneAsJson copies own keys only) or `__proto__` (which it hands to JSON).
    if (!hasOwnProperty.call(value, key) || key === '__proto__') return false;
    const child = (value as Record<string, unknown>)[key];
    if (key === 'toJSON' && typeof child === 'function') return false;
    if (!isJsonData(child)) return false;
  }
  return true;
}

function cloneAsJson(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'object': {
      if (value === null) return null;
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return UNUSUAL;
      if (Array.isArray(value)) {
        const out: unknown[] = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          const item = cloneAsJson(value[i]);
          if (item === UNUSUAL) return UNUSUAL;
          out[i] = item === undefined ? null : item;
        }
        return out;
      }
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        if (key === '__proto__') return UNUSUAL;
        const child = cloneAsJson((value as Record<string, unknown>)[key]);
        if (child === UNUSUAL) return UNUSUAL;
        if (child !== undefined) out[key] = child;
      }
      return out;
    }
    default:
      return UNUSUAL;
  }
}

/**
 * What a reader of the canonical topic decodes for `event`: exactly
 * `fromAvroRecord(toAvroRecord({ event })).event` (canonical fields only, free-form objects through
 * JSON), computed in one pass without the intermediate Avro record.
 */
export function canonicalWireForm(event: CanonicalEvent): CanonicalEvent {
  copyWireEvent ??= compileRecordCopy(CANONICAL_EVENT_FIELDS, wireFreeForm, () => '');
  return copyWireEvent(event as unknown as Record<string, unknown>) as unknown as CanonicalEvent;
}

/** CanonicalEvent (+ chain) → plain Avro record for `canonicalAvroType()` / the schema registry. */
export function toAvroRecord(envelope: CanonicalEnvelope): Record<string, AvroValue> {
  copyAvroEvent ??= compileRecordCopy(CANONICAL_EVENT_FIELDS, avroFreeForm, (key) => `out[${key}] = null;`);
  copyAvroChain ??= compileRecordCopy(CHAIN_LINK_FIELDS, avroFreeForm, (key) => `out[${key}] = null;`);
  const record = copyAvroEvent(envelope.event as unknown as Record<string, unknown>) as Record<string, AvroValue>;
  record.chain = envelope.chain === undefined ? null : (copyAvroChain(envelope.chain as unknown as Record<string, unknown>) as Record<string, AvroValue>);
  return record;
}

/** The canonical event (fromAvroRecord): absent (null) fields left out, free-form values parsed from their JSON text. */
const eventFreeForm: FreeFormField = (key) => `out[${key}] = JSON.parse(child);`;

let copyEventFromAvro: RecordCopy | undefined;
let copyChainFromAvro: RecordCopy | undefined;

/** Avro record (as decoded by avsc or the registry) → CanonicalEvent (+ chain); absent fields are omitted, not null. */
export function fromAvroRecord(record: Record<string, unknown>): CanonicalEnvelope {
  copyEventFromAvro ??= compileRecordCopy(CANONICAL_EVENT_FIELDS, eventFreeForm, () => '');
  copyChainFromAvro ??= compileRecordCopy(CHAIN_LINK_FIELDS, eventFreeForm, () => '');
  const event = copyEventFromAvro(record) as unknown as CanonicalEvent;
  const chain = record.chain;
  return chain === null || chain === undefined ? { event } : { event, chain: copyChainFromAvro(chain as Record<string, unknown>) as unknown as ChainLink };
}

/** Avro binary (no registry framing) of one envelope; for tests, files and the embedded mode. */
export function encodeCanonicalAvro(envelope: CanonicalEnvelope): Buffer {
  return canonicalAvroType().toBuffer(toAvroRecord(envelope));
}

export function decodeCanonicalAvro(buffer: Buffer): CanonicalEnvelope {
  return fromAvroRecord(canonicalAvroType().fromBuffer(buffer) as Record<string, unknown>);
}
