import { describe, expect, it } from 'vitest';
import { Partitioners } from '../../../connectors/kafka/kafkajs.js';
import {
  continueOnError,
  defaultPartition,
  Serdes,
  Stores,
  StreamsBuilder,
  StreamsFatalError,
  STREAMS_METRICS,
  TopologyTestDriver,
  type KeyValueStore,
  type Processor,
  type ProcessorContext,
  type Serde,
  type StreamRecord,
} from '../../../streams/index.js';

const S = Serdes.String();
const L = Serdes.Long();

describe('custom processors and punctuation', () => {
  function punctuating(): { driver: TopologyTestDriver; fired: string[] } {
    const fired: string[] = [];
    const b = new StreamsBuilder();
    b.addStateStore(Stores.keyValueStore('seen', { keySerde: S, valueSerde: L }));
    b.stream('in', { keySerde: S, valueSerde: S })
      .process<string, number>(
        () => {
          let context: ProcessorContext<string, number>;
          let store: KeyValueStore<string, number>;
          return {
            init(ctx) {
              context = ctx;
              store = ctx.getStateStore('seen');
              ctx.schedule(1_000, 'stream-time', (t) => {
                fired.push(`stream@${t}`);
                for (const { key, value } of store.all()) context.forward({ key, value, timestamp: t, headers: {} });
              });
              ctx.schedule(60_000, 'wall-clock-time', (t) => {
                fired.push(`wall@${t}`);
              });
            },
            process(record) {
              store.put(record.key, (store.get(record.key) ?? 0) + 1);
            },
          };
        },
        { name: 'tally', stores: ['seen'] },
      )
      .to('tallies', { keySerde: S, valueSerde: L });
    return { driver: new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 1_000_000 }), fired };
  }

  it('stream-time punctuators fire with the first record, then on interval boundaries, skipping missed ones', () => {
    const { driver, fired } = punctuating();
    const input = driver.createInputTopic('in', S, S);
    input.pipeInput('a', 'x', 500);
    input.pipeInput('a', 'x', 900);
    input.pipeInput('b', 'x', 1_000);
    input.pipeInput('b', 'x', 3_500);
    input.pipeInput('b', 'x', 3_999);
    input.pipeInput('b', 'x', 200); // out of order: stream time does not move back
    input.pipeInput('b', 'x', 4_000);
    expect(fired).toEqual(['stream@500', 'stream@1000', 'stream@3500', 'stream@4000']);
    const out = driver.createOutputTopic('tallies', S, L).readRecordsToList();
    expect(out.at(-1)).toMatchObject({ key: 'b', value: 5, timestamp: 4_000 });
  });

  it('wall-clock punctuators fire only when the driver advances time, once per elapsed interval', () => {
    const { driver, fired } = punctuating();
    driver.advanceWallClockTime(59_999);
    expect(fired).toEqual([]);
    driver.advanceWallClockTime(1);
    expect(fired).toEqual(['wall@1060000']);
    driver.advanceWallClockTime(150_000); // 2.5 intervals: one punctuation, next aligned
    expect(fired).toEqual(['wall@1060000', 'wall@1210000']);
    driver.advanceWallClockTime(29_999);
    expect(fired).toHaveLength(2);
    driver.advanceWallClockTime(1);
    expect(fired).toEqual(['wall@1060000', 'wall@1210000', 'wall@1240000']);
  });

  it('forward to a named child reaches only that child', () => {
    const b = new StreamsBuilder();
    const routed = b.stream('in', { keySerde: S, valueSerde: S }).process<string, string>(
      () => {
        let ctx: ProcessorContext<string, string>;
        return {
          init: (c) => {
            ctx = c;
          },
          process: (r) => ctx.forward(r, r.value === 'left' ? 'to-left' : 'to-right'),
        };
      },
      { name: 'router' },
    );
    routed.to('left', { keySerde: S, valueSerde: S, name: 'to-left' });
    routed.to('right', { keySerde: S, valueSerde: S, name: 'to-right' });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic('in', S, S);
    input.pipeInput('k', 'left');
    input.pipeInput('k', 'right');
    expect(driver.createOutputTopic('left', S, S).readValuesToList()).toEqual(['left']);
    expect(driver.createOutputTopic('right', S, S).readValuesToList()).toEqual(['right']);
  });

  it('exposes record metadata, task id and application id to processors', () => {
    const seen: unknown[] = [];
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: S }).process(() => {
      let ctx: ProcessorContext<string, string>;
      return {
        init: (c) => {
          ctx = c;
        },
        process: () => {
          seen.push({ ...ctx.recordMetadata, task: ctx.taskId, app: ctx.applicationId, streamTime: ctx.currentStreamTimeMs() });
        },
      };
    });
    const driver = new TopologyTestDriver(b.build(), { applicationId: 'meta-app' });
    driver.createInputTopic('in', S, S).pipeInput('k', 'v', 42);
    driver.createInputTopic('in', S, S).pipeInput('k', 'v', 7);
    expect(seen).toEqual([
      { topic: 'in', partition: 0, offset: '0', task: '0_0', app: 'meta-app', streamTime: 42 },
      { topic: 'in', partition: 0, offset: '1', task: '0_0', app: 'meta-app', streamTime: 42 },
    ]);
  });
});

