/**
 * The analytics commands as users run them: `quintet migrate` (twice), `quintet dashboard --json`,
 * `quintet retention --dry-run`, with a configuration file naming a fresh database.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../cli/program.js';
import { ClickHouseEventWriter } from '../../../connectors/clickhouse/analytics-store.js';
import { ClickHouseServer, connectionOptionsFrom } from '../../../connectors/clickhouse/server.js';
import { sqlIdentifier } from '../../../connectors/clickhouse/sql-literal.js';
import { toAnalyticsRow } from '../../../processors/analytics/analytics-row.js';
import { syntheticEvents } from '../../../processors/analytics/synthetic-events.js';
import { testConfig, uniqueIdentifier } from '../../support/environment.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    process.exitCode = undefined;
    const code = await runCli(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

describe('quintet migrate / dashboard / retention', () => {
  const database = uniqueIdentifier('quintet_test');
  const folder = mkdtempSync(join(tmpdir(), 'quintet-cli-'));
  const configFile = join(folder, 'quintet.json');
  writeFileSync(configFile, JSON.stringify({ clickhouse: { database } }));
  const server = ClickHouseServer.connect(connectionOptionsFrom(testConfig(), { database }));

  afterAll(async () => {
    await server.command(`DROP DATABASE IF EXISTS ${sqlIdentifier(database)}`);
    await server.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('migrates idempotently, then serves dashboards as JSON and refuses bad parameters', async () => {
    const first = await run(['--config', configFile, 'migrate']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ database, applied: ['0001_events', '0002_events_per_minute', '0003_daily_actors'] });
    const second = await run(['--config', configFile, 'migrate']);
    expect(JSON.parse(second.stdout)).toMatchObject({ applied: [], alreadyApplied: 3 });

    // The last full hour: `quintet migrate` sets the hot tier (30 days) as a TTL on servers that have TTL,
    // where rows of a fixed date would expire a month after it (no TTL on 18.16, so not seen there).
    const start = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
    const day = Math.floor(start / DAY) * DAY;
    const rows = [...syntheticEvents({ count: 500, startMs: start, spanMs: HOUR, seed: 41 })].map((event, i) => {
      const row = toAnalyticsRow(event, { partition: 0, offset: String(i) });
      if (row.kind !== 'ok') throw new Error('synthetic event rejected');
      return row.value;
    });
    await new ClickHouseEventWriter(server).write(rows);

    const result = await run(['--config', configFile, 'dashboard', 'events-per-minute', '--from', iso(start), '--to', iso(start + HOUR), '--json']);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { backend: string; rows: { events: number }[] };
    expect(parsed.backend).toBe('clickhouse');
    expect(parsed.rows.reduce((sum, r) => sum + r.events, 0)).toBe(500);

    const table = await run(['--config', configFile, 'dashboard', 'top-entities', '--action', 'social.post.liked', '--from', iso(day), '--to', iso(day + DAY)]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^Top entities by action \(clickhouse\)\nentity_type\s+entity_id\s+events\n/);

    const bad = await run(['--config', configFile, 'dashboard', 'top-entities', '--action', "x'; DROP TABLE events; --"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('DASHBOARD_PARAMETER_INVALID');
    const [still] = await server.rows<{ n: string }>('SELECT count() AS n FROM events');
    expect(Number(still?.n)).toBe(500);

    const retention = await run(['--config', configFile, 'retention', '--dry-run']);
    expect(retention.code).toBe(0);
    expect(JSON.parse(retention.stdout)).toMatchObject({ hotDays: 30, dryRun: true });
  });
});
