import { describe, expect, it } from 'vitest';
import { monthEndMs, partitionsToDrop } from '../../../connectors/clickhouse/retention.js';

describe('partition retention (ClickHouse without TTL)', () => {
  const now = Date.UTC(2026, 10, 28, 9, 0); // 2026-11-28
  const parts = ['202608', '202609', '202610', '202611'].map((partition) => ({ table: 'events', partition }));

  it('drops only months whose every row is older than the hot tier', () => {
    // 30 days before 2026-11-28 is 2026-10-29: September ended before it, October did not.
    expect(partitionsToDrop(parts, now, 30).map((p) => p.partition)).toEqual(['202608', '202609']);
    expect(partitionsToDrop(parts, now, 1).map((p) => p.partition)).toEqual(['202608', '202609', '202610']);
    expect(partitionsToDrop(parts, now, 365)).toEqual([]);
  });

  it('computes month ends in UTC, December included, and refuses odd partition ids', () => {
    expect(new Date(monthEndMs('202612')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(new Date(monthEndMs('202602')).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(() => monthEndMs('2026-1')).toThrow(expect.objectContaining({ code: 'RETENTION_PARTITION_INVALID' }));
    expect(() => monthEndMs("202611'; DROP")).toThrow(expect.objectContaining({ code: 'RETENTION_PARTITION_INVALID' }));
  });
});
