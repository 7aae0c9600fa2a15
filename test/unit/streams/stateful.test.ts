import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, STREAMS_METRICS, TopologyTestDriver, type KStream, type KeyValueStore } from '../../../streams/index.js';

const S = Serdes.String();
const L = Serdes.Long();
const J = Serdes.Json<{ country: string; amount: number }>();

describe('grouped aggregations', () => {
  it('count, reduce and aggregate per key emit every update and materialize named stores', () => {
    const b = new StreamsBuilder();
    const grouped = b.stream('orders', { keySerde: S, valueSerde: J }).groupByKey();
    grouped.count({ storeName: 'order-count' }).toStream().to('count', { keySerde: S, valueSerde: L });
    grouped
      .reduce((a, v) => ({ country: v.country, amount: a.amount + v.amount }), { storeName: 'order-sum' })
      .toStream()
      .to('sum', { keySerde: S, valueSerde: J });
    grouped.aggregate(
      () => [] as string[],
      (_k, v, agg) => [...agg, v.country],
      { storeName: 'countries' },
    );
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic('orders', S, J);
    input.pipeInput('u1', { country: 'FR', amount: 10 });
    input.pipeInput('u2', { country: 'DE', amount: 1 });
    input.pipeInput('u1', { country: 'IT', amount: 5 });
    expect(driver.createOutputTopic('count', S, L).readKeyValuesToList()).toEqual([
      { key: 'u1', value: 1 },
      { key: 'u2', value: 1 },
      { key: 'u1', value: 2 },
    ]);
    expect(driver.createOutputTopic('sum', S, J).readKeyValuesToMap()).toEqual(
      new Map([
        ['u1', { country: 'IT', amount: 15 }],
        ['u2', { country: 'DE', amount: 1 }],
      ]),
    );
    expect(driver.getKeyValueStore<string, number>('order-count').get('u1')).toBe(2);
    expect(driver.getKeyValueStore<string, string[]>('countries').all()).toEqual([
      { key: 'u1', value: ['FR', 'IT'] },
      { key: 'u2', value: ['DE'] },
    ]);
  });

  it('drops and counts records with a null key at an aggregation', () => {
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: S }).groupByKey().count({ storeName: 'c' });
    const driver = new TopologyTestDriver(b.build());
    driver.createInputTopic('in', S, S).pipeValue('no key');
    expect(driver.getKeyValueStore('c').approximateSize()).toBe(0);
    expect(driver.metrics.get(STREAMS_METRICS.dropped, { reason: 'null-key' })).toBe(1);
  });
});

describe('repartitioning on key change', () => {
  function byCountry(): StreamsBuilder {
    const b = new StreamsBuilder();
    b.stream('orders', { keySerde: S, valueSerde: J })
      .groupBy((_k, v) => v.country, { name: 'by-country', keySerde: S })
      .count({ storeName: 'per-country' })
      .toStream()
      .to('country-counts', { keySerde: S, valueSerde: L });
    return b;
  }

  it('routes records through <applicationId>-<name>-repartition to the task owning the new key', () => {
    const topology = byCountry().build();
    const driver = new TopologyTestDriver(topology, { applicationId: 'shop', partitions: 4 });
    expect(driver.metadata.repartitionTopics).toEqual([{ name: 'shop-by-country-repartition', producedBy: 0, consumedBy: 1 }]);
    expect(driver.tasks.map((t) => t.id)).toEqual(['0_0', '0_1', '0_2', '0_3', '1_0', '1_1', '1_2', '1_3']);
    const input = driver.createInputTopic('orders', S, J);
    const countries = ['FR', 'DE', 'IT', 'ES', 'NL'];
    for (let i = 0; i < 50; i++) input.pipeInput(`user-${i}`, { country: countries[i % 5] as string, amount: i });
    const repartitioned = driver.readRawRecords('shop-by-country-repartition');
    expect(repartitioned).toHaveLength(50);
    // Same key → same partition; every country's count lives in exactly one task.
    for (const country of countries) {
      const partitions = new Set(repartitioned.filter((r) => r.key?.toString() === country).map((r) => r.partition));
      expect(partitions.size).toBe(1);
      const owners = driver.tasks.filter((t) => t.storeNames.includes('per-country') && t.getStateStore<KeyValueStore<string, number>>('per-country').get(country) !== undefined);
      expect(owners).toHaveLength(1);
    }
    expect(new Set(repartitioned.map((r) => r.partition)).size).toBeGreaterThan(1);
    expect(driver.createOutputTopic('country-counts', S, L).readKeyValuesToMap()).toEqual(new Map(countries.map((c) => [c, 10])));
    expect(driver.getKeyValueStore<string, number>('per-country').get('IT')).toBe(10);
  });

  it('selectKey then groupByKey repartitions too; groupByKey without key change does not', () => {
    const b = new StreamsBuilder();
    const s = b.stream('orders', { keySerde: S, valueSerde: J });
    s.groupByKey().count({ storeName: 'same-key' });
    s.selectKey((_k, v) => v.country).groupByKey({ keySerde: S }).count({ storeName: 'new-key' });
    const meta = b.build().metadata('app');
    expect(meta.repartitionTopics.map((r) => r.name)).toEqual(['app-new-key-repartition']);
    expect(meta.subtopologies).toHaveLength(2);
  });

  it('explicit repartition() keeps values and partitions by key', () => {
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: S })
      .map((k, v) => ({ key: v, value: k }))
      .repartition({ name: 'swap', keySerde: S, valueSerde: S })
      .to('out', { keySerde: S, valueSerde: S });
    const driver = new TopologyTestDriver(b.build(), { partitions: 3 });
    driver.createInputTopic('in', S, S).pipeInput('k', 'v', 77);
    expect(driver.readRawRecords('test-driver-swap-repartition')).toHaveLength(1);
    const out = driver.createOutputTopic('out', S, S).readRecord();
    expect([out.key, out.value, out.timestamp]).toEqual(['v', 'k', 77]);
  });
});

