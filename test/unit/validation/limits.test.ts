import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_LIMITS, checkStructure, decodeRaw, measureStructure, parseWithinLimits, type EventLimits } from '../../../processors/validation/limits.js';
import { TranslationReason } from '../../../processors/validation/reasons.js';
import { CanonicalTranslator, SOURCE_FORMATS } from '../../../processors/adapters/translator.js';

const limits: EventLimits = { maxEventBytes: 4096, maxProperties: 8, maxDepth: 5, maxStringLength: 64 };
const codeOf = (value: Buffer | string, l: EventLimits = limits) => {
  const result = parseWithinLimits(value, l);
  return result.kind === 'deadLetter' ? result.code : result.kind;
};

describe('limits', () => {
  it('checks size before decoding (bytes, not characters)', () => {
    expect(codeOf(Buffer.alloc(4097, 0x20))).toBe(TranslationReason.EVENT_TOO_LARGE);
    // 1366 three-byte characters: 1366 characters but 4098 bytes.
    expect(codeOf(JSON.stringify('€'.repeat(1366)))).toBe(TranslationReason.EVENT_TOO_LARGE);
    // Invalid bytes that are also too large: size wins, the bytes are never decoded.
    expect(codeOf(Buffer.alloc(5000, 0xff))).toBe(TranslationReason.EVENT_TOO_LARGE);
  });

  it('rejects invalid UTF-8 and lone surrogates', () => {
    expect(codeOf(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]))).toBe(TranslationReason.UTF8_INVALID);
    expect(codeOf(Buffer.from([0xed, 0xa0, 0x80]))).toBe(TranslationReason.UTF8_INVALID);
    expect(codeOf('{"a":"\ud800"}')).toBe(TranslationReason.UTF8_INVALID);
    expect(decodeRaw(Buffer.from('\ufeff{"a":1}'), limits)).toEqual({ kind: 'ok', value: '{"a":1}' });
  });

  it.each(['', '{', '{"a":', '{"a":1}}', 'nul', "{'a':1}", '{"a":1,}'])('rejects truncated or malformed JSON %j', (text) => {
    expect(codeOf(text)).toBe(TranslationReason.JSON_INVALID);
  });

  it('never echoes input in the JSON error message', () => {
    const result = parseWithinLimits('{"email":"jane@example.com" oops}', limits);
    expect(result.kind === 'deadLetter' && result.message).toMatch(/^not valid JSON/);
    expect(JSON.stringify(result)).not.toContain('jane');
  });

  it('rejects nesting deeper than maxDepth, objects and arrays alike', () => {
    expect(codeOf('{"a":{"b":{"c":{"d":1}}}}')).toBe('ok');
    expect(codeOf('{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}')).toBe(TranslationReason.DEPTH_EXCEEDED);
    expect(codeOf('[[[[[[1]]]]]]')).toBe(TranslationReason.DEPTH_EXCEEDED);
  });

  it('survives a million nested arrays (no recursion anywhere)', () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    expect(codeOf(deep, { ...limits, maxEventBytes: 4_000_000 })).toBe(TranslationReason.DEPTH_EXCEEDED);
    const deepObjects = `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`;
    expect(codeOf(deepObjects, { ...limits, maxEventBytes: 4_000_000 })).toBe(TranslationReason.DEPTH_EXCEEDED);
  });

  it('rejects too many properties in any object, but not long arrays', () => {
    const wide = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, i]));
    expect(codeOf(JSON.stringify({ properties: wide }))).toBe(TranslationReason.TOO_MANY_PROPERTIES);
    expect(codeOf(JSON.stringify({ list: Array.from({ length: 100 }, (_, i) => i) }))).toBe('ok');
  });

  it('rejects long strings and long keys', () => {
    expect(codeOf(JSON.stringify({ a: 'x'.repeat(65) }))).toBe(TranslationReason.STRING_TOO_LONG);
    expect(codeOf(JSON.stringify({ ['k'.repeat(65)]: 1 }))).toBe(TranslationReason.STRING_TOO_LONG);
    expect(codeOf(JSON.stringify({ a: ['x'.repeat(65)] }))).toBe(TranslationReason.STRING_TOO_LONG);
  });

  it('rejects numbers that overflow a double, accepts huge-but-finite ones', () => {
    expect(codeOf('{"a":1e400}')).toBe(TranslationReason.NUMBER_INVALID);
    expect(codeOf('{"a":-1e400}')).toBe(TranslationReason.NUMBER_INVALID);
    expect(codeOf('{"a":123456789012345678901234567890}')).toBe('ok');
  });

  it('rejects __proto__ keys and never pollutes prototypes', () => {
    expect(codeOf('{"__proto__":{"polluted":true}}')).toBe(TranslationReason.KEY_FORBIDDEN);
    expect(codeOf('{"a":{"__proto__":{"polluted":true}}}')).toBe(TranslationReason.KEY_FORBIDDEN);
    expect(codeOf('{"constructor":{"prototype":{"polluted":true}}}')).toBe('ok');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('uses the configured defaults of core/config', () => {
    expect(DEFAULT_EVENT_LIMITS).toEqual({ maxEventBytes: 1_048_576, maxProperties: 255, maxDepth: 16, maxStringLength: 8192, maxFutureSkewMs: 600_000 });
    expect(checkStructure({ a: 1 }, DEFAULT_EVENT_LIMITS).kind).toBe('ok');
  });
});

