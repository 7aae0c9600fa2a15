/**
 * CanonicalJsonWriter against the plain definition, on arbitrary input: every string is written as the
 * UTF-8 of JSON.stringify (RFC 8785 adopts its escaping) or, when it holds a lone surrogate, rejected with
 * CHAIN_INPUT_INVALID; a record written through a compiled layout (writeRecord) is written exactly as the
 * sorted-keys walk (write) writes it, including which error comes first.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalJsonWriter, canonicalJson, recordLayout, type RecordLayout } from '../../../processors/chain/canonical-json.js';
import { CANONICAL_WIRE_LAYOUT } from '../../../processors/chain/chain-hash.js';

/** The written bytes as text, or the error's code and message. */
function outcome(write: (writer: CanonicalJsonWriter) => void, initial = 8): string {
  const writer = new CanonicalJsonWriter(Buffer.alloc(initial));
  writer.position = 1;
  try {
    write(writer);
  } catch (error) {
    return `error:${(error as { code?: string }).code ?? ''}:${(error as Error).message}`;
  }
  return `ok:${writer.buffer.toString('utf8', 1, writer.position)}`;
}

const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATE_ERROR = 'error:CHAIN_INPUT_INVALID:string with a lone surrogate cannot be canonicalized';

/** Strings of every kind of UTF-16 unit: ASCII, controls, quote and backslash, BMP, pairs and lone surrogates. */
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme-composite' }),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('a', 'Z', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u0080', 'é', '\u2028', '日', '\ud83d', '\ude00', '😀') }),
);

describe('CanonicalJsonWriter', () => {
  it('writes a string as the UTF-8 of JSON.stringify, or rejects a lone surrogate', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 1, max: 64 }), (text, initial) => {
        const expected = LONE_SURROGATE.test(text) ? LONE_SURROGATE_ERROR : `ok:${JSON.stringify(text)}`;
        expect(outcome((writer) => writer.write(text), initial)).toBe(expected);
        expect(outcome((writer) => writer.write({ [text]: [text] }), initial)).toBe(LONE_SURROGATE.test(text) ? LONE_SURROGATE_ERROR : `ok:{${JSON.stringify(text)}:[${JSON.stringify(text)}]}`);
      }),
      { numRuns: 5_000 },
    );
  });

  it('writes a record through its compiled layout exactly as the sorted walk writes it', () => {
    const scalar = fc.oneof(anyText, fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.array(anyText, { maxLength: 3 }));
    const value = fc.oneof(scalar, fc.dictionary(anyText, anyText, { maxKeys: 3 }));
    // A layout with nested layouts and names that need escaping or sort before their neighbours.
    const inner = recordLayout(new Map<string, RecordLayout | undefined>([['z', undefined], ['a"b', undefined], ['é', undefined]]));
    const outer = recordLayout(new Map<string, RecordLayout | undefined>([['m', inner], ['b', undefined], ['B', undefined], ['n', inner]]));
    const innerRecord = fc.record({ z: value, 'a"b': value, 'é': value }, { requiredKeys: [] });
    // Members with a layout hold records of that layout's keys only (the writer's contract), or no record.
    const outerRecord = fc.record({ m: fc.oneof(innerRecord, scalar), b: value, B: value, n: innerRecord }, { requiredKeys: [] });
    fc.assert(
      fc.property(outerRecord, fc.integer({ min: 1, max: 64 }), (record, initial) => {
        const expected = outcome((writer) => writer.write(record), initial);
        expect(outcome((writer) => writer.writeRecord(record as Record<string, unknown>, outer), initial)).toBe(expected);
        if (expected.startsWith('ok:')) expect(expected).toBe(`ok:${canonicalJson(record)}`);
      }),
      { numRuns: 3_000 },
    );
  });

  it('writes wire-form events through CANONICAL_WIRE_LAYOUT as the sorted walk writes them', () => {
    const text = fc.oneof(fc.constantFrom('plan', 'ps_x', '203.0.113.0'), anyText);
    const event = fc.record(
      {
        id: text,
        event_timestamp: text,
        source: text,
        spec_version: fc.constant('1.0'),
        action: fc.record({ name: text, type: text }, { requiredKeys: [] }),
        actor: fc.record({ type: text, pseudonym: text, details: fc.dictionary(anyText, text, { maxKeys: 3 }) }, { requiredKeys: [] }),
        context: fc.record(
          {
            client: fc.record({ ip_address: text, user_agent: text }, { requiredKeys: [] }),
            telemetry: fc.record({ duration_ms: fc.double(), trace_id: text }, { requiredKeys: [] }),
            attributes: fc.dictionary(anyText, fc.oneof(text, fc.double(), fc.boolean()), { maxKeys: 4 }),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['id'] },
    );
    fc.assert(
      fc.property(event, (record) => {
        expect(outcome((writer) => writer.writeRecord(record as Record<string, unknown>, CANONICAL_WIRE_LAYOUT))).toBe(outcome((writer) => writer.write(record)));
      }),
      { numRuns: 3_000 },
    );
  });
});
