/**
 * One connection to ClickHouse over HTTP (@clickhouse/client), aware of what the server can do.
 *
 * Quintet runs on Debian's ClickHouse 18.16 (tests) and on modern servers (docker-compose). Features
 * newer than 18.16 are detected once from `version()` and `system.settings` and used only when present:
 * TTL, DateTime64, server-side query parameters, insert deduplication tokens. Queries are written with
 * ClickHouse's own `{name:Type}` placeholders; with query parameters the values travel as
 * `param_<name>`, without them each value is inlined by `sql-literal.ts`, the one escaping function.
 */
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { QuintetConfig } from '../../core/config.js';
import { QuintetError } from '../../core/errors.js';
import { inlineParameters, sqlIdentifier, type QueryParameters } from './sql-literal.js';

/** Insert formats the analytics path uses; every supported server (18.16 included) reads them. */
export type InsertFormat = 'RowBinary' | 'TabSeparated' | 'JSONEachRow';

export interface ServerCapabilities {
  /** `TTL` on tables (19.6+). Without it, retention drops old monthly partitions. */
  readonly ttl: boolean;
  /** `DateTime64` (20.1+). */
  readonly dateTime64: boolean;
  /** Server-side `{name:Type}` query parameters (19.12+; used from 20.1 to stay clear of early bugs). */
  readonly queryParameters: boolean;
  /** The `insert_deduplication_token` setting (22.2+). */
  readonly insertDeduplicationToken: boolean;
}

export interface ServerInfo {
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  readonly capabilities: ServerCapabilities;
}

export interface ClickHouseConnectionOptions {
  readonly url: string;
  readonly username: string;
  readonly password?: string | undefined;
  readonly database: string;
  readonly requestTimeoutMs?: number;
  /** Overrides what is detected (tests use it to exercise the 18.16 path on a newer server). */
  readonly capabilities?: Partial<ServerCapabilities>;
}

export function connectionOptionsFrom(config: QuintetConfig, overrides: Partial<ClickHouseConnectionOptions> = {}): ClickHouseConnectionOptions {
  return {
    url: config.clickhouse.url,
    username: config.clickhouse.username,
    password: config.clickhouse.password?.reveal(),
    database: config.clickhouse.database,
    ...overrides,
  };
}

/** Parses `18.16.1` or `24.3.2.23` into numbers; capability thresholds follow the ClickHouse changelog. */
export function capabilitiesOf(version: string, settings: ReadonlySet<string>): ServerInfo {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  const atLeast = (m: number, n: number): boolean => major > m || (major === m && minor >= n);
  return {
    version,
    major,
    minor,
    capabilities: {
      ttl: atLeast(19, 6),
      dateTime64: atLeast(20, 1),
      queryParameters: atLeast(20, 1),
      insertDeduplicationToken: settings.has('insert_deduplication_token'),
    },
  };
}

const RETRYABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET']);
/** ClickHouse error codes that mean "try again later": timeouts, overload, too many parts, read-only replica. */
const RETRYABLE_SERVER_CODES = new Set([159, 160, 164, 202, 203, 209, 210, 241, 242, 252, 319, 425]);

/** The numeric ClickHouse error code of an error (18.16 errors carry it only in the message). */
export function clickHouseErrorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  const match = /Code: (\d+)/.exec(String((error as Error)?.message ?? ''));
  return match === null ? undefined : Number(match[1]);
}

/** Whether a failure is worth retrying: the server is unreachable, slow or overloaded. */
export function isRetryableClickHouseError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) return true;
  const cause = (error as { cause?: unknown })?.cause;
  if (cause !== undefined && cause !== error && isRetryableClickHouseError(cause)) return true;
  const serverCode = clickHouseErrorCode(error);
  if (serverCode !== undefined) return RETRYABLE_SERVER_CODES.has(serverCode);
  const message = String((error as Error)?.message ?? '');
  return /ECONNREFUSED|ECONNRESET|socket hang up|Timeout error|timed out|other side closed|EPIPE|503|502/i.test(message);
}

export class ClickHouseServer {
  readonly client: ClickHouseClient;
  readonly database: string;
  readonly #overrides: Partial<ServerCapabilities>;
  #info: ServerInfo | undefined;

  private constructor(client: ClickHouseClient, database: string, overrides: Partial<ServerCapabilities>) {
    this.client = client;
    this.database = database;
    this.#overrides = overrides;
  }

