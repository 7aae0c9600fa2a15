/**
 * The embedded twin of the ClickHouse analytics read model: the same rows and the same named
 * dashboards, on DuckDB in-process (@duckdb/node-api), for Quintet's no-services mode.
 *
 * Differences from ClickHouse, hidden behind BatchWriter and DashboardBackend:
 * - dedup happens on write: `event_id` is the primary key and batches go in with INSERT OR IGNORE
 *   (through a staging table filled by the appender), so the dashboards count rows directly;
 * - values are bound as real prepared-statement parameters (`$name`), never inlined;
 * - event time is a TIMESTAMP with milliseconds; `event_ts_ms` mirrors ClickHouse's column.
 */
import { DuckDBConnection, DuckDBInstance, DuckDBTimestampValue, type DuckDBValue } from '@duckdb/node-api';
import { QuintetError } from '../../core/errors.js';
import { rowEventMs, type AnalyticsRow } from '../../processors/analytics/analytics-row.js';
import type { BatchWriter } from '../../processors/analytics/batching-sink.js';
import type { BoundParameters, DashboardBackend, DashboardDefinition } from '../../processors/analytics/dashboards.js';
import { dashboardSql } from '../clickhouse/analytics-store.js';

const COLUMNS_SQL = `
    event_id VARCHAR NOT NULL,
    event_time TIMESTAMP NOT NULL,
    event_ms USMALLINT NOT NULL,
    observed_time TIMESTAMP NOT NULL,
    observed_ms USMALLINT NOT NULL,
    source VARCHAR NOT NULL,
    action_name VARCHAR NOT NULL,
    action_type VARCHAR NOT NULL,
    actor_type VARCHAR NOT NULL,
    actor_pseudonym VARCHAR NOT NULL,
    entity_type VARCHAR NOT NULL,
    entity_id VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    error_code VARCHAR NOT NULL,
    duration_ms DOUBLE,
    trace_id VARCHAR NOT NULL,
    log_partition UINTEGER NOT NULL,
    log_offset UBIGINT NOT NULL,
    event_ts_ms BIGINT NOT NULL`;

function timestampOf(dateTime: string, ms: number): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(Date.parse(`${dateTime.replace(' ', 'T')}Z`) + ms) * 1000n);
}

export class DuckDbAnalyticsStore implements BatchWriter<AnalyticsRow>, DashboardBackend {
  readonly name = 'duckdb';
  readonly #instance: DuckDBInstance;
  readonly #writer: DuckDBConnection;
  readonly #reader: DuckDBConnection;

  private constructor(instance: DuckDBInstance, writer: DuckDBConnection, reader: DuckDBConnection) {
    this.#instance = instance;
    this.#writer = writer;
    this.#reader = reader;
  }

  /** Opens (and creates if needed) the store; `:memory:` for a throw-away one. */
  static async open(path = ':memory:'): Promise<DuckDbAnalyticsStore> {
    const instance = await DuckDBInstance.create(path);
    const writer = await instance.connect();
    await writer.run(`CREATE TABLE IF NOT EXISTS events (${COLUMNS_SQL}, PRIMARY KEY (event_id))`);
    await writer.run(`CREATE TABLE IF NOT EXISTS events_staging (${COLUMNS_SQL})`);
    await writer.run('DELETE FROM events_staging');
    const reader = await instance.connect();
    return new DuckDbAnalyticsStore(instance, writer, reader);
  }

  /** Appends a batch; events already stored (redelivery) and duplicates within the batch are ignored. */
  async write(rows: readonly AnalyticsRow[]): Promise<void> {
    if (rows.length === 0) return;
    const appender = await this.#writer.createAppender('events_staging');
    try {
      for (const row of rows) {
        appender.appendVarchar(row.event_id);
        appender.appendTimestamp(timestampOf(row.event_time, row.event_ms));
        appender.appendUSmallInt(row.event_ms);
        appender.appendTimestamp(timestampOf(row.observed_time, row.observed_ms));
        appender.appendUSmallInt(row.observed_ms);
        appender.appendVarchar(row.source);
        appender.appendVarchar(row.action_name);
        appender.appendVarchar(row.action_type);
        appender.appendVarchar(row.actor_type);
        appender.appendVarchar(row.actor_pseudonym);
        appender.appendVarchar(row.entity_type);
        appender.appendVarchar(row.entity_id);
        appender.appendVarchar(row.status);
        appender.appendVarchar(row.error_code);
        if (row.duration_ms === null) appender.appendNull();
        else appender.appendDouble(row.duration_ms);
        appender.appendVarchar(row.trace_id);
        appender.appendUInteger(row.log_partition);
        appender.appendUBigInt(BigInt(row.log_offset));
        appender.appendBigInt(BigInt(rowEventMs(row)));
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    await this.#writer.run('BEGIN TRANSACTION');
    try {
      await this.#writer.run('INSERT OR IGNORE INTO events SELECT DISTINCT ON (event_id) * FROM events_staging');
      await this.#writer.run('DELETE FROM events_staging');
      await this.#writer.run('COMMIT');
    } catch (error) {
      await this.#writer.run('ROLLBACK');
      await this.#writer.run('DELETE FROM events_staging');
      throw error;
    }
  }

  /** DuckDB is in-process: a failed write is a bug or a full disk, not something to wait out. */
  isRetryable(): boolean {
    return false;
  }

  async query(dashboard: DashboardDefinition, parameters: BoundParameters): Promise<readonly Record<string, unknown>[]> {
    const values: Record<string, DuckDBValue> = {};
    for (const [name, value] of Object.entries(parameters)) values[name] = typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
    try {
      const reader = await this.#reader.runAndReadAll(dashboardSql(dashboard.name, 'duckdb'), values);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    } catch (error) {
      throw new QuintetError('DASHBOARD_QUERY_FAILED', `dashboard ${dashboard.name} failed on DuckDB`, { cause: error });
    }
  }

  /** Every stored row as text, one line per row (privacy scans look for raw identifiers in it). */
  async dumpText(): Promise<string> {
    const reader = await this.#reader.runAndReadAll('SELECT * FROM events');
    return reader
      .getRowObjectsJS()
      .map((row) => JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)))
      .join('\n');
  }

  /** Number of stored (deduplicated) events. */
  async count(): Promise<number> {
    const reader = await this.#reader.runAndReadAll('SELECT count(*) AS n FROM events');
    return Number((reader.getRowObjectsJS()[0] as { n: bigint }).n);
  }

  close(): void {
    this.#writer.closeSync();
    this.#reader.closeSync();
    this.#instance.closeSync();
  }
}
