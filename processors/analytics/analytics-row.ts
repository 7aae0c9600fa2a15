/**
 * Maps a canonical event to the flat row of the analytics read model (ClickHouse `events`, and the
 * DuckDB twin in embedded mode).
 *
 * Privacy by construction: the row has a column for the actor's pseudonym and none for `actor.id`,
 * the client IP, user agent or session, nor for free-form objects (details, properties, attributes,
 * audit request/response, error messages) whose content is not checked for PII. Adding such a column is
 * a deliberate migration, never an accident of copying the event.
 *
 * Time: ClickHouse 18.16 has no DateTime64, so the event time is stored as a `DateTime('UTC')` (second)
 * plus a `UInt16` millisecond column; together they keep the millisecond of the canonical timestamp.
 */
import { deadLetter, ok, type StepResult } from '../../core/result.js';

/**
 * The fields of a canonical event the analytics row is made of. A full CanonicalEvent has this shape;
 * so has the analytics projection decoded straight from Avro (topologies/analytics.ts), where absent
 * optional fields are `null` rather than missing.
 */
export interface AnalyticsEventFields {
  readonly id: string;
  readonly event_timestamp: string;
  readonly observed_timestamp: string;
  readonly source?: string | null;
  readonly action?: { readonly name?: string | null; readonly type?: string | null } | null;
  readonly actor?: { readonly type?: string | null; readonly pseudonym?: string | null } | null;
  readonly entity?: { readonly type?: string | null; readonly id?: string | null } | null;
  readonly context?: {
    readonly status?: string | null;
    readonly error?: { readonly code?: string | null } | null;
    readonly telemetry?: { readonly trace_id?: string | null; readonly duration_ms?: number | null } | null;
  } | null;
}

/** One row of the `events` table, with the column names and value shapes ClickHouse expects. */
export interface AnalyticsRow {
  readonly event_id: string;
  /** `YYYY-MM-DD hh:mm:ss`, UTC. */
  readonly event_time: string;
  /** Milliseconds within `event_time`'s second, 0–999. */
  readonly event_ms: number;
  readonly observed_time: string;
  readonly observed_ms: number;
  readonly source: string;
  readonly action_name: string;
  readonly action_type: string;
  readonly actor_type: string;
  /** Pseudonym issued by the PII vault; '' when the event has no actor pseudonym. */
  readonly actor_pseudonym: string;
  readonly entity_type: string;
  readonly entity_id: string;
  /** SUCCESS | FAILURE | UNKNOWN. */
  readonly status: string;
  readonly error_code: string;
  readonly duration_ms: number | null;
  readonly trace_id: string;
  /** Where the event sits in the canonical log, to trace a row back to its chain entry. */
  readonly log_partition: number;
  /** Offset in the canonical topic, as a decimal string (UInt64). */
  readonly log_offset: string;
}

/** Where the canonical event was read from. */
export interface LogPosition {
  readonly partition: number;
  readonly offset: string;
}

/** Columns of AnalyticsRow in table order: the insert column list and the DuckDB twin use it. */
export const ANALYTICS_COLUMNS = [
  'event_id',
  'event_time',
  'event_ms',
  'observed_time',
  'observed_ms',
  'source',
  'action_name',
  'action_type',
  'actor_type',
  'actor_pseudonym',
  'entity_type',
  'entity_id',
  'status',
  'error_code',
  'duration_ms',
  'trace_id',
  'log_partition',
  'log_offset',
] as const satisfies readonly (keyof AnalyticsRow)[];

/** DateTime's range on every ClickHouse version: 1970-01-01 to 2105-12-31 (UInt32 seconds). */
const MAX_DATETIME_SECONDS = 4_291_747_199;
const STAGE = 'analytics';

export interface SplitTime {
  /** `YYYY-MM-DD hh:mm:ss` in UTC. */
  readonly dateTime: string;
  readonly milliseconds: number;
  readonly epochMs: number;
}

/** Splits an ISO-8601 timestamp into DateTime text and milliseconds; undefined when unusable. */
export function splitTimestamp(iso: string): SplitTime | undefined {
  return splitCanonicalTimestamp(iso) ?? splitAnyTimestamp(iso);
}

const DIGIT_0 = 48;
const digitsAt = (text: string, from: number, count: number): number => {
  let value = 0;
  for (let i = from; i < from + count; i += 1) {
    const digit = text.charCodeAt(i) - DIGIT_0;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
};

/**
 * The canonical form `YYYY-MM-DDThh:mm:ss.sssZ` (what ingest writes), read without Date.parse and
 * toISOString, which cost more than the rest of the row. Only a real calendar time is accepted here
 * (Date.parse would roll `02-30` or `24:00` over to the next day); anything else takes the general path,
 * which normalizes it, so both paths give the same result.
 */
function splitCanonicalTimestamp(iso: string): SplitTime | undefined {
  if (typeof iso !== 'string' || iso.length !== 24 || iso.charCodeAt(4) !== 45 || iso.charCodeAt(7) !== 45 || iso.charCodeAt(10) !== 84 || iso.charCodeAt(13) !== 58 || iso.charCodeAt(16) !== 58 || iso.charCodeAt(19) !== 46 || iso.charCodeAt(23) !== 90) {
    return undefined;
  }
  const year = digitsAt(iso, 0, 4);
  const month = digitsAt(iso, 5, 2);
  const day = digitsAt(iso, 8, 2);
  const hour = digitsAt(iso, 11, 2);
  const minute = digitsAt(iso, 14, 2);
  const second = digitsAt(iso, 17, 2);
  const milliseconds = digitsAt(iso, 20, 3);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || milliseconds < 0) return undefined;
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second, milliseconds);
  // Day beyond the month's end (rolled over) or beyond DateTime's range: the general path decides.
  if (day > daysInMonth(year, month) || epochMs / 1000 > MAX_DATETIME_SECONDS) return undefined;
  return { dateTime: `${iso.slice(0, 10)} ${iso.slice(11, 19)}`, milliseconds, epochMs };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
}

