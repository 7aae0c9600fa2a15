/**
 * Cuts the canonical log into closed time ranges for the cold-tier archive (design Part 6.2).
 *
 * A range must hold, for each partition, a CONTIGUOUS run of offsets, so that its hash chains verify
 * and so that consecutive archives link (the first entry's previous_hash is the last hash of the
 * previous archive). Records are therefore assigned by a per-partition high-watermark of their
 * ingestion time (`observed_timestamp`): a record goes to the later of its own range and the range of
 * the record before it. A late timestamp never sends a record back to an archived range.
 *
 * A range is closed, and archived, once its end is at or before the cutoff; the first record of a
 * partition that falls into an open range stops that partition for this run (everything after it is
 * open too). Pure: the CLI feeds records and writes what comes out.
 */
import type { ChainLink } from '../../schemas/canonical-event.js';
import type { ExportedRecord } from '../chain/export-format.js';

export interface PartitionProgress {
  /** Last archived offset (decimal string), or undefined before the first archive. */
  readonly lastOffset: string | undefined;
  /** Start (epoch ms) of the last archived range: the high-watermark to resume from. */
  readonly lastRangeStartMs: number | undefined;
}

export interface ArchivedPartition {
  readonly partition: number;
  readonly records: number;
  readonly first_offset: string;
  readonly last_offset: string;
  readonly first_sequence: number | null;
  readonly last_sequence: number | null;
  /** Chain hash the first entry links to: the last hash of the previous archive of this partition. */
  readonly first_previous_hash: string | null;
  readonly last_hash: string | null;
}

export interface ClosedRange {
  readonly fromMs: number;
  readonly toMs: number;
  /** Export lines (docs/hash-chain.md format) in partition then offset order. */
  readonly records: readonly ExportedRecord[];
  readonly partitions: readonly ArchivedPartition[];
}

export class ArchiveSegmenter {
  readonly #rangeMs: number;
  readonly #cutoffMs: number;
  readonly #progress: ReadonlyMap<number, PartitionProgress>;
  readonly #watermark = new Map<number, number>();
  readonly #stopped = new Set<number>();
  readonly #ranges = new Map<number, Map<number, ExportedRecord[]>>();
  #skipped = 0;

  /**
   * @param rangeMs length of a range (e.g. one day); ranges are aligned to multiples of it (UTC).
   * @param cutoffMs ranges ending at or before this instant are closed.
   * @param progress per partition, what earlier archives already hold.
   */
  constructor(rangeMs: number, cutoffMs: number, progress: ReadonlyMap<number, PartitionProgress> = new Map()) {
    this.#rangeMs = rangeMs;
    this.#cutoffMs = cutoffMs;
    this.#progress = progress;
  }

  /** Records already archived by an earlier run, skipped. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Adds the next record of its partition (records of one partition must come in offset order). */
  add(record: ExportedRecord): void {
    const partition = record.partition;
    if (this.#stopped.has(partition)) return;
    const progress = this.#progress.get(partition);
    if (progress?.lastOffset !== undefined && BigInt(record.offset) <= BigInt(progress.lastOffset)) {
      this.#skipped += 1;
      return;
    }
    const observed = Date.parse(record.event.observed_timestamp);
    const own = Number.isFinite(observed) ? Math.floor(observed / this.#rangeMs) * this.#rangeMs : Number.NEGATIVE_INFINITY;
    const start = Math.max(own, this.#watermark.get(partition) ?? progress?.lastRangeStartMs ?? Number.NEGATIVE_INFINITY);
    if (!Number.isFinite(start) || start + this.#rangeMs > this.#cutoffMs) {
      // Open range (or no usable time at all before any watermark): this partition waits for a later run.
      this.#stopped.add(partition);
      return;
    }
    this.#watermark.set(partition, start);
    let byPartition = this.#ranges.get(start);
    if (byPartition === undefined) this.#ranges.set(start, (byPartition = new Map()));
    let records = byPartition.get(partition);
    if (records === undefined) byPartition.set(partition, (records = []));
    records.push(record);
  }

  /** The closed ranges collected, oldest first. */
  closedRanges(): ClosedRange[] {
    return [...this.#ranges.entries()]
      .sort(([a], [b]) => a - b)
      .map(([fromMs, byPartition]) => {
        const partitions = [...byPartition.entries()].sort(([a], [b]) => a - b);
        return {
          fromMs,
          toMs: fromMs + this.#rangeMs,
          records: partitions.flatMap(([, records]) => records),
          partitions: partitions.map(([partition, records]) => summarize(partition, records)),
        };
      });
  }
}

function summarize(partition: number, records: readonly ExportedRecord[]): ArchivedPartition {
  const first = records[0] as ExportedRecord;
  const last = records[records.length - 1] as ExportedRecord;
  const link = (r: ExportedRecord): ChainLink | null => r.chain ?? null;
  return {
    partition,
    records: records.length,
    first_offset: first.offset,
    last_offset: last.offset,
    first_sequence: link(first)?.sequence ?? null,
    last_sequence: link(last)?.sequence ?? null,
    first_previous_hash: link(first)?.previous_hash ?? null,
    last_hash: link(last)?.hash ?? null,
  };
}
