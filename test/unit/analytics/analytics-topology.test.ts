/**
 * The analytics topology on the streams runtime's task (the seam shared by the Kafka engine and the
 * test driver), with the embedded DuckDB store: rows land deduplicated, bad events are dead-lettered,
 * and a batch's offsets become committable only once the store acknowledged its rows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbAnalyticsStore } from '../../../connectors/duckdb/analytics-store.js';
import type { AnalyticsRow } from '../../../processors/analytics/analytics-row.js';
import type { BatchWriter } from '../../../processors/analytics/batching-sink.js';
import { syntheticEvents } from '../../../processors/analytics/synthetic-events.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';
import type { ConsumedRecord, ProducedRecord } from '../../../streams/records.js';
import { Serdes } from '../../../streams/serdes.js';
import { StreamTask } from '../../../streams/task.js';
import { buildAnalyticsTopology } from '../../../topologies/analytics.js';

const TOPIC = 'quintet.canonical';
const START = Date.UTC(2026, 10, 1);

function consumed(events: readonly CanonicalEvent[], firstOffset = 0): ConsumedRecord[] {
  return events.map((event, i) => ({
    topic: TOPIC,
    partition: 0,
    offset: String(firstOffset + i),
    key: Buffer.from(event.id),
    value: Buffer.from(JSON.stringify({ event })),
    timestamp: START + firstOffset + i, // the log time; the event time may be unusable
    headers: {},
  }));
}

function taskFor(writer: BatchWriter<AnalyticsRow>, produced: ProducedRecord[] = [], flushAt: 'commit' | 'batch-end' = 'batch-end') {
  const topology = buildAnalyticsTopology({
    flushAt,
    canonicalTopic: TOPIC,
    keySerde: Serdes.String() as never,
    valueSerde: Serdes.Json(),
    store: { kind: 'duckdb', writer },
    limits: { maxRows: 40 },
    backoff: { initialMs: 1, maxMs: 2, multiplier: 2, jitter: 0 },
  });
  return new StreamTask(topology, { applicationId: 'quintet-analytics', subtopology: 0, partition: 0, collector: { send: (record) => produced.push(record) } });
}

describe('analytics topology', () => {
  const opened: DuckDbAnalyticsStore[] = [];
  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
  });

  it('writes every event once, even when a batch is redelivered, and dead-letters unusable times', async () => {
    const store = await DuckDbAnalyticsStore.open();
    opened.push(store);
    const produced: ProducedRecord[] = [];
    const task = taskFor(store, produced);
    await task.initialize();
    const events = [...syntheticEvents({ count: 100, startMs: START, spanMs: 3_600_000, seed: 3 })];
    const broken = { ...(events[5] as CanonicalEvent), id: 'broken-1', event_timestamp: 'yesterday' };
    await task.process(consumed([...events.slice(0, 60), broken]));
    expect(await store.count()).toBe(60);
    expect(task.committableOffsets()).toEqual([{ topic: TOPIC, partition: 0, offset: '61' }]);
    // Redelivery after a crash: offsets 30.. again, then the rest.
    await task.process(consumed(events.slice(30), 30));
    expect(await store.count()).toBe(100);
    const deadLetters = produced.filter((p) => p.topic.includes('dead-letter'));
    expect(deadLetters).toHaveLength(1);
    expect(JSON.stringify(deadLetters[0]?.headers ?? {}) + String(deadLetters[0]?.value ?? '')).toContain('ANALYTICS_TIME_OUT_OF_RANGE');
    await task.close();
  });

  it('does not finish a batch (so its offsets cannot be committed) until the store acknowledged it', async () => {
    const store = await DuckDbAnalyticsStore.open();
    opened.push(store);
    let available = false;
    const gate: BatchWriter<AnalyticsRow> = {
      name: 'gated-duckdb',
      write: async (rows) => {
        if (!available) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        await store.write(rows);
      },
      isRetryable: () => true,
    };
    const task = taskFor(gate);
    await task.initialize();
    const events = [...syntheticEvents({ count: 10, startMs: START, spanMs: 60_000, seed: 4 })];
    let done = false;
    const processing = Promise.resolve(task.process(consumed(events))).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(done).toBe(false);
    expect(await store.count()).toBe(0);
    available = true;
    await processing;
    expect(await store.count()).toBe(10);
    expect(task.committableOffsets()).toEqual([{ topic: TOPIC, partition: 0, offset: '10' }]);
    await task.close();
  });

  it('accumulates across consumed batches until a limit or the commit, and the commit waits for the store', async () => {
    const store = await DuckDbAnalyticsStore.open();
    opened.push(store);
    const task = taskFor(store, [], 'commit');
    await task.initialize();
    const events = [...syntheticEvents({ count: 100, startMs: START, spanMs: 3_600_000, seed: 5 })];
    await task.process(consumed(events.slice(0, 10)));
    await task.process(consumed(events.slice(10, 20), 10));
    // Two consumed batches, below the 40-row limit: nothing written yet, and nothing committable
    // before the runtime's pre-commit flush.
    expect(await store.count()).toBe(0);
    await task.flush();
    expect(await store.count()).toBe(20);
    // A consumed batch larger than the limit: full batches are written as they fill; the commit
    // writes the rest.
    await task.process(consumed(events.slice(20), 20));
    await task.flush();
    expect(await store.count()).toBe(100);
    expect(task.committableOffsets()).toEqual([{ topic: TOPIC, partition: 0, offset: '100' }]);
    await task.close();
  });

  it('fails the commit, not just a batch, when the store refuses rows for good', async () => {
    const refusing: BatchWriter<AnalyticsRow> = {
      name: 'refusing',
      write: async () => {
        throw new Error('Code: 60. DB::Exception: Table quintet.events does not exist');
      },
      isRetryable: () => false,
    };
    const task = taskFor(refusing, [], 'commit');
    await task.initialize();
    await task.process(consumed([...syntheticEvents({ count: 5, startMs: START, spanMs: 60_000, seed: 6 })]));
    await expect(Promise.resolve(task.flush())).rejects.toMatchObject({ code: 'ANALYTICS_SINK_REJECTED' });
    await task.close();
  });
});
