/**
 * finishEvent (whose records are pruned by compiled copies) against the pruning rules written plainly
 * over the schema: undefined/null values, empty strings and empty free-form objects dropped, optional
 * records that keep nothing dropped, unknown keys copied as they are, keys in their original order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { finishEvent, type EventDraft } from '../../../processors/adapters/common.js';
import { CANONICAL_SPEC_VERSION } from '../../../schemas/canonical-event.js';
import { CANONICAL_EVENT_FIELDS, type Field, type RecordField } from '../../../schemas/canonical-fields.js';

/** The rules over one record: its pruned copy and whether a schema field was kept. */
function definition(record: RecordField, value: Record<string, unknown>): { out: Record<string, unknown>; kept: boolean } {
  const out: Record<string, unknown> = {};
  let kept = false;
  for (const key in value) {
    const child = value[key];
    const field: Field | undefined = Object.hasOwn(record.fields, key) ? record.fields[key] : undefined;
    if (field === undefined) {
      out[key] = child;
      continue;
    }
    if (child === undefined || child === null) continue;
    if (field.kind === 'record') {
      const inner = definition(field, child as Record<string, unknown>);
      if (!inner.kept && field.optional) continue;
      out[key] = inner.out;
    } else if (field.kind === 'json') {
      if (typeof child !== 'object' || Object.keys(child).length === 0) continue;
      out[key] = child;
    } else if (field.kind === 'string') {
      if (child === '') continue;
      out[key] = child;
    } else {
      out[key] = child;
    }
    kept = true;
  }
  return { out, kept };
}

const recordOf = (name: string): RecordField => CANONICAL_EVENT_FIELDS.fields[name] as RecordField;

/** Values of every kind pruning treats differently. */
const leaf = fc.constantFrom<unknown>(undefined, null, '', 'x', 0, -1.5, true, false, {}, { a: 1 }, [], ['x']);

/** A plain record with some of `record`'s fields (nested records recursively) and maybe unknown keys, in any order. */
function draftOf(record: RecordField, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const names = Object.keys(record.fields);
  const entry = fc.oneof(
    fc.constantFrom(...names).chain((name) => {
      const field = record.fields[name] as Field;
      const value = field.kind === 'record' && depth < 3 ? fc.oneof(draftOf(field, depth + 1), leaf.filter((v) => v === undefined || v === null)) : leaf;
      return value.map((v) => [name, v] as const);
    }),
    fc.tuple(fc.constantFrom('unknown', 'Id', 'extra_field'), leaf),
  );
  return fc.array(entry, { maxLength: 8 }).map((entries) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of entries) out[key] = value;
    return out;
  });
}

describe('finishEvent', () => {
  it('prunes every record as the plain rules do, keys in their original order', () => {
    const draft = fc.record({
      id: fc.constantFrom('e1', '', undefined),
      event_timestamp: fc.constant('2026-11-28T09:00:00.000Z'),
      observed_timestamp: fc.constant('2026-11-28T09:00:01.000Z'),
      source: fc.constantFrom('src', ''),
      action: draftOf(recordOf('action')),
      actor: draftOf(recordOf('actor')),
      entity: fc.option(draftOf(recordOf('entity')), { nil: undefined }),
      context: fc.option(draftOf(recordOf('context')), { nil: undefined }),
    });
    fc.assert(
      fc.property(draft, (value) => {
        const expected: Record<string, unknown> = {};
        if (value.id !== undefined && value.id !== '') expected.id = value.id;
        expected.event_timestamp = value.event_timestamp;
        expected.observed_timestamp = value.observed_timestamp;
        if (value.source !== '') expected.source = value.source;
        expected.spec_version = CANONICAL_SPEC_VERSION;
        expected.action = definition(recordOf('action'), value.action).out;
        expected.actor = definition(recordOf('actor'), value.actor).out;
        for (const name of ['entity', 'context'] as const) {
          const record = value[name];
          if (record === undefined) continue;
          const pruned = definition(recordOf(name), record);
          if (pruned.kept) expected[name] = pruned.out;
        }
        const actual = finishEvent(value as unknown as EventDraft);
        expect(actual).toStrictEqual(expected);
        expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
      }),
      { numRuns: 3_000 },
    );
  });
});
