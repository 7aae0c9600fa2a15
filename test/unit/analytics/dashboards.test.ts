import { describe, expect, it } from 'vitest';
import { DASHBOARDS, DashboardRunner, dashboardNamed, formatTable, normalizeRow, resolveParameters, type DashboardBackend } from '../../../processors/analytics/dashboards.js';

const NOW = Date.UTC(2026, 10, 28, 9, 0, 0);

describe('dashboard parameters', () => {
  const top = dashboardNamed('top-entities');

  it('types and validates every parameter before it reaches a backend', () => {
    const resolved = resolveParameters(top, { from: '2026-11-27T09:00:00.250Z', to: 'now', action: 'social.post.liked', limit: '5' }, NOW);
    expect(resolved.bound).toEqual({ from_ms: Date.UTC(2026, 10, 27, 9, 0, 0, 250), to_ms: NOW, action: 'social.post.liked', limit: 5 });
    expect(resolved.display.from).toBe('2026-11-27T09:00:00.250Z');
    expect(resolveParameters(top, { from: 'now-2h', action: 'a.b.c' }, NOW).bound.from_ms).toBe(NOW - 7_200_000);
    expect(resolveParameters(top, { from: '2026-11-27 08:00', action: 'a.b.c' }, NOW).bound.from_ms).toBe(Date.UTC(2026, 10, 27, 8));
  });

  it.each([
    [{ action: "x'; DROP TABLE events; --" }, '--action'],
    [{ action: 'Social.Post.Liked' }, '--action'],
    [{ action: 'a.b.c', limit: '0' }, '--limit'],
    [{ action: 'a.b.c', limit: '10; DROP' }, '--limit'],
    [{ action: 'a.b.c', limit: '1001' }, '--limit'],
    [{ action: 'a.b.c', from: 'yesterday' }, '--from'],
    [{ action: 'a.b.c', from: '2026-11-28T10:00:00Z', to: '2026-11-28T09:00:00Z' }, '--from'],
    [{ action: 'a.b.c', colour: 'red' }, '--colour'],
    [{}, '--action'],
  ])('refuses %j', (raw, option) => {
    expect(() => resolveParameters(top, raw, NOW)).toThrow(expect.objectContaining({ code: 'DASHBOARD_PARAMETER_INVALID', message: expect.stringContaining(option) }));
  });

  it('names unknown dashboards', () => {
    expect(() => dashboardNamed('nope')).toThrow(expect.objectContaining({ code: 'DASHBOARD_UNKNOWN' }));
  });
});

describe('dashboard results', () => {
  it('normalizes backend values (UInt64 strings, bigints, epoch seconds) to one shape', () => {
    const columns = dashboardNamed('events-per-minute').columns;
    expect(normalizeRow(columns, { minute: 1_795_478_340, action_name: 'a.b.c', events: '12' })).toEqual({ minute: '2026-11-23T23:59:00.000Z', action_name: 'a.b.c', events: 12 });
    expect(normalizeRow(columns, { minute: 1_795_478_340n, action_name: 'a.b.c', events: 12n })).toEqual({ minute: '2026-11-23T23:59:00.000Z', action_name: 'a.b.c', events: 12 });
    expect(normalizeRow(dashboardNamed('daily-active-users').columns, { date: 1_795_392_000, active_users: 3 })).toEqual({ date: '2026-11-23', active_users: 3 });
  });

  it('runs through a backend with bound parameters and prints a table', async () => {
    const seen: unknown[] = [];
    const backend: DashboardBackend = {
      name: 'duckdb',
      query: async (dashboard, parameters) => {
        seen.push([dashboard.name, parameters]);
        return [{ entity_type: 'post', entity_id: 'p-1', events: 3n }];
      },
    };
    const result = await new DashboardRunner(backend, { now: () => NOW }).run('top-entities', { action: 'social.post.liked' });
    expect(seen).toEqual([['top-entities', { from_ms: NOW - 86_400_000, to_ms: NOW, action: 'social.post.liked', limit: 10 }]]);
    expect(result.rows).toEqual([{ entity_type: 'post', entity_id: 'p-1', events: 3 }]);
    expect(formatTable(result).split('\n')).toEqual(['entity_type  entity_id  events', '-----------  ---------  ------', 'post         p-1             3', '(1 rows)']);
    expect(DASHBOARDS.map((d) => d.name)).toHaveLength(7);
  });
});
