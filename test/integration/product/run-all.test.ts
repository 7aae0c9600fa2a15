/**
 * The product in Kafka mode, as an operator runs it: `quintet topics create`, `quintet migrate`,
 * `quintet keys create`, then `quintet run all` (every topology and the HTTP API in one process) on the
 * real stack, fed by `quintet produce --generate`. Checks what a user sees through the HTTP API, then an
 * erasure through the API, proven with `quintet scan-pii` over the topics after the vault, Redis and
 * ClickHouse.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { privateDeploymentEnv } from '../../support/private-deployment.js';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from '../../../connectors/kafka/kafkajs.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorkload } from '../../../workload/generator.js';
import { testConfig, uniqueIdentifier } from '../../support/environment.js';

const run = promisify(execFile);
const ROOT = new URL('../../../', import.meta.url).pathname;
const EVENTS = 1_500;
const SEED = 5;

const name = uniqueIdentifier('prod');
const dataDir = mkdtempSync(join(tmpdir(), 'quintet-run-'));
let port = 0;
let child: ChildProcess | undefined;
let apiKey = '';
let stderr = '';
/** Every log line `quintet run` wrote, for the privacy check of the logs. */
let logs = '';
const workload = generateWorkload({ events: EVENTS, seed: SEED });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      server.close(() => resolve(address.port));
    });
  });
}

function env(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Debug: the most talkative level, so that the log privacy check below reads everything there is.
    ...privateDeploymentEnv(name, { partitions: 3, dataDir, httpPort: port, logLevel: 'debug', clickhouseDatabase: name }),
    QUINTET_COMMIT_INTERVAL_MS: '200',
  };
}
let environment: NodeJS.ProcessEnv;

