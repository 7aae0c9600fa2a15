/**
 * `quintet archive --out DIR [--in EXPORT.ndjson] [--checkpoints FILE] [--range day|hour] [--before T]`:
 * the cold tier of design Part 6.2. Writes the closed time ranges of the canonical log, with their
 * chain fields and the signed checkpoints that fall inside them, as gzip-compressed NDJSON in the
 * export format of docs/hash-chain.md, named by range and SHA-256, plus one immutable manifest per range:
 *
 *   DIR/<topic>/year=2026/month=11/day=28/<topic>_20261128T000000Z_20261129T000000Z_<sha256>.ndjson.gz
 *   DIR/<topic>/year=2026/month=11/day=28/<topic>_20261128T000000Z_20261129T000000Z_<sha256>.checkpoints.ndjson.gz
 *   DIR/<topic>/manifests/<topic>_20261128T000000Z_20261129T000000Z_<sha256>.json
 *
 * Every object is written once and never rewritten (WORM-friendly: an S3 bucket with Object Lock in
 * compliance mode takes these keys as they are; see docs/analytics.md). Re-running resumes after the
 * last archived offset of each partition, read from the manifests. `quintet archive --check --out DIR`
 * recomputes every hash listed in the manifests.
 *
 * Source: an export file (`quintet export --topic <canonical>`), or the canonical topic itself.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { QuintetError } from '../../core/errors.js';
import { ArchiveSegmenter, type ArchivedPartition, type ClosedRange, type PartitionProgress } from '../../processors/analytics/archive-segmenter.js';
import type { ChainCheckpoint } from '../../processors/chain/checkpoint.js';
import { exportLine, parseCheckpointLine, parseRecordLine, type ExportedCheckpoint } from '../../processors/chain/export-format.js';
import { configFor } from '../context.js';
import { exportTopic } from './export.js';

export const ARCHIVE_FORMAT = 'quintet-archive/1';
const RANGES: Readonly<Record<string, number>> = { hour: 3_600_000, day: 86_400_000 };

export interface ArchiveFile {
  readonly path: string;
  readonly kind: 'canonical' | 'checkpoints';
  readonly records: number;
  readonly bytes: number;
  /** SHA-256 of the uncompressed NDJSON (named in the file name). */
  readonly sha256_content: string;
  /** SHA-256 of the stored .gz object (what an object store's checksum covers). */
  readonly sha256_file: string;
}

export interface ArchiveManifest {
  readonly format: typeof ARCHIVE_FORMAT;
  readonly topic: string;
  readonly range: { readonly from: string; readonly to: string };
  readonly created_at: string;
  readonly files: readonly ArchiveFile[];
  readonly partitions: readonly ArchivedPartition[];
}

const compact = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

function safeTopic(topic: string): string {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw new QuintetError('ARCHIVE_INVALID', 'topic name must be a Kafka topic name');
  return topic;
}

/** Reads every manifest under DIR/<topic>/manifests. */
export function readManifests(outDir: string, topic: string): ArchiveManifest[] {
  const dir = join(outDir, safeTopic(topic), 'manifests');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ArchiveManifest);
}

/** Per partition, the last archived offset and range: where the next run resumes. */
export function archiveProgress(manifests: readonly ArchiveManifest[]): Map<number, PartitionProgress> {
  const progress = new Map<number, PartitionProgress>();
  for (const manifest of manifests) {
    const rangeStart = Date.parse(manifest.range.from);
    for (const p of manifest.partitions) {
      const known = progress.get(p.partition);
      if (known?.lastOffset === undefined || BigInt(p.last_offset) > BigInt(known.lastOffset)) {
        progress.set(p.partition, { lastOffset: p.last_offset, lastRangeStartMs: Math.max(rangeStart, known?.lastRangeStartMs ?? rangeStart) });
      }
    }
  }
  return progress;
}

function writeOnce(path: string, data: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  // `wx`: an archive object is never overwritten; the same content has the same name, so a rerun
  // that produced it already finds it and leaves it as it is.
  if (existsSync(path)) return;
  writeFileSync(path, data, { flag: 'wx' });
}

