/**
 * Where the ingest topology's CPU goes, step by step, on the workload generator's mix (every adapter,
 * 1 % invalid): the question behind `ingest.driver.*` and `ingest.e2e.*` being below their targets.
 *
 * Each step is the topology's own code, called directly on batches of 500 records, and timed alone
 * (process CPU time around the step, summed over the batches):
 *
 * - `translate`: bytes → text → JSON.parse → limits → format detection → adapter → validation
 *   (CanonicalTranslator.translate, one record at a time as IngestProcessor calls it);
 * - `pseudonymize`: Pseudonymizer.pseudonymizeBatch in place, with the in-memory vault (new subjects
 *   are created, their values encrypted with AES-256-GCM, as in the topology);
 * - `chain`: the wire-form copy and HashChainer.append (RFC 8785 canonical JSON + HMAC-SHA256), one chain;
 * - `avro`: the deployed canonical serde (Confluent framing through the schema registry's schema).
 *
 * `ingest.steps.driver.cpu_us_per_event` is the whole topology on the TopologyTestDriver on the same
 * records with the same serde, in the same rounds; `ingest.steps.rest.cpu_us_per_event` is what the
 * driver spends beyond the four steps (the streams runtime and the driver's machinery, the user-profile
 * join, CloudEvents headers, output capture). Per event means per canonical event written.
 */
import { randomBytes } from 'node:crypto';
import { MemoryVaultStore } from '../connectors/memory/vault-store.js';
import { CanonicalTranslator } from '../processors/adapters/translator.js';
import { CANONICAL_WIRE_LAYOUT, ChainKeyRing } from '../processors/chain/chain-hash.js';
import { HashChainer, MemoryChainHeadStore } from '../processors/chain/hash-chainer.js';
import { PiiVault } from '../processors/pseudonymization/pii-vault.js';
import { Pseudonymizer } from '../processors/pseudonymization/pseudonymizer.js';
import { MasterKeyRing } from '../processors/pseudonymization/vault-crypto.js';
import type { CanonicalEnvelope } from '../schemas/avro.js';
import type { CanonicalEvent } from '../schemas/canonical-event.js';
import { wireForm } from '../topologies/ingest.js';
import { generateWorkload } from '../workload/generator.js';
import { summarize, type Figure } from './figures.js';
import type { LoopRun } from './ingest-floor.js';

const BATCH = 500;
const STEPS = ['translate', 'pseudonymize', 'chain', 'avro'] as const;
type Step = (typeof STEPS)[number];

const cpuMicros = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** The generator's mix as the raw topic holds it, dated before now (one workload: its users recur). */
function mixValues(count: number): string[] {
  const workload = generateWorkload({ events: count, seed: 9_100, startMs: Date.now() - 3_600_000 - count * 250 });
  return workload.events.map((event) => event.value);
}

