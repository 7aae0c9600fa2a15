/**
 * The analytics read model against the real ClickHouse 18.16 of the local stack: migrations applied
 * twice, the escaping function against the real parser, exact dashboards after redelivery, the
 * DuckDB twin giving identical results, and the sink riding out a ClickHouse outage.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseDashboardBackend, ClickHouseEventWriter } from '../../../connectors/clickhouse/analytics-store.js';
import { migrate } from '../../../connectors/clickhouse/migrations.js';
import { ClickHouseServer, connectionOptionsFrom, type ClickHouseConnectionOptions } from '../../../connectors/clickhouse/server.js';
import { sqlIdentifier } from '../../../connectors/clickhouse/sql-literal.js';
import { DuckDbAnalyticsStore } from '../../../connectors/duckdb/analytics-store.js';
import { ANALYTICS_COLUMNS, toAnalyticsRow, type AnalyticsRow } from '../../../processors/analytics/analytics-row.js';
import { BatchingSink } from '../../../processors/analytics/batching-sink.js';
import { DASHBOARDS, DashboardRunner } from '../../../processors/analytics/dashboards.js';
import { syntheticEvents } from '../../../processors/analytics/synthetic-events.js';
import { testConfig, uniqueIdentifier } from '../../support/environment.js';

const START = Date.UTC(2026, 9, 28, 22, 0, 0); // spans a month boundary: two partitions
const SPAN = 5 * 86_400_000;
const EVENTS = 4_000;

function rowsOf(count: number, seed: number): AnalyticsRow[] {
  const rows: AnalyticsRow[] = [];
  let offset = 0;
  for (const event of syntheticEvents({ count, startMs: START, spanMs: SPAN, seed, actors: 300, posts: 40 })) {
    const result = toAnalyticsRow(event, { partition: offset % 4, offset: String(offset) });
    offset += 1;
    if (result.kind !== 'ok') throw new Error(`synthetic event rejected: ${result.kind}`);
    rows.push(result.value);
  }
  return rows;
}

const PARAMETERS: Record<string, Record<string, string>> = {
  'top-entities': { action: 'social.post.liked', limit: '15' },
  'likes-per-post': { limit: '25' },
  'events-per-minute': { action: 'auth.user.login_failed' },
};

describe('ClickHouse analytics (18.16)', () => {
  let options: ClickHouseConnectionOptions;
  let server: ClickHouseServer;

  beforeAll(async () => {
    options = connectionOptionsFrom(testConfig(), { database: uniqueIdentifier('quintet_test') });
    await migrate(options);
    server = ClickHouseServer.connect(options);
  });

  afterAll(async () => {
    await server.command(`DROP DATABASE IF EXISTS ${sqlIdentifier(options.database)}`);
    await server.close();
  });

  it('applies migrations once: a second run changes nothing', async () => {
    const snapshot = () =>
      server.rows<{ table: string; name: string; type: string }>(
        'SELECT table, name, type FROM system.columns WHERE database = {db:String} ORDER BY table, name',
        { db: options.database },
      );
    const before = await snapshot();
    const again = await migrate(options);
    expect(again.toApply).toEqual([]);
    expect(again.alreadyApplied.map((m) => m.version)).toEqual([1, 2, 3]);
    expect(await snapshot()).toEqual(before);
    const recorded = await server.rows<{ version: number; n: string }>('SELECT version, count() AS n FROM schema_migrations GROUP BY version ORDER BY version');
    expect(recorded.map((r) => [r.version, Number(r.n)])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(before.some((c) => /actor_id|ip_address|user_agent|session/.test(c.name))).toBe(false);
  });

  it('keeps hostile strings inside their literal on the real parser', async () => {
    const attacks = ["'; DROP TABLE events; --", "\\'; DROP TABLE events; --", 'a\\', '\0nul', 'x\ny\r\tz', '/* c */ -- c', 'ü 日本 🎉', "' OR 1=1 OR '"];
    for (const attack of attacks) {
      const [row] = await server.rows<{ v: string; n: string }>('SELECT {v:String} AS v, length({v:String}) AS n', { v: attack });
      expect(row?.v).toBe(attack);
      expect(Number(row?.n)).toBe(Buffer.byteLength(attack));
    }
    const [survivor] = await server.rows<{ n: string }>("SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = 'events'", {
      db: options.database,
    });
    expect(Number(survivor?.n)).toBe(1);
  });

  it('stores every value exactly in RowBinary: escapes, Unicode, milliseconds, doubles, UInt64 offsets', async () => {
    const base = rowsOf(1, 3)[0] as AnalyticsRow;
    const strings = ['tab\there', 'new\nline\r\n', 'back\\slash\\', "quote ' \" `", '\0nul', 'ü 日本 🎉', 'é'.repeat(100), 'x'.repeat(300), ''];
    const durations = [4.56, 0.1 + 0.2, 1e-7, 1234567.891, 0, null, 2 ** 53 + 2, 5e-324];
    const offsets = ['0', '9007199254740993', '18446744073709551615'];
    const tricky: AnalyticsRow[] = strings.map((text, i) => ({
      ...base,
      event_id: `exact-${i}-${text.slice(0, 8)}`,
      // Not 1970-01-01 00:00:00: ClickHouse prints DateTime 0 as 0000-00-00 00:00:00.
      event_time: i % 2 === 0 ? '1970-01-01 00:00:01' : '2105-12-31 23:59:59',
      event_ms: i % 2 === 0 ? 0 : 999,
      source: text,
      action_name: `a.${text}`,
      entity_id: text,
      actor_pseudonym: text,
      trace_id: text,
      duration_ms: durations[i % durations.length] ?? null,
      log_offset: offsets[i % offsets.length] as string,
    }));
    const table = uniqueIdentifier('exact');
    await server.command(`CREATE TABLE ${sqlIdentifier(table)} AS events`);
    await new ClickHouseEventWriter(server, table, 'RowBinary').write(tricky);
    const stored = await server.rows<Record<string, unknown>>(`SELECT ${ANALYTICS_COLUMNS.map((c) => sqlIdentifier(c)).join(', ')} FROM ${sqlIdentifier(table)}`);
    const byId = new Map(stored.map((row) => [row.event_id as string, row]));
    for (const row of tricky) {
      // JSON output: UInt64 comes back quoted, numbers as their shortest round-trip text.
      expect(byId.get(row.event_id), row.event_id).toEqual({ ...row, log_partition: row.log_partition, log_offset: row.log_offset });
    }
  });

  it('gives exact dashboards after redelivery, identical to the DuckDB twin', async () => {
    const rows = rowsOf(EVENTS, 7);
    const sink = new BatchingSink<AnalyticsRow>({ writer: new ClickHouseEventWriter(server), measure: () => 200, limits: { maxRows: 700 } });
    for (const row of rows) await sink.add(row);
    await sink.flush();
    // A crash after the write but before the offset commit: the same records arrive again.
    for (const row of rows.slice(1_000, 2_500)) await sink.add(row);
    await sink.flush();

    const duck = await DuckDbAnalyticsStore.open();
    try {
      await duck.write(rows.slice(0, 3_000));
      await duck.write(rows.slice(1_000, 4_000));
      expect(await duck.count()).toBe(EVENTS);

      const [raw] = await server.rows<{ n: string }>('SELECT count() AS n FROM events');
      expect(Number(raw?.n)).toBeGreaterThanOrEqual(EVENTS); // duplicates may be unmerged yet
      const [final] = await server.rows<{ n: string }>('SELECT count() AS n FROM events FINAL');
      expect(Number(final?.n)).toBe(EVENTS);

      const now = () => START + SPAN + 86_400_000;
      const clickhouse = new DashboardRunner(new ClickHouseDashboardBackend(server), { now });
      const duckdb = new DashboardRunner(duck, { now });
      const range = { from: new Date(START - 86_400_000).toISOString(), to: new Date(START + SPAN).toISOString() };
      for (const dashboard of DASHBOARDS) {
        const params = { ...range, ...PARAMETERS[dashboard.name] };
        const fromClickHouse = await clickhouse.run(dashboard.name, params);
        const fromDuckDb = await duckdb.run(dashboard.name, params);
        expect(fromClickHouse.rows.length, dashboard.name).toBeGreaterThan(0);
        expect(fromDuckDb.rows, dashboard.name).toEqual(fromClickHouse.rows);
      }

      // And both are right, not merely equal: check a few against the rows themselves.
      const perMinute = await clickhouse.run('events-per-minute', range);
      expect(perMinute.rows.reduce((sum, r) => sum + (r.events as number), 0)).toBe(EVENTS);
      const likes = rows.filter((r) => r.action_name === 'social.post.liked');
      const byPost = new Map<string, number>();
      for (const like of likes) byPost.set(like.entity_id, (byPost.get(like.entity_id) ?? 0) + 1);
      const top = await clickhouse.run('top-entities', { ...range, action: 'social.post.liked', limit: '1000' });
      expect(new Map(top.rows.map((r) => [r.entity_id as string, r.events as number]))).toEqual(byPost);
      const daily = await clickhouse.run('daily-active-users', range);
      const expectedDaily = new Map<string, Set<string>>();
      for (const row of rows) {
        const day = row.event_time.slice(0, 10);
        expectedDaily.set(day, (expectedDaily.get(day) ?? new Set()).add(row.actor_pseudonym));
      }
      expect(new Map(daily.rows.map((r) => [r.date as string, r.active_users as number]))).toEqual(
        new Map([...expectedDaily].map(([day, actors]) => [day, actors.size])),
      );
      const durations = rows
        .filter((r) => r.source === 'web' && r.duration_ms !== null)
        .map((r) => r.duration_ms as number)
        .sort((a, b) => a - b);
      const percentiles = await clickhouse.run('duration-percentiles', range);
      expect(percentiles.rows.find((r) => r.source === 'web')).toEqual({
        source: 'web',
        events: durations.length,
        p50_ms: durations[Math.floor(0.5 * durations.length)],
        p95_ms: durations[Math.floor(0.95 * durations.length)],
      });
    } finally {
      duck.close();
    }
  });

  it('backs off while ClickHouse is unreachable, then delivers everything', async () => {
    // A TCP relay in front of the shared server stands in for "ClickHouse stopped": closed, it refuses
    // connections like a stopped server; reopened on the same port, the sink resumes.
    const target = new URL(options.url);
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 8123), target.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const port = (relay.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => relay.close(() => resolve()));

    const table = uniqueIdentifier('outage');
    await server.command(`CREATE TABLE ${sqlIdentifier(table)} AS events`);
    const viaRelay = ClickHouseServer.connect({ ...options, url: `http://127.0.0.1:${port}`, requestTimeoutMs: 5_000, capabilities: { insertDeduplicationToken: false, queryParameters: false } });
    const retries: number[] = [];
    const sink = new BatchingSink<AnalyticsRow>({
      writer: new ClickHouseEventWriter(viaRelay, table),
      measure: () => 200,
      limits: { maxRows: 250 },
      backoff: { initialMs: 20, maxMs: 200, multiplier: 2, jitter: 0 },
      onRetry: (info) => retries.push(info.attempt),
    });
    const rows = rowsOf(1_000, 11);
    let added = 0;
    const feeding = (async () => {
      for (const row of rows) {
        await sink.add(row);
        added += 1;
      }
      await sink.flush();
    })();
    while (retries.length < 5) await new Promise((resolve) => setTimeout(resolve, 20));
    // Paused: the first full batch is held in flight, the next one filled behind it, nothing more
    // was accepted (memory bounded by two batches).
    expect(sink.backingOff).toBe(true);
    expect(added).toBeLessThan(500);
    expect(sink.pendingRows).toBeLessThanOrEqual(500);
    await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    await feeding;
    const [stored] = await server.rows<{ n: string }>(`SELECT count() AS n FROM ${sqlIdentifier(table)} FINAL`);
    expect(Number(stored?.n)).toBe(1_000);
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => relay.close(() => resolve()));
    await viaRelay.close();
  });
});
