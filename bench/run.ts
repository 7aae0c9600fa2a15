/**
 * `npm run bench [-- --quick] [-- --only name,name]`: runs every benchmark suite of the project and
 * writes bench/results/latest.json (machine, versions, date, figures) plus a readable table.
 * Suites that compare against a baseline measure both side by side in the same run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchSuite, Figure } from './figures.js';

const here = dirname(fileURLToPath(import.meta.url));

interface SuiteOutcome {
  readonly suite: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly error?: string;
}

function versionOf(command: string, args: string[]): string | undefined {
  try {
    const line = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]?.trim();
    return line === '' ? undefined : line;
  } catch {
    return undefined;
  }
}

async function loadSuites(only: ReadonlySet<string> | undefined): Promise<BenchSuite[]> {
  const files = readdirSync(here)
    .filter((file) => file.endsWith('.ts') && !['run.ts', 'figures.ts'].includes(file) && !file.endsWith('.test.ts'))
    .sort();
  const suites: BenchSuite[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(here, file)).href)) as { suite?: BenchSuite };
    if (module.suite !== undefined && (only === undefined || only.has(module.suite.name))) suites.push(module.suite);
  }
  return suites;
}

function table(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.name,
    formatNumber(f.value),
    f.unit,
    `${formatNumber(f.min)}–${formatNumber(f.max)}`,
    String(f.runs),
    f.baseline === undefined ? '' : `${formatNumber(f.baseline.value)} (${f.baseline.name})`,
    f.ratio === undefined ? '' : f.ratio.toFixed(2),
  ]);
  const header = ['figure', 'median', 'unit', 'range', 'runs', 'baseline', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function formatNumber(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? '').split(',').filter((s) => s !== '')) : undefined;
  const suites = await loadSuites(only);
  const figures: Figure[] = [];
  const outcomes: SuiteOutcome[] = [];
  for (const suite of suites) {
    const started = performance.now();
    process.stderr.write(`bench: ${suite.name}${suite.needsStack ? ' (needs the local stack)' : ''}…\n`);
    try {
      const produced = await suite.run({ quick });
      figures.push(...produced);
      outcomes.push({ suite: suite.name, ok: true, seconds: (performance.now() - started) / 1000 });
    } catch (error) {
      // One failing suite must not hide the others' figures; it is reported and fails the run.
      outcomes.push({ suite: suite.name, ok: false, seconds: (performance.now() - started) / 1000, error: (error as Error).message });
      process.stderr.write(`bench: ${suite.name} failed: ${(error as Error).message}\n`);
    }
  }
  const result = {
    date: new Date().toISOString(),
    quick,
    machine: {
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    },
    versions: {
      node: process.version,
      java: versionOf('bash', ['-c', 'java -version 2>&1']),
      clickhouse: versionOf('clickhouse-server', ['--version']),
      redis: versionOf('redis-server', ['--version']),
    },
    suites: outcomes,
    figures,
  };
  const resultsDir = join(here, 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  const readable = table(figures);
  writeFileSync(join(resultsDir, 'latest.txt'), `${readable}\n`);
  process.stdout.write(`${readable}\n\nwritten: bench/results/latest.json\n`);
  if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
}

await main();
