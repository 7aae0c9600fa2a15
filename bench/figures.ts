/**
 * One benchmark figure, as written to bench/results/latest.json. Figures with a comparison are
 * measured side by side in the same run and carry `baseline` and `ratio` (value / baseline).
 */
export interface Figure {
  /** Stable name, e.g. `adapters.segment.events_per_s`, `runtime.passthrough.ratio_to_bare`. */
  readonly name: string;
  /** Median over runs. */
  readonly value: number;
  readonly unit: string;
  readonly runs: number;
  readonly min: number;
  readonly max: number;
  readonly baseline?: { readonly name: string; readonly value: number };
  readonly ratio?: number;
  readonly notes?: string;
}

export interface BenchOptions {
  /** Short version: a few minutes for the whole suite. */
  readonly quick: boolean;
}

/** Each bench/<area>.ts exports a `BenchSuite` named `suite`. */
export interface BenchSuite {
  readonly name: string;
  /** Whether it needs the local stack (Kafka, Redis, ClickHouse) to be up. */
  readonly needsStack: boolean;
  run(options: BenchOptions): Promise<Figure[]>;
}

/** Median/min/max of repeated measurements. */
export function summarize(name: string, unit: string, samples: readonly number[], extra: Partial<Figure> = {}): Figure {
  if (samples.length === 0) throw new Error(`no samples for ${name}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { name, value: median, unit, runs: samples.length, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, ...extra };
}

/**
 * A comparison measured in interleaved pairs (theirs, ours, theirs, ours…): the value is the ratio of the
 * medians, min/max are the extreme pair ratios, so the spread of a noisy machine stays visible.
 */
export function ratioFigure(name: string, what: string, ours: readonly number[], theirs: readonly number[], notes: string, unit = 'events/s'): Figure {
  const pairs = ours.map((value, i) => value / (theirs[i] as number));
  const oursMedian = summarize(name, unit, ours).value;
  const theirsMedian = summarize(name, unit, theirs).value;
  return {
    ...summarize(name, 'ratio', pairs),
    value: oursMedian / theirsMedian,
    baseline: { name: what, value: theirsMedian },
    ratio: oursMedian / theirsMedian,
    notes: `${notes}; median ${Math.round(oursMedian)} vs ${Math.round(theirsMedian)} ${unit}; interleaved pair ratios: ${pairs.map((r) => r.toFixed(2)).join(', ')}`,
  };
}

/** `figure` with `baseline` as its baseline and the ratio of their values. */
export function withBaseline(figure: Figure, baseline: Pick<Figure, 'name' | 'value'>): Figure {
  return { ...figure, baseline: { name: baseline.name, value: baseline.value }, ratio: figure.value / baseline.value };
}
