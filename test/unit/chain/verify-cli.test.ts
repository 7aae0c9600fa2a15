/** `quintet verify --in` on exported files: every kind of tampering is detected and named, exit codes hold. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../cli/program.js';
import { ChainKeyRing } from '../../../processors/chain/chain-hash.js';
import { exportLine, parseRecordLine } from '../../../processors/chain/export-format.js';
import { chainedLog } from './chain-fixtures.js';
import { randomBytes } from 'node:crypto';

const key = randomBytes(32);
const log = chainedLog(2, 8, new ChainKeyRing('c1', new Map([['c1', key]])));
let dir: string;
let configFile: string;
let publicKeyFile: string;
let checkpointsFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'quintet-verify-'));
  configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ secrets: { chainKeys: `c1:${key.toString('base64')}` } }));
  publicKeyFile = join(dir, 'public.pem');
  writeFileSync(publicKeyFile, log.publicKey.export({ type: 'spki', format: 'pem' }));
  checkpointsFile = join(dir, 'checkpoints.ndjson');
  writeFileSync(checkpointsFile, log.checkpoints.map((checkpoint, p) => exportLine({ topic: 'quintet.chain-checkpoints', partition: 0, offset: String(p), checkpoint })).join(''));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function verify(lines: string[]): Promise<{ code: number; report: { intact: boolean; breaks: { kind: string; partition: number; sequence: number }[] } }> {
  const file = join(dir, `log-${randomBytes(4).toString('hex')}.ndjson`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  const code = await runCli(['--config', configFile, 'verify', '--in', file, '--checkpoints', checkpointsFile, '--public-key', publicKeyFile]);
  vi.restoreAllMocks();
  process.exitCode = undefined;
  return { code, report: JSON.parse(out) };
}

const find = (lines: string[], partition: number, sequence: number): number =>
  lines.findIndex((l) => parseRecordLine(l)?.partition === partition && parseRecordLine(l)?.chain?.sequence === sequence);

describe('quintet verify --in', () => {
  it('exits 0 on an intact export', async () => {
    const { code, report } = await verify(log.lines);
    expect(code).toBe(0);
    expect(report).toMatchObject({ intact: true, records: 16, truncation_checked: true });
  });

  const tamperings: [string, (lines: string[]) => void, { kind: string; partition: number; sequence: number }][] = [
    [
      'a modified field',
      (lines) => {
        const i = find(lines, 0, 3);
        lines[i] = (lines[i] as string).replace('"source":"test://chain"', '"source":"test://elsewhere"');
      },
      { kind: 'modified', partition: 0, sequence: 3 },
    ],
    ['a deleted line', (lines) => void lines.splice(find(lines, 1, 4), 1), { kind: 'deleted', partition: 1, sequence: 4 }],
    [
      'an inserted forged line',
      (lines) => {
        const genuine = lines[find(lines, 1, 2)] as string;
        lines.splice(find(lines, 1, 2), 0, genuine.replace('"shop.cart.updated"', '"auth.admin.granted"'));
      },
      { kind: 'inserted', partition: 1, sequence: 2 },
    ],
    [
      'two swapped lines',
      (lines) => {
        const a = find(lines, 0, 5);
        const b = find(lines, 0, 6);
        [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
      },
      { kind: 'reordered', partition: 0, sequence: 5 },
    ],
    [
      'a truncated tail',
      (lines) => {
        for (const sequence of [7, 6]) lines.splice(find(lines, 1, sequence), 1);
      },
      { kind: 'truncated', partition: 1, sequence: 6 },
    ],
  ];

  for (const [name, tamper, expected] of tamperings) {
    it(`exits 1 and names ${name}`, async () => {
      const lines = [...log.lines];
      tamper(lines);
      const { code, report } = await verify(lines);
      expect(code).toBe(1);
      expect(report.intact).toBe(false);
      expect(report.breaks).toEqual([expect.objectContaining(expected)]);
    });
  }

  it('refuses a run without --in or --topic (exit 2)', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runCli(['--config', configFile, 'verify'])).toBe(2);
  });
});