describe('error handlers at each boundary', () => {
  const J = Serdes.Json<{ n: number }>();

  it('deserialization: continue (default) sends the raw record to the dead-letter topic with reason and source, and goes on', () => {
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: J }).to('out', { keySerde: S, valueSerde: J });
    const driver = new TopologyTestDriver(b.build(), { deadLetterTopic: 'dlq' });
    const raw = driver.createInputTopic('in', S, S);
    raw.pipeInput('k', '{"n":1}');
    raw.pipeInput('k', '{not json, secret@example.com');
    raw.pipeInput('k', '{"n":3}');
    expect(driver.createOutputTopic('out', S, J).readValuesToList()).toEqual([{ n: 1 }, { n: 3 }]);
    const [dead, ...rest] = driver.readDeadLetters();
    expect(rest).toEqual([]);
    expect(dead?.value?.toString()).toBe('{not json, secret@example.com');
    expect(dead?.reason).toMatchObject({
      code: 'DESERIALIZATION_FAILED',
      stage: 'deserialization',
      sourceTopic: 'in',
      sourcePartition: '0',
      sourceOffset: '1',
      task: '0_0',
      application: 'test-driver',
      message: 'SyntaxError',
    });
    expect(driver.metrics.get(STREAMS_METRICS.deadLettered, { stage: 'deserialization' })).toBe(1);
  });

  it('deserialization: fail throws a typed error and stops the task', () => {
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: J }).to('out', { keySerde: S, valueSerde: J });
    const driver = new TopologyTestDriver(b.build(), { errorHandlers: { deserialization: () => 'fail' } });
    const raw = driver.createInputTopic('in', S, S);
    expect(() => raw.pipeInput('k', 'nope')).toThrow(StreamsFatalError);
    expect(() => raw.pipeInput('k', '{"n":1}')).toThrow(expect.objectContaining({ code: 'STREAMS_TASK_STATE' }));
  });

  it('processing: fail (default) throws STREAMS_PROCESSING_FAILED naming the node, without the error message', () => {
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: J })
      .mapValues(
        (v) => {
          if (v.n < 0) throw new Error('negative n for user secret@example.com');
          return v;
        },
        { name: 'check' },
      )
      .to('out', { keySerde: S, valueSerde: J });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic('in', S, J);
    let thrown: unknown;
    try {
      input.pipeInput('k', { n: -1 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StreamsFatalError);
    expect(thrown).toMatchObject({ code: 'STREAMS_PROCESSING_FAILED', details: { node: 'check', topic: 'in', offset: '0' } });
    expect((thrown as Error).message).not.toContain('secret@example.com');
  });

  it('processing: continue dead-letters the input at the failing node and the other branches go on', () => {
    const b = new StreamsBuilder();
    const s = b.stream('in', { keySerde: S, valueSerde: J });
    s.mapValues(
      (v) => {
        if (v.n === 2) throw new TypeError('boom');
        return v;
      },
      { name: 'fragile' },
    ).to('fragile-out', { keySerde: S, valueSerde: J });
    s.to('all-out', { keySerde: S, valueSerde: J });
    const driver = new TopologyTestDriver(b.build(), { errorHandlers: { processing: continueOnError } });
    const input = driver.createInputTopic('in', S, J);
    for (const n of [1, 2, 3]) input.pipeInput('k', { n });
    expect(driver.createOutputTopic('fragile-out', S, J).readValuesToList()).toEqual([{ n: 1 }, { n: 3 }]);
    expect(driver.createOutputTopic('all-out', S, J).readValuesToList()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const dead = driver.readDeadLetters();
    expect(dead.map((d) => [d.reason.code, d.reason.stage, d.reason.node, d.reason.sourceOffset, d.reason.message])).toEqual([
      ['PROCESSING_FAILED', 'processing', 'fragile', '1', 'TypeError'],
    ]);
    expect(JSON.parse(dead[0]?.value?.toString() ?? '')).toEqual({ n: 2 });
  });

  it('production: a sink serializer failure fails by default and dead-letters with continue', () => {
    const exploding: Serde<{ n: number }> = {
      name: 'exploding',
      serialize: (_t, v) => {
        if (v.n === 13) throw new RangeError('unlucky');
        return Buffer.from(String(v.n));
      },
      deserialize: (_t, d) => ({ n: Number(d?.toString()) }),
    };
    const build = (): StreamsBuilder => {
      const b = new StreamsBuilder();
      b.stream('in', { keySerde: S, valueSerde: J }).to('out', { keySerde: S, valueSerde: exploding, name: 'sink' });
      return b;
    };
    const failing = new TopologyTestDriver(build().build());
    expect(() => failing.createInputTopic('in', S, J).pipeInput('k', { n: 13 })).toThrow(expect.objectContaining({ code: 'STREAMS_PRODUCTION_FAILED' }));

    const lenient = new TopologyTestDriver(build().build(), { errorHandlers: { production: continueOnError } });
    const input = lenient.createInputTopic('in', S, J);
    input.pipeInput('k', { n: 12 });
    input.pipeInput('k', { n: 13 });
    input.pipeInput('k', { n: 14 });
    expect(lenient.createOutputTopic('out', S, exploding).readValuesToList()).toEqual([{ n: 12 }, { n: 14 }]);
    expect(lenient.readDeadLetters().map((d) => [d.reason.code, d.reason.stage, d.reason.node, d.reason.message])).toEqual([
      ['PRODUCTION_FAILED', 'production', 'sink', 'RangeError'],
    ]);
  });

  it('an invalid event time is a deserialization failure with code INVALID_TIMESTAMP', () => {
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: J, timestampExtractor: (r) => (r.value as { n: number }).n }).to('out', { keySerde: S, valueSerde: J });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic('in', S, J);
    input.pipeInput('k', { n: -5 });
    input.pipeInput('k', { n: 5 });
    expect(driver.createOutputTopic('out', S, J).readValuesToList()).toEqual([{ n: 5 }]);
    expect(driver.readDeadLetters().map((d) => d.reason.code)).toEqual(['INVALID_TIMESTAMP']);
  });

  it('a processor can dead-letter expected bad input itself with a stable reason', () => {
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: J })
      .process<string, { n: number }>(
        () => {
          let ctx: ProcessorContext<string, { n: number }>;
          return {
            init: (c) => {
              ctx = c;
            },
            process: (r) => {
              if (r.value.n > 100) ctx.deadLetter({ code: 'LIMIT_EXCEEDED', stage: 'limits', message: 'n above 100', path: '$.n' });
              else ctx.forward(r);
            },
          };
        },
        { name: 'limits' },
      )
      .to('out', { keySerde: S, valueSerde: J });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic('in', S, J);
    input.pipeInput('k', { n: 101 });
    input.pipeInput('k', { n: 1 });
    expect(driver.createOutputTopic('out', S, J).readValuesToList()).toEqual([{ n: 1 }]);
    expect(driver.readDeadLetters().map((d) => d.reason)).toEqual([
      expect.objectContaining({ code: 'LIMIT_EXCEEDED', stage: 'limits', message: 'n above 100', path: '$.n', node: 'limits', sourceOffset: '0' }),
    ]);
  });
});