describe('measureStructure (shared walk stacks)', () => {
  /** The deepest object/array level, as plainly as it can be written. */
  const depthOf = (value: unknown, depth = 1): number =>
    value === null || typeof value !== 'object' ? 0 : Math.max(depth, ...Object.values(value as object).map((child) => depthOf(child, depth + 1)));

  it('measures each value on its own, after rejected ones and after larger ones', () => {
    const limits: EventLimits = { ...DEFAULT_EVENT_LIMITS, maxProperties: 5 };
    const wide = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`k${i}`, { deep: [[i]] }]));
    const values: unknown[] = [
      { a: [1, { b: [2, [3]] }], c: 'x' },
      { rejected: [wide] },
      [[[[[]]]]],
      { a: [{ b: 'x'.repeat(9000) }, { c: 1 }] },
      'plain',
      { a: Array.from({ length: 200 }, (_, i) => ({ i, nested: [i] })) },
      { b: 1 },
      { a: { b: Number.POSITIVE_INFINITY }, c: [[[[1]]]] },
      [],
    ];
    for (let round = 0; round < 3; round++) {
      for (const value of values) {
        const measured = measureStructure(value, limits, 20);
        const rejected = value !== null && typeof value === 'object' && ('rejected' in value || JSON.stringify(value ?? null).includes('xxxxxxxx') || (value as { a?: { b?: unknown } }).a?.b === Number.POSITIVE_INFINITY);
        if (rejected) expect(measured.kind).toBe('deadLetter');
        else expect(measured).toEqual({ kind: 'ok', value: depthOf(value) });
      }
    }
  });
});

describe('depth of OTLP/JSON', () => {
  // Each nested attribute level costs OTLP 4 JSON levels; its envelope costs 10.
  const nested = (levels: number): unknown => (levels === 0 ? { stringValue: 'leaf' } : { kvlistValue: { values: [{ key: 'k', value: nested(levels - 1) }] } });
  const otlp = (levels: number) =>
    JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'app.job.done', attributes: [{ key: 'a', value: nested(levels) }] }] }] }] });
  const translator = new CanonicalTranslator({ limits: { ...DEFAULT_EVENT_LIMITS, maxDepth: 5 } });

  it('allows OTLP its encoding overhead, but not more', () => {
    expect(translator.translate({ value: otlp(3) }, Date.now()).kind).toBe('ok');
    expect(translator.translate({ value: otlp(8) }, Date.now())).toMatchObject({ code: 'DEPTH_EXCEEDED' });
  });

  it('does not extend that allowance to other formats', () => {
    const deep = { type: 'track', event: 'Order Completed', userId: 'u', properties: { a: { b: { c: { d: { e: 1 } } } } } };
    expect(translator.translate({ value: JSON.stringify(deep) }, Date.now())).toMatchObject({ code: 'DEPTH_EXCEEDED', stage: 'limits' });
  });
});

