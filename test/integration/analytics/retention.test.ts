import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseDashboardBackend, ClickHouseEventWriter } from '../../../connectors/clickhouse/analytics-store.js';
import { migrate } from '../../../connectors/clickhouse/migrations.js';
import { applyRetention } from '../../../connectors/clickhouse/retention.js';
import { ClickHouseServer, connectionOptionsFrom, type ClickHouseConnectionOptions } from '../../../connectors/clickhouse/server.js';
import { sqlIdentifier } from '../../../connectors/clickhouse/sql-literal.js';
import { toAnalyticsRow } from '../../../processors/analytics/analytics-row.js';
import { DashboardRunner } from '../../../processors/analytics/dashboards.js';
import { syntheticEvents } from '../../../processors/analytics/synthetic-events.js';
import { testConfig, uniqueIdentifier } from '../../support/environment.js';

describe('hot-tier retention on ClickHouse 18.16 (monthly partitions)', () => {
  let options: ClickHouseConnectionOptions;
  let server: ClickHouseServer;
  const now = Date.UTC(2026, 10, 28, 9, 0);

  beforeAll(async () => {
    options = connectionOptionsFrom(testConfig(), { database: uniqueIdentifier('quintet_test') });
    await migrate(options);
    server = ClickHouseServer.connect(options);
  });

  afterAll(async () => {
    await server.command(`DROP DATABASE IF EXISTS ${sqlIdentifier(options.database)}`);
    await server.close();
  });

  it('drops months older than the hot tier from every analytics table and keeps the rest', async () => {
    const writer = new ClickHouseEventWriter(server);
    const old = [...syntheticEvents({ count: 300, startMs: Date.UTC(2026, 7, 1), spanMs: 20 * 86_400_000, seed: 21 })];
    const recent = [...syntheticEvents({ count: 200, startMs: now - 5 * 86_400_000, spanMs: 4 * 86_400_000, seed: 22 })];
    const rows = [...old, ...recent].map((event, i) => {
      const row = toAnalyticsRow(event, { partition: 0, offset: String(i) });
      if (row.kind !== 'ok') throw new Error('synthetic event rejected');
      return row.value;
    });
    await writer.write(rows);

    const { capabilities } = await server.info();
    const report = await applyRetention(server, { hotDays: 30, nowMs: now });
    if (capabilities.ttl) {
      expect(report.mode).toBe('ttl');
      return;
    }
    expect(report.mode).toBe('drop-partitions');
    expect([...new Set(report.dropped.map((d) => d.partition))]).toEqual(['202608']);
    expect(new Set(report.dropped.map((d) => d.table))).toEqual(new Set(['events', 'events_per_minute', 'daily_actors']));

    const [left] = await server.rows<{ n: string }>('SELECT count() AS n FROM events FINAL');
    expect(Number(left?.n)).toBe(200);
    const runner = new DashboardRunner(new ClickHouseDashboardBackend(server), { now: () => now });
    const perMinute = await runner.run('events-per-minute', { from: '2026-01-01T00:00:00Z', to: 'now' });
    expect(perMinute.rows.reduce((sum, r) => sum + (r.events as number), 0)).toBe(200);
    const daily = await runner.run('daily-active-users', { from: '2026-01-01T00:00:00Z', to: 'now' });
    expect(daily.rows.every((r) => (r.date as string) >= '2026-11-01')).toBe(true);

    // Idempotent: a second run finds nothing more to drop.
    expect((await applyRetention(server, { hotDays: 30, nowMs: now })).dropped).toEqual([]);
  });
});
