/**
 * Rebalance: instance A runs alone, B joins (tasks move from A to B), then A leaves with a clean
 * shutdown (SIGTERM: commit, leave the group) and B takes everything; input keeps arriving
 * throughout. Under exactly-once the committed output must have every (key, window) update exactly
 * once: nothing lost while tasks moved, nothing processed twice by the old and the new owner.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaTopicAdmin } from '../../../connectors/kafka/admin.js';
import { createKafkaClient } from '../../../connectors/kafka/client.js';
import { testConfig, uniqueName } from '../../support/environment.js';
import { startFixture, type Fixture } from './child.js';
import { internalTopics } from './fixtures/windowed-count.js';
import { checkWindowedCounts, expectedFinalCounts, produceInput, readCommitted, windowedInput, type InputRecord } from './support.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('rebalance between two instances (exactly_once)', () => {
  const kafka = createKafkaClient(testConfig());
  const admin = new KafkaTopicAdmin(kafka);
  const input = uniqueName('rebalance-in');
  const output = uniqueName('rebalance-out');
  const applicationId = uniqueName('rebalance-app');
  const fixtures: Fixture[] = [];

  afterAll(async () => {
    await Promise.all(fixtures.map((f) => f.kill('SIGKILL')));
    await admin.deleteTopics([input, output, ...internalTopics(applicationId)]).catch(() => undefined);
    await admin.deleteGroups([applicationId]).catch(() => undefined);
    await admin.close();
  });

  it('moves tasks to a joining instance and back on leave, losing and duplicating nothing', { timeout: 300_000 }, async () => {
    await admin.ensureTopics([
      { name: input, partitions: 4, replicationFactor: 1 },
      { name: output, partitions: 4, replicationFactor: 1 },
    ]);
    const args = { input, output, applicationId, guarantee: 'exactly_once', commitIntervalMs: 150 };
    const all: InputRecord[] = [];
    let producing = true;
    const producer = (async () => {
      for (let round = 0; producing; round += 1) {
        const records = windowedInput(1_000, 16, 4).map((r) => ({ ...r, seq: r.seq + round * 1_000 }));
        all.push(...records);
        await produceInput(kafka, input, records, 250);
        await sleep(200);
      }
    })();

    const a = startFixture('windowed-count-app.ts', args);
    fixtures.push(a);
    await a.waitForState('RUNNING', 90_000);
    // Two sub-topologies (input → repartition, repartition → count) × 4 partitions.
    const everyTask = ['0_0', '0_1', '0_2', '0_3', '1_0', '1_1', '1_2', '1_3'];
    expect(a.assignments.at(-1)).toEqual(everyTask);
    await sleep(1_500);

    const b = startFixture('windowed-count-app.ts', args);
    fixtures.push(b);
    await waitFor(() => (b.assignments.at(-1)?.length ?? 0) > 0 && b.states.at(-1) === 'RUNNING', 'B to run some tasks', 90_000);
    await waitFor(() => (a.assignments.at(-1)?.length ?? 8) < 8, 'A to give up tasks');
    const shared = { a: a.assignments.at(-1) ?? [], b: b.assignments.at(-1) ?? [] };
    expect([...shared.a, ...shared.b].sort()).toEqual(everyTask);
    await sleep(2_000);

    await a.kill('SIGTERM');
    await waitFor(() => (b.assignments.at(-1)?.length ?? 0) === everyTask.length, 'B to take every task', 90_000);
    await sleep(1_500);
    producing = false;
    await producer;

    const committed = await readCommitted(kafka, output, (records) => records.length >= all.length, 180_000);
    const check = checkWindowedCounts(committed, expectedFinalCounts(all));
    expect(check.wrong.slice(0, 5)).toEqual([]);
    expect(check.duplicatedValues).toBe(0);
    expect(check.missingValues).toBe(0);
    expect(committed).toHaveLength(all.length);
    expect(all.length).toBeGreaterThan(5_000);
  });
});
