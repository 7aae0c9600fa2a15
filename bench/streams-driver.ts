/**
 * Throughput of the TopologyTestDriver, the engine of the embedded (no services) mode. Everything
 * runs through the same StreamTask code as the Kafka engine, with real serialization on both ends:
 * input records are serialized by the driver's input topic, deserialized by the task, processed,
 * serialized by the sink and kept on the in-memory output topic.
 *
 * - runtime.driver.windowed_count.events_per_s: canonical-like JSON events keyed by user, event time
 *   from `event_timestamp`, 1-minute tumbling windows with 10 s grace, count, every update emitted.
 * - runtime.driver.passthrough.events_per_s: the same events read and written unchanged (JSON both ways).
 */
import { performance } from 'node:perf_hooks';
import { summarize, type BenchSuite, type Figure } from './figures.js';
import { Serdes, StreamsBuilder, TimeWindows, TopologyTestDriver, WindowedSerdes, type TestInputRecord, type Topology } from '../streams/index.js';

interface BenchEvent {
  readonly id: string;
  readonly event_timestamp: string;
  readonly action: { readonly name: string; readonly type: string };
  readonly actor: { readonly pseudonym: string };
}

const S = Serdes.String();
const J = Serdes.Json<BenchEvent>();

function windowedCount(): Topology {
  const b = new StreamsBuilder();
  b.stream('events', { keySerde: S, valueSerde: J })
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
    .count({ storeName: 'per-minute' })
    .toStream()
    .to('counts', { keySerde: WindowedSerdes.timeWindowed(S), valueSerde: Serdes.Long() });
  return b.build();
}

function passThrough(): Topology {
  const b = new StreamsBuilder();
  b.stream('events', { keySerde: S, valueSerde: J }).to('copy', { keySerde: S, valueSerde: J });
  return b.build();
}

function makeEvents(count: number): TestInputRecord<string, BenchEvent>[] {
  const start = Date.parse('2026-11-28T00:00:00.000Z');
  const events: TestInputRecord<string, BenchEvent>[] = [];
  for (let i = 0; i < count; i++) {
    const user = `user-${(i * 7919) % 1_000}`;
    // 5 events per ms of event time, with 1% arriving up to 5 s out of order.
    const time = start + Math.floor(i / 5) - (i % 100 === 0 ? 5_000 : 0);
    events.push({
      key: user,
      value: { id: `e-${i}`, event_timestamp: new Date(time).toISOString(), action: { name: 'app.page.viewed', type: 'read' }, actor: { pseudonym: user } },
      timestamp: time,
    });
  }
  return events;
}

/** Records/s for one run on a fresh driver, piping in batches like a consumer would. */
function measure(topology: () => Topology, events: readonly TestInputRecord<string, BenchEvent>[], batch: number): number {
  let outputs = 0;
  // Capture `none`: outputs stream to a listener, as in the embedded mode; memory stays flat.
  const driver = new TopologyTestDriver(topology(), { capture: 'none', onOutput: () => void outputs++ });
  const input = driver.createInputTopic('events', S, J);
  const started = performance.now();
  for (let i = 0; i < events.length; i += batch) input.pipeRecordList(events.slice(i, i + batch));
  const seconds = (performance.now() - started) / 1_000;
  void driver.close();
  if (outputs < events.length * 0.98) throw new Error(`only ${outputs} outputs for ${events.length} events`);
  return events.length / seconds;
}

/**
 * The ceiling for the pass-through: the same serialization work done in a bare loop (serialize the
 * input key and value, parse the value, serialize key and value again), no runtime at all.
 */
function bareJsonRoundTrip(events: readonly TestInputRecord<string, BenchEvent>[]): number {
  let bytes = 0;
  const started = performance.now();
  for (const event of events) {
    const key = Buffer.from(event.key, 'utf8');
    const value = Buffer.from(JSON.stringify(event.value), 'utf8');
    const parsed = JSON.parse(value.toString('utf8')) as BenchEvent;
    bytes += Buffer.from(key.toString('utf8'), 'utf8').length + Buffer.from(JSON.stringify(parsed), 'utf8').length;
  }
  const seconds = (performance.now() - started) / 1_000;
  if (bytes === 0) throw new Error('nothing serialized');
  return events.length / seconds;
}

export const suite: BenchSuite = {
  name: 'streams-driver',
  needsStack: false,
  async run({ quick }): Promise<Figure[]> {
    const count = quick ? 100_000 : 300_000;
    const runs = quick ? 3 : 5;
    const events = makeEvents(count);
    // Warm-up: let V8 optimize the hot path before measuring.
    measure(windowedCount, events.slice(0, 20_000), 500);
    measure(passThrough, events.slice(0, 20_000), 500);
    const windowed: number[] = [];
    const copy: number[] = [];
    const bare: number[] = [];
    for (let run = 0; run < runs; run++) {
      windowed.push(measure(windowedCount, events, 500));
      copy.push(measure(passThrough, events, 500));
      bare.push(bareJsonRoundTrip(events));
    }
    const bareFigure = summarize('runtime.driver.bare_json_roundtrip.events_per_s', 'events/s', bare, { notes: 'serialization work of the pass-through without the runtime' });
    const copyFigure = summarize('runtime.driver.passthrough.events_per_s', 'events/s', copy);
    const notes = `${count} JSON events, 1000 keys, batches of 500, real (de)serialization through StreamTask, node ${process.version}`;
    return [
      summarize('runtime.driver.windowed_count.events_per_s', 'events/s', windowed, { notes: `1-min tumbling windows, 10 s grace, count, every update emitted; ${notes}` }),
      { ...copyFigure, baseline: { name: bareFigure.name, value: bareFigure.value }, ratio: copyFigure.value / bareFigure.value, notes },
      bareFigure,
    ];
  },
};
