/**
 * Scale curves of the ingest topology on the real stack (the setting of bench/ingest-e2e.ts: `quintet
 * run ingest` in its own process, exactly-once, Redis vault, Avro through the registry, generator mix),
 * at 1, 2 and 4 partitions and at 100k, 1M and 5M events (quick mode: 10k and 40k), one run per point,
 * each on a freshly filled raw topic that is deleted afterwards.
 *
 * - `ingest.scale.p<N>.e<M>.events_per_s`: throughput from opening the deployment to the input fully committed.
 * - `ingest.scale.p<N>.e<M>.memory_rss_mb`: peak RSS (VmHWM) of the ingest process; the notes give RSS
 *   at half and at the end of the input, so that growth within a run is visible too.
 * - `ingest.scale.p<N>.e<M>.heap_after_gc_mb`: V8 heap in use after a full GC at the end: what the
 *   process retains, without the garbage that RSS also counts.
 * - `ingest.scale.p<N>.rss_growth`: peak RSS at the largest size over peak RSS at the smallest. Memory
 *   must stay bounded: with a bounded working set (vault cache, chain heads, in-flight batches) this
 *   stays near 1 however many events pass.
 */
import { createKafkaClient } from '../connectors/kafka/client.js';
import { randomUUID } from 'node:crypto';
import { KafkaTopicAdmin } from '../connectors/kafka/admin.js';
import { loadConfig } from '../core/config.js';
import { summarize, type BenchOptions, type BenchSuite, type Figure } from './figures.js';
import { fillRawTopic, runQuintetIngest, type ProcessRun } from './ingest-e2e.js';

const PARTITION_COUNTS = [1, 2, 4] as const;

/** 100000 → `100k`, 5000000 → `5m`. */
function sizeLabel(events: number): string {
  return events >= 1_000_000 ? `${events / 1_000_000}m` : `${events / 1_000}k`;
}

/** A chosen subset of scale points, e.g. QUINTET_BENCH_SCALE_EVENTS=100000,400000 (positive integers). */
function listFromEnvironment(name: string): number[] | undefined {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < 1)) throw new Error(`${name} must be a comma-separated list of positive integers, got "${text}"`);
  return values;
}

export const suite: BenchSuite = {
  name: 'ingest-scale',
  needsStack: true,
  async run(options: BenchOptions): Promise<Figure[]> {
    const config = loadConfig({ env: process.env });
    const kafka = createKafkaClient(config, { clientIdSuffix: 'bench-ingest-scale' });
    const admin = new KafkaTopicAdmin(kafka);
    const sizes = listFromEnvironment('QUINTET_BENCH_SCALE_EVENTS') ?? (options.quick ? [10_000, 40_000] : [100_000, 1_000_000, 5_000_000]);
    const partitionCounts = listFromEnvironment('QUINTET_BENCH_SCALE_PARTITIONS') ?? PARTITION_COUNTS;
    const figures: Figure[] = [];
    try {
      for (const partitions of partitionCounts) {
        const points: ProcessRun[] = [];
        for (const events of sizes) {
          const raw = `bench-scale-${randomUUID().slice(0, 8)}-p${partitions}-raw`;
          try {
            await admin.ensureTopics([{ name: raw, partitions, replicationFactor: 1 }]);
            await fillRawTopic(kafka, raw, events, 'mixed');
            const run = await runQuintetIngest(config, kafka, admin, raw, partitions, events);
            points.push(run);
            const point = `ingest.scale.p${partitions}.e${sizeLabel(events)}`;
            figures.push(
              summarize(`${point}.events_per_s`, 'events/s', [run.eventsPerSecond], { notes: `${events} events in ${run.seconds.toFixed(1)} s (${run.startupSeconds.toFixed(1)} s to the first commit; ${Math.round(run.steadyEventsPerSecond)} events/s from a fifth of the input on), ${partitions} partition(s), one run` }),
              summarize(`${point}.memory_rss_mb`, 'MiB', [run.rssPeakMb], { notes: `peak RSS; at half of the input ${Math.round(run.rssHalfwayMb)} MiB, at the end ${Math.round(run.rssEndMb)} MiB` }),
            );
            if (run.heapAfterGcMb !== undefined) {
              figures.push(summarize(`${point}.heap_after_gc_mb`, 'MiB', [run.heapAfterGcMb], { notes: 'V8 heap in use after a full GC once the input is committed: what the process retains' }));
            }
          } finally {
            await admin.deleteTopics([raw]).catch(() => undefined);
          }
        }
        const first = points[0] as ProcessRun;
        const last = points[points.length - 1] as ProcessRun;
        figures.push(
          summarize(`ingest.scale.p${partitions}.rss_growth`, 'ratio', [last.rssPeakMb / first.rssPeakMb], {
            notes: `peak RSS at ${sizeLabel(sizes[sizes.length - 1] as number)} events (${Math.round(last.rssPeakMb)} MiB) over ${sizeLabel(sizes[0] as number)} (${Math.round(first.rssPeakMb)} MiB); heap after GC ${Math.round(last.heapAfterGcMb ?? Number.NaN)} vs ${Math.round(first.heapAfterGcMb ?? Number.NaN)} MiB`,
          }),
        );
      }
      return figures;
    } finally {
      await admin.close();
    }
  },
};
