/**
 * Property tests over arbitrary valid canonical events: every one passes the JSON Schema, and survives
 * Avro, CloudEvents (binary) and OTLP/JSON round trips unchanged (observed_timestamp aside, which
 * ingestion always sets).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTION_TYPES, EVENT_STATUSES, type CanonicalEvent, type JsonObject } from '../../../schemas/canonical-event.js';
import { decodeCanonicalAvro, encodeCanonicalAvro } from '../../../schemas/avro.js';
import { canonicalEventValidator } from '../../../schemas/json-schema.js';
import { toCloudEventsBinary } from '../../../processors/adapters/outbound/cloudevents.js';
import { toOtlpLogs } from '../../../processors/adapters/outbound/otel.js';
import { OTEL_KEYS } from '../../../processors/adapters/otel.js';
import { CanonicalTranslator } from '../../../processors/adapters/translator.js';

const segment = fc.stringMatching(/^[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,4}){0,2}$/);
const name = fc.tuple(segment, segment, segment).map((parts) => parts.join('.'));
const timestamp = fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('2199-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString());
const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`)).filter((h) => !/^0+$/.test(h));
const text = fc.string({ minLength: 1, maxLength: 20 });
const reserved = new Set<string>([...Object.values(OTEL_KEYS), '__proto__']);
// Free-form objects: JSON without -0 (JSON text cannot carry it) and without the OTel mapping's reserved keys.
const jsonObject = fc
  .dictionary(
    fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !reserved.has(k)),
    fc.jsonValue({ maxDepth: 2, noUnicodeString: false }).map((v) => JSON.parse(JSON.stringify(v)) as JsonObject[string]),
    { minKeys: 1, maxKeys: 4 },
  )
  .map((o) => JSON.parse(JSON.stringify(o)) as JsonObject)
  // `__proto__` keys are rejected at ingestion (KEY_FORBIDDEN), so no canonical event holds one.
  .filter((o) => !JSON.stringify(o).includes('"__proto__"'));

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const canonical: fc.Arbitrary<CanonicalEvent> = fc
  .record({
    id: fc.uuid({ version: [4, 5] }),
    event_timestamp: timestamp,
    observed_timestamp: timestamp,
    source: fc.constantFrom('billing-service', 'segment/analytics.js', 'https://github.com/octo', 's3.amazonaws.com', 'auth0://t.auth0.com'),
    action: fc.record({ name, type: fc.constantFrom(...ACTION_TYPES) }),
    actor: fc.oneof(
      fc.record({ id: text, type: fc.constantFrom('user' as const, 'service' as const, 'system' as const), details: optional(jsonObject) }),
      fc.record({ type: fc.constant('anonymous' as const) }),
      fc.record({ type: fc.constant('user' as const), pseudonym: text }),
    ),
    entity: optional(fc.record({ id: text, type: text, details: optional(jsonObject) })),
    context: optional(
      fc.record({
        client: optional(fc.record({ ip_address: optional(fc.oneof(fc.ipV4(), fc.ipV6())), user_agent: optional(text), session_id: optional(text) })),
        telemetry: optional(fc.record({ trace_id: optional(hex(32)), span_id: optional(hex(16)), duration_ms: optional(fc.double({ min: 0, max: 1e6, noNaN: true })) })),
        domain_specific: optional(
          fc.record({
            audit: optional(fc.record({ request: optional(jsonObject), response: optional(jsonObject) })),
            analytics: optional(fc.record({ properties: optional(jsonObject), user_state_snapshot: optional(jsonObject) })),
          }),
        ),
        attributes: optional(jsonObject),
        status: optional(fc.constantFrom(...EVENT_STATUSES)),
        error: optional(fc.record({ code: optional(text), message: optional(text) })),
      }),
    ),
  })
  // Canonical events never carry undefined or empty records: that is what every adapter produces.
  .map((raw) => prune({ ...raw, spec_version: '1.0' }) as unknown as CanonicalEvent);

function prune(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) continue;
    const pruned = isFreeForm(key) ? child : prune(child);
    if (pruned !== null && typeof pruned === 'object' && !Array.isArray(pruned) && Object.keys(pruned).length === 0) continue;
    if (key === 'duration_ms' && Object.is(pruned, -0)) continue;
    out[key] = pruned;
  }
  return out;
}
const isFreeForm = (key: string) => ['details', 'request', 'response', 'properties', 'user_state_snapshot', 'attributes'].includes(key);

// Event times up to 2199 against a fixed ingestion time: the round trips are about the mapping, so the
// future-skew rule (future-skew.test.ts) is opened wide here.
const translator = new CanonicalTranslator({ limits: { maxEventBytes: 1 << 20, maxDepth: 16, maxProperties: 255, maxStringLength: 8192, maxFutureSkewMs: Number.MAX_SAFE_INTEGER } });
const now = Date.parse('2026-11-28T09:00:00.000Z');
const observedNow = (event: CanonicalEvent) => ({ ...event, observed_timestamp: '2026-11-28T09:00:00.000Z' });

describe('arbitrary canonical events', () => {
  it('pass the JSON Schema', () => {
    const validate = canonicalEventValidator();
    fc.assert(
      fc.property(canonical, (event) => {
        expect(validate(event), JSON.stringify(validate.errors)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('survive Avro unchanged', () => {
    fc.assert(
      fc.property(canonical, (event) => {
        expect(decodeCanonicalAvro(encodeCanonicalAvro({ event })).event).toEqual(event);
      }),
      { numRuns: 300 },
    );
  });

  it('survive CloudEvents binary mode and canonical passthrough unchanged', () => {
    fc.assert(
      fc.property(canonical, (event) => {
        const message = toCloudEventsBinary(event);
        const back = translator.translate({ value: message.value, headers: message.headers }, now);
        expect(back).toEqual({ kind: 'ok', value: [observedNow(event)] });
      }),
      { numRuns: 300 },
    );
  });

  it('survive OTLP/JSON unchanged', () => {
    fc.assert(
      fc.property(canonical, (event) => {
        const back = translator.translate({ value: JSON.stringify(toOtlpLogs([event])) }, now);
        expect(back).toEqual({ kind: 'ok', value: [observedNow(event)] });
      }),
      { numRuns: 300 },
    );
  });
});