const quintet = async (...args: string[]) => run('node', ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: ROOT, env: environment, maxBuffer: 64 * 1024 * 1024 });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers of several shapes
async function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: await response.json() };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}; quintet run said: ${stderr.slice(-3_000)}`);
}

// From the generated workload's day (workload/generator.ts starts it on 2026-11-28) to two days from
// now: the erasure event is stamped with the time of the erasure, any day the test runs (a range that
// ended on 2026-11-29 made the test fail from that midnight on).
const RANGE = `from=2026-11-28T00:00:00Z&to=${new Date(Date.now() + 2 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;

async function eventsCounted(action = ''): Promise<number> {
  const { body } = await api(`/v1/dashboards/events-per-minute?${RANGE}${action === '' ? '' : `&action=${action}`}`);
  return (body.rows as { events: number }[]).reduce((sum, row) => sum + Number(row.events), 0);
}

beforeAll(async () => {
  port = await freePort();
  environment = env();
  await quintet('topics', 'create');
  await quintet('migrate');
  apiKey = (JSON.parse((await quintet('keys', 'create', '--name', 'test', '--scopes', 'ingest,read,admin')).stdout) as { key: string }).key;
  child = spawn('node', ['--import', 'tsx', 'cli/main.ts', 'run', 'all'], { cwd: ROOT, env: environment, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    logs += chunk.toString();
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  await until('readiness', async () => {
    if (child?.exitCode !== null) throw new Error(`quintet run exited: ${stderr}`);
    const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    return response?.status === 200 ? true : undefined;
  });
}, 180_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  const config = testConfig();
  const kafka = new Kafka({ brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(name));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
  const redis = new Redis(config.redis.url);
  const keys = await redis.keys(`${name}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await fetch(`${config.clickhouse.url}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${name}`)}`, { method: 'POST' }).catch(() => undefined);
}, 60_000);

describe('quintet run all (Kafka mode, every topology and the HTTP API)', () => {
  it('turns produced raw events into dashboards, feeds and notifications served by the API', async () => {
    const produced = JSON.parse((await quintet('produce', '--generate', String(EVENTS), '--seed', String(SEED))).stdout) as { sent: number };
    expect(produced.sent).toBe(EVENTS);
    const valid = EVENTS - workload.expected.invalid;
    // Every valid event reaches ClickHouse exactly once (the dashboard counts distinct event ids).
    expect(await until('all events in ClickHouse', async () => ((await eventsCounted()) === valid ? valid : undefined), 120_000)).toBe(valid);

    // A user who follows others sees their posts; an author with liked posts sees aggregated notifications.
    const reader = workload.users[1]?.id as string;
    const feed = await until('a feed', async () => {
      const { body } = await api(`/v1/feeds/${reader}?limit=5`);
      return body.entries.length > 0 ? body : undefined;
    });
    expect(feed.entries[0].item.actor).toMatch(/^ps_/);
    const likedOwner = workload.events.find((e) => e.kind === 'social.like');
    expect(likedOwner).toBeDefined();
    const owner = (JSON.parse(likedOwner?.value as string) as { entity: { details: { owner_id: string } } }).entity.details.owner_id;
    const notifications = await until('notifications', async () => {
      const { body } = await api(`/v1/notifications/${owner}`);
      return body.entries.length > 0 ? body : undefined;
    });
    expect(notifications.counts.unread).toBeGreaterThan(0);
    const marked = await api(`/v1/notifications/${owner}/read`, { method: 'POST', body: {} });
    expect(marked.body.counts.unread).toBe(0);
  }, 240_000);

  it('erases a subject through the API so that no raw identifier of it remains anywhere after the vault', async () => {
    const subject = workload.users.find((u) => u.id === workload.erasureSubject);
    expect(subject).toBeDefined();
    const erased = await api('/v1/erasure', { method: 'POST', body: { subject: workload.erasureSubject } });
    expect(erased.status).toBe(202);
    expect(erased.body.erased_pseudonyms.length).toBeGreaterThan(0);
    // The chained privacy.subject.erased event reaches the read models.
    await until('the erasure event in ClickHouse', async () => ((await eventsCounted('privacy.subject.erased')) === 1 ? true : undefined));
    await until('an empty feed for the erased subject', async () => ((await api(`/v1/feeds/${workload.erasureSubject}`)).body.entries.length === 0 ? true : undefined));

    const identifiers = [`"${subject?.id}"`, subject?.email as string, subject?.name as string];
    const scan = await quintet('scan-pii', ...identifiers.flatMap((i) => ['--identifier', i])).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    const summary = JSON.parse(scan.stdout) as { clean: boolean; scanned: { kafkaRecords: number; redisKeys: number; clickhouseRows: number }; findings: unknown[] };
    expect(summary.findings).toEqual([]);
    expect(summary.clean).toBe(true);
    expect(summary.scanned.kafkaRecords).toBeGreaterThan(EVENTS / 2);
    expect(summary.scanned.redisKeys).toBeGreaterThan(0);
    expect(summary.scanned.clickhouseRows).toBeGreaterThan(EVENTS / 2);

    // The scanner does find identifiers where they are: the raw topic, which erasure cannot reach.
    const raw = await quintet('scan-pii', '--no-redis', '--no-clickhouse', '--topics', `${name}.raw`, '--identifier', subject?.email as string).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    expect((JSON.parse(raw.stdout) as { clean: boolean }).clean).toBe(false);
  }, 240_000);

  it('serves /metrics for every topology, figures that move with traffic, naming no subject', async () => {
    const scrape = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${apiKey}` } });
      expect(response.status).toBe(200);
      const text = await response.text();
      const total = (metric: string, labels: Record<string, string> = {}) =>
        text
          .split('\n')
          .filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
          .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
          .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
      return { text, total };
    };
    const first = await scrape();
    const canonical = `${name}.canonical`;
    expect(first.total('quintet_records_in_total', { topology: 'ingest' })).toBeGreaterThanOrEqual(EVENTS);
    expect(first.total('quintet_records_out_total', { topology: 'ingest', topic: canonical })).toBeGreaterThanOrEqual(EVENTS - workload.expected.invalid);
    expect(first.total('quintet_dead_letters_total', { topology: 'ingest' })).toBeGreaterThanOrEqual(workload.expected.invalid);
    for (const topology of ['ingest', 'feeds', 'likes', 'analytics']) {
      expect(first.total('quintet_processing_latency_seconds_count', { topology }), topology).toBeGreaterThan(0);
      expect(first.text.includes(`quintet_consumer_lag{topology="${topology}"`), `lag of ${topology}`).toBe(true);
    }
    expect(first.total('quintet_commit_latency_seconds_count')).toBeGreaterThan(0);
    expect(first.total('quintet_state_store_entries', { topology: 'ingest', store: 'chain-heads' })).toBe(3);
    expect(first.total('quintet_vault_cache_requests_total', { result: 'hit' })).toBeGreaterThan(0);
    for (const sink of ['clickhouse', 'inboxes', 'notifications']) expect(first.total('quintet_sink_batch_rows_count', { sink }), sink).toBeGreaterThan(0);
    for (const partition of ['0', '1', '2']) expect(first.text.includes(`quintet_chain_head_sequence{partition="${partition}"}`)).toBe(true);
    expect(first.text.includes('# TYPE quintet_late_records_dropped_total counter')).toBe(true);

    const more = generateWorkload({ events: 40, seed: SEED + 1 }).events.filter((e) => e.kind !== 'invalid').map((e) => JSON.parse(e.value) as unknown);
    expect((await api('/v1/events', { method: 'POST', body: more })).status).toBeLessThan(300);
    const before = first.total('quintet_chain_head_sequence');
    const second = await until('the chain heads to move', async () => {
      const next = await scrape();
      return next.total('quintet_chain_head_sequence') > before ? next : undefined;
    });
    expect(second.total('quintet_records_in_total', { topology: 'ingest' })).toBeGreaterThan(first.total('quintet_records_in_total', { topology: 'ingest' }));
    expect(second.total('quintet_records_out_total', { topic: canonical })).toBeGreaterThan(first.total('quintet_records_out_total', { topic: canonical }));

    // Consumer lag is asked of the brokers: every input partition of every topology, zero once caught up.
    await until('every topology caught up', async () => {
      const lags = (await scrape()).text.split('\n').filter((line) => line.startsWith('quintet_consumer_lag{'));
      return lags.length >= 4 * 3 && lags.every((line) => line.endsWith(' 0')) ? true : undefined;
    });
    const identifiers = workload.users.flatMap((u) => [u.id, u.email, u.name, u.ip]);
    expect(identifiers.filter((identifier) => first.text.includes(identifier) || second.text.includes(identifier))).toEqual([]);
  }, 120_000);

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child?.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it('never wrote a raw identifier or a secret into its logs', () => {
    expect(logs.length).toBeGreaterThan(0);
    const leaked = workload.users.flatMap((u) => [`"${u.id}"`, u.email, u.name, u.ip].filter((identifier) => logs.includes(identifier)));
    expect(leaked).toEqual([]);
    for (const secret of [environment.QUINTET_LOOKUP_KEY, environment.QUINTET_MASTER_KEYS?.slice(3), environment.QUINTET_CHAIN_KEYS?.slice(3), apiKey]) {
      expect(logs.includes(secret as string)).toBe(false);
    }
  });
});
