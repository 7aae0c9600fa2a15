/**
 * The named dashboards of the analytics read model: their parameters (typed and validated before any
 * value gets near SQL), their result columns, and one runner contract shared by the two backends:
 * ClickHouse (Kafka mode) and DuckDB (embedded mode). Each dashboard has one SQL file per backend, side
 * by side in deploy/clickhouse/dashboards/ (`<name>.clickhouse.sql`, `<name>.duckdb.sql`), because the
 * dialects differ (aggregate states, FINAL, quantile functions); the contract test runs the same
 * events into both and requires identical results.
 *
 * Conventions that make the two backends agree exactly:
 * - time ranges are half-open [from, to) in epoch milliseconds (`from_ms`, `to_ms`);
 * - bucketed dashboards select the buckets whose start lies in [from, to);
 * - time columns come back as epoch seconds and are turned into ISO-8601 UTC here;
 * - every ORDER BY is total (ties broken by name), so row order is part of the contract.
 */
import { QuintetError } from '../../core/errors.js';

export type ParameterType = 'time' | 'integer' | 'actionName' | 'text';

export interface ParameterDefinition {
  readonly name: string;
  readonly type: ParameterType;
  readonly description: string;
  /** Default as text (times may be relative: `now`, `now-24h`, `now-28d`). Undefined = required. */
  readonly defaultValue?: string;
  readonly min?: number;
  readonly max?: number;
}

export type ColumnType = 'time' | 'date' | 'string' | 'count' | 'number';

export interface ColumnDefinition {
  readonly name: string;
  readonly type: ColumnType;
}

export interface DashboardDefinition {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly parameters: readonly ParameterDefinition[];
  readonly columns: readonly ColumnDefinition[];
}

const FROM: ParameterDefinition = { name: 'from', type: 'time', description: 'Start of the range, inclusive (ISO-8601 or now-<n><m|h|d>)', defaultValue: 'now-24h' };
const TO: ParameterDefinition = { name: 'to', type: 'time', description: 'End of the range, exclusive (ISO-8601 or now)', defaultValue: 'now' };
const LIMIT: ParameterDefinition = { name: 'limit', type: 'integer', description: 'Most rows returned', defaultValue: '10', min: 1, max: 1000 };

export const DASHBOARDS: readonly DashboardDefinition[] = [
  {
    name: 'events-per-minute',
    title: 'Events per minute by action name',
    description: 'Distinct events per UTC minute and action name, for the minutes starting in [from, to). Optional action filter.',
    parameters: [FROM, TO, { name: 'action', type: 'actionName', description: 'Only this action name (domain.entity.action); empty for all', defaultValue: '' }],
    columns: [
      { name: 'minute', type: 'time' },
      { name: 'action_name', type: 'string' },
      { name: 'events', type: 'count' },
    ],
  },
  {
    name: 'daily-active-users',
    title: 'Daily active users',
    description: 'Distinct actor pseudonyms per UTC day, for the days starting in [from, to).',
    parameters: [{ ...FROM, defaultValue: 'now-30d' }, TO],
    columns: [
      { name: 'date', type: 'date' },
      { name: 'active_users', type: 'count' },
    ],
  },
  {
    name: 'weekly-active-users',
    title: 'Weekly active users',
    description: 'Distinct actor pseudonyms per ISO week (starting Monday, UTC), over the days starting in [from, to); edge weeks may be partial.',
    parameters: [{ ...FROM, defaultValue: 'now-84d' }, TO],
    columns: [
      { name: 'week', type: 'date' },
      { name: 'active_users', type: 'count' },
    ],
  },
  {
    name: 'top-entities',
    title: 'Top entities by action',
    description: 'Entities with the most distinct events of one action name in [from, to).',
    parameters: [FROM, TO, { name: 'action', type: 'actionName', description: 'Action name (domain.entity.action)' }, LIMIT],
    columns: [
      { name: 'entity_type', type: 'string' },
      { name: 'entity_id', type: 'string' },
      { name: 'events', type: 'count' },
    ],
  },
  {
    name: 'failed-actions',
    title: 'Failed logins and other failed actions per hour',
    description: 'Distinct events per UTC hour and action name whose status is FAILURE or whose action ends in .login_failed, in [from, to).',
    parameters: [FROM, TO],
    columns: [
      { name: 'hour', type: 'time' },
      { name: 'action_name', type: 'string' },
      { name: 'failures', type: 'count' },
    ],
  },
  {
    name: 'duration-percentiles',
    title: 'p50 / p95 of telemetry.duration_ms by source',
    description: 'Exact percentiles (the value at rank floor(q·n) of the sorted durations) of distinct events with a duration, by source, in [from, to).',
    parameters: [FROM, TO],
    columns: [
      { name: 'source', type: 'string' },
      { name: 'events', type: 'count' },
      { name: 'p50_ms', type: 'number' },
      { name: 'p95_ms', type: 'number' },
    ],
  },
  {
    name: 'likes-per-post',
    title: 'Likes per post',
    description: 'Distinct like and unlike events per post (entity id) in [from, to), most liked first.',
    parameters: [
      FROM,
      TO,
      { name: 'like_action', type: 'actionName', description: 'Action name of a like', defaultValue: 'social.post.liked' },
      { name: 'unlike_action', type: 'actionName', description: 'Action name of an unlike', defaultValue: 'social.post.unliked' },
      LIMIT,
    ],
    columns: [
      { name: 'post_id', type: 'string' },
      { name: 'likes', type: 'count' },
      { name: 'unlikes', type: 'count' },
      { name: 'net_likes', type: 'count' },
    ],
  },
];