describe('the translator never throws, whatever the input', () => {
  const translator = new CanonicalTranslator({ limits });
  const expectResult = (value: Buffer | string, format?: (typeof SOURCE_FORMATS)[number], headers?: Record<string, string>) => {
    const result = translator.translate({ value, ...(format === undefined ? {} : { format }), ...(headers === undefined ? {} : { headers }) }, Date.now());
    if (result.kind === 'deadLetter') {
      expect(result.code).toMatch(/^[A-Z0-9_]+$/);
      expect(result.stage).toMatch(/^(limits|parse|detect|adapt|validate)$/);
    } else {
      expect(result.kind).toBe('ok');
    }
  };

  it('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => expectResult(Buffer.from(bytes))), { numRuns: 500 });
  });

  it('arbitrary JSON values, with and without a forced format', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(undefined, ...SOURCE_FORMATS), (value, format) =>
        expectResult(JSON.stringify(value) ?? 'null', format),
      ),
      { numRuns: 600 },
    );
  });

  it('vendor-shaped objects with arbitrary field values', () => {
    const anything = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string(), fc.integer(), fc.double(), fc.constant(undefined));
    const shapes = [
      fc.record({ type: fc.constantFrom('track', 'identify', 'page', 'screen', 'group', 'alias'), event: anything, userId: anything, anonymousId: anything, timestamp: anything, properties: anything, context: anything, messageId: anything }),
      fc.record({ event: anything, properties: fc.record({ distinct_id: anything, time: anything, $insert_id: anything, token: anything }) }),
      fc.record({ event_type: anything, user_id: anything, device_id: anything, time: anything, event_properties: anything, session_id: anything }),
      fc.record({ eventSource: anything, eventName: anything, eventTime: anything, eventVersion: anything, userIdentity: anything, errorCode: anything, resources: anything, sourceIPAddress: anything }),
      fc.record({ type: anything, date: anything, log_id: anything, user_id: anything, details: anything, client_id: anything }),
      fc.record({ action: anything, '@timestamp': anything, _document_id: anything, actor: anything, actor_id: anything, repo_id: anything }),
      fc.record({ resourceLogs: fc.array(fc.record({ resource: anything, scopeLogs: fc.array(fc.record({ scope: anything, logRecords: fc.array(fc.record({ timeUnixNano: anything, traceId: anything, spanId: anything, body: anything, attributes: anything, severityNumber: anything })) })) })) }),
      fc.record({ specversion: anything, id: anything, source: anything, type: anything, time: anything, data: anything, subject: anything }),
      fc.record({ id: anything, event_timestamp: anything, source: anything, action: fc.record({ name: anything, type: anything }), actor: anything, context: anything }),
    ];
    fc.assert(fc.property(fc.oneof(...shapes), (value) => expectResult(JSON.stringify(value))), { numRuns: 1500 });
  });

  it('CloudEvents binary headers with arbitrary values', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('ce_specversion', 'ce_id', 'ce_source', 'ce_type', 'ce_time', 'content-type', 'ce_traceparent'), fc.string()), fc.jsonValue({ maxDepth: 3 }), (headers, value) =>
        expectResult(JSON.stringify(value) ?? 'null', undefined, { ce_specversion: '1.0', ...headers }),
      ),
      { numRuns: 300 },
    );
  });
});
