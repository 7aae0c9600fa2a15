import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../cli/program.js';
import { splitInput } from '../../../cli/commands/convert.js';
import * as fixtures from '../adapters/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'quintet-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

let counter = 0;
function file(content: string): string {
  const path = join(dir, `input-${counter++}.json`);
  writeFileSync(path, content);
  return path;
}

/** Runs `quintet convert` in-process, capturing stdout and stderr. */
async function convert(args: string[]): Promise<{ code: number; out: string[]; err: Array<Record<string, unknown>>; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  const code = await runCli(['convert', ...args]);
  vi.restoreAllMocks();
  const lines = (text: string) => text.split('\n').filter((l) => l !== '');
  return {
    code,
    out: lines(stdout),
    err: lines(stderr)
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>),
    stderr,
  };
}

const ndjson = (...rows: unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

describe('quintet convert', () => {
  it('converts NDJSON of mixed formats to canonical, one event per line, exit 0', async () => {
    const input = file(ndjson(fixtures.segmentTrack, fixtures.cloudTrailIamUser, fixtures.otelLogs, fixtures.auth0Success));
    const { code, out, err } = await convert(['--in', input]);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const names = out.map((line) => (JSON.parse(line) as { action: { name: string } }).action.name);
    expect(names).toEqual(['analytics.course.clicked', 'aws.ec2.start_instances', 'otel.log.info', 'otel.payment.failed', 'auth.user.login_succeeded']);
  });

  it('reports each rejected input on stderr with index, line, code and no input values; exit 1', async () => {
    const input = file(ndjson(fixtures.segmentTrack, '{"email":"jane@example.com"', '', { hello: 'jane@example.com' }, { ...fixtures.segmentTrack, event: 'Purchase' }));
    const { code, out, err } = await convert(['--in', input]);
    expect(code).toBe(1);
    expect(out).toHaveLength(1);
    expect(err).toEqual([
      { index: 1, line: 2, code: 'JSON_INVALID', stage: 'parse', message: expect.any(String) },
      { index: 2, line: 4, code: 'FORMAT_UNKNOWN', stage: 'detect', message: expect.any(String) },
      { index: 3, line: 5, code: 'EVENT_NAME_INVALID', stage: 'adapt', message: expect.any(String), path: 'event' },
    ]);
    expect(JSON.stringify(err)).not.toContain('jane');
  });

  it('reads a JSON array and a CloudTrail Records file, one input per element', async () => {
    const array = await convert(['--in', file(JSON.stringify([fixtures.mixpanelTrack, fixtures.amplitudeEvent, 7]))]);
    expect(array.out).toHaveLength(2);
    expect(array.err).toMatchObject([{ index: 2, code: 'FORMAT_UNKNOWN' }]);
    const records = await convert(['--from', 'cloudtrail', '--in', file(JSON.stringify({ Records: [fixtures.cloudTrailIamUser, { eventSource: 'x' }, fixtures.cloudTrailAwsService] }, null, 2))]);
    expect(records.out).toHaveLength(2);
    expect(records.err).toMatchObject([{ index: 1, code: 'FORMAT_UNKNOWN' }]);
    expect(records.code).toBe(1);
  });

  it('--from forces a format', async () => {
    const { code, err } = await convert(['--from', 'github', '--in', file(ndjson(fixtures.segmentTrack))]);
    expect(code).toBe(1);
    expect(err).toMatchObject([{ index: 0, code: 'FORMAT_UNKNOWN', stage: 'adapt' }]);
  });

  it('--to cloudevents and --to otel write the outward mappings, which convert back to the same events', async () => {
    const input = file(ndjson(fixtures.canonicalEvent, fixtures.githubRepoDestroy));
    const canonical = (await convert(['--in', input])).out.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const to of ['cloudevents', 'otel']) {
      const mapped = await convert(['--in', input, '--to', to]);
      expect(mapped.code).toBe(0);
      expect(mapped.out).toHaveLength(2);
      const back = await convert(['--in', file(mapped.out.join('\n'))]);
      expect(back.code).toBe(0);
      const strip = (e: Record<string, unknown>) => ({ ...e, observed_timestamp: undefined });
      expect(back.out.map((l) => strip(JSON.parse(l) as Record<string, unknown>))).toEqual(canonical.map(strip));
    }
  });

  it('--plan enforces a tracking plan', async () => {
    const plan = file(JSON.stringify({ events: { 'analytics.course.clicked': { properties: { properties: { title: { type: 'string' } } } } } }));
    const { code, err } = await convert(['--plan', plan, '--in', file(ndjson(fixtures.segmentTrack, fixtures.segmentIdentify))]);
    expect(code).toBe(1);
    expect(err).toMatchObject([
      { index: 0, code: 'UNPLANNED_PROPERTY' },
      { index: 1, code: 'UNPLANNED_EVENT' },
    ]);
  });

  it('uses the configured limits', async () => {
    vi.stubEnv('QUINTET_MAX_EVENT_BYTES', '300');
    try {
      const { err } = await convert(['--in', file(ndjson(fixtures.segmentTrack))]);
      expect(err).toMatchObject([{ code: 'EVENT_TOO_LARGE', stage: 'limits' }]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a missing input file is a clear error, exit 2', async () => {
    const { code, stderr } = await convert(['--in', join(dir, 'does-not-exist.json')]);
    expect(code).toBe(2);
    expect(stderr).toContain('[INPUT_UNREADABLE]');
  });

  it('splits input: NDJSON lines, arrays, Records files, single pretty-printed documents', () => {
    expect(splitInput('{"a":1}\n\n{"b":2}\r\n')).toEqual([
      { index: 0, line: 1, text: '{"a":1}' },
      { index: 1, line: 3, text: '{"b":2}' },
    ]);
    expect(splitInput('[{"a":1},{"b":2}]').map((i) => i.text)).toEqual(['{"a":1}', '{"b":2}']);
    expect(splitInput('{"Records":[{"a":1}]}').map((i) => i.text)).toEqual(['{"a":1}']);
    expect(splitInput('{\n  "resourceLogs": []\n}')).toHaveLength(1);
    expect(splitInput('  \n')).toEqual([]);
  });

  it('runs as a real process: stdin in, NDJSON out, exit status', async () => {
    const run = promisify(execFile);
    const cwd = join(import.meta.dirname, '../../..');
    const ok = await run('node', ['--import', 'tsx', 'cli/main.ts', 'convert', '--in', file(ndjson(fixtures.auth0WrongPassword, fixtures.cloudEventStructured))], { cwd });
    expect(ok.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { action: { name: string } }).action.name)).toEqual(['auth.user.login_failed', 'github.pull_request.opened']);
    const child = execFile('node', ['--import', 'tsx', 'cli/main.ts', 'convert', '--to', 'otel'], { cwd });
    child.stdin?.end(ndjson(fixtures.segmentTrack, 'not json'));
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(1);
    expect(JSON.parse(stdout.trim())).toHaveProperty('resourceLogs');
    expect(JSON.parse(stderr.trim())).toMatchObject({ index: 1, line: 2, code: 'JSON_INVALID' });
  }, 60_000);
});
