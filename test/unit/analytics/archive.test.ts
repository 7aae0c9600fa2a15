/**
 * The cold-tier archive: closed ranges written as gzip NDJSON in the export format, resumable, with
 * manifests whose hashes detect tampering, and whose content the chain verifier accepts.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { archive, checkArchive, readManifests } from '../../../cli/commands/archive.js';
import { syntheticEvents } from '../../../processors/analytics/synthetic-events.js';
import { ChainKeyRing } from '../../../processors/chain/chain-hash.js';
import { ChainVerifier } from '../../../processors/chain/chain-verifier.js';
import { CheckpointSigner, type ChainCheckpoint } from '../../../processors/chain/checkpoint.js';
import { exportLine, parseRecordLine, type ExportedRecord } from '../../../processors/chain/export-format.js';
import { HashChainer, MemoryChainHeadStore } from '../../../processors/chain/hash-chainer.js';

const TOPIC = 'quintet.canonical';
const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 20);

function chainedLog() {
  const keys = new ChainKeyRing('k1', new Map([['k1', randomBytes(32)]]));
  const heads = new MemoryChainHeadStore();
  const chainer = new HashChainer(keys, heads);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signer = new CheckpointSigner(privateKey);
  const byPartition: ExportedRecord[][] = [[], []];
  const checkpoints: ChainCheckpoint[] = [];
  // Events observed in time order over four days; one late timestamp in partition 1.
  const events = [...syntheticEvents({ count: 400, startMs: START, spanMs: 4 * DAY, seed: 9 })].sort((a, b) => a.observed_timestamp.localeCompare(b.observed_timestamp));
  events.forEach((event, i) => {
    const partition = i % 2;
    const late = partition === 1 && i === 251 ? { ...event, observed_timestamp: new Date(START).toISOString() } : event;
    const link = chainer.append(partition, late);
    if (link.kind !== 'ok') throw new Error('chain failed');
    const records = byPartition[partition] as ExportedRecord[];
    records.push({ topic: TOPIC, partition, offset: String(records.length), event: late, chain: link.value });
    if (records.length % 50 === 0) checkpoints.push(signer.sign(TOPIC, partition, chainer.head(partition) as never, new Date(Date.parse(late.observed_timestamp))));
  });
  const lines = byPartition.flat().map((r) => exportLine(r));
  return { keys, publicKey, checkpoints, lines, total: events.length };
}

async function* iterate(lines: readonly string[]): AsyncIterable<string> {
  yield* lines;
}

function gunzipLines(path: string): string[] {
  return gunzipSync(readFileSync(path)).toString('utf8').split('\n').filter((l) => l !== '');
}

describe('canonical log archive', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('writes closed ranges once, resumes where it stopped, and the chain verifier accepts the result', async () => {
    const out = mkdtempSync(join(tmpdir(), 'quintet-archive-'));
    dirs.push(out);
    const log = chainedLog();

    const first = await archive(iterate(log.lines), { outDir: out, topic: TOPIC, rangeMs: DAY, cutoffMs: START + 2 * DAY, checkpoints: log.checkpoints });
    expect(first.manifests.map((m) => m.range.from)).toEqual([new Date(START).toISOString(), new Date(START + DAY).toISOString()]);
    const archivedFirst = first.manifests.reduce((n, m) => n + (m.files.find((f) => f.kind === 'canonical')?.records ?? 0), 0);

    // Same data, later cutoff: only the newly closed ranges are written; nothing twice, nothing lost.
    const second = await archive(iterate(log.lines), { outDir: out, topic: TOPIC, rangeMs: DAY, cutoffMs: START + 10 * DAY, checkpoints: log.checkpoints });
    expect(second.skipped).toBe(archivedFirst);
    const manifests = readManifests(out, TOPIC).sort((a, b) => a.range.from.localeCompare(b.range.from));
    expect(manifests).toHaveLength(4);
    expect(manifests.reduce((n, m) => n + (m.files.find((f) => f.kind === 'canonical')?.records ?? 0), 0)).toBe(log.total);
    for (const file of manifests.flatMap((m) => m.files)) {
      expect(file.path).toMatch(/^quintet\.canonical\/year=2026\/month=11\/day=\d{2}\/quintet\.canonical_\d{8}T000000Z_\d{8}T000000Z_[0-9a-f]{64}(\.checkpoints)?\.ndjson\.gz$/);
    }

    // Consecutive archives link: each range starts where the previous one of the partition ended.
    for (let i = 1; i < manifests.length; i += 1) {
      for (const p of (manifests[i] as (typeof manifests)[number]).partitions) {
        const before = manifests.slice(0, i).flatMap((m) => m.partitions.filter((q) => q.partition === p.partition)).pop();
        expect(p.first_previous_hash).toBe(before?.last_hash);
        expect(BigInt(p.first_offset)).toBe(BigInt(before?.last_offset ?? '-1') + 1n);
      }
    }

    // The verifier (docs/hash-chain.md) accepts the archived lines: the first range alone, and all in order.
    const canonicalOf = (m: (typeof manifests)[number]) => gunzipLines(join(out, m.files.find((f) => f.kind === 'canonical')?.path as string));
    const checkpointsOf = (m: (typeof manifests)[number]) => {
      const file = m.files.find((f) => f.kind === 'checkpoints');
      return file === undefined ? [] : gunzipLines(join(out, file.path)).map((l) => (JSON.parse(l) as { checkpoint: ChainCheckpoint }).checkpoint);
    };
    const verify = (ms: typeof manifests) => {
      const verifier = new ChainVerifier(log.keys, ms.flatMap(checkpointsOf), [log.publicKey]);
      for (const line of ms.flatMap(canonicalOf)) verifier.add(parseRecordLine(line) as ExportedRecord);
      return verifier.report();
    };
    expect(verify(manifests.slice(0, 1)).intact).toBe(true);
    const all = verify(manifests);
    expect(all.intact).toBe(true);
    expect(all.records).toBe(log.total);
    expect(manifests.some((m) => checkpointsOf(m).length > 0)).toBe(true);
    expect(checkArchive(out, TOPIC)).toEqual({ files: manifests.reduce((n, m) => n + m.files.length, 0), problems: [] });
  });

  it('detects a rewritten archive file by its manifest hash and by the chain', async () => {
    const out = mkdtempSync(join(tmpdir(), 'quintet-archive-'));
    dirs.push(out);
    const log = chainedLog();
    const { manifests } = await archive(iterate(log.lines), { outDir: out, topic: TOPIC, rangeMs: DAY, cutoffMs: START + DAY });
    const file = manifests[0]?.files[0];
    const path = join(out, file?.path as string);
    const lines = gunzipLines(path);
    const tampered = lines.map((line, i) => (i === 3 ? line.replace(/"action":\{"name":"[^"]+"/, '"action":{"name":"billing.invoice.refunded"') : line));
    expect(tampered[3]).not.toBe(lines[3]);
    writeFileSync(path, gzipSync(`${tampered.join('\n')}\n`));
    expect(checkArchive(out, TOPIC).problems).toEqual([`${file?.path}: file hash differs from the manifest`]);
    const verifier = new ChainVerifier(log.keys);
    for (const line of tampered) verifier.add(parseRecordLine(line) as ExportedRecord);
    const report = verifier.report();
    expect(report.intact).toBe(false);
    expect(report.breaks[0]?.kind).toBe('modified');
  });
});
