/**
 * Adapter throughput: raw bytes → canonical events through the whole CanonicalTranslator path the
 * ingest topology runs (size limit, UTF-8, JSON.parse, structural limits, detection, adapter, JSON
 * Schema + taxonomy validation), one core, one event per record, with vendor-doc-shaped payloads.
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

/** Translates the same record for `ms` milliseconds; returns events per second. */
function measure(translator: CanonicalTranslator, value: Buffer, ms: number): number {
  const now = Date.now();
  let events = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    // Batches of 1000 keep the clock out of the loop.
    for (let i = 0; i < 1000; i++) {
      const result = translator.translate({ value }, now);
      if (result.kind !== 'ok') throw new Error(`bench payload rejected: ${result.kind === 'deadLetter' ? result.code : result.reason}`);
      events += result.value.length;
    }
    elapsed = performance.now() - started;
  }
  return (events * 1000) / elapsed;
}

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
      const samples: number[] = [];
      for (let r = 0; r < runs; r++) samples.push(measure(translator, value, ms));
      figures.push(
        summarize(`adapters.${format}.events_per_s`, 'events/s', samples, {
          notes: `${value.length}-byte ${format} record → 1 canonical event: limits, parse, detect, adapt, validate; one core`,
        }),
      );
    }
    return figures;
  },
};
