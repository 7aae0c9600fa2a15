/**
 * Analytics speed on the real ClickHouse of the local stack:
 * - `analytics.rows_per_s`: canonical events → rows → JSONEachRow → BatchingSink (50k-row batches) →
 *   ClickHouse, end to end, beside a row-by-row insert loop (one INSERT per row) measured in the same run;
 * - `analytics.insert_format.*`: the insert encodings the client offers, on the same rows: the client's own
 *   JSONEachRow serialization of objects (baseline), pre-encoded JSONEachRow lines (what the sink uses) and
 *   pre-encoded TabSeparated;
 * - `analytics.dashboard.<name>.latency_ms`: each dashboard over one million events.
 */
import { Readable } from 'node:stream';
import { ClickHouseDashboardBackend, ClickHouseEventWriter } from '../connectors/clickhouse/analytics-store.js';
import { migrate } from '../connectors/clickhouse/migrations.js';
import { ClickHouseServer, connectionOptionsFrom, type ClickHouseConnectionOptions } from '../connectors/clickhouse/server.js';
import { sqlIdentifier } from '../connectors/clickhouse/sql-literal.js';
import { loadConfig } from '../core/config.js';
import { ANALYTICS_COLUMNS, encodeJsonEachRow, toAnalyticsRow, type AnalyticsRow } from '../processors/analytics/analytics-row.js';
import { BatchingSink } from '../processors/analytics/batching-sink.js';
import { DASHBOARDS, DashboardRunner } from '../processors/analytics/dashboards.js';
import { syntheticEvents } from '../processors/analytics/synthetic-events.js';
import type { CanonicalEvent } from '../schemas/canonical-event.js';
import { summarize, type BenchSuite, type Figure } from './figures.js';

const MILLION = 1_000_000;
const START = Date.UTC(2026, 9, 1);
const SPAN = 56 * 86_400_000;

function* rows(count: number, seed: number): Generator<AnalyticsRow> {
  let offset = 0;
  for (const event of syntheticEvents({ count, startMs: START, spanMs: SPAN, seed, actors: 50_000, posts: 5_000 })) {
    const row = toAnalyticsRow(event, { partition: offset % 8, offset: String(offset) });
    offset += 1;
    if (row.kind === 'ok') yield row.value;
  }
}

/** TabSeparated text of a row: `\`, tab and newline escaped, NULL as \N. Bench-only alternative encoding. */
function encodeTabSeparated(row: AnalyticsRow): string {
  return ANALYTICS_COLUMNS.map((column) => {
    const value = row[column];
    if (value === null) return '\\N';
    return typeof value === 'string' ? value.replace(/[\\\t\n]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : '\\n')) : String(value);
  }).join('\t');
}

async function freshDatabase(base: ClickHouseConnectionOptions, name: string): Promise<ClickHouseServer> {
  const options = { ...base, database: `${name}_${Date.now().toString(36)}` };
  await migrate(options);
  return ClickHouseServer.connect(options);
}

async function dropDatabase(server: ClickHouseServer): Promise<void> {
  await server.command(`DROP DATABASE IF EXISTS ${sqlIdentifier(server.database)}`);
  await server.close();
}

/**
 * Inserts `count` events through the sink in 50k-row chunks. Generating the synthetic events is not
 * timed (it is the workload, not the pipeline); mapping to rows, encoding, batching and inserting are.
 * Returns [rows/s of the sink into ClickHouse, rows/s of mapping + encoding alone].
 */
async function loadThroughSink(server: ClickHouseServer, count: number, seed: number): Promise<[number, number]> {
  const sink = new BatchingSink<string>({ writer: new ClickHouseEventWriter(server), measure: (line) => line.length + 1, limits: { maxRows: 50_000 } });
  const chunk = 50_000;
  const events = syntheticEvents({ count, startMs: START, spanMs: SPAN, seed, actors: 50_000, posts: 5_000 });
  let sinkMs = 0;
  let encodeMs = 0;
  for (let done = 0; done < count; done += chunk) {
    const part: CanonicalEvent[] = [];
    for (let i = 0; i < chunk && done + i < count; i += 1) part.push(events.next().value as CanonicalEvent);
    const encodeStarted = performance.now();
    const lines = part.map((event, i) => {
      const row = toAnalyticsRow(event, { partition: (done + i) % 8, offset: String(done + i) });
      return row.kind === 'ok' ? encodeJsonEachRow(row.value) : '';
    });
    const sinkStarted = performance.now();
    encodeMs += sinkStarted - encodeStarted;
    for (const line of lines) await sink.add(line);
    sinkMs += performance.now() - sinkStarted;
  }
  const started = performance.now();
  await sink.flush();
  sinkMs += performance.now() - started;
  return [count / (sinkMs / 1000), count / (encodeMs / 1000)];
}

async function rowByRow(server: ClickHouseServer, count: number): Promise<number> {
  const writer = new ClickHouseEventWriter(server, 'events_row_by_row');
  await server.command('CREATE TABLE IF NOT EXISTS events_row_by_row AS events');
  const lines = [...rows(count, 99)].map(encodeJsonEachRow);
  const started = performance.now();
  for (const line of lines) await writer.write([line]);
  return count / ((performance.now() - started) / 1000);
}

