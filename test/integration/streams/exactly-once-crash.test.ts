/**
 * Exactly-once under crashes: a child process runs the windowed count with processing guarantee
 * exactly_once and is killed with SIGKILL at random moments (during restore, processing or a
 * commit), at least five times, while input keeps arriving; then it runs to the end. The committed
 * output (read_committed) must hold, for every (key, window), exactly the updates 1, 2, …, n with n
 * the true count: a record processed twice would repeat a value, a lost one would leave a gap.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaTopicAdmin } from '../../../connectors/kafka/admin.js';
import { createKafkaClient } from '../../../connectors/kafka/client.js';
import { testConfig, uniqueName } from '../../support/environment.js';
import { startFixture } from './child.js';
import { internalTopics } from './fixtures/windowed-count.js';
import { checkWindowedCounts, expectedFinalCounts, produceInput, readCommitted, recentWindowStart, windowedInput, type InputRecord, type OutputRecord } from './support.js';

const KILLS = 6;
const RECORDS_PER_ROUND = 6_000;
/** Input of a round arrives in small chunks with pauses (about 6 s of input per round), so the instance is never idle. */
const CHUNK = 100;
const PAUSE_MS = 100;

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('exactly-once on Kafka under SIGKILL', () => {
  const kafka = createKafkaClient(testConfig());
  const admin = new KafkaTopicAdmin(kafka);
  const input = uniqueName('eos-crash-in');
  const output = uniqueName('eos-crash-out');
  const applicationId = uniqueName('eos-crash-app');

  afterAll(async () => {
    await admin.deleteTopics([input, output, ...internalTopics(applicationId)]).catch(() => undefined);
    await admin.deleteGroups([applicationId]).catch(() => undefined);
    await admin.close();
  });

  it('the output check detects a duplicated, a lost and a reordered update', () => {
    const expected = new Map([
      ['a@0', 3],
      ['b@0', 2],
    ]);
    const out = (pairs: [string, number][]): OutputRecord[] => pairs.map(([key, value], i) => ({ key, value: String(value), partition: 0, offset: String(i) }));
    expect(checkWindowedCounts(out([['a@0', 1], ['b@0', 1], ['a@0', 2], ['b@0', 2], ['a@0', 3]]), expected).wrong).toEqual([]);
    const duplicated = checkWindowedCounts(out([['a@0', 1], ['a@0', 2], ['a@0', 2], ['a@0', 3], ['b@0', 1], ['b@0', 2]]), expected);
    expect(duplicated.duplicatedValues).toBe(1);
    expect(duplicated.wrong.map((w) => w.key)).toEqual(['a@0']);
    const lost = checkWindowedCounts(out([['a@0', 1], ['a@0', 3], ['b@0', 1], ['b@0', 2]]), expected);
    expect(lost.missingValues).toBe(1);
    // Reprocessing after restoring state that was ahead of the offsets: counts overshoot.
    const overshoot = checkWindowedCounts(out([['a@0', 1], ['a@0', 2], ['a@0', 3], ['a@0', 4], ['b@0', 1], ['b@0', 2]]), expected);
    expect(overshoot.wrong.map((w) => w.key)).toEqual(['a@0']);
    const reordered = checkWindowedCounts(out([['a@0', 2], ['a@0', 1], ['a@0', 3], ['b@0', 1], ['b@0', 2]]), expected);
    expect(reordered.wrong).toHaveLength(1);
  });

  it('commits every windowed count update exactly once across repeated crashes', { timeout: 420_000 }, async () => {
    await admin.ensureTopics([
      { name: input, partitions: 3, replicationFactor: 1 },
      { name: output, partitions: 3, replicationFactor: 1 },
    ]);
    const all: InputRecord[] = [];
    const args = { input, output, applicationId, guarantee: 'exactly_once', commitIntervalMs: 150 };
    const killedWhile: string[] = [];
    const baseTime = recentWindowStart(); // every round reuses the same event times
    const committedOutputCount = async (): Promise<number> => [...(await admin.offsetRange(output)).values()].reduce((sum, range) => sum + Number(range.high), 0);
    for (let round = 0; round < KILLS; round += 1) {
      const records = windowedInput(RECORDS_PER_ROUND, 12, 4, baseTime).map((r) => ({ ...r, seq: r.seq + round * RECORDS_PER_ROUND }));
      all.push(...records);
      const fixture = startFixture('windowed-count-app.ts', args);
      let producing: Promise<void>;
      if (round % 3 === 0) {
        // Input arrives while the instance joins the group, fences the previous owner and restores.
        producing = produceInput(kafka, input, records, CHUNK, PAUSE_MS);
        await fixture.waitForState('REBALANCING', 60_000);
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 2_000)));
      } else {
        // While processing and committing: once committed output grows (the whole pipeline is
        // flowing), a kill while paced input keeps arriving lands in open transactions.
        await fixture.waitForState('RUNNING', 90_000);
        const before = await committedOutputCount();
        producing = produceInput(kafka, input, records, CHUNK, PAUSE_MS);
        await waitUntil(async () => (await committedOutputCount()) > before, 30_000);
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 1_500)));
      }
      killedWhile.push(fixture.states.at(-1) ?? 'starting');
      const code = await fixture.kill('SIGKILL');
      expect(code).toBeNull(); // killed, not exited
      await producing;
    }
    expect(killedWhile).toHaveLength(KILLS);
    expect(killedWhile.filter((state) => state === 'RUNNING').length).toBeGreaterThanOrEqual(3);

    const expected = expectedFinalCounts(all);
    const final = startFixture('windowed-count-app.ts', args);
    try {
      await final.waitForState('RUNNING', 90_000);
      const committed = await readCommitted(kafka, output, (records) => records.length >= all.length, 180_000);
      const check = checkWindowedCounts(committed, expected);
      expect(check.wrong.slice(0, 5)).toEqual([]);
      expect(check.duplicatedValues).toBe(0);
      expect(check.missingValues).toBe(0);
      expect(committed).toHaveLength(all.length);

      // Proof that kills hit open transactions: the log holds aborted output that read_committed hides.
      // Not luck: at four of the six kills, committed output was growing and input still arriving.
      const everything = await readCommitted(kafka, output, (records) => records.length > all.length, 15_000, 'read_uncommitted');
      expect(everything.length).toBeGreaterThan(all.length);
    } finally {
      await final.kill('SIGTERM');
    }
  });
});
