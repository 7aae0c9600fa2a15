/**
 * The analytics row's pure pieces: the canonical-timestamp fast path gives what Date gives, the
 * TabSeparated and RowBinary encodings carry every value, and the Avro projection reads canonical
 * records written with the full schema.
 */
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { encodeTabSeparated, formatDateTime, splitTimestamp, toAnalyticsRow, tsvString, type AnalyticsRow } from '../../../processors/analytics/analytics-row.js';
import { ANALYTICS_EVENT_PATHS, projectAvroRecord } from '../../../processors/analytics/analytics-projection.js';
import { dateTimeSeconds, encodeRowBinary } from '../../../processors/analytics/row-binary.js';
import { syntheticEvents } from '../../../processors/analytics/synthetic-events.js';
import { canonicalAvroType, canonicalEventAvroSchema, toAvroRecord } from '../../../schemas/avro.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';
import { analyticsReaderSchema } from '../../../topologies/analytics.js';

/** The general path the fast one must agree with. */
function viaDate(iso: string) {
  const epochMs = Date.parse(iso);
  if (!Number.isFinite(epochMs) || epochMs < 0 || epochMs / 1000 > 4_291_747_199) return undefined;
  return { dateTime: formatDateTime(epochMs), milliseconds: epochMs % 1000, epochMs };
}

describe('splitTimestamp', () => {
  it('agrees with Date on canonical timestamps across the whole DateTime range', () => {
    let state = 7;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648;
    };
    for (let i = 0; i < 20_000; i += 1) {
      const iso = new Date(Math.floor(random() * 4_291_747_199_999)).toISOString();
      expect(splitTimestamp(iso), iso).toEqual(viaDate(iso));
    }
  });

  it('leaves rolled-over, offset and out-of-range times to the general path, with the same result', () => {
    for (const iso of [
      '2026-02-30T00:00:00.000Z', // Date rolls over to March 2
      '2024-02-29T23:59:59.999Z',
      '2100-02-29T00:00:00.000Z',
      '2026-01-01T24:00:00.000Z',
      '2026-11-28T09:01:03.123+01:00',
      '2026-11-28T09:01:03Z',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T00:00:00.000Z',
      '2105-12-31T23:59:59.999Z',
      '2106-01-01T00:00:00.000Z',
      '2026-1x-28T09:01:03.123Z',
      'yesterday',
    ]) {
      expect(splitTimestamp(iso), iso).toEqual(viaDate(iso));
    }
  });
});

const row = (overrides: Partial<AnalyticsRow>): AnalyticsRow => {
  const [event] = [...syntheticEvents({ count: 1, startMs: Date.UTC(2026, 10, 1), spanMs: 1000, seed: 2 })];
  const result = toAnalyticsRow(event as CanonicalEvent, { partition: 3, offset: '42' });
  if (result.kind !== 'ok') throw new Error('synthetic event rejected');
  return { ...result.value, ...overrides };
};

describe('TabSeparated encoding', () => {
  const unescape = (field: string) => field.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c] ?? c);

  it('escapes backslash, tab, newline and carriage return and passes Unicode through', () => {
    expect(tsvString('plain ü 日本 🎉')).toBe('plain ü 日本 🎉');
    const nasty = 'a\tb\nc\rd\\e\\tf';
    const line = encodeTabSeparated(row({ source: nasty, entity_id: nasty, duration_ms: null }));
    expect(line).not.toMatch(/\n|\r/);
    const fields = line.split('\t');
    expect(fields).toHaveLength(18);
    expect(unescape(fields[5] as string)).toBe(nasty);
    expect(unescape(fields[11] as string)).toBe(nasty);
    expect(fields[14]).toBe('\\N');
  });
});

