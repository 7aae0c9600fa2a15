/**
 * The ingest hot path computes some things in a faster way than their definition; each must give exactly
 * the definition's result: chainHash = HMAC-SHA256 over chainMessage (docs/hash-chain.md), at any size,
 * canonicalWireForm = the Avro record round trip, toAvroRecord = a plain loop over the schema's fields, jsonRoundTrip = JSON.parse(JSON.stringify(x)),
 * canonicalJson's quoting = JSON.stringify, canonicalJson = the plain recursive RFC 8785 definition,
 * CanonicalJsonWriter = the UTF-8 bytes of canonicalJson (or its error), also through CANONICAL_WIRE_LAYOUT
 * for wire forms, hmacSha256* (two one-shot SHA-256 over key pads) = createHmac.
 * Checked on seeded random data full of edge cases.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CanonicalJsonWriter, canonicalJson } from '../../../processors/chain/canonical-json.js';
import { CANONICAL_WIRE_LAYOUT, chainHash, chainMessage } from '../../../processors/chain/chain-hash.js';
import { HMAC_PREFIX_BYTES, hmacSha256Hex, hmacSha256HexAfterBlock, hmacSha256Latin1 } from '../../../processors/hmac-sha256.js';
import { canonicalAvroType, canonicalWireForm, fromAvroRecord, jsonRoundTrip, toAvroRecord } from '../../../schemas/avro.js';
import { CANONICAL_EVENT_FIELDS, CHAIN_LINK_FIELDS, type RecordField } from '../../../schemas/canonical-fields.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
}

const STRINGS = ['', 'a', 'plan', 'é', '日本', '😀', 'quote"d', 'back\\slash', 'tab\there', 'nl\n', '\u0000', '\u001f', '\u007f', '\u2028', 'x'.repeat(300), '10', '2', '-1', '01'];

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 7 : 10));
  switch (pick) {
    case 0:
      return STRINGS[Math.floor(next() * STRINGS.length)];
    case 1:
      return [0, -0, 1.5, -2, 1e21, 5e-324, Number.MAX_SAFE_INTEGER, NaN, Infinity][Math.floor(next() * 9)];
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
      return undefined;
    case 5:
      return `s-${Math.floor(next() * 1000)}`;
    case 6:
      return Math.floor(next() * 1e6) / 100;
    case 7:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--) out[STRINGS[Math.floor(next() * STRINGS.length)] as string] = randomValue(next, depth + 1);
      return out;
    }
  }
}

function randomEvent(next: () => number, i: number): CanonicalEvent {
  const object = () => randomValue(next, 1) as never;
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    event_timestamp: '2026-11-28T09:00:00.000Z',
    observed_timestamp: '2026-11-28T09:00:00.100Z',
    source: STRINGS[i % STRINGS.length] || 'src',
    spec_version: '1.0',
    action: { name: 'analytics.course.clicked', type: 'track' },
    actor: { type: 'user', pseudonym: 'ps_abcdefghijklmnopqrstuvwxyz', details: object() },
    entity: next() < 0.5 ? { id: 'e', type: 'course', details: object() } : undefined,
    context: {
      client: { ip_address: '203.0.113.0', user_agent: next() < 0.5 ? undefined : 'ua' },
      telemetry: next() < 0.5 ? { duration_ms: -0, trace_id: 't' } : undefined,
      domain_specific: { analytics: { properties: object(), user_state_snapshot: next() < 0.5 ? { plan: 'pro' } : undefined } },
      attributes: object(),
    },
    ...(next() < 0.3 ? { unknown_field: 'dropped' } : {}),
  } as CanonicalEvent;
}

describe('ingest hot-path equivalences', () => {
  it('jsonRoundTrip is JSON.parse(JSON.stringify(x))', () => {
    const next = random(7);
    for (let i = 0; i < 3_000; i++) {
      const value = randomValue(next, 0);
      const text = JSON.stringify(value) as string | undefined;
      expect(jsonRoundTrip(value)).toStrictEqual(text === undefined ? undefined : JSON.parse(text));
      if (text !== undefined) expect(JSON.stringify(jsonRoundTrip(value))).toBe(text);
    }
    const unusual = [{ when: new Date(0) }, JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as unknown, { b: Buffer.from('hi') }, Object.assign(new Array<unknown>(3), { 0: 1, 2: 3 })];
    for (const value of unusual) expect(JSON.stringify(jsonRoundTrip(value))).toBe(JSON.stringify(value));
  });

  it('canonicalWireForm is the Avro record round trip', () => {
    const next = random(11);
    for (let i = 0; i < 1_000; i++) {
      const event = randomEvent(next, i);
      const expected = fromAvroRecord(toAvroRecord({ event })).event;
      const actual = canonicalWireForm(event);
      expect(actual).toStrictEqual(expected);
      expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    }
    // Records that differ from their wire form in one way each (order, unknown or empty members,
    // prototypes, a non-object record, -0, a Date).
    const shaped = (): Record<string, unknown> => ({
      id: '00000000-0000-4000-8000-000000000001',
      event_timestamp: '2026-11-28T09:00:00.000Z',
      observed_timestamp: '2026-11-28T09:00:00.100Z',
      source: 'src',
      spec_version: '1.0',
      action: { name: 'analytics.course.clicked', type: 'track' },
      actor: { type: 'user', pseudonym: 'ps_x', details: { plan: 'pro', n: [1, 2] } },
      context: { client: { ip_address: '203.0.113.0' }, domain_specific: { analytics: { properties: { a: 1 } } }, attributes: { b: 'c' } },
    });
    const variants: ((event: Record<string, unknown>) => void)[] = [
      () => undefined,
      (e) => Object.assign(e, { extra: 1 }),
      (e) => Object.assign(e, { entity: null }),
      (e) => Object.assign(e, { entity: undefined }),
      (e) => Object.assign(e, { actor: { pseudonym: 'ps_x', type: 'user' } }),
      (e) => Object.assign(e, { actor: 'not a record' }),
      (e) => Object.assign(e, { actor: Object.assign(Object.create({ inherited: 1 }) as object, { type: 'user' }) }),
      (e) => Object.assign(e, { context: { attributes: { b: 'c' }, client: { ip_address: '203.0.113.0' } } }),
      (e) => Object.assign(e, { context: { client: { ip_address: '203.0.113.0', unknown: 1 } } }),
      (e) => Object.assign(e, { context: { telemetry: { duration_ms: -0 }, attributes: { z: -0 } } }),
      (e) => Object.assign(e, { context: { domain_specific: { analytics: { properties: { d: new Date(0) } } } } }),
      (e) => Object.assign(e, { action: Object.assign(Object.create(null) as object, { name: 'a.b.c', type: 'track' }) }),
    ];
    for (const change of variants) {
      const event = shaped();
      change(event);
      const expected = fromAvroRecord(toAvroRecord({ event: event as unknown as CanonicalEvent })).event;
      expect(canonicalWireForm(event as unknown as CanonicalEvent)).toStrictEqual(expected);
      expect(JSON.stringify(canonicalWireForm(event as unknown as CanonicalEvent))).toBe(JSON.stringify(expected));
    }
    // Free-form values that are not their own JSON round trip (they are copied, not shared).
    const nullPrototype = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    const inherited = Object.create({ inherited: 1 }) as Record<string, unknown>;
    inherited.own = 2;
    const unusual: unknown[] = [
      { when: new Date(0) },
      JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as unknown,
      { b: Buffer.from('hi') },
      { sparse: Object.assign(new Array<unknown>(3), { 0: 1, 2: 3 }) },
      { zero: -0, list: [-0, 1] },
      { n: Number.NaN, i: [Infinity] },
      { u: undefined, f: () => 1, s: Symbol('s') },
      { m: new Map([[1, 2]]) },
      nullPrototype,
      inherited,
      { toJSON: () => ({ replaced: true }) },
      { toJSON: 'data' },
    ];
    for (const details of unusual) {
      const event = { ...randomEvent(next, 0), actor: { type: 'user', pseudonym: 'ps_x', details } } as unknown as CanonicalEvent;
      const expected = fromAvroRecord(toAvroRecord({ event })).event;
      expect(canonicalWireForm(event)).toStrictEqual(expected);
      expect(JSON.stringify(canonicalWireForm(event))).toBe(JSON.stringify(expected));
    }
  });

  it('toAvroRecord is a plain loop over the schema fields: null when absent, JSON text for free-form values', () => {
    const next = random(19);
    for (let i = 0; i < 600; i++) {
      const event = randomEvent(next, i);
      const chain = i % 3 === 0 ? undefined : { partition: i, sequence: i * 7, previous_hash: 'a'.repeat(64), hash: 'b'.repeat(64), key_id: 'c1' };
      const expected = { ...definitionalAvroFields(CANONICAL_EVENT_FIELDS, event as unknown as Record<string, unknown>), chain: chain === undefined ? null : definitionalAvroFields(CHAIN_LINK_FIELDS, chain) };
      const actual = toAvroRecord(chain === undefined ? { event } : { event, chain });
      expect(actual).toStrictEqual(expected);
      expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    }
  });

  it('fromAvroRecord is a plain loop over the schema fields: absent (null) ones left out, free-form values parsed', () => {
    const next = random(23);
    for (let i = 0; i < 600; i++) {
      const event = randomEvent(next, i);
      const chain = i % 3 === 0 ? undefined : { partition: i, sequence: i * 7, previous_hash: 'a'.repeat(64), hash: 'b'.repeat(64), key_id: 'c1' };
      // As the registry's decoder hands it over: every field present, null when absent.
      const record = decodeCanonicalAvroRecord(toAvroRecord(chain === undefined ? { event } : { event, chain }));
      const decodedChain = record.chain as Record<string, unknown> | null;
      const expectedEvent = definitionalFromAvroFields(CANONICAL_EVENT_FIELDS, record);
      const expected = decodedChain === null ? { event: expectedEvent } : { event: expectedEvent, chain: definitionalFromAvroFields(CHAIN_LINK_FIELDS, decodedChain) };
      const actual = fromAvroRecord(record);
      expect(actual).toStrictEqual(expected);
      expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    }
  });

  it('chainHash is HMAC-SHA256 over chainMessage, for any position', () => {
    const next = random(13);
    const key = Buffer.alloc(32, 1);
    for (let i = 0; i < 500; i++) {
      const event = canonicalWireForm(randomEvent(next, i));
      const position = {
        partition: [0, 1, 255, 65_536, 0xffffffff][i % 5] as number,
        sequence: [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER][i % 6] as number,
        keyId: ['c1', 'k', 'key-2026-11'][i % 3] as string,
        previousHash: createHmac('sha256', key).update(String(i)).digest('hex'),
      };
      const expected = createHmac('sha256', key).update(chainMessage(position, event)).digest('hex');
      expect(chainHash(key, position, event)).toBe(expected);
      // The wire form's records, written in the layout's order without listing their keys.
      expect(chainHash(key, position, event, CANONICAL_WIRE_LAYOUT)).toBe(expected);
    }
    // Events larger than the reused message buffer (it grows) and than what it keeps (a buffer of their own), multi-byte text.
    const position = { partition: 3, sequence: 9, keyId: 'c1', previousHash: 'a'.repeat(64) };
    for (const size of [20_000, 70_000, 400_000, 100]) {
      const event = canonicalWireForm({ ...randomEvent(next, size), source: `é😀${'日'.repeat(size)}` });
      expect(chainHash(key, position, event)).toBe(createHmac('sha256', key).update(chainMessage(position, event)).digest('hex'));
      expect(chainHash(key, position, event, CANONICAL_WIRE_LAYOUT)).toBe(createHmac('sha256', key).update(chainMessage(position, event)).digest('hex'));
    }
  });

  it('hmacSha256 is createHmac, for keys shorter and longer than a block and any text (hex and latin1 digests)', () => {
    const next = random(17);
    const texts = ['', 'a', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), 'é😀日', '\ud800 lone', 'y'.repeat(3_000), 'z'.repeat(70_000), `${'日'.repeat(30_000)}😀`];
    for (const keyLength of [1, 16, 32, 63, 64, 65, 200]) {
      const key = Buffer.from(Array.from({ length: keyLength }, () => Math.floor(next() * 256)));
      for (const text of [...texts, ...texts.slice(0, 4)]) {
        expect(hmacSha256Latin1(key, text)).toBe(createHmac('sha256', key).update(text, 'utf8').digest().toString('latin1'));
        expect(hmacSha256Hex(key, text)).toBe(createHmac('sha256', key).update(text, 'utf8').digest('hex'));
        const message = Buffer.from(text, 'utf8');
        // The first block is the function's scratch; whatever is in it, and after `end`, is not hashed.
        const laidOut = Buffer.concat([Buffer.alloc(HMAC_PREFIX_BYTES, 0xee), message, Buffer.from('tail')]);
        expect(hmacSha256HexAfterBlock(key, laidOut, HMAC_PREFIX_BYTES + message.length)).toBe(createHmac('sha256', key).update(message).digest('hex'));
      }
      // chainHash with this key: the inner pad is written before the message in the chain's reused buffer.
      const event = canonicalWireForm(randomEvent(next, keyLength));
      const position = { partition: 1, sequence: keyLength, keyId: 'c1', previousHash: 'b'.repeat(64) };
      expect(chainHash(key, position, event, CANONICAL_WIRE_LAYOUT)).toBe(createHmac('sha256', key).update(chainMessage(position, event)).digest('hex'));
    }
  });

  it("canonicalJson quotes every string exactly as JSON.stringify does", () => {
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue; // lone surrogates are rejected
      const text = `k${String.fromCharCode(c)}v`;
      expect(canonicalJson(text)).toBe(JSON.stringify(text));
    }
    expect(canonicalJson('😀 "é"')).toBe(JSON.stringify('😀 "é"'));
  });

  it('canonicalJson is the plain recursive definition (default sort, JSON.stringify of leaves)', () => {
    const next = random(17);
    const wide = (): Record<string, unknown> => {
      // More keys than the insertion sort handles, in an order that is neither sorted nor reversed.
      const out: Record<string, unknown> = {};
      for (let i = 0; i < 40; i++) out[`${STRINGS[(i * 7) % STRINGS.length] as string}${(i * 13) % 40}`] = randomValue(next, 3);
      return out;
    };
    for (let i = 0; i < 3_000; i++) {
      const value = i % 50 === 0 ? { ...wide(), nested: wide() } : randomValue(next, 0);
      let expected: string | Error;
      try {
        expected = definitionalCanonicalJson(value);
      } catch (error) {
        expected = error as Error;
      }
      if (expected instanceof Error) expect(() => canonicalJson(value)).toThrow(expected.message);
      else expect(canonicalJson(value)).toBe(expected);
    }
    // More distinct keys than the member-prefix memo holds (it is cleared when full), keys needing escapes.
    for (let i = 0; i < 10_000; i++) {
      const value = { [`k${i}`]: i, [`q"${i % 7}\n`]: [i], [`é${i % 3}`]: { [`n${i}`]: null, a: i } };
      expect(canonicalJson(value)).toBe(definitionalCanonicalJson(value));
    }
    expect(() => canonicalJson({ ok: 1, ['\ud800']: 1 })).toThrow();
    expect(() => canonicalJson({ ok: 1, ['\ud800']: 1 })).toThrow();
  });

  it('CanonicalJsonWriter writes the UTF-8 bytes of canonicalJson, or throws its error', () => {
    const outcome = (run: () => string | Buffer): string => {
      try {
        return `ok:${run().toString()}`;
      } catch (error) {
        return `error:${(error as { code?: string }).code ?? ''}:${(error as Error).message}`;
      }
    };
    const written = (value: unknown, initial: number): Buffer => {
      const writer = new CanonicalJsonWriter(Buffer.alloc(initial));
      writer.position = 3;
      writer.write(value);
      return Buffer.from(writer.buffer.subarray(3, writer.position));
    };
    const next = random(19);
    // A tiny initial buffer, so that growing (and copying what was written) happens all the time.
    for (let i = 0; i < 3_000; i++) {
      const value = randomValue(next, 0);
      expect(outcome(() => written(value, 4))).toBe(outcome(() => Buffer.from(canonicalJson(value), 'utf8')));
    }
    for (let c = 0; c < 0x10000; c++) {
      const text = `k${String.fromCharCode(c)}v`;
      expect(outcome(() => written({ [text]: text }, 64))).toBe(outcome(() => Buffer.from(canonicalJson({ [text]: text }), 'utf8')));
    }
    const surrogates = ['\ud83d\ude00', '\ud83d', '\ude00', 'a\ud800', '\ud800\ud800\udc00', '\udc00\ud800', '😀😀x'];
    for (const text of surrogates) expect(outcome(() => written([1, text], 16))).toBe(outcome(() => Buffer.from(canonicalJson([1, text]), 'utf8')));
    for (const value of [{ f: () => 1 }, [Symbol('s')], { n: 10n }, { a: [Number.NaN] }, { d: new Date(0), m: new Map([[1, 2]]) }]) {
      expect(outcome(() => written(value, 16))).toBe(outcome(() => Buffer.from(canonicalJson(value), 'utf8')));
    }
  });

  it('canonicalJson stays exact after a rejected input and when called from inside itself', () => {
    expect(() => canonicalJson({ a: 'x', b: [1, { c: Number.NaN }] })).toThrow();
    expect(() => canonicalJson({ a: 'x', b: '\ud800' })).toThrow();
    expect(canonicalJson({ b: 1, a: 'x' })).toBe('{"a":"x","b":1}');
    const reentrant = {
      z: 1,
      get a(): string {
        return canonicalJson({ y: 2, x: [3] });
      },
    };
    expect(canonicalJson(reentrant)).toBe('{"a":"{\\"x\\":[3],\\"y\\":2}","z":1}');
  });
});

/** The Avro record of a record kind as plainly as it can be written: every field in schema order. */
function definitionalAvroFields(record: RecordField, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(record.fields)) {
    const child = value[name];
    if (child === undefined || child === null) out[name] = null;
    else if (field.kind === 'record') out[name] = definitionalAvroFields(field, child as Record<string, unknown>);
    else if (field.kind === 'json') out[name] = JSON.stringify(child);
    else out[name] = child;
  }
  return out;
}

