import { describe, expect, it } from 'vitest';
import { loadMigrations, parseMigration, planMigrations, splitStatements } from '../../../connectors/clickhouse/migrations.js';
import { capabilitiesOf, clickHouseErrorCode, isRetryableClickHouseError } from '../../../connectors/clickhouse/server.js';

const OLD = capabilitiesOf('18.16.1', new Set()).capabilities;
const NEW = capabilitiesOf('24.8.4.13', new Set(['insert_deduplication_token'])).capabilities;

describe('migration files', () => {
  it('splits statements at semicolons outside quotes and drops comments', () => {
    const sql = "-- header; with a semicolon\nCREATE TABLE a (x String DEFAULT ';') ENGINE = Log;\n\n-- next\nSELECT 'it\\'s; fine', `we;ird`;\n";
    expect(splitStatements(sql)).toEqual(["CREATE TABLE a (x String DEFAULT ';') ENGINE = Log", "SELECT 'it\\'s; fine', `we;ird`"]);
  });

  it('parses versions, names and required capabilities', () => {
    const migration = parseMigration('0007_hot_ttl.sql', '-- requires: ttl\nALTER TABLE events MODIFY TTL event_time + INTERVAL 30 DAY;');
    expect(migration).toMatchObject({ version: 7, name: 'hot_ttl', requires: ['ttl'] });
    expect(migration.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(() => parseMigration('7_x.sql', 'SELECT 1')).toThrow(expect.objectContaining({ code: 'MIGRATION_INVALID' }));
    expect(() => parseMigration('0001_x.sql', '-- requires: teleport\nSELECT 1')).toThrow(expect.objectContaining({ code: 'MIGRATION_INVALID' }));
  });

  it('ships migrations that parse, in order, using only 18.16 features unless declared', () => {
    const migrations = loadMigrations();
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort((a, b) => a - b));
    for (const migration of migrations.filter((m) => m.requires.length === 0)) {
      for (const statement of migration.statements) {
        expect(statement).not.toMatch(/\bTTL\b|DateTime64|LowCardinality|CODEC|IF NOT EXISTS\s+\w+\s+ADD COLUMN|CREATE OR REPLACE|\bMap\(/i);
        if (/^CREATE (TABLE|MATERIALIZED VIEW|DATABASE)/i.test(statement)) expect(statement).toMatch(/IF NOT EXISTS/);
      }
    }
  });
});

describe('planMigrations', () => {
  const a = parseMigration('0001_a.sql', 'CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = Log;');
  const b = parseMigration('0002_b.sql', '-- requires: ttl\nALTER TABLE a MODIFY TTL now();');
  const c = parseMigration('0003_c.sql', 'CREATE TABLE IF NOT EXISTS c (x UInt8) ENGINE = Log;');

  it('applies what is new, skips what needs a missing capability and keeps it for later', () => {
    const first = planMigrations([a, b, c], [], OLD);
    expect(first.toApply.map((m) => m.version)).toEqual([1, 3]);
    expect(first.skipped.map((s) => [s.migration.version, s.missing])).toEqual([[2, ['ttl']]]);
    const again = planMigrations([a, b, c], [a, c], OLD);
    expect(again.toApply).toEqual([]);
    expect(again.alreadyApplied.map((m) => m.version)).toEqual([1, 3]);
    const upgraded = planMigrations([a, b, c], [a, c], NEW);
    expect(upgraded.toApply.map((m) => m.version)).toEqual([2]);
  });

  it('refuses a migration whose file changed after it was applied', () => {
    expect(() => planMigrations([a], [{ ...a, checksum: '0'.repeat(64) }], OLD)).toThrow(expect.objectContaining({ code: 'MIGRATION_CHANGED' }));
  });
});

describe('server capabilities', () => {
  it('detects features from the version and settings', () => {
    expect(OLD).toEqual({ ttl: false, dateTime64: false, queryParameters: false, insertDeduplicationToken: false });
    expect(NEW).toEqual({ ttl: true, dateTime64: true, queryParameters: true, insertDeduplicationToken: true });
    expect(capabilitiesOf('19.6.2', new Set()).capabilities.ttl).toBe(true);
  });

  it('classifies errors: unreachable or overloaded is retryable, a bad statement is not', () => {
    expect(isRetryableClickHouseError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetryableClickHouseError(new Error('Timeout error.'))).toBe(true);
    expect(isRetryableClickHouseError(new Error('Code: 252, e.displayText() = DB::Exception: Too many parts'))).toBe(true);
    expect(isRetryableClickHouseError(new Error('Code: 60, e.displayText() = DB::Exception: Table x.events doesn\'t exist'))).toBe(false);
    expect(clickHouseErrorCode(new Error('Code: 62, e.displayText() = Syntax error'))).toBe(62);
  });
});