/** One pass of the four steps over `values`: CPU µs per canonical event of each step. */
async function stepsPass(values: readonly string[], encode: (envelope: CanonicalEnvelope) => Buffer): Promise<Record<Step, number>> {
  const keys = new MasterKeyRing('m1', new Map([['m1', randomBytes(32)]]));
  const translator = new CanonicalTranslator();
  const pseudonymizer = new Pseudonymizer(new PiiVault(new MemoryVaultStore(), { masterKeys: keys, lookupKey: randomBytes(32) }), undefined, { inPlace: true });
  const chainer = new HashChainer(new ChainKeyRing('c1', new Map([['c1', randomBytes(32)]])), new MemoryChainHeadStore());
  const spent: Record<Step, number> = { translate: 0, pseudonymize: 0, chain: 0, avro: 0 };
  const records = values.map((value) => Buffer.from(value, 'utf8'));
  let written = 0;
  let bytes = 0;
  for (let from = 0; from < records.length; from += BATCH) {
    const batch = records.slice(from, from + BATCH);
    const now = Date.now();
    let started = cpuMicros();
    const events: CanonicalEvent[] = [];
    for (const value of batch) {
      const result = translator.translate({ value, headers: {} }, now);
      if (result.kind === 'ok') for (const event of result.value) events.push(event);
    }
    spent.translate += cpuMicros() - started;
    started = cpuMicros();
    const pseudonymized = await pseudonymizer.pseudonymizeBatch(events);
    spent.pseudonymize += cpuMicros() - started;
    started = cpuMicros();
    const chained: CanonicalEnvelope[] = [];
    for (const result of pseudonymized) {
      if (result.kind !== 'ok') continue;
      const event = wireForm(result.value);
      const link = chainer.append(0, event, CANONICAL_WIRE_LAYOUT);
      if (link.kind === 'ok') chained.push({ event, chain: link.value });
    }
    spent.chain += cpuMicros() - started;
    started = cpuMicros();
    for (const envelope of chained) bytes += encode(envelope).length;
    spent.avro += cpuMicros() - started;
    written += chained.length;
  }
  // The mix has 1 % invalid records; anything far below means a step rejected what the topology accepts.
  if (written < records.length * 0.95 || bytes === 0) throw new Error(`ingest steps: ${written} events written for ${records.length} records`);
  return { translate: spent.translate / written, pseudonymize: spent.pseudonymize / written, chain: spent.chain / written, avro: spent.avro / written };
}

/**
 * The step figures, interleaved round by round with `driverPass` (the whole topology on the same
 * values), the order reversed every other round.
 */
export async function stepFigures(
  options: { readonly quick: boolean },
  encode: (envelope: CanonicalEnvelope) => Buffer,
  driverPass: (values: readonly string[]) => Promise<LoopRun & { readonly events: number }>,
): Promise<Figure[]> {
  const values = mixValues(options.quick ? 20_000 : 60_000);
  const rounds = options.quick ? 4 : 6;
  // Unmeasured: compiles the shared code before either loop is measured.
  await stepsPass(values.slice(0, 2 * BATCH), encode);
  await driverPass(values.slice(0, 2 * BATCH));
  const steps: Record<Step, number[]> = { translate: [], pseudonymize: [], chain: [], avro: [] };
  const driver: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const runSteps = async (): Promise<void> => {
      const pass = await stepsPass(values, encode);
      for (const step of STEPS) steps[step].push(pass[step]);
    };
    const runDriver = async (): Promise<void> => {
      const pass = await driverPass(values);
      driver.push(((values.length / pass.eventsPerCpuSecond) * 1e6) / pass.events);
    };
    if (round % 2 === 0) {
      await runSteps();
      await runDriver();
    } else {
      await runDriver();
      await runSteps();
    }
  }
  const median = (samples: readonly number[]): number => summarize('median', 'µs', samples).value;
  const rest = driver.map((total, i) => total - STEPS.reduce((sum, step) => sum + (steps[step][i] as number), 0));
  const setting = `generator mix (every adapter, realistic identities, 1 % invalid), ${values.length} records per pass, batches of ${BATCH}, ${rounds} rounds interleaved with the driver`;
  return [
    ...STEPS.map((step) =>
      summarize(`ingest.steps.${step}.cpu_us_per_event`, 'µs', steps[step], {
        notes: `CPU per canonical event of the ${step} step alone (${Math.round((100 * median(steps[step])) / median(driver))} % of the driver's); ${setting}`,
      }),
    ),
    summarize('ingest.steps.driver.cpu_us_per_event', 'µs', driver, { notes: `the whole topology on the TopologyTestDriver, same records, Avro values; ${setting}` }),
    summarize('ingest.steps.rest.cpu_us_per_event', 'µs', rest, {
      notes: 'the driver beyond the four steps: streams runtime and driver machinery, user-profile join, CloudEvents headers, dead letters, output capture (per round: driver − sum of the steps)',
    }),
  ];
}