/** Writes one closed range (records, its checkpoints, its manifest); returns the manifest. */
export function writeRange(outDir: string, topic: string, range: ClosedRange, checkpoints: readonly ChainCheckpoint[], now = new Date()): ArchiveManifest {
  const base = join(outDir, safeTopic(topic));
  const from = new Date(range.fromMs);
  const folder = join(base, `year=${from.getUTCFullYear()}`, `month=${String(from.getUTCMonth() + 1).padStart(2, '0')}`, `day=${String(from.getUTCDate()).padStart(2, '0')}`);
  const stem = `${topic}_${compact(range.fromMs)}_${compact(range.toMs)}`;
  const files: ArchiveFile[] = [];
  const store = (kind: ArchiveFile['kind'], lines: readonly string[]): string => {
    const content = lines.join('');
    const contentHash = sha256(content);
    const gz = gzipSync(Buffer.from(content, 'utf8'), { level: 9 });
    const path = join(folder, `${stem}_${contentHash}${kind === 'checkpoints' ? '.checkpoints' : ''}.ndjson.gz`);
    writeOnce(path, gz);
    files.push({ path: relative(outDir, path), kind, records: lines.length, bytes: gz.length, sha256_content: contentHash, sha256_file: sha256(gz) });
    return contentHash;
  };
  const canonicalHash = store('canonical', range.records.map((r) => exportLine(r)));
  // The checkpoints that fall inside this range: verify --checkpoints then also detects truncation.
  const inside = checkpoints.filter((c) =>
    range.partitions.some((p) => p.partition === c.partition && p.first_sequence !== null && p.last_sequence !== null && c.sequence >= p.first_sequence && c.sequence <= p.last_sequence),
  );
  if (inside.length > 0) {
    store(
      'checkpoints',
      inside.map((checkpoint) => exportLine({ topic: checkpoint.topic, partition: checkpoint.partition, offset: '-1', checkpoint } satisfies ExportedCheckpoint)),
    );
  }
  const manifest: ArchiveManifest = {
    format: ARCHIVE_FORMAT,
    topic,
    range: { from: from.toISOString(), to: new Date(range.toMs).toISOString() },
    created_at: now.toISOString(),
    files,
    partitions: range.partitions,
  };
  writeOnce(join(base, 'manifests', `${stem}_${canonicalHash}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export interface ArchiveOptions {
  readonly outDir: string;
  readonly topic: string;
  readonly rangeMs: number;
  /** Ranges ending at or before this instant are archived. */
  readonly cutoffMs: number;
  readonly checkpoints?: readonly ChainCheckpoint[];
}

/** Archives from an async source of export lines (file or topic); returns the manifests written. */
export async function archive(lines: AsyncIterable<string>, options: ArchiveOptions): Promise<{ manifests: ArchiveManifest[]; skipped: number; malformed: number }> {
  const segmenter = new ArchiveSegmenter(options.rangeMs, options.cutoffMs, archiveProgress(readManifests(options.outDir, options.topic)));
  let malformed = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const record = parseRecordLine(line);
    if (record === undefined || (record.topic !== '' && record.topic !== options.topic)) malformed += 1;
    else segmenter.add(record);
  }
  const manifests = segmenter.closedRanges().map((range) => writeRange(options.outDir, options.topic, range, options.checkpoints ?? []));
  return { manifests, skipped: segmenter.skipped, malformed };
}

/** Recomputes every hash listed in the manifests; returns the files that are missing or differ. */
export function checkArchive(outDir: string, topic: string): { files: number; problems: string[] } {
  const problems: string[] = [];
  let files = 0;
  for (const manifest of readManifests(outDir, topic)) {
    for (const file of manifest.files) {
      files += 1;
      const path = join(outDir, file.path);
      if (!existsSync(path)) {
        problems.push(`${file.path}: missing`);
        continue;
      }
      const gz = readFileSync(path);
      if (sha256(gz) !== file.sha256_file) problems.push(`${file.path}: file hash differs from the manifest`);
      else if (sha256(gunzipSync(gz)) !== file.sha256_content) problems.push(`${file.path}: content hash differs from the manifest`);
    }
  }
  return { files, problems };
}

async function* fileLines(path: string): AsyncIterable<string> {
  const input = path.endsWith('.gz') ? createReadStream(path).pipe((await import('node:zlib')).createGunzip()) : createReadStream(path);
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) yield line;
}

async function readCheckpoints(path: string): Promise<ChainCheckpoint[]> {
  const checkpoints: ChainCheckpoint[] = [];
  for await (const line of fileLines(path)) {
    if (line.trim() === '') continue;
    const checkpoint = parseCheckpointLine(line);
    if (checkpoint === undefined) throw new QuintetError('CHECKPOINT_INVALID', `${path} holds a line that is not a checkpoint`);
    checkpoints.push(checkpoint);
  }
  return checkpoints;
}

function parseCutoff(raw: string | undefined, rangeMs: number): number {
  if (raw === undefined) return Math.floor(Date.now() / rangeMs) * rangeMs; // up to the start of the current range
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) throw new QuintetError('OPTION_INVALID', '--before must be an ISO-8601 time');
  return ms;
}

interface ArchiveCliOptions {
  out: string;
  in?: string;
  checkpoints?: string;
  topic?: string;
  range: string;
  before?: string;
  check?: boolean;
}

export function register(program: Command): void {
  program
    .command('archive')
    .description('Cold tier: write closed time ranges of the canonical log (chain fields, checkpoints) as gzip NDJSON named by range and SHA-256, with manifests')
    .requiredOption('--out <dir>', 'archive folder (object-store-style layout)')
    .option('--in <file>', 'export file (quintet export; .gz accepted) instead of reading the canonical topic')
    .option('--checkpoints <file>', 'checkpoints export to include (default with Kafka: the checkpoints topic)')
    .option('--topic <name>', 'canonical topic (default: topics.canonical)')
    .option('--range <size>', 'range size: hour or day', 'day')
    .option('--before <time>', 'archive ranges ending at or before this time (default: start of the current range)')
    .option('--check', 'verify the hashes of an existing archive instead of writing')
    .action(async (options: ArchiveCliOptions, command: Command) => {
      const config = configFor(command);
      const topic = options.topic ?? config.topics.canonical;
      if (options.check === true) {
        const result = checkArchive(options.out, topic);
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        process.exitCode = result.problems.length === 0 ? 0 : 1;
        return;
      }
      const rangeMs = RANGES[options.range];
      if (rangeMs === undefined) throw new QuintetError('OPTION_INVALID', '--range must be hour or day');
      let checkpoints: ChainCheckpoint[] = [];
      let lines: AsyncIterable<string>;
      if (options.in !== undefined) {
        lines = fileLines(options.in);
        if (options.checkpoints !== undefined) checkpoints = await readCheckpoints(options.checkpoints);
      } else {
        // Kafka: export both topics first (bounded by their end offsets at start), then cut ranges.
        const collected: string[] = [];
        await exportTopic(config, topic, (line) => {
          collected.push(line);
        });
        if (options.checkpoints !== undefined) checkpoints = await readCheckpoints(options.checkpoints);
        else {
          await exportTopic(config, config.topics.checkpoints, (line) => {
            const checkpoint = parseCheckpointLine(line);
            if (checkpoint !== undefined && checkpoint.topic === topic) checkpoints.push(checkpoint);
          }).catch(() => undefined); // no checkpoints topic yet: archive without checkpoints
        }
        lines = (async function* () {
          yield* collected;
        })();
      }
      const result = await archive(lines, { outDir: options.out, topic, rangeMs, cutoffMs: parseCutoff(options.before, rangeMs), checkpoints });
      process.stdout.write(
        `${JSON.stringify({ ranges: result.manifests.map((m) => ({ ...m.range, files: m.files.map((f) => f.path) })), alreadyArchived: result.skipped, malformed: result.malformed }, null, 2)}\n`,
      );
    });
}
