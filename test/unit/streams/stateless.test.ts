import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, TopologyTestDriver, type StreamRecord } from '../../../streams/index.js';

const S = Serdes.String();
const J = Serdes.Json<Record<string, unknown>>();

function driverFor(build: (b: StreamsBuilder) => void, options: ConstructorParameters<typeof TopologyTestDriver>[1] = {}): TopologyTestDriver {
  const builder = new StreamsBuilder();
  build(builder);
  return new TopologyTestDriver(builder.build(), options);
}

describe('stateless DSL operations on the TopologyTestDriver', () => {
  it('filter and filterNot keep and drop records by predicate', () => {
    const driver = driverFor((b) => {
      const s = b.stream('in', { keySerde: S, valueSerde: Serdes.Long() });
      s.filter((_k, v) => v % 2 === 0).to('even', { keySerde: S, valueSerde: Serdes.Long() });
      s.filterNot((_k, v) => v % 2 === 0).to('odd', { keySerde: S, valueSerde: Serdes.Long() });
    });
    const input = driver.createInputTopic('in', S, Serdes.Long());
    for (let i = 1; i <= 5; i++) input.pipeInput(`k${i}`, i, 1000 + i);
    expect(driver.createOutputTopic('even', S, Serdes.Long()).readValuesToList()).toEqual([2, 4]);
    expect(driver.createOutputTopic('odd', S, Serdes.Long()).readValuesToList()).toEqual([1, 3, 5]);
  });

  it('map, mapValues, selectKey, flatMap and flatMapValues transform keys and values, keeping timestamps and headers', () => {
    const driver = driverFor((b) => {
      const s = b.stream('in', { keySerde: S, valueSerde: S });
      s.map((k, v) => ({ key: v, value: k })).to('map', { keySerde: S, valueSerde: S });
      s.mapValues((v, k) => `${k}:${v.toUpperCase()}`).to('mapValues', { keySerde: S, valueSerde: S });
      s.selectKey((_k, v) => v.length).to('selectKey', { keySerde: Serdes.Json<number>(), valueSerde: S });
      s.flatMap((k, v) => v.split(',').map((part) => ({ key: `${k}-${part}`, value: part }))).to('flatMap', { keySerde: S, valueSerde: S });
      s.flatMapValues((v) => v.split(',')).to('flatMapValues', { keySerde: S, valueSerde: S });
    });
    driver.createInputTopic('in', S, S).pipeInput('k', 'a,b', 42, { trace: 't1' });
    const mapped = driver.createOutputTopic('map', S, S).readRecord();
    expect([mapped.key, mapped.value, mapped.timestamp, mapped.headers.trace]).toEqual(['a,b', 'k', 42, 't1']);
    expect(driver.createOutputTopic('mapValues', S, S).readValue()).toBe('k:A,B');
    expect(driver.createOutputTopic('selectKey', Serdes.Json<number>(), S).readKeyValue()).toEqual({ key: 3, value: 'a,b' });
    expect(driver.createOutputTopic('flatMap', S, S).readKeyValuesToList()).toEqual([
      { key: 'k-a', value: 'a' },
      { key: 'k-b', value: 'b' },
    ]);
    expect(driver.createOutputTopic('flatMapValues', S, S).readKeyValuesToList()).toEqual([
      { key: 'k', value: 'a' },
      { key: 'k', value: 'b' },
    ]);
  });

  it('peek sees every record and forwards it unchanged', () => {
    const seen: string[] = [];
    const driver = driverFor((b) =>
      b
        .stream('in', { keySerde: S, valueSerde: S })
        .peek((k, v) => seen.push(`${k}=${v}`))
        .to('out', { keySerde: S, valueSerde: S }),
    );
    const input = driver.createInputTopic('in', S, S);
    input.pipeInput('a', '1');
    input.pipeInput('b', '2');
    expect(seen).toEqual(['a=1', 'b=2']);
    expect(driver.createOutputTopic('out', S, S).readKeyValuesToList()).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
  });

  it('split routes each record to the first matching named branch, then to the default branch', () => {
    const driver = driverFor((b) => {
      const branches = b
        .stream('in', { keySerde: S, valueSerde: Serdes.Long() })
        .split({ name: 'route-' })
        .branch((_k, v) => v < 10, 'small')
        .branch((_k, v) => v < 100, 'medium')
        .defaultBranch('large');
      expect(Object.keys(branches)).toEqual(['route-small', 'route-medium', 'route-large']);
      for (const [name, stream] of Object.entries(branches)) stream.to(name, { keySerde: S, valueSerde: Serdes.Long() });
    });
    const input = driver.createInputTopic('in', S, Serdes.Long());
    for (const v of [5, 50, 500, 9, 10]) input.pipeInput('k', v);
    expect(driver.createOutputTopic('route-small', S, Serdes.Long()).readValuesToList()).toEqual([5, 9]);
    expect(driver.createOutputTopic('route-medium', S, Serdes.Long()).readValuesToList()).toEqual([50, 10]);
    expect(driver.createOutputTopic('route-large', S, Serdes.Long()).readValuesToList()).toEqual([500]);
  });

  it('split without a default branch drops records no branch matches', () => {
    const driver = driverFor((b) => {
      const branches = b
        .stream('in', { keySerde: S, valueSerde: Serdes.Long() })
        .split()
        .branch((_k, v) => v > 0)
        .noDefaultBranch();
      const [only] = Object.values(branches);
      only?.to('positive', { keySerde: S, valueSerde: Serdes.Long() });
    });
    const input = driver.createInputTopic('in', S, Serdes.Long());
    input.pipeInput('k', -1);
    input.pipeInput('k', 1);
    expect(driver.createOutputTopic('positive', S, Serdes.Long()).readValuesToList()).toEqual([1]);
  });

  it('merge interleaves two streams in processing order', () => {
    const driver = driverFor((b) => {
      const a = b.stream('a', { keySerde: S, valueSerde: S });
      const c = b.stream('c', { keySerde: S, valueSerde: S });
      a.merge(c).to('out', { keySerde: S, valueSerde: S });
    });
    driver.createInputTopic('a', S, S).pipeInput('k', 'a1');
    driver.createInputTopic('c', S, S).pipeInput('k', 'c1');
    driver.createInputTopic('a', S, S).pipeInput('k', 'a2');
    expect(driver.createOutputTopic('out', S, S).readValuesToList()).toEqual(['a1', 'c1', 'a2']);
  });

  it('stream() of several topics reads all of them', () => {
    const driver = driverFor((b) => b.stream(['x', 'y'], { keySerde: S, valueSerde: S }).to('out', { keySerde: S, valueSerde: S }));
    driver.createInputTopic('x', S, S).pipeInput('k', 'x');
    driver.createInputTopic('y', S, S).pipeInput('k', 'y');
    expect(driver.createOutputTopic('out', S, S).readValuesToList()).toEqual(['x', 'y']);
  });

  it('to() with a topic extractor and a custom partitioner chooses topic and partition per record', () => {
    const driver = driverFor(
      (b) =>
        b.stream('in', { keySerde: S, valueSerde: J }).to((r: StreamRecord<string, Record<string, unknown>>) => `out-${String(r.value.kind)}`, {
          keySerde: S,
          valueSerde: J,
          partitioner: (_topic, key, _value, n) => (key === 'pin' ? n - 1 : undefined),
        }),
      { partitions: 4 },
    );
    const input = driver.createInputTopic('in', S, J);
    input.pipeInput('pin', { kind: 'a' });
    input.pipeInput('other', { kind: 'b' });
    const a = driver.readRawRecords('out-a');
    expect(a).toHaveLength(1);
    // Output topics the driver does not consume keep the partition the partitioner chose.
    expect(a[0]?.partition).toBe(3);
    expect(driver.createOutputTopic('out-b', S, J).readValue()).toEqual({ kind: 'b' });
  });

  it('uses the canonical event_timestamp as event time by default, else the record timestamp', () => {
    const driver = driverFor((b) =>
      b
        .stream('in', { keySerde: S, valueSerde: J })
        .mapValues((_v, _k, r) => ({ t: r.timestamp }))
        .to('out', { keySerde: S, valueSerde: Serdes.Json<{ t: number }>() }),
    );
    const input = driver.createInputTopic('in', S, J);
    input.pipeInput('k', { event_timestamp: '2026-11-28T09:01:03.123Z' }, 5);
    input.pipeInput('k', { event_timestamp: 'not a date' }, 6);
    input.pipeInput('k', { other: 1 }, 7);
    expect(driver.createOutputTopic('out', S, J).readValuesToList()).toEqual([{ t: Date.parse('2026-11-28T09:01:03.123Z') }, { t: 6 }, { t: 7 }]);
  });

  it('a custom timestamp extractor sets event time, and the sink writes it as record timestamp', () => {
    const driver = driverFor((b) =>
      b
        .stream('in', { keySerde: S, valueSerde: J, timestampExtractor: (r) => Number((r.value as { at: number }).at) })
        .to('out', { keySerde: S, valueSerde: J }),
    );
    driver.createInputTopic('in', S, J).pipeInput('k', { at: 12345 }, 1);
    expect(driver.createOutputTopic('out', S, J).readRecord().timestamp).toBe(12345);
  });

  it('readKeyValuesToMap keeps the latest value per key and treats null as a delete', () => {
    const driver = driverFor((b) => b.stream('in', { keySerde: S, valueSerde: J }).to('out', { keySerde: S, valueSerde: J }));
    const input = driver.createInputTopic('in', S, J);
    input.pipeInput('a', { v: 1 });
    input.pipeInput('b', { v: 2 });
    input.pipeInput('a', { v: 3 });
    input.pipeInput('b', null as unknown as Record<string, unknown>);
    const out = driver.createOutputTopic('out', S, J);
    expect(out.getQueueSize()).toBe(4);
    expect(out.readKeyValuesToMap()).toEqual(new Map([['a', { v: 3 }]]));
    expect(out.isEmpty()).toBe(true);
    expect(() => out.readRecord()).toThrow(expect.objectContaining({ code: 'STREAMS_OUTPUT_EMPTY' }));
  });
});