export function dashboardNamed(name: string): DashboardDefinition {
  const dashboard = DASHBOARDS.find((d) => d.name === name);
  if (dashboard === undefined) {
    throw new QuintetError('DASHBOARD_UNKNOWN', `unknown dashboard "${name.slice(0, 64)}" (known: ${DASHBOARDS.map((d) => d.name).join(', ')})`);
  }
  return dashboard;
}

/** Values bound to a dashboard's SQL placeholders: times become `<name>_ms` epoch milliseconds. */
export type BoundParameters = Readonly<Record<string, string | number>>;

export interface ResolvedParameters {
  /** What the user asked for, normalized (times as ISO-8601), for display and JSON output. */
  readonly display: Readonly<Record<string, string | number>>;
  readonly bound: BoundParameters;
}

/** `domain.entity.action` as the taxonomy defines it: lower-case segments of letters, digits and `_`. */
const ACTION_NAME = /^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63}){2,3}$/;
const RELATIVE_TIME = /^now(?:-(\d{1,6})([smhd]))?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)?(?:Z|[+-]\d{2}:\d{2})?$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function invalid(dashboard: string, parameter: string, expected: string): QuintetError {
  return new QuintetError('DASHBOARD_PARAMETER_INVALID', `${dashboard}: --${parameter.replace(/_/g, '-')} must be ${expected}`, { details: { dashboard, parameter } });
}

function parseTime(dashboard: string, definition: ParameterDefinition, raw: string, nowMs: number): number {
  const relative = RELATIVE_TIME.exec(raw);
  if (relative !== null) {
    return relative[1] === undefined ? nowMs : nowMs - Number(relative[1]) * (UNIT_MS[relative[2] as string] as number);
  }
  if (!ISO_TIME.test(raw)) throw invalid(dashboard, definition.name, 'an ISO-8601 time (e.g. 2026-11-28T09:00:00Z) or now-<n><s|m|h|d>');
  // A time without zone is read as UTC, like every time in Quintet.
  const withZone = /(?:Z|[+-]\d{2}:\d{2})$/.test(raw) || raw.length === 10 ? raw : `${raw}Z`;
  const ms = Date.parse(withZone.replace(' ', 'T'));
  if (!Number.isFinite(ms) || ms < 0 || ms > 4_291_747_199_000) throw invalid(dashboard, definition.name, 'a time between 1970 and 2105');
  return ms;
}

