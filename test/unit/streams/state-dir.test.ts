import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, Suppressed, TimeWindows, TopologyTestDriver, WindowedSerdes, type Topology } from '../../../streams/index.js';
import { compactChangelog, decodeChangelogRecords, encodeChangelogRecords } from '../../../streams/state/changelog-file.js';

const S = Serdes.String();
const L = Serdes.Long();
const W = WindowedSerdes.timeWindowed(S);

function topology(): Topology {
  const b = new StreamsBuilder();
  const grouped = b.stream('events', { keySerde: S, valueSerde: S }).groupByKey();
  grouped.count({ storeName: 'totals' });
  grouped
    .windowedBy(TimeWindows.ofSizeAndGrace(1_000, 0))
    .count({ storeName: 'per-second' })
    .suppress(Suppressed.untilWindowCloses({ name: 'final' }))
    .toStream()
    .to('final-counts', { keySerde: W, valueSerde: L });
  return b.build();
}

const directories: string[] = [];
afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('embedded persistence (stateDir)', () => {
  it('a driver restarted on the same directory continues with the state and stream time it had', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quintet-streams-'));
    directories.push(dir);
    const first = new TopologyTestDriver(topology(), { applicationId: 'embedded', stateDir: dir, partitions: 2 });
    const input = first.createInputTopic('events', S, S);
    for (let i = 0; i < 30; i++) input.pipeInput(`k${i % 3}`, 'x', 100 * i);
    const emittedBefore = first.createOutputTopic('final-counts', W, L).readRecordsToList().length;
    void first.close();

    const second = new TopologyTestDriver(topology(), { applicationId: 'embedded', stateDir: dir, partitions: 2 });
    expect(second.getKeyValueStore<string, number>('totals').get('k0')).toBe(10);
    expect(second.getWindowStore<string, number>('per-second').fetch('k2', 2_000)).toBe(4);
    // Window [2000,3000) is still buffered by suppress; stream time came back, so a late record is still late.
    second.createInputTopic('events', S, S).pipeInput('k0', 'x', 500);
    expect(second.getKeyValueStore<string, number>('totals').get('k0')).toBe(11);
    expect(second.getWindowStore<string, number>('per-second').fetch('k0', 0)).toBeUndefined();
    second.createInputTopic('events', S, S).pipeInput('k1', 'x', 3_000);
    const final = second.createOutputTopic('final-counts', W, L).readRecordsToList();
    expect(emittedBefore).toBeGreaterThan(0);
    expect(final.map((r) => [r.key.key, r.key.window.start, r.value]).sort()).toEqual([
      ['k0', 2_000, 3],
      ['k1', 2_000, 3],
      ['k2', 2_000, 4],
    ]);
    void second.close();
  });

  it('frames records, ignores a torn tail and compacts to the last record per key', () => {
    const records = [
      { key: Buffer.from('a'), value: Buffer.from('1') },
      { key: Buffer.from('b'), value: null },
      { key: Buffer.from('a'), value: Buffer.from('2') },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'quintet-streams-'));
    directories.push(dir);
    const file = join(dir, 'log');
    appendFileSync(file, encodeChangelogRecords(records));
    appendFileSync(file, Buffer.from([0, 0, 0, 5, 1, 2]));
    const decoded = decodeChangelogRecords(readFileSync(file));
    expect(decoded).toEqual(records);
    expect(compactChangelog(decoded)).toEqual([records[1], records[2]]);
  });
});
