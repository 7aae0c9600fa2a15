import { describe, expect, it } from 'vitest';
import { Serdes, Stores, StreamsBuilder, TopologyTestDriver, type KeyValueStore, type Topology } from '../../../streams/index.js';

const S = Serdes.String();
const L = Serdes.Long();
const CHANGELOG = 'app-totals-changelog';

/** Sums values per key into `totals` (logged, cached or not) and deletes the key on value 0. */
function summing(caching: boolean): Topology {
  const b = new StreamsBuilder();
  b.addStateStore(Stores.keyValueStore('totals', { keySerde: S, valueSerde: L, caching }));
  b.stream('in', { keySerde: S, valueSerde: L }).process<string, number>(
    () => {
      let store: KeyValueStore<string, number>;
      return {
        init(context) {
          store = context.getStateStore('totals');
        },
        process(record) {
          if (record.value === 0) store.delete(record.key);
          else store.put(record.key, (store.get(record.key) ?? 0) + record.value);
        },
      };
    },
    { stores: ['totals'] },
  );
  return b.build();
}

const decoded = (driver: TopologyTestDriver) =>
  driver.readRawRecords(CHANGELOG).map((r) => [r.key?.toString('utf8'), r.value === null ? null : r.value.readBigInt64BE(0), r.timestamp]);

describe('key-value store caching (changelog coalescing)', () => {
  it('logs each changed key once per flush, with its latest value and the time of its last change', async () => {
    const driver = new TopologyTestDriver(summing(true), { applicationId: 'app' });
    const input = driver.createInputTopic('in', S, L);
    input.pipeRecordList([
      { key: 'a', value: 1, timestamp: 10 },
      { key: 'b', value: 5, timestamp: 11 },
      { key: 'a', value: 2, timestamp: 12 },
      { key: 'a', value: 3, timestamp: 13 },
    ]);
    expect(decoded(driver)).toEqual([
      ['a', 6n, 13],
      ['b', 5n, 11],
    ]);
    input.pipeRecordList([
      { key: 'b', value: 0, timestamp: 20 },
      { key: 'c', value: 7, timestamp: 21 },
      { key: 'c', value: 0, timestamp: 22 },
    ]);
    // b deleted: a tombstone; c created and deleted before the flush: a tombstone too (harmless, compacted away).
    expect(decoded(driver).slice(2)).toEqual([
      ['b', null, 20],
      ['c', null, 22],
    ]);
    await driver.close();
  });

  it('restores from the coalesced changelog to the same state as from the uncached one', async () => {
    const records = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 7}`, value: i % 11 === 0 ? 0 : i, timestamp: 1_000 + i }));
    const run = async (caching: boolean) => {
      const driver = new TopologyTestDriver(summing(caching), { applicationId: 'app' });
      const input = driver.createInputTopic('in', S, L);
      for (let i = 0; i < records.length; i += 25) input.pipeRecordList(records.slice(i, i + 25));
      const changelog = [...driver.readRawRecords(CHANGELOG)];
      const state = (driver.getKeyValueStore('totals') as KeyValueStore<string, number>).all();
      await driver.close();
      return { changelog, state };
    };
    const cached = await run(true);
    const uncached = await run(false);
    expect(cached.state).toEqual(uncached.state);
    expect(cached.changelog.length).toBeLessThan(uncached.changelog.length / 2);
    const restored = new TopologyTestDriver(summing(true), { applicationId: 'app', restoreFrom: { [CHANGELOG]: cached.changelog } });
    expect((restored.getKeyValueStore('totals') as KeyValueStore<string, number>).all()).toEqual(uncached.state);
    await restored.close();
  });
});
