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
import type { CanonicalEvent } from '../../schemas/canonical-event.js';

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
export function toAnalyticsRow(event: CanonicalEvent, position: LogPosition): StepResult<AnalyticsRow> {
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
