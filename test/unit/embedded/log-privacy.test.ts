/**
 * No raw identifier and no key ever reaches a log line: PII goes through the embedded pipeline (valid
 * events, invalid events whose bad values are PII, an erasure, a restart on a data folder) and through
 * the HTTP API in front of it, with logging at debug level; every line is then searched with the
 * project's PII scanner (connectors/privacy/pii-scanner.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKeys, MemoryApiKeyStore } from '../../../api/api-keys.js';
import { ApiServer } from '../../../api/server.js';
import { PiiScanner } from '../../../connectors/privacy/pii-scanner.js';
import { loadConfig } from '../../../core/config.js';
import { componentLogger, createLogger } from '../../../core/logger.js';
import { embeddedApiBackends } from '../../../embedded/api.js';
import { EmbeddedPipeline } from '../../../embedded/pipeline.js';
import { generateWorkload, type WorkloadUser } from '../../../workload/generator.js';

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function post(port: number, path: string, key: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function get(port: number, path: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, method: 'GET', path, headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

/** Invalid events whose offending values are themselves personal data: a rejection must not quote them. */
function hostile(user: WorkloadUser): string[] {
  return [
    JSON.stringify({ type: 'track', messageId: randomUUID(), userId: user.id, event: 'Signed Up', timestamp: user.email, context: { ip: user.ip } }),
    JSON.stringify({ type: 'identify', messageId: randomUUID(), userId: user.id, timestamp: `${user.name} at noon`, traits: { email: user.email, name: user.name } }),
    `{"type":"track","userId":"${user.id}","event":"${user.email}"`,
  ];
}

describe('logs of the embedded pipeline and its HTTP API at debug level', () => {
  it('hold component names and counts, never a raw identifier or a key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quintet-logs-'));
    folders.push(dir);
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
    const config = loadConfig({ env: {} });
    const workload = generateWorkload({ events: 300, users: 10, seed: 21, startMs: Date.now() - 3_600_000 });
    const victim = workload.users[2] as WorkloadUser;

    let pipeline = await EmbeddedPipeline.open({ config, partitions: 2, dataDir: join(dir, 'data'), logger });
    await pipeline.ingest(workload.events);
    await pipeline.ingest(hostile(victim).map((value) => ({ value, key: victim.id })));
    await pipeline.erase(workload.erasureSubject);
    await pipeline.tick(15_000);
    await pipeline.close();

    // Restarted on the same folder, behind the HTTP API.
    pipeline = await EmbeddedPipeline.open({ config, partitions: 2, dataDir: join(dir, 'data'), logger });
    const keys = new ApiKeys(new MemoryApiKeyStore());
    const key = (await keys.create({ name: 'all', scopes: ['ingest', 'read', 'admin'] })).key;
    const server = new ApiServer({ keys, ...embeddedApiBackends(pipeline), logger: componentLogger(logger, 'http') });
    const port = await server.listen(0, '127.0.0.1');
    try {
      const more = generateWorkload({ events: 40, users: 10, seed: 22 }).events.map((e) => JSON.parse(e.value) as unknown);
      expect(await post(port, '/v1/events', key, more)).toBeLessThan(300);
      expect(await post(port, '/v1/events', key, hostile(victim).slice(0, 2).map((v) => JSON.parse(v) as unknown))).toBeLessThan(500);
      expect(await get(port, `/v1/feeds/${victim.id}`, key)).toBe(200);
      expect(await get(port, `/v1/notifications/${encodeURIComponent(victim.email)}`, key)).toBe(200);
      expect(await post(port, '/v1/erasure', key, { subject: victim.id })).toBeLessThan(300);
      expect(await get(port, '/metrics', key)).toBe(200);
    } finally {
      await server.close();
      await pipeline.close();
    }
    logger.flush();

    // The logs say what happened, by component, at debug level.
    const parsed = lines.map((line) => JSON.parse(line) as { component?: string; level: string; msg: string });
    expect(parsed.filter((l) => l.level === 'debug').length).toBeGreaterThan(5);
    expect(new Set(parsed.map((l) => l.component))).toEqual(new Set(['embedded', 'http']));
    expect(parsed.filter((l) => l.msg === 'record dead-lettered').length).toBeGreaterThanOrEqual(workload.expected.invalid + 3);
    expect(parsed.some((l) => l.msg === 'resumed from the data folder')).toBe(true);

    // …and nothing in them is a raw identifier of any user, or a key of the data folder.
    const stored = JSON.parse(readFileSync(join(dir, 'data', 'embedded-keys.json'), 'utf8')) as Record<string, string>;
    const secrets = [stored.master, stored.chain, stored.lookup, (stored.signing ?? '').split('\n')[1], key] as string[];
    const identifiers = [...workload.users.flatMap((u) => [u.id, u.email, u.name, u.ip]), ...secrets];
    const logFile = join(dir, 'run.log');
    writeFileSync(logFile, lines.join(''));
    const scanner = new PiiScanner(identifiers);
    await scanner.scanFiles([logFile]);
    expect(scanner.summary().scanned.fileLines).toBe(lines.length);
    expect(scanner.summary().findings.map((f) => identifiers[f.identifier]?.slice(0, 6))).toEqual([]);

    // The scan is not blind: a line that does carry an identifier is found.
    const control = join(dir, 'control.log');
    writeFileSync(control, `${lines[0] ?? ''}{"msg":"leak","who":"${victim.email}"}\n`);
    const check = new PiiScanner(identifiers);
    await check.scanFiles([control]);
    expect(check.summary().findings).toHaveLength(1);
  }, 120_000);
});
