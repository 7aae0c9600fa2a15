/**
 * Adapter throughput: raw bytes → canonical events through the whole CanonicalTranslator path the
 * ingest topology runs (size limit, UTF-8, JSON.parse, structural limits, detection, adapter, JSON
 * Schema + taxonomy validation), one core, one event per record, with vendor-doc-shaped payloads.
 * Rates are per CPU-second of this process (process.cpuUsage), not per wall-clock second.
 * Figures: `adapters.<format>.events_per_s`.
 */
import { CanonicalTranslator, SOURCE_FORMATS, type SourceFormat } from '../processors/adapters/translator.js';
import * as fixtures from '../test/unit/adapters/fixtures.js';
import { type BenchSuite, type Figure, summarize } from './figures.js';

const otelOneRecord = {
  resourceLogs: [
    {
      resource: fixtures.otelLogs.resourceLogs[0]?.resource,
      scopeLogs: [{ scope: fixtures.otelLogs.resourceLogs[0]?.scopeLogs[0]?.scope, logRecords: [fixtures.otelLogs.resourceLogs[0]?.scopeLogs[0]?.logRecords[1]] }],
    },
  ],
};

const PAYLOADS: Record<SourceFormat, unknown> = {
  segment: fixtures.segmentTrack,
  mixpanel: fixtures.mixpanelTrack,
  amplitude: fixtures.amplitudeEvent,
  cloudtrail: fixtures.cloudTrailAssumedRole,
  auth0: fixtures.auth0Success,
  github: fixtures.githubRepoDestroy,
  otel: otelOneRecord,
  cloudevents: fixtures.cloudEventStructured,
  canonical: fixtures.canonicalEvent,
};

/**
 * CPU time (user + system) of this process in ms. Throughput is events per CPU-second: on a shared
 * machine, wall time also counts the time other processes hold the core, CPU time does not.
 */
function cpuMs(since?: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** Translates the same record for `ms` milliseconds of CPU; returns events per CPU-second. */
function measure(translator: CanonicalTranslator, value: Buffer, ms: number): number {
  const now = Date.now();
  let events = 0;
  const started = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < ms) {
    // Batches of 1000 keep the clock out of the loop.
    for (let i = 0; i < 1000; i++) {
      const result = translator.translate({ value }, now);
      if (result.kind !== 'ok') throw new Error(`bench payload rejected: ${result.kind === 'deadLetter' ? result.code : result.reason}`);
      events += result.value.length;
    }
    elapsed = cpuMs(started);
  }
  return (events * 1000) / elapsed;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
let sink = 0;
/**
 * The floor under any JSON adapter: decode + JSON.parse of the same bytes, nothing else. Measured
 * right after each translator run so both see the same machine load; the ratio is the share of the
 * bare parse speed the full translation keeps.
 */
function measureParse(value: Buffer, ms: number): number {
  let records = 0;
  const started = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 1000; i++) sink += (JSON.parse(utf8.decode(value)) as object) === null ? 1 : 0;
    records += 1000;
    elapsed = cpuMs(started);
  }
  return (records * 1000) / elapsed;
}

/** Keeps the baseline loop from being optimized away. */
export const parseSink = (): number => sink;

export const suite: BenchSuite = {
  name: 'adapters',
  needsStack: false,
  async run({ quick }) {
    const runs = quick ? 3 : 5;
    const ms = quick ? 300 : 1000;
    const translator = new CanonicalTranslator();
    const figures: Figure[] = [];
    for (const format of SOURCE_FORMATS) {
      const value = Buffer.from(JSON.stringify(PAYLOADS[format]));
      measure(translator, value, 200); // warm-up: JIT and the lazily compiled validator
      measureParse(value, 100);
      const samples: number[] = [];
      const baseline: number[] = [];
      for (let r = 0; r < runs; r++) {
        samples.push(measure(translator, value, ms));
        baseline.push(measureParse(value, ms / 2));
      }
      const parse = summarize(`adapters.${format}.json_parse_baseline`, 'records/s', baseline);
      const figure = summarize(`adapters.${format}.events_per_s`, 'events/s', samples, {
        notes: `${value.length}-byte ${format} record → 1 canonical event: limits, parse, detect, adapt, validate; events per CPU-second of one core (process CPU time, so other processes' load does not count). Baseline: decode + JSON.parse alone of the same bytes`,
      });
      figures.push({ ...figure, baseline: { name: parse.name, value: parse.value }, ratio: figure.value / parse.value });
    }
    return figures;
  },
};
