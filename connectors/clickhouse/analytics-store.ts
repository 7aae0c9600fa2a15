/**
 * The ClickHouse side of the analytics read model: the batch writer used by the sink and the
 * dashboard backend used by DashboardRunner.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYTICS_COLUMNS, encodeJsonEachRow, encodeTabSeparated, type AnalyticsRow } from '../../processors/analytics/analytics-row.js';
import type { BoundParameters, DashboardBackend, DashboardDefinition } from '../../processors/analytics/dashboards.js';
import { deployPath } from './migrations.js';
import type { BatchWriter, RowBinaryCapable } from '../../processors/analytics/batching-sink.js';
import { encodeRowBinary } from '../../processors/analytics/row-binary.js';
import { isRetryableClickHouseError, type ClickHouseServer, type InsertFormat } from './server.js';

export const EVENTS_TABLE = 'events';

/** The body of an insert of `rows` in `format` (columns in ANALYTICS_COLUMNS order). */
export function encodeInsertBody(rows: readonly AnalyticsRow[], format: InsertFormat): Buffer {
  if (format === 'RowBinary') return encodeRowBinary(rows);
  const encode = format === 'TabSeparated' ? encodeTabSeparated : encodeJsonEachRow;
  let text = '';
  for (const row of rows) text += `${encode(row)}\n`;
  return Buffer.from(text);
}

/**
 * Writes batches of analytics rows into `events`, in the insert format chosen by bench/analytics.ts:
 * RowBinary by default (exact doubles, no escaping, fastest; docs/analytics.md#insert-format);
 * TabSeparated and JSONEachRow stay available for comparison.
 * On servers with `insert_deduplication_token` the token is the hash of the batch's body, so an
 * identical retried batch is dropped by the server too (tables created with a deduplication window);
 * on every server, ReplacingMergeTree and the dashboards' uniqExact/FINAL make redelivery harmless.
 */
export class ClickHouseEventWriter implements BatchWriter<AnalyticsRow>, RowBinaryCapable {
  readonly name = 'clickhouse';
  readonly format: InsertFormat;
  readonly #server: ClickHouseServer;
  readonly #table: string;

  constructor(server: ClickHouseServer, table: string = EVENTS_TABLE, format: InsertFormat = 'RowBinary') {
    this.#server = server;
    this.#table = table;
    this.format = format;
  }

  async write(rows: readonly AnalyticsRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#insert(encodeInsertBody(rows, this.format));
  }

  /** Rows already in RowBinary (the transcoder's, avro-row-binary.ts): one body, the same insert. */
  rowBinaryWriter(): BatchWriter<Buffer> | undefined {
    if (this.format !== 'RowBinary') return undefined;
    return {
      name: this.name,
      write: async (rows) => {
        if (rows.length > 0) await this.#insert(Buffer.concat(rows));
      },
      isRetryable: (error) => this.isRetryable(error),
    };
  }

  async #insert(body: Buffer): Promise<void> {
    const { capabilities } = await this.#server.info();
    const settings = capabilities.insertDeduplicationToken ? { insert_deduplication_token: createHash('sha256').update(body).digest('hex') } : {};
    await this.#server.insertBody(this.#table, ANALYTICS_COLUMNS, this.format, body, settings as Record<string, string>);
  }

  isRetryable(error: unknown): boolean {
    return isRetryableClickHouseError(error);
  }
}

/** Reads `<name>.<backend>.sql` from deploy/clickhouse/dashboards (cached: the files do not change at run time). */
export function dashboardSql(name: string, backend: 'clickhouse' | 'duckdb'): string {
  const key = `${name}.${backend}`;
  let sql = SQL_CACHE.get(key);
  if (sql === undefined) {
    sql = readFileSync(join(deployPath('clickhouse', 'dashboards'), `${key}.sql`), 'utf8');
    SQL_CACHE.set(key, sql);
  }
  return sql;
}
const SQL_CACHE = new Map<string, string>();

export class ClickHouseDashboardBackend implements DashboardBackend {
  readonly name = 'clickhouse';
  readonly #server: ClickHouseServer;

  constructor(server: ClickHouseServer) {
    this.#server = server;
  }

  async query(dashboard: DashboardDefinition, parameters: BoundParameters): Promise<readonly Record<string, unknown>[]> {
    return this.#server.rows<Record<string, unknown>>(dashboardSql(dashboard.name, 'clickhouse'), parameters);
  }
}
