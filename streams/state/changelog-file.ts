/**
 * Local persistence for the embedded mode (`--data DIR`): each logged store of each task keeps its
 * changelog in a file, `<dir>/<applicationId>/<taskId>/<store>.changelog`, which plays the part of the
 * compacted changelog topic. At start-up the file is compacted (last record per key) and replayed into
 * the store through the same `restoreStore` path as a Kafka restore; while running, changelog records
 * are buffered and appended at each flush. The task's stream time is kept beside it.
 *
 * Record framing: int32 key length (-1 = null), key bytes, int32 value length (-1 = tombstone), value bytes.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ChangelogRecord } from './store.js';

export function encodeChangelogRecords(records: readonly ChangelogRecord[]): Buffer {
  let size = 0;
  for (const r of records) size += 8 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const r of records) {
    for (const part of [r.key, r.value]) {
      out.writeInt32BE(part === null ? -1 : part.length, offset);
      offset += 4;
      if (part !== null) offset += part.copy(out, offset);
    }
  }
  return out;
}

/** Decodes a changelog file; a torn record at the end (crash during append) is ignored. */
export function decodeChangelogRecords(data: Buffer): ChangelogRecord[] {
  const records: ChangelogRecord[] = [];
  let offset = 0;
  const part = (): Buffer | null | undefined => {
    if (offset + 4 > data.length) return undefined;
    const length = data.readInt32BE(offset);
    offset += 4;
    if (length === -1) return null;
    if (length < 0 || offset + length > data.length) return undefined;
    const bytes = Buffer.from(data.subarray(offset, offset + length));
    offset += length;
    return bytes;
  };
  while (offset < data.length) {
    const key = part();
    const value = key === undefined ? undefined : part();
    if (key === undefined || value === undefined) break;
    records.push({ key, value });
  }
  return records;
}

/** Keeps the last record per key, in the order of those last records (what log compaction keeps). */
export function compactChangelog(records: readonly ChangelogRecord[]): ChangelogRecord[] {
  const last = new Map<string, number>();
  records.forEach((r, i) => last.set(r.key === null ? '' : r.key.toString('latin1'), i));
  return [...last.values()].sort((a, b) => a - b).map((i) => records[i] as ChangelogRecord);
}

export class ChangelogFiles {
  readonly #pending = new Map<string, ChangelogRecord[]>();

  constructor(
    private readonly directory: string,
    private readonly applicationId: string,
  ) {}

  fileOf(taskId: string, storeName: string): string {
    return join(this.directory, this.applicationId, taskId, `${storeName}.changelog`);
  }

  /** Reads, compacts (rewriting the file atomically) and returns the records of one store. */
  load(taskId: string, storeName: string): ChangelogRecord[] {
    const file = this.fileOf(taskId, storeName);
    if (!existsSync(file)) return [];
    const records = compactChangelog(decodeChangelogRecords(readFileSync(file)));
    this.replace(taskId, storeName, records);
    return records;
  }

  /** Replaces a store's file with exactly these records, atomically (temp file + rename). */
  replace(taskId: string, storeName: string, records: readonly ChangelogRecord[]): void {
    const file = this.fileOf(taskId, storeName);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, encodeChangelogRecords(records));
    renameSync(`${file}.tmp`, file);
  }

  append(taskId: string, storeName: string, record: ChangelogRecord): void {
    const file = this.fileOf(taskId, storeName);
    let pending = this.#pending.get(file);
    if (pending === undefined) {
      pending = [];
      this.#pending.set(file, pending);
    }
    pending.push(record);
  }

  /** Appends every buffered record to its file. */
  flush(): void {
    for (const [file, records] of this.#pending) {
      if (records.length === 0) continue;
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, encodeChangelogRecords(records));
    }
    this.#pending.clear();
  }

  loadStreamTime(taskId: string): number | undefined {
    const file = join(this.directory, this.applicationId, taskId, 'stream-time');
    if (!existsSync(file)) return undefined;
    const value = Number(readFileSync(file, 'utf8'));
    return Number.isFinite(value) ? value : undefined;
  }

  saveStreamTime(taskId: string, streamTime: number): void {
    const file = join(this.directory, this.applicationId, taskId, 'stream-time');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, String(streamTime));
    renameSync(`${file}.tmp`, file);
  }
}