describe('RowBinary encoding', () => {
  /** Reads the body back with the column types of the events table. */
  function decode(body: Buffer): Record<string, unknown>[] {
    let at = 0;
    const uleb = () => {
      let value = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = body[at++] as number;
        value += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return value;
      }
    };
    const string = () => {
      const length = uleb();
      const text = body.toString('utf8', at, at + length);
      at += length;
      return text;
    };
    const dateTime = () => {
      const seconds = body.readUInt32LE(at);
      at += 4;
      return formatDateTime(seconds * 1000);
    };
    const u16 = () => {
      at += 2;
      return body.readUInt16LE(at - 2);
    };
    const rows: Record<string, unknown>[] = [];
    while (at < body.length) {
      const decoded: Record<string, unknown> = { event_id: string(), event_time: dateTime(), event_ms: u16(), observed_time: dateTime(), observed_ms: u16() };
      for (const name of ['source', 'action_name', 'action_type', 'actor_type', 'actor_pseudonym', 'entity_type', 'entity_id', 'status', 'error_code']) decoded[name] = string();
      const isNull = body[at++] === 1;
      decoded.duration_ms = isNull ? null : body.readDoubleLE(at);
      if (!isNull) at += 8;
      decoded.trace_id = string();
      decoded.log_partition = body.readUInt32LE(at);
      decoded.log_offset = body.readBigUInt64LE(at + 4).toString();
      at += 12;
      rows.push(decoded);
    }
    return rows;
  }

  it('round-trips every column: long and multi-byte strings, exact doubles, NULL, 64-bit offsets', () => {
    const rows = [
      row({ source: 'x'.repeat(42), entity_id: 'é'.repeat(42), duration_ms: 4.56, log_offset: '0' }),
      row({ source: '🎉'.repeat(100), entity_id: 'y'.repeat(20_000), duration_ms: null, log_offset: '9007199254740993' }),
      row({ source: '', trace_id: 'tab\there\nnew', duration_ms: 5e-324, log_offset: '18446744073709551615', event_time: '2105-12-31 23:59:59', event_ms: 999 }),
    ];
    expect(decode(encodeRowBinary(rows))).toEqual(rows.map((r) => ({ ...r })));
  });

  it('reads DateTime text as epoch seconds', () => {
    expect(dateTimeSeconds('2026-11-28 09:01:03')).toBe(Date.UTC(2026, 10, 28, 9, 1, 3) / 1000);
    expect(dateTimeSeconds('1970-01-01 00:00:00')).toBe(0);
  });
});

describe('analytics projection of the canonical Avro schema', () => {
  it('keeps exactly the analytics fields and reads full canonical records into the row', () => {
    const projected = avro.Type.forSchema(analyticsReaderSchema() as avro.Schema);
    const names = (type: avro.Type, prefix = ''): string[] =>
      (type as avro.types.RecordType).fields.flatMap((field) => {
        const inner = field.type.typeName === 'union:unwrapped' ? (field.type as avro.types.UnwrappedUnionType).types.find((t) => t.typeName === 'record') : field.type;
        return inner !== undefined && inner.typeName === 'record' ? names(inner, `${prefix}${field.name}.`) : [`${prefix}${field.name}`];
      });
    expect(names(projected).sort()).toEqual([...ANALYTICS_EVENT_PATHS].sort());

    const [base] = [...syntheticEvents({ count: 1, startMs: Date.UTC(2026, 10, 1), spanMs: 1000, seed: 9 })];
    const event: CanonicalEvent = {
      ...(base as CanonicalEvent),
      actor: { ...(base as CanonicalEvent).actor, details: { plan: 'pro' } },
      context: { ...(base as CanonicalEvent).context, client: { user_agent: 'UA' }, attributes: { deep: { nested: [1, 2] } } },
    };
    const written = canonicalAvroType().toBuffer(toAvroRecord({ event, chain: { partition: 0, sequence: 1, previous_hash: '0'.repeat(64), hash: 'f'.repeat(64), key_id: 'k' } }));
    const read = projected.createResolver(canonicalAvroType());
    const decoded = projected.fromBuffer(written, read) as Record<string, unknown>;
    expect(JSON.stringify(decoded)).not.toContain('UA');
    expect(toAnalyticsRow(decoded as never, { partition: 1, offset: '7' })).toEqual(toAnalyticsRow(event, { partition: 1, offset: '7' }));
  });

  it('refuses a path the canonical schema does not have', () => {
    expect(() => projectAvroRecord(canonicalEventAvroSchema() as never, ['id', 'actor.nickname'])).toThrow(expect.objectContaining({ code: 'ANALYTICS_PROJECTION_INVALID' }));
  });
});
