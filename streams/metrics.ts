/**
 * Counters the runtime reports, without depending on a metrics library: an engine binds them to
 * prom-client (see core/ and streams/kafka), tests read them from InMemoryStreamsMetrics.
 *
 * Label values are node names, task ids, stages and reason codes: never record content.
 */

export const STREAMS_METRICS = {
  /** Records a task took from its input topics (after deserialization). Labels: task, subtopology. */
  processed: 'streams_processed_records_total',
  /** Records dropped on purpose. Labels: task, node, reason (`late`, `null-key`, `expired-window`). */
  dropped: 'streams_dropped_records_total',
  /** Records sent to the dead-letter topic. Labels: task, stage, code. */
  deadLettered: 'streams_dead_letter_records_total',
  /** Punctuations run. Labels: task, type. */
  punctuations: 'streams_punctuations_total',
  /** Changelog records written. Labels: task, store. */
  changelogWrites: 'streams_changelog_records_total',
} as const;

export type Labels = Readonly<Record<string, string>>;

export interface StreamsMetrics {
  increment(name: string, labels: Labels, by?: number): void;
}

/** Ignores everything: the default when no engine binds metrics. */
export const noopStreamsMetrics: StreamsMetrics = { increment: () => undefined };

/** Keeps counters in a Map; used by the TopologyTestDriver and by tests. */
export class InMemoryStreamsMetrics implements StreamsMetrics {
  readonly #counters = new Map<string, number>();

  increment(name: string, labels: Labels, by = 1): void {
    const id = InMemoryStreamsMetrics.#id(name, labels);
    this.#counters.set(id, (this.#counters.get(id) ?? 0) + by);
  }

  /** Sum of a counter over every label set that contains `labels`. */
  get(name: string, labels: Labels = {}): number {
    let total = 0;
    const wanted = Object.entries(labels);
    for (const [id, value] of this.#counters) {
      const parsed = JSON.parse(id) as [string, Record<string, string>];
      if (parsed[0] !== name) continue;
      if (wanted.every(([k, v]) => parsed[1][k] === v)) total += value;
    }
    return total;
  }

  static #id(name: string, labels: Labels): string {
    const sorted: Record<string, string> = {};
    for (const key of Object.keys(labels).sort()) sorted[key] = labels[key] as string;
    return JSON.stringify([name, sorted]);
  }
}
