/**
 * /metrics of the embedded mode, scraped over a real loopback socket: after traffic every figure the
 * product promises has moved (records in/out, dead letters by reason, processing latency, read-model
 * lag, commit latency, state store sizes, vault cache hits, sink batches, late records dropped, chain
 * heads), it moves again with more traffic, and no label value is a raw identifier.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys, MemoryApiKeyStore } from '../../../api/api-keys.js';
import { ApiServer } from '../../../api/server.js';
import { loadConfig } from '../../../core/config.js';
import { embeddedApiBackends } from '../../../embedded/api.js';
import { EmbeddedPipeline } from '../../../embedded/pipeline.js';
import { generateWorkload, type Workload } from '../../../workload/generator.js';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Prometheus text exposition → samples (enough of the format for prom-client's output). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`unexpected metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of a metric over the samples whose labels include `labels`. */
function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

let dir: string;
let pipeline: EmbeddedPipeline;
let server: ApiServer;
let port: number;
let adminKey: string;
let ingestKey: string;
const workload: Workload = generateWorkload({ events: 300, users: 10, seed: 8, startMs: Date.now() - 3_600_000 });

function call(method: string, path: string, key: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const response = await call('GET', '/metrics', adminKey);
  expect(response.status).toBe(200);
  return { text: response.text, samples: parse(response.text) };
}

/** A like whose event time is two days before everything else: later than its window's end plus grace. */
function lateLike(): string {
  const like = JSON.parse(workload.events.find((e) => e.kind === 'social.like')?.value as string) as { id: string; event_timestamp: string };
  like.id = randomUUID();
  like.event_timestamp = new Date(Date.now() - 2 * 86_400_000).toISOString();
  return JSON.stringify(like);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quintet-metrics-'));
  // One partition: the late like meets the stream time the other likes advanced.
  pipeline = await EmbeddedPipeline.open({ config: loadConfig({ env: {} }), partitions: 1, dataDir: dir });
  const keys = new ApiKeys(new MemoryApiKeyStore());
  adminKey = (await keys.create({ name: 'ops', scopes: ['admin'] })).key;
  ingestKey = (await keys.create({ name: 'app', scopes: ['ingest'] })).key;
  server = new ApiServer({ keys, ...embeddedApiBackends(pipeline) });
  port = await server.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await pipeline?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('/metrics of the embedded mode', () => {
  it('moves with traffic, every promised figure, and names no subject', async () => {
    const half = Math.floor(workload.events.length / 2);
    // Traffic through the API (the first half, valid events only: the API rejects invalid ones itself)…
    const valid = workload.events.slice(0, half).filter((e) => e.kind !== 'invalid');
    const posted = await call('POST', '/v1/events', ingestKey, JSON.stringify(valid.map((e) => JSON.parse(e.value) as unknown)));
    expect(posted.status).toBeLessThan(300);
    // …and straight into the pipeline, invalid events included, then a late like and a checkpoint.
    const direct = [...workload.events.slice(0, half).filter((e) => e.kind === 'invalid'), ...workload.events.slice(half)];
    await pipeline.ingest(direct);
    await pipeline.ingest([{ value: lateLike() }]);
    await pipeline.tick(15_000);

    const first = await scrape();
    const s = first.samples;
    const invalid = workload.expected.invalid as number;
    expect(total(s, 'quintet_records_in_total', { topology: 'ingest' })).toBe(valid.length + direct.length + 1);
    for (const topology of ['feeds', 'likes', 'analytics']) expect(total(s, 'quintet_records_in_total', { topology }), topology).toBeGreaterThan(0);
    expect(total(s, 'quintet_records_out_total', { topology: 'ingest', topic: pipeline.config.topics.canonical })).toBe(pipeline.records(pipeline.config.topics.canonical).length);
    expect(total(s, 'quintet_dead_letters_total', { topology: 'ingest' })).toBe(invalid);
    expect(s.filter((x) => x.name === 'quintet_dead_letters_total' && x.value > 0).every((x) => /^[A-Z][A-Z0-9_]+$/.test(x.labels.reason ?? ''))).toBe(true);
    for (const topology of ['ingest', 'feeds', 'likes', 'analytics']) expect(total(s, 'quintet_processing_latency_seconds_count', { topology }), topology).toBeGreaterThan(0);
    expect(s.some((x) => x.name === 'quintet_consumer_lag' && x.labels.topology === 'feeds')).toBe(true);
    expect(total(s, 'quintet_consumer_lag')).toBe(0);
    expect(total(s, 'quintet_commit_latency_seconds_count')).toBeGreaterThan(0);
    expect(total(s, 'quintet_state_store_entries', { topology: 'ingest', store: 'chain-heads' })).toBe(1);
    expect(total(s, 'quintet_state_store_entries', { store: 'vault' })).toBeGreaterThan(0);
    expect(total(s, 'quintet_vault_cache_requests_total', { result: 'hit' })).toBeGreaterThan(0);
    expect(total(s, 'quintet_vault_cache_requests_total', { result: 'miss' })).toBeGreaterThan(0);
    expect(total(s, 'quintet_vault_cached_subjects')).toBe(pipeline.vault.stats().cachedSubjects);
    expect(total(s, 'quintet_vault_cached_subjects')).toBeGreaterThan(0);
    for (const sink of ['duckdb', 'inboxes', 'notifications']) expect(total(s, 'quintet_sink_batch_rows_count', { sink }), sink).toBeGreaterThan(0);
    expect(total(s, 'quintet_sink_batch_rows_sum', { sink: 'duckdb' })).toBe(pipeline.records(pipeline.config.topics.canonical).length);
    expect(total(s, 'quintet_late_records_dropped_total', { topology: 'likes' })).toBe(1);
    expect(total(s, 'quintet_chain_head_sequence', { partition: '0' })).toBe(pipeline.records(pipeline.config.topics.canonical).length - 1);
    expect(total(s, 'quintet_http_requests_total', { route: 'POST /v1/events' })).toBe(1);

    // More traffic: the counters and the chain head move on.
    await pipeline.ingest(generateWorkload({ events: 60, users: 10, seed: 9 }).events.filter((e) => e.kind !== 'invalid'));
    const second = (await scrape()).samples;
    for (const name of ['quintet_records_in_total', 'quintet_records_out_total', 'quintet_processing_latency_seconds_count', 'quintet_vault_cache_requests_total', 'quintet_sink_batch_rows_count']) {
      expect(total(second, name), name).toBeGreaterThan(total(s, name));
    }
    expect(total(second, 'quintet_chain_head_sequence')).toBeGreaterThan(total(s, 'quintet_chain_head_sequence'));

    // No raw identifier in any label value (or anywhere in the exposition).
    const identifiers = workload.users.flatMap((u) => [u.id, u.email, u.name, u.ip]);
    for (const id of identifiers) expect(first.text.includes(id), 'a raw identifier in /metrics').toBe(false);
  }, 120_000);
});