describe('asynchronous processors and serdes', () => {
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  class SlowEnricher implements Processor<string, string> {
    #ctx!: ProcessorContext<string, string>;
    readonly batches: string[][] = [];
    readonly cache = new Map<string, string>();
    init(ctx: ProcessorContext<string, string>): void {
      this.#ctx = ctx;
    }
    async prepareBatch(records: readonly StreamRecord<string, string>[]): Promise<void> {
      this.batches.push(records.map((r) => r.value));
      await tick();
      for (const r of records) this.cache.set(r.value, r.value.toUpperCase());
    }
    async process(record: StreamRecord<string, string>): Promise<void> {
      // Delays shrink with the record index: without awaiting, outputs would come out reversed.
      for (let i = 0; i < 5 - Number(record.key); i++) await tick();
      this.#ctx.forward({ ...record, value: this.cache.get(record.value) ?? '?' });
    }
  }

  function asyncTopology(enricher: SlowEnricher, sinkSerde: Serde<string> = S): TopologyTestDriver {
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: S }).process(() => enricher).to('out', { keySerde: S, valueSerde: sinkSerde });
    return new TopologyTestDriver(b.build());
  }

  it('awaits each async process before the next record and calls prepareBatch with the whole batch first', async () => {
    const enricher = new SlowEnricher();
    const driver = asyncTopology(enricher);
    await driver.createInputTopic('in', S, S).pipeRecordListAsync(['a', 'b', 'c', 'd'].map((value, i) => ({ key: String(i), value })));
    expect(enricher.batches).toEqual([['a', 'b', 'c', 'd']]);
    expect(driver.createOutputTopic('out', S, S).readValuesToList()).toEqual(['A', 'B', 'C', 'D']);
  });

  it('the synchronous driver API refuses an asynchronous topology with a typed error', () => {
    const driver = asyncTopology(new SlowEnricher());
    expect(() => driver.createInputTopic('in', S, S).pipeInput('0', 'a')).toThrow(expect.objectContaining({ code: 'STREAMS_ASYNC_IN_SYNC_DRIVER' }));
  });

  it('asynchronous sink serdes (schema registry style) keep output order', async () => {
    let calls = 0;
    const slowSerde: Serde<string> = {
      name: 'slow',
      serialize: async (_t, v) => {
        // The first value waits longest.
        const wait = calls++ === 0 ? 5 : 0;
        for (let i = 0; i < wait; i++) await tick();
        return Buffer.from(v);
      },
      deserialize: (_t, d) => d?.toString() ?? '',
    };
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: S }).to('out', { keySerde: S, valueSerde: slowSerde });
    const driver = new TopologyTestDriver(b.build());
    await driver.createInputTopic('in', S, S).pipeRecordListAsync([
      { key: 'k', value: 'first' },
      { key: 'k', value: 'second' },
    ]);
    expect(driver.createOutputTopic('out', S, S).readValuesToList()).toEqual(['first', 'second']);
  });

  it('asynchronous source deserializers work and failures still reach the handler', async () => {
    const asyncJson: Serde<{ n: number }> = {
      name: 'async-json',
      serialize: async (_t, v) => Buffer.from(JSON.stringify(v)),
      deserialize: async (_t, d) => {
        await tick();
        return JSON.parse(d?.toString() ?? 'null') as { n: number };
      },
    };
    const b = new StreamsBuilder();
    b.stream('in', { keySerde: S, valueSerde: asyncJson }).mapValues((v) => ({ n: v.n * 2 })).to('out', { keySerde: S, valueSerde: Serdes.Json<{ n: number }>() });
    const driver = new TopologyTestDriver(b.build());
    const raw = driver.createInputTopic('in', S, S);
    await raw.pipeRecordListAsync([
      { key: 'k', value: '{"n":1}' },
      { key: 'k', value: 'broken' },
      { key: 'k', value: '{"n":2}' },
    ]);
    expect(driver.createOutputTopic('out', S, Serdes.Json<{ n: number }>()).readValuesToList()).toEqual([{ n: 2 }, { n: 4 }]);
    expect(driver.readDeadLetters().map((d) => d.reason.code)).toEqual(['DESERIALIZATION_FAILED']);
  });
});

describe('default partitioner', () => {
  it('matches kafkajs (and the Java client) murmur2 partitioning', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
      for (const key of ['', 'a', 'ab', 'abc', 'abcd', 'user-42', 'FR', 'é∂ƒ', 'a much longer key with 33 bytes!']) {
        const expected = kafkajs({ topic: 't', partitionMetadata, message: { key: Buffer.from(key), value: null } });
        expect(defaultPartition(Buffer.from(key), partitions)).toBe(expected);
      }
    }
  });
});