  /** A connection whose queries run in `database` (which must exist; `migrate` creates it). */
  static connect(options: ClickHouseConnectionOptions): ClickHouseServer {
    sqlIdentifier(options.database);
    const client = createClient({
      url: options.url,
      username: options.username,
      password: options.password ?? '',
      database: options.database,
      request_timeout: options.requestTimeoutMs ?? 30_000,
      // 18.16 answers plain HTTP; compressed responses help large dashboard results.
      compression: { request: false, response: true },
      // Failures surface as errors to the caller (the sink counts and logs its retries); the client's
      // own error log would print request details on every retry.
      log: { level: ClickHouseLogLevel.OFF },
      // The server closes idle keep-alive sockets after keep_alive_timeout (3 s by default); dropping
      // them sooner on our side avoids reusing one the server is closing ("socket hang up", EPIPE).
      keep_alive: { enabled: true, idle_socket_ttl: 1_000 },
    });
    return new ClickHouseServer(client, options.database, options.capabilities ?? {});
  }

  /** Version and capabilities, detected on first use. */
  async info(): Promise<ServerInfo> {
    if (this.#info === undefined) {
      const version = (await this.rows<{ v: string }>('SELECT version() AS v'))[0]?.v ?? '0.0';
      const known = await this.rows<{ name: string }>(
        "SELECT name FROM system.settings WHERE name IN ('insert_deduplication_token', 'async_insert', 'allow_experimental_low_cardinality_type')",
      );
      const detected = capabilitiesOf(version, new Set(known.map((row) => row.name)));
      this.#info = { ...detected, capabilities: { ...detected.capabilities, ...this.#overrides } };
    }
    return this.#info;
  }

  /** Runs a statement that returns nothing (DDL, ALTER). */
  async command(sql: string, settings: ClickHouseSettings = {}): Promise<void> {
    await this.client.command({ query: sql, clickhouse_settings: settings });
  }

  /**
   * Runs a SELECT with `{name:Type}` placeholders and returns its rows as JSON objects. The values
   * travel as server-side parameters when the server has them, else as literals from sql-literal.ts.
   */
  async rows<T>(sql: string, params: QueryParameters = {}): Promise<T[]> {
    const usesPlaceholders = Object.keys(params).length > 0;
    const native = usesPlaceholders && (await this.info()).capabilities.queryParameters;
    const result = await this.client.query({
      query: native || !usesPlaceholders ? sql : inlineParameters(sql, params),
      format: 'JSONEachRow',
      ...(native ? { query_params: params as Record<string, unknown> } : {}),
    });
    return result.json<T>();
  }

  /** Inserts pre-encoded JSONEachRow lines (small administrative inserts; the analytics sink uses insertBody). */
  async insertJsonLines(table: string, columns: readonly string[], lines: readonly string[], settings: ClickHouseSettings = {}): Promise<void> {
    await this.insertBody(table, columns, 'JSONEachRow', Buffer.from(lines.join('\n')), settings);
  }

  /**
   * Inserts a pre-encoded body in one request: `client.exec` sends it as it is, so the client neither
   * re-encodes nor validates the rows. (`client.insert` offers JSON, CSV, TSV and Parquet inputs but
   * not RowBinary; exec carries any format the server reads.)
   */
  async insertBody(table: string, columns: readonly string[], format: InsertFormat, body: Buffer, settings: ClickHouseSettings = {}): Promise<void> {
    const columnList = columns.map((c) => sqlIdentifier(c)).join(', ');
    const result = await this.client.exec({
      query: `INSERT INTO ${sqlIdentifier(table)} (${columnList}) FORMAT ${format}`,
      values: Readable.from([body]),
      clickhouse_settings: settings,
    });
    // Drain the (empty) response so that the socket returns to the pool.
    result.stream.resume();
    await new Promise<void>((resolve, reject) => {
      result.stream.on('end', resolve).on('close', resolve).on('error', reject);
    });
  }

  async ping(): Promise<boolean> {
    const result = await this.client.ping();
    return result.success;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Creates the database if needed, through a connection to `default` (the target may not exist yet). */
export async function ensureDatabase(options: ClickHouseConnectionOptions): Promise<void> {
  const admin = ClickHouseServer.connect({ ...options, database: 'default' });
  try {
    await admin.command(`CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(options.database)}`);
  } finally {
    await admin.close();
  }
}

export function unexpectedClickHouseError(code: string, message: string, cause: unknown): QuintetError {
  return new QuintetError(code, message, { cause, details: { clickhouseCode: clickHouseErrorCode(cause) } });
}
