/**
 * Versioned ClickHouse migrations (deploy/clickhouse/migrations/NNNN_name.sql), applied by
 * `quintet migrate`.
 *
 * - Each file is applied once; its version, name and SHA-256 are recorded in `schema_migrations`.
 *   A recorded file whose content changed is an error (MIGRATION_CHANGED): history is append-only.
 * - Every statement is idempotent (`IF NOT EXISTS`), because ClickHouse has no transactional DDL: a
 *   run interrupted half-way is finished by the next one.
 * - A file may start with `-- requires: ttl, dateTime64` (capabilities of ServerCapabilities). It is
 *   skipped, not recorded, on servers without them, and applied after the server is upgraded.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QuintetError } from '../../core/errors.js';
import { applyRetention } from './retention.js';
import { ClickHouseServer, ensureDatabase, unexpectedClickHouseError, type ClickHouseConnectionOptions, type ServerCapabilities } from './server.js';

export const MIGRATIONS_TABLE = 'schema_migrations';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly requires: readonly (keyof ServerCapabilities)[];
  readonly statements: readonly string[];
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const CAPABILITIES: readonly (keyof ServerCapabilities)[] = ['ttl', 'dateTime64', 'queryParameters', 'insertDeduplicationToken'];

/** Finds a folder of the repository (or installed package) from this module, in source or dist. */
export function deployPath(...parts: string[]): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth += 1) {
    const candidate = join(dir, 'deploy', ...parts);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new QuintetError('DEPLOY_ASSET_MISSING', `deploy/${parts.join('/')} not found next to the installed code`);
}

/**
 * Splits a SQL file into statements at semicolons outside quotes and comments; `--` comments are
 * dropped. The files are ours (deploy/), so this only has to handle what they contain.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i += 1) {
    const c = sql[i] as string;
    if (quote !== undefined) {
      current += c;
      if (c === '\\') {
        current += sql[i + 1] ?? '';
        i += 1;
      } else if (c === quote) {
        quote = undefined;
      }
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end - 1;
    } else if (c === "'" || c === '"' || c === '`') {
      quote = c;
      current += c;
    } else if (c === ';') {
      if (current.trim() !== '') statements.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  if (current.trim() !== '') statements.push(current.trim());
  return statements;
}

export function parseMigration(fileName: string, text: string): Migration {
  const match = FILE_NAME.exec(fileName);
  if (match === null) throw new QuintetError('MIGRATION_INVALID', `migration file name ${fileName} must look like 0001_name.sql`);
  const requiresLine = /^--\s*requires:\s*(.+)$/m.exec(text);
  const requires = (requiresLine?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const capability of requires) {
    if (!CAPABILITIES.includes(capability as keyof ServerCapabilities)) {
      throw new QuintetError('MIGRATION_INVALID', `${fileName}: unknown capability "${capability}" (known: ${CAPABILITIES.join(', ')})`);
    }
  }
  const statements = splitStatements(text);
  if (statements.length === 0) throw new QuintetError('MIGRATION_INVALID', `${fileName} has no statement`);
  return {
    version: Number(match[1]),
    name: match[2] as string,
    checksum: createHash('sha256').update(text).digest('hex'),
    requires: requires as (keyof ServerCapabilities)[],
    statements,
  };
}

export function loadMigrations(dir: string = deployPath('clickhouse', 'migrations')): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => parseMigration(file, readFileSync(join(dir, file), 'utf8')));
  const versions = new Set<number>();
  for (const migration of migrations) {
    if (versions.has(migration.version)) throw new QuintetError('MIGRATION_INVALID', `two migrations have version ${migration.version}`);
    versions.add(migration.version);
  }
  return migrations;
}

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

export interface MigrationPlan {
  readonly toApply: readonly Migration[];
  readonly alreadyApplied: readonly Migration[];
  /** Waiting for a capability this server lacks. */
  readonly skipped: readonly { readonly migration: Migration; readonly missing: readonly string[] }[];
}

/** Decides what to run; pure, so the rules are unit-tested. */
export function planMigrations(migrations: readonly Migration[], applied: readonly AppliedMigration[], capabilities: ServerCapabilities): MigrationPlan {
  const appliedByVersion = new Map(applied.map((a) => [a.version, a]));
  const toApply: Migration[] = [];
  const alreadyApplied: Migration[] = [];
  const skipped: { migration: Migration; missing: string[] }[] = [];
  for (const migration of migrations) {
    const record = appliedByVersion.get(migration.version);
    if (record !== undefined) {
      if (record.checksum !== migration.checksum) {
        throw new QuintetError(
          'MIGRATION_CHANGED',
          `migration ${migration.version}_${migration.name} was changed after it was applied; add a new migration instead`,
          { details: { version: migration.version } },
        );
      }
      alreadyApplied.push(migration);
      continue;
    }
    const missing = migration.requires.filter((capability) => !capabilities[capability]);
    if (missing.length > 0) skipped.push({ migration, missing });
    else toApply.push(migration);
  }
  return { toApply, alreadyApplied, skipped };
}

export interface MigrationReport extends MigrationPlan {
  readonly serverVersion: string;
  readonly database: string;
  /** The hot tier as set up: a TTL of N days where the server has TTL, else partition drops by `quintet retention`. */
  readonly hotTier?: { readonly mode: 'ttl' | 'drop-partitions'; readonly days: number };
}

export interface MigrateSettings {
  /** `clickhouse.hotTierDays`: set as the tables' TTL on servers that have TTL (19.6+). */
  readonly hotTierDays?: number;
}

async function appliedMigrations(server: ClickHouseServer): Promise<AppliedMigration[]> {
  await server.command(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version UInt32, name String, checksum String, applied_at DateTime('UTC')) ` +
      'ENGINE = MergeTree ORDER BY version',
  );
  return server.rows<AppliedMigration>(`SELECT version, any(name) AS name, any(checksum) AS checksum FROM ${MIGRATIONS_TABLE} GROUP BY version`);
}

/** Creates the database if needed and applies every pending migration, in version order. */
export async function migrate(
  options: ClickHouseConnectionOptions,
  migrations: readonly Migration[] = loadMigrations(),
  settings: MigrateSettings = {},
): Promise<MigrationReport> {
  await ensureDatabase(options);
  const server = ClickHouseServer.connect(options);
  try {
    const info = await server.info();
    const plan = planMigrations(migrations, await appliedMigrations(server), info.capabilities);
    for (const migration of plan.toApply) {
      for (const statement of migration.statements) {
        try {
          await server.command(statement);
        } catch (error) {
          throw unexpectedClickHouseError('MIGRATION_FAILED', `migration ${migration.version}_${migration.name} failed on ClickHouse ${info.version}`, error);
        }
      }
      const record = {
        version: migration.version,
        name: migration.name,
        checksum: migration.checksum,
        applied_at: new Date().toISOString().slice(0, 19).replace('T', ' '),
      };
      await server.insertJsonLines(MIGRATIONS_TABLE, Object.keys(record), [JSON.stringify(record)]);
    }
    const days = settings.hotTierDays;
    if (days === undefined) return { ...plan, serverVersion: info.version, database: options.database };
    // With TTL the server expires rows itself; on 18.16 `quintet retention` drops old partitions.
    if (info.capabilities.ttl) await applyRetention(server, { hotDays: days });
    return { ...plan, serverVersion: info.version, database: options.database, hotTier: { mode: info.capabilities.ttl ? 'ttl' : 'drop-partitions', days } };
  } finally {
    await server.close();
  }
}
