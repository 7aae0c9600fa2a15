/**
 * The ingest topology on the driver, this tree against an earlier revision, in one process:
 *
 *   node --import tsx bench/compare-ingest.ts --base <revision> [--events 20000] [--rounds 5]
 *
 * The revision's files are extracted (`git archive`) into `.cache/compare/<revision>/` beside this tree's
 * node_modules, and both trees' `buildIngestTopology` run the same inputs on their own TopologyTestDriver
 * (in-memory vault, JSON envelope, batches of 500), interleaved round by round, alternating which goes
 * first. The figure is events per CPU second of this process (`process.cpuUsage`), so other load on the
 * machine counts for less than in a wall-clock rate; the ratio is of medians and min/max are the extreme
 * pair ratios. Inputs: the `ingest.driver` Segment track event and the workload generator's mix
 * (every adapter, 1 % invalid). Writes `bench/results/compare-ingest-<revision>.json` and prints a table.
 *
 * This answers "how much faster is the ingest hot path than at <revision>" without trusting absolute
 * figures from two different moments of a noisy machine.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ratioFigure, type Figure } from './figures.js';
import { generateWorkload } from '../workload/generator.js';
import { segmentTrack } from './ingest.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BATCH = 500;

interface DriverInput {
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

type IngestRun = (records: readonly DriverInput[]) => Promise<{ eventsPerCpuSecond: number; canonical: number }>;

function option(name: string, fallback?: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

function positiveInteger(name: string, fallback: string): number {
  const value = Number(option(name, fallback));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** The revision's tree under .cache/compare/, with this tree's node_modules (same dependencies assumed). */
function extract(revision: string): string {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${revision}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  const directory = join(root, '.cache', 'compare', commit.slice(0, 12));
  if (!existsSync(join(directory, 'topologies', 'ingest.ts'))) {
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory, { recursive: true });
    const archive = execFileSync('git', ['archive', '--format=tar', commit], { cwd: root, maxBuffer: 512 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', directory], { input: archive });
    symlinkSync(join(root, 'node_modules'), join(directory, 'node_modules'));
  }
  return directory;
}

/** One tree's ingest topology as a function of its input (fresh keys, vault and driver per call). */
async function ingestOf(tree: string): Promise<IngestRun> {
  const load = (path: string) => import(pathToFileURL(join(tree, path)).href);
  const [translator, chain, vault, crypto, memory, serdes, driver, ingest] = await Promise.all([
    load('processors/adapters/translator.ts'),
    load('processors/chain/chain-hash.ts'),
    load('processors/pseudonymization/pii-vault.ts'),
    load('processors/pseudonymization/vault-crypto.ts'),
    load('connectors/memory/vault-store.ts'),
    load('streams/serdes.ts'),
    load('streams/test-driver.ts'),
    load('topologies/ingest.ts'),
  ]);
  return async (records) => {
    const masterKeys = new crypto.MasterKeyRing('m1', new Map([['m1', randomBytes(32)]]));
    const topology = ingest.buildIngestTopology({
      topics: { raw: 'raw', canonical: 'canonical', deadLetter: 'dlq', erasureRequests: 'erasure', checkpoints: 'checkpoints' },
      translator: new translator.CanonicalTranslator(),
      vault: new vault.PiiVault(new memory.MemoryVaultStore(), { masterKeys, lookupKey: randomBytes(32) }),
      chainKeys: new chain.ChainKeyRing('c1', new Map([['c1', randomBytes(32)]])),
      masterKeys,
    });
    // Ingestion time is now, after the generated events' times (event times ahead of it are dead-lettered).
    const testDriver = new driver.TopologyTestDriver(topology, { captureChangelogs: false, initialWallClockTimeMs: Date.now() });
    const input = testDriver.createInputTopic('raw', serdes.Serdes.Bytes(), serdes.Serdes.Bytes());
    const started = process.cpuUsage();
    for (let i = 0; i < records.length; i += BATCH) await input.pipeRecordListAsync(records.slice(i, i + BATCH));
    const used = process.cpuUsage(started);
    const canonical = testDriver.readRawRecords('canonical').length as number;
    await testDriver.close();
    return { eventsPerCpuSecond: records.length / ((used.user + used.system) / 1e6), canonical };
  };
}

function inputs(events: number): Record<'segment' | 'mixed', DriverInput[]> {
  const workload = generateWorkload({ events, seed: 7_000, startMs: Date.UTC(2026, 10, 28) });
  const segment = Array.from({ length: events }, (_, i) => ({ key: null, value: Buffer.from(segmentTrack(i % 5_000, i)), headers: {} }));
  const mixed = workload.events.map((e) => ({ key: e.key === undefined ? null : Buffer.from(e.key), value: Buffer.from(e.value), headers: { ...e.headers } }));
  return { segment, mixed };
}

async function main(): Promise<void> {
  const revision = option('base');
  const events = positiveInteger('events', '20000');
  const rounds = positiveInteger('rounds', '5');
  const base = await ingestOf(extract(revision));
  const current = await ingestOf(root);
  const figures: Figure[] = [];
  for (const [name, records] of Object.entries(inputs(events))) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first, so warm-up and GC debt do not always fall on the same side.
      const order = round % 2 === 0 ? [current, base] : [base, current];
      for (const run of order) {
        const result = await run(records);
        if (result.canonical === 0) throw new Error(`no canonical output for the ${name} input`);
        (run === current ? ours : theirs).push(result.eventsPerCpuSecond);
      }
    }
    figures.push(
      ratioFigure(`ingest.driver.${name}.speedup_vs_base`, `${revision} (same process, interleaved)`, ours, theirs, `${events} events per round, ${rounds} rounds, batches of ${BATCH}`, 'events/cpu-s'),
    );
  }
  const out = join(root, 'bench', 'results', `compare-ingest-${revision.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, base: revision, figures }, null, 2)}\n`);
  for (const f of figures) process.stdout.write(`${f.name}: ${f.value.toFixed(2)} (${f.notes ?? ''})\n`);
  process.stdout.write(`written: ${out}\n`);
}

// Only as a command: `npm run bench` imports every file of bench/ to find its suites.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
