/**
 * Restore: a new instance with no local state (in-memory stores start empty, as after deleting the
 * state directory) rebuilds every store from its compacted changelog before processing, ends up
 * with exactly the state the previous instance had, and continues counting from it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaTopicAdmin } from '../../../connectors/kafka/admin.js';
import { createKafkaClient } from '../../../connectors/kafka/client.js';
import type { WindowStore } from '../../../streams/state/index.js';
import { KafkaStreams } from '../../../streams/kafka/index.js';
import { testConfig, uniqueName } from '../../support/environment.js';
import { COUNT_STORE, internalTopics, windowedCountTopology } from './fixtures/windowed-count.js';
import { checkWindowedCounts, expectedFinalCounts, produceInput, readCommitted, recentWindowStart, windowedInput } from './support.js';

function snapshot(streams: KafkaStreams): Map<string, number> {
  const state = new Map<string, number>();
  for (const store of streams.localStores<WindowStore<string, number>>(COUNT_STORE)) {
    for (const { key, windowStart, value } of store.all()) state.set(`${key}@${windowStart}`, value);
  }
  return state;
}

function streamTimes(streams: KafkaStreams): Map<string, number | undefined> {
  return new Map([...streams.runningTasks()].map(([id, task]) => [id, task.streamTime]));
}

describe.each(['exactly_once', 'at_least_once'] as const)('restore from the changelog (%s)', (guarantee) => {
  const config = testConfig();
  const kafka = createKafkaClient(config);
  const admin = new KafkaTopicAdmin(kafka);
  const input = uniqueName('restore-in');
  const output = uniqueName('restore-out');
  const applicationId = uniqueName('restore-app');
  const [changelog, repartition] = internalTopics(applicationId) as [string, string];

  afterAll(async () => {
    await admin.deleteTopics([input, output, ...internalTopics(applicationId)]).catch(() => undefined);
    await admin.deleteGroups([applicationId]).catch(() => undefined);
    await admin.close();
  });

  it('rebuilds exactly the previous state, then continues from it', { timeout: 180_000 }, async () => {
    await admin.ensureTopics([
      { name: input, partitions: 3, replicationFactor: 1 },
      { name: output, partitions: 3, replicationFactor: 1 },
    ]);
    const baseTime = recentWindowStart();
    const first = windowedInput(3_000, 12, 4, baseTime);
    await produceInput(kafka, input, first);
    const options = { config, applicationId, processingGuarantee: guarantee, commitIntervalMs: 100, repartitionPurgeIntervalMs: 200 };

    const before = new KafkaStreams(windowedCountTopology(input, output), options);
    await before.start();
    await readCommitted(kafka, output, (records) => records.length >= first.length);
    // The repartition topic has no time retention; what was consumed and committed is purged.
    const purged = async (): Promise<number> => [...(await admin.offsetRange(repartition)).values()].reduce((sum, r) => sum + Number(r.low), 0);
    const purgeDeadline = Date.now() + 20_000;
    while ((await purged()) === 0 && Date.now() < purgeDeadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await purged()).toBeGreaterThan(0);
    const stateBefore = snapshot(before);
    const timesBefore = streamTimes(before);
    await before.close();
    expect(before.state).toBe('NOT_RUNNING');
    expect(stateBefore).toEqual(expectedFinalCounts(first));

    const restored = new KafkaStreams(windowedCountTopology(input, output), options);
    await restored.start();
    await restored.waitForState('RUNNING');
    const state = snapshot(restored);
    expect(state).toEqual(stateBefore);
    // Stream time comes back from the commit metadata, so windows and grace periods survive restarts.
    expect(streamTimes(restored)).toEqual(timesBefore);
    expect([...timesBefore.values()].every((t) => (t ?? -1) > 0)).toBe(true);
    const changelogSize = [...(await admin.offsetRange(changelog)).values()].reduce((sum, r) => sum + Number(r.high), 0);
    expect(changelogSize).toBeGreaterThanOrEqual(state.size);

    const more = windowedInput(900, 12, 4, baseTime).map((r) => ({ ...r, seq: r.seq + first.length }));
    await produceInput(kafka, input, more);
    const all = [...first, ...more];
    const out = await readCommitted(kafka, output, (records) => records.length >= all.length);
    await restored.close();
    const check = checkWindowedCounts(out, expectedFinalCounts(all));
    expect(check.wrong.slice(0, 5)).toEqual([]);
    expect(out).toHaveLength(all.length);
  });
});