async function insertFormats(server: ClickHouseServer, count: number): Promise<Figure[]> {
  const sample = [...rows(count, 5)];
  const tables = ['fmt_objects', 'fmt_json_lines', 'fmt_tsv'];
  for (const table of tables) await server.command(`CREATE TABLE IF NOT EXISTS ${table} AS events`);
  const batch = 50_000;
  const time = async (insert: (part: AnalyticsRow[]) => Promise<void>): Promise<number> => {
    const started = performance.now();
    for (let i = 0; i < sample.length; i += batch) await insert(sample.slice(i, i + batch));
    return sample.length / ((performance.now() - started) / 1000);
  };
  const results = { objects: [] as number[], jsonLines: [] as number[], tsv: [] as number[] };
  for (let run = 0; run < 3; run += 1) {
    results.objects.push(
      await time(async (part) => {
        await server.client.insert({ table: 'fmt_objects', values: part, format: 'JSONEachRow', columns: [...ANALYTICS_COLUMNS] as [string, ...string[]] });
      }),
    );
    results.jsonLines.push(await time((part) => server.insertJsonLines('fmt_json_lines', ANALYTICS_COLUMNS, part.map(encodeJsonEachRow))));
    results.tsv.push(
      await time(async (part) => {
        const body = `${part.map(encodeTabSeparated).join('\n')}\n`;
        await server.client.insert({ table: 'fmt_tsv', values: Readable.from([Buffer.from(body)], { objectMode: false }), format: 'TabSeparated', columns: [...ANALYTICS_COLUMNS] as [string, ...string[]] });
      }),
    );
  }
  const baseline = summarize('analytics.insert_format.json_each_row_objects.rows_per_s', 'rows/s', results.objects, {
    notes: `client.insert(objects, JSONEachRow), ${count} rows in 50k batches`,
  });
  const against = (name: string, samples: number[], notes: string): Figure => {
    const figure = summarize(name, 'rows/s', samples, { notes });
    return { ...figure, baseline: { name: baseline.name, value: baseline.value }, ratio: figure.value / baseline.value };
  };
  return [
    baseline,
    against('analytics.insert_format.json_each_row_lines.rows_per_s', results.jsonLines, 'pre-encoded JSONEachRow lines via exec (the sink)'),
    against('analytics.insert_format.tab_separated.rows_per_s', results.tsv, 'pre-encoded TabSeparated via insert stream'),
  ];
}

async function dashboardLatencies(server: ClickHouseServer, runs: number): Promise<Figure[]> {
  const runner = new DashboardRunner(new ClickHouseDashboardBackend(server), { now: () => START + SPAN });
  const range = { from: new Date(START).toISOString(), to: new Date(START + SPAN).toISOString() };
  const extra: Record<string, Record<string, string>> = { 'top-entities': { action: 'social.post.liked' } };
  const figures: Figure[] = [];
  for (const dashboard of DASHBOARDS) {
    const lastDay = { from: new Date(START + SPAN - 86_400_000).toISOString(), to: range.to };
    const params = { ...(dashboard.name === 'events-per-minute' ? lastDay : range), ...extra[dashboard.name] };
    await runner.run(dashboard.name, params); // warm-up (marks loaded, caches)
    const samples: number[] = [];
    let rowsOut = 0;
    for (let i = 0; i < runs; i += 1) {
      const started = performance.now();
      rowsOut = (await runner.run(dashboard.name, params)).rows.length;
      samples.push(performance.now() - started);
    }
    figures.push(summarize(`analytics.dashboard.${dashboard.name}.latency_ms`, 'ms', samples, { notes: `table of ${MILLION.toLocaleString('en-US')} events (56 days), ${dashboard.name === 'events-per-minute' ? 'last day' : 'whole range'}, ${rowsOut} result rows` }));
  }
  return figures;
}

export const suite: BenchSuite = {
  name: 'analytics',
  needsStack: true,
  async run({ quick }) {
    const base = connectionOptionsFrom(loadConfig({ env: process.env }), { requestTimeoutMs: 300_000 });
    const figures: Figure[] = [];
    const server = await freshDatabase(base, 'quintet_bench_analytics');
    try {
      const loads: [number, number][] = [await loadThroughSink(server, MILLION, 1)];
      const extraLoads = quick ? 0 : 1;
      for (let i = 0; i < extraLoads; i += 1) {
        const other = await freshDatabase(base, 'quintet_bench_analytics_extra');
        try {
          loads.push(await loadThroughSink(other, MILLION, 1));
        } finally {
          await dropDatabase(other);
        }
      }
      figures.push(
        summarize('analytics.row_mapping.rows_per_s', 'rows/s', loads.map((l) => l[1]), { notes: 'toAnalyticsRow + JSONEachRow encoding, CPU only' }),
      );
      const baseline = summarize('analytics.row_by_row.rows_per_s', 'rows/s', [await rowByRow(server, quick ? 200 : 500)], { notes: 'one INSERT (HTTP request) per row' });
      const batched = summarize('analytics.rows_per_s', 'rows/s', loads.map((l) => l[0]), {
        notes: '1M canonical rows (pre-encoded JSONEachRow) → BatchingSink (50k-row batches) → ClickHouse (events + 2 materialized views)',
      });
      figures.push(baseline, { ...batched, baseline: { name: baseline.name, value: baseline.value }, ratio: batched.value / baseline.value });
      figures.push(...(await insertFormats(server, quick ? 200_000 : 500_000)));
      figures.push(...(await dashboardLatencies(server, quick ? 5 : 11)));
    } finally {
      await dropDatabase(server);
    }
    return figures;
  },
};