/** Validates and types every parameter; unknown parameters are refused. */
export function resolveParameters(
  dashboard: DashboardDefinition,
  raw: Readonly<Record<string, string | number | undefined>>,
  nowMs: number,
): ResolvedParameters {
  const known = new Set(dashboard.parameters.map((p) => p.name));
  for (const name of Object.keys(raw)) {
    if (raw[name] !== undefined && !known.has(name)) throw invalid(dashboard.name, name.slice(0, 64), `one of ${[...known].join(', ')} (unknown parameter)`);
  }
  const display: Record<string, string | number> = {};
  const bound: Record<string, string | number> = {};
  for (const definition of dashboard.parameters) {
    const given = raw[definition.name];
    const text = given === undefined ? definition.defaultValue : String(given).trim();
    if (text === undefined) throw invalid(dashboard.name, definition.name, `given (${definition.description})`);
    switch (definition.type) {
      case 'time': {
        const ms = parseTime(dashboard.name, definition, text, nowMs);
        display[definition.name] = new Date(ms).toISOString();
        bound[`${definition.name}_ms`] = ms;
        break;
      }
      case 'integer': {
        const value = Number(text);
        const min = definition.min ?? 0;
        const max = definition.max ?? Number.MAX_SAFE_INTEGER;
        if (!/^\d{1,15}$/.test(text) || value < min || value > max) throw invalid(dashboard.name, definition.name, `an integer from ${min} to ${max}`);
        display[definition.name] = value;
        bound[definition.name] = value;
        break;
      }
      case 'actionName': {
        const optional = definition.defaultValue === '';
        if (!(optional && text === '') && !ACTION_NAME.test(text)) throw invalid(dashboard.name, definition.name, 'an action name like billing.invoice.created');
        display[definition.name] = text;
        bound[definition.name] = text;
        break;
      }
      case 'text': {
        // eslint-disable-next-line no-control-regex
        if (text.length > 256 || /[\u0000-\u001f\u007f]/.test(text)) throw invalid(dashboard.name, definition.name, 'text of at most 256 printable characters');
        display[definition.name] = text;
        bound[definition.name] = text;
        break;
      }
    }
  }
  if (bound.from_ms !== undefined && bound.to_ms !== undefined && (bound.from_ms as number) >= (bound.to_ms as number)) {
    throw invalid(dashboard.name, 'from', 'earlier than --to');
  }
  return { display, bound };
}

export type Cell = string | number | null;

export interface DashboardResult {
  readonly dashboard: string;
  readonly title: string;
  readonly backend: string;
  readonly parameters: Readonly<Record<string, string | number>>;
  readonly columns: readonly ColumnDefinition[];
  readonly rows: readonly Readonly<Record<string, Cell>>[];
}

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'bigint' ? Number(value) : Number(value);
  return Number.isFinite(n) ? n : null;
}

/** Turns a backend's raw row (numbers as strings or bigints, times as epoch seconds) into the contract. */
export function normalizeRow(columns: readonly ColumnDefinition[], raw: Readonly<Record<string, unknown>>): Record<string, Cell> {
  const row: Record<string, Cell> = {};
  for (const column of columns) {
    const value = raw[column.name];
    switch (column.type) {
      case 'time': {
        const seconds = toNumber(value);
        row[column.name] = seconds === null ? null : new Date(seconds * 1000).toISOString();
        break;
      }
      case 'date': {
        const seconds = toNumber(value);
        row[column.name] = seconds === null ? null : new Date(seconds * 1000).toISOString().slice(0, 10);
        break;
      }
      case 'count':
      case 'number':
        row[column.name] = toNumber(value);
        break;
      case 'string':
        row[column.name] = value === null || value === undefined ? null : String(value);
        break;
    }
  }
  return row;
}

/** A store that can run the SQL of a dashboard: ClickHouse or DuckDB. */
export interface DashboardBackend {
  readonly name: 'clickhouse' | 'duckdb';
  query(dashboard: DashboardDefinition, parameters: BoundParameters): Promise<readonly Readonly<Record<string, unknown>>[]>;
}

/** Runs named dashboards on one backend; the HTTP API and `quintet dashboard` both call `run`. */
export class DashboardRunner {
  readonly #backend: DashboardBackend;
  readonly #now: () => number;

  constructor(backend: DashboardBackend, options: { now?: () => number } = {}) {
    this.#backend = backend;
    this.#now = options.now ?? Date.now;
  }

  list(): readonly DashboardDefinition[] {
    return DASHBOARDS;
  }

  async run(name: string, raw: Readonly<Record<string, string | number | undefined>> = {}): Promise<DashboardResult> {
    const dashboard = dashboardNamed(name);
    const parameters = resolveParameters(dashboard, raw, this.#now());
    const rows = await this.#backend.query(dashboard, parameters.bound);
    return {
      dashboard: dashboard.name,
      title: dashboard.title,
      backend: this.#backend.name,
      parameters: parameters.display,
      columns: dashboard.columns,
      rows: rows.map((row) => normalizeRow(dashboard.columns, row)),
    };
  }
}

/** A plain-text table of a result, for the CLI. */
export function formatTable(result: DashboardResult): string {
  const header = result.columns.map((c) => c.name);
  const cells = result.rows.map((row) => result.columns.map((c) => (row[c.name] === null ? '' : String(row[c.name]))));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = result.columns.map((c) => c.type === 'count' || c.type === 'number');
  const line = (values: string[]): string =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), `(${result.rows.length} rows)`].join('\n');
}