describe('stream–table joins', () => {
  function joins(): { b: StreamsBuilder; clicks: KStream<string, string> } {
    const b = new StreamsBuilder();
    const users = b.table('users', { keySerde: S, valueSerde: S, storeName: 'users-store' });
    const clicks = b.stream('clicks', { keySerde: S, valueSerde: S });
    clicks.join(users, (page, name) => `${name} viewed ${page}`).to('joined', { keySerde: S, valueSerde: S });
    clicks.leftJoin(users, (page, name) => `${name ?? 'anonymous'} viewed ${page}`).to('left-joined', { keySerde: S, valueSerde: S });
    return { b, clicks };
  }

  it('join emits only when the table has the key; leftJoin always; table updates and deletes apply to later records only', () => {
    const driver = new TopologyTestDriver(joins().b.build());
    const users = driver.createInputTopic('users', S, S);
    const clicks = driver.createInputTopic('clicks', S, S);
    clicks.pipeInput('u1', '/home');
    users.pipeInput('u1', 'Ada');
    clicks.pipeInput('u1', '/pricing');
    users.pipeInput('u1', 'Ada L.');
    clicks.pipeInput('u1', '/docs');
    users.pipeInput('u1', null as unknown as string); // tombstone
    clicks.pipeInput('u1', '/bye');
    expect(driver.createOutputTopic('joined', S, S).readValuesToList()).toEqual(['Ada viewed /pricing', 'Ada L. viewed /docs']);
    expect(driver.createOutputTopic('left-joined', S, S).readValuesToList()).toEqual([
      'anonymous viewed /home',
      'Ada viewed /pricing',
      'Ada L. viewed /docs',
      'anonymous viewed /bye',
    ]);
    expect(driver.getKeyValueStore('users-store').get('u1')).toBeUndefined();
  });

  it('requires co-partitioned sources and says so in the description', () => {
    const topology = joins().b.build();
    expect(topology.describe().toString()).toContain('Co-partitioned: [clicks, users] (same partition count required)');
    expect(topology.metadata('app').subtopologies[0]?.copartitionGroups).toEqual([['clicks', 'users']]);
    expect(() => new TopologyTestDriver(topology, { partitions: { users: 2, clicks: 3 } })).toThrow(expect.objectContaining({ code: 'STREAMS_NOT_COPARTITIONED' }));
    const driver = new TopologyTestDriver(topology, { partitions: { users: 3, clicks: 3 } });
    driver.createInputTopic('users', S, S).pipeInput('u7', 'Grace');
    driver.createInputTopic('clicks', S, S).pipeInput('u7', '/x');
    expect(driver.createOutputTopic('joined', S, S).readValuesToList()).toEqual(['Grace viewed /x']);
  });

  it('a key change before a join goes through a repartition topic', () => {
    const b = new StreamsBuilder();
    const users = b.table('users', { keySerde: S, valueSerde: S });
    b.stream('clicks', { keySerde: S, valueSerde: S })
      .selectKey((_k, v) => v.split(':')[0] as string)
      .join(users, (v, name) => `${name}:${v}`, { name: 'click-user', keySerde: S, valueSerde: S })
      .to('out', { keySerde: S, valueSerde: S });
    const driver = new TopologyTestDriver(b.build(), { partitions: 2 });
    expect(driver.metadata.repartitionTopics.map((r) => r.name)).toEqual(['test-driver-click-user-left-repartition']);
    driver.createInputTopic('users', S, S).pipeInput('u1', 'Ada');
    driver.createInputTopic('clicks', S, S).pipeInput('whatever', 'u1:/home');
    expect(driver.createOutputTopic('out', S, S).readValuesToList()).toEqual(['Ada:u1:/home']);
  });
});