function splitAnyTimestamp(iso: string): SplitTime | undefined {
  const epochMs = Date.parse(iso);
  if (!Number.isFinite(epochMs) || epochMs < 0 || epochMs / 1000 > MAX_DATETIME_SECONDS) return undefined;
  return { dateTime: formatDateTime(epochMs), milliseconds: epochMs % 1000, epochMs };
}

/** `YYYY-MM-DD hh:mm:ss` (UTC) of an epoch-millisecond instant: the text form of a DateTime('UTC'). */
export function formatDateTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ');
}

/** Epoch milliseconds of a row's event time. */
export function rowEventMs(row: AnalyticsRow): number {
  return Date.parse(`${row.event_time.replace(' ', 'T')}Z`) + row.event_ms;
}

/** Builds the analytics row, or dead-letters an event whose times cannot be stored. */
export function toAnalyticsRow(event: AnalyticsEventFields, position: LogPosition): StepResult<AnalyticsRow> {
  if (typeof event.id !== 'string' || event.id === '') {
    return deadLetter(STAGE, 'ANALYTICS_EVENT_ID_MISSING', 'canonical event has no id', 'id');
  }
  const occurred = splitTimestamp(event.event_timestamp);
  if (occurred === undefined) {
    return deadLetter(STAGE, 'ANALYTICS_TIME_OUT_OF_RANGE', 'event_timestamp is not a time between 1970 and 2105', 'event_timestamp');
  }
  const observed = splitTimestamp(event.observed_timestamp) ?? occurred;
  const duration = event.context?.telemetry?.duration_ms;
  return ok({
    event_id: event.id,
    event_time: occurred.dateTime,
    event_ms: occurred.milliseconds,
    observed_time: observed.dateTime,
    observed_ms: observed.milliseconds,
    source: event.source ?? '',
    action_name: event.action?.name ?? '',
    action_type: event.action?.type ?? '',
    actor_type: event.actor?.type ?? '',
    actor_pseudonym: event.actor?.pseudonym ?? '',
    entity_type: event.entity?.type ?? '',
    entity_id: event.entity?.id ?? '',
    status: event.context?.status ?? 'UNKNOWN',
    error_code: event.context?.error?.code ?? '',
    duration_ms: typeof duration === 'number' && Number.isFinite(duration) ? duration : null,
    trace_id: event.context?.telemetry?.trace_id ?? '',
    log_partition: position.partition,
    log_offset: position.offset,
  });
}

/** One JSONEachRow line (no newline) for the row: the insert encoding chosen by bench/analytics.ts. */
export function encodeJsonEachRow(row: AnalyticsRow): string {
  return JSON.stringify(row);
}

const TSV_SPECIAL = /[\\\t\n\r]/;
const TSV_SPECIAL_ALL = /[\\\t\n\r]/g;
const TSV_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * A string field of ClickHouse's TabSeparated format: backslash, tab, newline and carriage return are
 * escaped (`\\`, `\t`, `\n`, `\r`); everything else, any Unicode included, passes through as UTF-8.
 */
export function tsvString(value: string): string {
  return TSV_SPECIAL.test(value) ? value.replace(TSV_SPECIAL_ALL, (c) => TSV_ESCAPES[c] as string) : value;
}

/**
 * One TabSeparated line (no newline) for the row, columns in ANALYTICS_COLUMNS order: the insert
 * encoding chosen by bench/analytics.ts (see docs/analytics.md#insert-format). Numbers are JavaScript's
 * shortest round-trip text; a missing duration is `\N` (NULL).
 */
export function encodeTabSeparated(row: AnalyticsRow): string {
  return `${tsvString(row.event_id)}\t${row.event_time}\t${row.event_ms}\t${row.observed_time}\t${row.observed_ms}\t${tsvString(row.source)}\t${tsvString(row.action_name)}\t${tsvString(row.action_type)}\t${tsvString(row.actor_type)}\t${tsvString(row.actor_pseudonym)}\t${tsvString(row.entity_type)}\t${tsvString(row.entity_id)}\t${tsvString(row.status)}\t${tsvString(row.error_code)}\t${row.duration_ms === null ? '\\N' : String(row.duration_ms)}\t${tsvString(row.trace_id)}\t${row.log_partition}\t${row.log_offset}`;
}
