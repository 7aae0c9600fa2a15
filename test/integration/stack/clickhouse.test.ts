/**
 * @clickhouse/client against the local ClickHouse (18.16 here, modern in docker-compose): DDL, a JSONEachRow
 * batch insert with ISO-8601 timestamps, aggregate queries back, drop. Only SQL that both versions accept.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueIdentifier } from '../../support/environment.js';

describe('local ClickHouse', () => {
  let client: ClickHouseClient;
  const config = testConfig();
  const database = config.clickhouse.database;

  beforeAll(async () => {
    client = createClient({
      url: config.clickhouse.url,
      username: config.clickhouse.username,
      password: config.clickhouse.password?.reveal() ?? '',
      // The error test below fails on purpose; the assertion reports it, not the client's logger.
      log: { level: ClickHouseLogLevel.OFF },
    });
    expect((await client.ping()).success).toBe(true);
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  });

  afterAll(async () => {
    await client.close();
  });

  it('creates a table, inserts a JSONEachRow batch and queries it back', async () => {
    const table = `${database}.${uniqueIdentifier('stack_events')}`;
    await client.command({
      query: `CREATE TABLE ${table} (
        event_id String,
        event_type LowCardinality(String),
        occurred_at DateTime('UTC'),
        amount Nullable(Float64)
      ) ENGINE = MergeTree PARTITION BY toYYYYMM(occurred_at) ORDER BY (event_type, occurred_at, event_id)`,
    });
    try {
      const rows = Array.from({ length: 1000 }, (_, i) => ({
        event_id: `e${i}`,
        event_type: i % 4 === 0 ? 'order.placed' : 'page.viewed',
        // ISO-8601 with milliseconds and Z: accepted thanks to date_time_input_format=best_effort.
        occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        amount: i % 4 === 0 ? i / 2 : null,
      }));
      await client.insert({ table, values: rows, format: 'JSONEachRow' });

      const result = await client.query({
        query: `SELECT event_type, count() AS events, sum(amount) AS total, min(occurred_at) AS first
                FROM ${table} GROUP BY event_type ORDER BY event_type`,
        format: 'JSONEachRow',
      });
      const summary = await result.json<{ event_type: string; events: string | number; total: number | null; first: string }>();
      expect(summary.map((row) => ({ ...row, events: Number(row.events) }))).toEqual([
        { event_type: 'order.placed', events: 250, total: rows.filter((r) => r.amount !== null).reduce((s, r) => s + (r.amount ?? 0), 0), first: '2026-01-01 00:00:00' },
        { event_type: 'page.viewed', events: 750, total: null, first: '2026-01-01 00:00:01' },
      ]);
    } finally {
      await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
    }
    const left = await client.query({ query: `EXISTS TABLE ${table}`, format: 'TabSeparated' });
    expect((await left.text()).trim()).toBe('0');
  });

  it('reports a server error for invalid SQL with the ClickHouse error code in the message', async () => {
    await expect(client.query({ query: `SELECT * FROM ${database}.${uniqueIdentifier('stack_missing')}` })).rejects.toThrow(/Code: 60|UNKNOWN_TABLE/);
  });
});
