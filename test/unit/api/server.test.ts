import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys, MemoryApiKeyStore } from '../../../api/api-keys.js';
import { ApiServer, type FeedBackend, type IngestBackend } from '../../../api/server.js';
import { QuintetMetrics } from '../../../core/metrics.js';

// HTTP-layer semantics over a real loopback socket. The backends here record what reached them,
// so that the tests can assert what the server let through; the pipeline behind them is tested elsewhere.
const submitted: unknown[][] = [];
const ingest: IngestBackend = {
  async submit(items) {
    submitted.push([...items]);
    return {
      accepted: items.flatMap((item, index) => ((item as { ok?: boolean }).ok ? [{ index, ids: [`id-${index}`] }] : [])),
      rejected: items.flatMap((item, index) => ((item as { ok?: boolean }).ok ? [] : [{ index, code: 'SCHEMA_INVALID', message: 'missing action' }])),
    };
  },
};
const reads: string[] = [];
const feeds: FeedBackend = {
  async inbox(subject, options) {
    reads.push(`inbox:${subject}:${options.limit}`);
    return { items: [], next_cursor: null };
  },
  async notifications(subject) {
    reads.push(`notifications:${subject}`);
    return { items: [], unseen: 0, unread: 0 };
  },
  async markRead(subject, options) {
    reads.push(`read:${subject}:${options.upTo ?? options.itemId ?? 'all'}`);
    return { unread: 0 };
  },
  async markSeen(subject) {
    reads.push(`seen:${subject}`);
    return { unseen: 0 };
  },
};

let server: ApiServer;
let port: number;
const keys = new ApiKeys(new MemoryApiKeyStore());
let ingestKey: string;
let readKey: string;
let aliceKey: string;
let adminKey: string;

function call(method: string, path: string, options: { key?: string; body?: string | Buffer; headers?: Record<string, string> } = {}) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes
  return new Promise<{ status: number; body: any; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...(options.key ? { authorization: `Bearer ${options.key}` } : {}), ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Prometheus text.
        }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

beforeAll(async () => {
  ingestKey = (await keys.create({ name: 'ingest', scopes: ['ingest'], ingestPerSecond: 5 })).key;
  readKey = (await keys.create({ name: 'reader', scopes: ['read'] })).key;
  aliceKey = (await keys.create({ name: 'alice', scopes: ['read'], subject: 'alice' })).key;
  adminKey = (await keys.create({ name: 'admin', scopes: ['admin'] })).key;
  server = new ApiServer({ keys, ingest, feeds, maxBodyBytes: 2048, metrics: new QuintetMetrics() });
  port = await server.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await server.close();
});

describe('ApiServer', () => {
  it('serves health without a key and everything else only with one', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    const missing = await call('GET', '/v1/feeds/bob');
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: { code: 'UNAUTHORIZED', message: 'a valid API key is required' } });
    const forged = await call('GET', '/v1/feeds/bob', { key: readKey.slice(0, -2) + 'xx' });
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual(missing.body);
  });

  it('answers 403 to a key without the scope, revealing nothing', async () => {
    const response = await call('POST', '/v1/events', { key: readKey, body: '{}' });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');
  });

  it('binds a subject key to its own feed only', async () => {
    expect((await call('GET', '/v1/feeds/alice', { key: aliceKey })).status).toBe(200);
    expect((await call('GET', '/v1/feeds/bob', { key: aliceKey })).status).toBe(403);
    expect(reads).toContain('inbox:alice:50');
    expect(reads).not.toContain('inbox:bob:50');
  });

  it('reports accepted and rejected events of a batch', async () => {
    const response = await call('POST', '/v1/events', { key: ingestKey, body: JSON.stringify([{ ok: true }, { ok: false }]) });
    expect(response.status).toBe(202);
    expect(response.body.accepted).toEqual([{ index: 0, ids: ['id-0'] }]);
    expect(response.body.rejected).toEqual([{ index: 1, code: 'SCHEMA_INVALID', message: 'missing action' }]);
  });

  it('refuses a body over the limit before reading it, and bad JSON with 400', async () => {
    const before = submitted.length;
    const declared = await call('POST', '/v1/events', { key: ingestKey, body: 'x'.repeat(4096), headers: { 'content-length': '4096' } });
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('BODY_TOO_LARGE');
    const streamed = await call('POST', '/v1/events', { key: ingestKey, body: `[${'"x",'.repeat(1000)}"x"]` });
    expect(streamed.status).toBe(413);
    const bad = await call('POST', '/v1/events', { key: ingestKey, body: '{"truncated":' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('JSON_INVALID');
    expect(submitted.length).toBe(before);
  });

  it('rate-limits ingest per key', async () => {
    const limited = await keys.create({ name: 'limited', scopes: ['ingest'], ingestPerSecond: 3 });
    const first = await call('POST', '/v1/events', { key: limited.key, body: JSON.stringify([{ ok: true }, { ok: true }, { ok: true }]) });
    expect(first.status).toBe(202);
    const second = await call('POST', '/v1/events', { key: limited.key, body: JSON.stringify([{ ok: true }, { ok: true }]) });
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBeDefined();
  });

  it('validates mark-read bodies and page sizes', async () => {
    expect((await call('POST', '/v1/notifications/alice/read', { key: aliceKey, body: '{"up_to":"yesterday"}' })).status).toBe(400);
    const ok = await call('POST', '/v1/notifications/alice/read', { key: aliceKey, body: '{"up_to":"2026-11-28T10:00:00Z"}' });
    expect(ok.status).toBe(200);
    expect(reads).toContain('read:alice:2026-11-28T10:00:00.000Z');
    expect((await call('GET', '/v1/feeds/alice?limit=100000', { key: aliceKey })).status).toBe(400);
  });

  it('answers 404 for endpoints this process does not serve, and for unknown paths', async () => {
    expect((await call('GET', '/v1/dashboards/events_per_minute', { key: adminKey })).status).toBe(404);
    expect((await call('GET', '/nope', { key: adminKey })).status).toBe(404);
    expect((await call('DELETE', '/v1/events', { key: ingestKey })).status).toBe(405);
  });

  it('serves metrics to admin keys, counting requests by route template only', async () => {
    const response = await call('GET', '/metrics', { key: adminKey });
    expect(response.status).toBe(200);
    expect(String(response.body)).toContain('quintet_http_requests_total{route="GET /v1/feeds/:user",status="200"}');
    expect(String(response.body)).not.toContain('alice');
  });

  it('revokes keys', async () => {
    const created = await keys.create({ name: 'temp', scopes: ['read'] });
    expect((await call('GET', '/v1/feeds/bob', { key: created.key })).status).toBe(200);
    expect(await keys.revoke(created.record.id)).toBe(true);
    expect((await call('GET', '/v1/feeds/bob', { key: created.key })).status).toBe(401);
  });
});