/** A record kind of the canonical event from its Avro record, as plainly as it can be written. */
function definitionalFromAvroFields(record: RecordField, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(record.fields)) {
    const child = value[name];
    if (child === undefined || child === null) continue;
    if (field.kind === 'record') out[name] = definitionalFromAvroFields(field, child as Record<string, unknown>);
    else if (field.kind === 'json') out[name] = JSON.parse(child as string) as unknown;
    else out[name] = child;
  }
  return out;
}

/** The Avro record through avsc's own encoder and decoder, as a consumer receives it. */
function decodeCanonicalAvroRecord(record: Record<string, unknown>): Record<string, unknown> {
  const type = canonicalAvroType();
  return type.fromBuffer(type.toBuffer(record)) as Record<string, unknown>;
}

/** RFC 8785 as plainly as it can be written: the reference the hot-path serializer must match. */
function definitionalCanonicalJson(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('non-finite number cannot be canonicalized');
  if (typeof value === 'string' && /\p{Cs}/u.test(value)) throw new Error('string with a lone surrogate cannot be canonicalized');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item: unknown) => (item === undefined ? 'null' : definitionalCanonicalJson(item))).join(',')}]`;
  if (typeof value !== 'object') throw new Error(`a ${typeof value} cannot be canonicalized as JSON`);
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .filter((key) => record[key] !== undefined)
    .map((key) => `${definitionalCanonicalJson(key)}:${definitionalCanonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}