describe('names and description', () => {
  it('generates Kafka Streams names deterministically and describes the topology like Kafka Streams', () => {
    const build = (): string => {
      const b = new StreamsBuilder();
      b.stream('in', { keySerde: S, valueSerde: S })
        .filter(() => true)
        .groupBy((_k, v) => v)
        .count()
        .toStream()
        .to('out', { keySerde: S, valueSerde: L });
      return b.build().describe().toString();
    };
    const text = build();
    expect(text).toBe(build());
    expect(text).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [in])',
        '      --> KSTREAM-FILTER-0000000001',
        '    Processor: KSTREAM-FILTER-0000000001 (stores: [])',
        '      --> KSTREAM-KEY-SELECT-0000000002',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])',
        '      --> KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter',
        '      <-- KSTREAM-FILTER-0000000001',
        '    Processor: KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter (stores: [])',
        '      --> KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink',
        '      <-- KSTREAM-KEY-SELECT-0000000002',
        '    Sink: KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)',
        '      <-- KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter',
        '',
        '   Sub-topology: 1',
        '    Source: KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])',
        '      --> KSTREAM-AGGREGATE-0000000004',
        '    Processor: KSTREAM-AGGREGATE-0000000004 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000003])',
        '      --> KTABLE-TOSTREAM-0000000005',
        '      <-- KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source',
        '    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])',
        '      --> KSTREAM-SINK-0000000006',
        '      <-- KSTREAM-AGGREGATE-0000000004',
        '    Sink: KSTREAM-SINK-0000000006 (topic: out)',
        '      <-- KTABLE-TOSTREAM-0000000005',
        '',
      ].join('\n'),
    );
  });

  it('exposes topics, repartition topics and changelog topics for an engine', () => {
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: S })
      .groupBy((_k, v) => v, { name: 'g', keySerde: S })
      .count({ storeName: 'counts' })
      .toStream()
      .to('out', { keySerde: S, valueSerde: L });
    const meta = b.build().metadata('quintet');
    expect(meta.sourceTopics).toEqual(['in']);
    expect(meta.sinkTopics).toEqual(['out']);
    expect(meta.changelogTopics).toEqual([{ topic: 'quintet-counts-changelog', store: 'counts', subtopology: 1 }]);
    expect(meta.subtopologies[0]).toMatchObject({ sourceTopics: ['in'], repartitionSinkTopics: ['quintet-g-repartition'] });
    expect(meta.subtopologies[1]).toMatchObject({ sourceTopics: ['quintet-g-repartition'], sinkTopics: ['out'] });
    expect(meta.resolvePartitionCounts((t) => (t === 'in' ? 6 : undefined))).toEqual(
      new Map([
        ['in', 6],
        ['quintet-g-repartition', 6],
      ]),
    );
  });

  it('rejects duplicate node names and unknown stores', () => {
    const b = new StreamsBuilder();
    const s = b.stream('in', { keySerde: S, valueSerde: S, name: 'source' });
    expect(() => s.filter(() => true, { name: 'source' })).toThrow(expect.objectContaining({ code: 'STREAMS_TOPOLOGY_INVALID' }));
    expect(() => s.process(() => ({ process: () => undefined }), { stores: ['missing'] })).toThrow(expect.objectContaining({ code: 'STREAMS_TOPOLOGY_INVALID' }));
  });
});
