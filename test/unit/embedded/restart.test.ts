/**
 * The embedded mode with a data folder is restartable: a second pipeline on the same folder keeps the
 * first one's pseudonyms, keeps an erased subject erased, continues every hash chain (no fork, no
 * repeated sequence; the whole log verifies), and keeps inboxes, notifications and the follow graph.
 * What it writes to disk holds no raw identifier, and the vault and feed snapshots are sealed.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/program.js';
import { PiiScanner } from '../../../connectors/privacy/pii-scanner.js';
import { loadConfig } from '../../../core/config.js';
import { EmbeddedDataFolder } from '../../../embedded/data-folder.js';
import { EmbeddedPipeline } from '../../../embedded/pipeline.js';
import { SUBJECT_KINDS } from '../../../processors/pseudonymization/vault-crypto.js';
import { generateWorkload, type WorkloadUser } from '../../../workload/generator.js';

const USERS = 16;
const PARTITIONS = 3;
const folders: string[] = [];

function freshFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quintet-restart-'));
  folders.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function pseudonymsOf(pipeline: EmbeddedPipeline, users: readonly WorkloadUser[]): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const user of users) out.set(user.id, await pipeline.vault.lookup({ kind: 'user', id: user.id }));
  return out;
}

/** Sequences of each chain in log order. */
function sequencesByPartition(pipeline: EmbeddedPipeline): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const envelope of pipeline.canonicalEnvelopes()) {
    const chain = envelope.chain;
    if (chain === undefined || chain === null) continue;
    out.set(chain.partition, [...(out.get(chain.partition) ?? []), chain.sequence]);
  }
  return out;
}

describe('embedded mode restarted on its data folder', () => {
  it('keeps pseudonyms, erasure, chains, inboxes and notifications across a restart', async () => {
    const dir = freshFolder();
    const config = loadConfig({ env: {} });
    const first = generateWorkload({ events: 400, users: USERS, seed: 3, startMs: Date.now() - 3_600_000 });
    const second = generateWorkload({ events: 250, users: USERS, seed: 4, startMs: Date.now() - 600_000 });
    const erased = first.users.find((u) => u.id === first.erasureSubject) as WorkloadUser;
    const kept = first.users.filter((u) => u.id !== erased.id);

    // Run 1: ingest, erase one subject, checkpoint, stop.
    const run1 = await EmbeddedPipeline.open({ config, partitions: PARTITIONS, dataDir: dir });
    await run1.ingest(first.events);
    const erasedPseudonyms: string[] = [];
    for (const kind of SUBJECT_KINDS) {
      const p = await run1.vault.lookup({ kind, id: erased.id });
      if (p !== undefined) erasedPseudonyms.push(p);
    }
    expect(erasedPseudonyms.length).toBeGreaterThan(0);
    await run1.erase(erased.id);
    await run1.tick(15_000);
    const pseudonyms1 = await pseudonymsOf(run1, kept);
    expect([...pseudonyms1.values()].every((p) => p !== undefined)).toBe(true);
    const reader = pseudonyms1.get((kept[1] as WorkloadUser).id) as string;
    const inbox1 = await run1.feedReader.homeFeed(reader, { limit: 100 });
    expect(inbox1.entries.length).toBeGreaterThan(0);
    const followees1 = await run1.feedReader.stores.graph.followees(reader);
    expect(followees1.length).toBeGreaterThan(0);
    const canonical1 = run1.records(config.topics.canonical).length;
    const notified = [...pseudonyms1.values()] as string[];
    // A reader's seen/read state is kept too: one owner reads everything, another sees one item.
    const owners = [];
    for (const owner of [...pseudonyms1.values()] as string[]) if ((await run1.feedReader.notifications(owner, { limit: 5 })).entries.length > 0) owners.push(owner);
    expect(owners.length).toBeGreaterThan(1);
    await run1.feedReader.markRead(owners[0] as string, { upTo: Date.now() + 86_400_000 });
    const firstItem = (await run1.feedReader.notifications(owners[1] as string, { limit: 1 })).entries[0];
    await run1.feedReader.markSeen(owners[1] as string, { itemId: firstItem?.id as string });
    const counts1 = await Promise.all(owners.map((o) => run1.feedReader.notificationCounts(o)));
    expect(counts1[0]?.unread).toBe(0);
    expect(counts1[1]?.unseen).toBe((counts1[1]?.total ?? 0) - 1);
    const notifications1 = new Map<string, unknown>();
    for (const owner of notified) notifications1.set(owner, await run1.feedReader.notifications(owner, { limit: 50 }));
    expect([...notifications1.values()].some((page) => (page as { entries: unknown[] }).entries.length > 0)).toBe(true);
    expect(run1.verifyChains().intact).toBe(true);
    await run1.close();

    // Run 2 on the same folder: everything is there before any new event.
    const run2 = await EmbeddedPipeline.open({ config, partitions: PARTITIONS, dataDir: dir });
    try {
      expect(await pseudonymsOf(run2, kept)).toEqual(pseudonyms1);
      for (const kind of SUBJECT_KINDS) expect(await run2.vault.lookup({ kind, id: erased.id })).toBeUndefined();
      for (const p of erasedPseudonyms) expect(await run2.vault.reveal(p)).toBeUndefined();
      expect(await run2.feedReader.homeFeed(reader, { limit: 100 })).toEqual(inbox1);
      expect(await run2.feedReader.stores.graph.followees(reader)).toEqual(followees1);
      for (const owner of notified) expect(await run2.feedReader.notifications(owner, { limit: 50 })).toEqual(notifications1.get(owner));
      expect(await Promise.all(owners.map((o) => run2.feedReader.notificationCounts(o)))).toEqual(counts1);
      expect(run2.records(config.topics.canonical)).toHaveLength(canonical1);
      expect(run2.verifyChains().intact).toBe(true);

      // More events: known subjects keep their pseudonyms; the erased one comes back as a new subject.
      await run2.ingest(second.events);
      await run2.tick(15_000);
      expect(await pseudonymsOf(run2, kept)).toEqual(pseudonyms1);
      const returned = await run2.vault.lookup({ kind: 'user', id: erased.id });
      expect(returned).toBeDefined();
      expect(erasedPseudonyms).not.toContain(returned);
      for (const p of erasedPseudonyms) expect(await run2.vault.reveal(p)).toBeUndefined();

      // The inbox kept run 1's items and gained run 2's.
      const inbox2 = await run2.feedReader.homeFeed(reader, { limit: 1_000 });
      const ids2 = new Set(inbox2.entries.map((e) => e.item.id));
      for (const entry of inbox1.entries) expect(ids2.has(entry.item.id)).toBe(true);
      expect(inbox2.entries.length).toBeGreaterThan(inbox1.entries.length);

      // Each chain continues: sequences 0..n-1 in order, once each, across both runs; offsets too.
      const canonical = run2.records(config.topics.canonical);
      expect(canonical.length).toBeGreaterThan(canonical1);
      for (const [partition, sequences] of sequencesByPartition(run2)) {
        expect(sequences, `chain ${partition}`).toEqual(sequences.map((_, i) => i));
        const offsets = canonical.filter((r) => r.partition === partition).map((r) => Number(r.offset));
        expect(offsets).toEqual(offsets.map((_, i) => i));
      }
      const report = run2.verifyChains();
      expect(report).toMatchObject({ intact: true, records: canonical.length, truncation_checked: true });
    } finally {
      await run2.close();
    }

    // On disk: no raw identifier anywhere; the vault and feed snapshots are sealed (no pseudonym in clear).
    const identifiers = first.users.flatMap((u) => [`"${u.id}"`, u.email, u.name, u.ip]);
    const scanner = new PiiScanner(identifiers);
    await scanner.scanFiles([dir]);
    expect(scanner.summary().scanned.fileLines).toBeGreaterThan(0);
    expect(scanner.summary().findings).toEqual([]);
    const sealed = readdirSync(join(dir, 'sealed')).map((name) => readFileSync(join(dir, 'sealed', name), 'utf8'));
    expect(sealed).toHaveLength(2);
    for (const text of sealed) for (const p of notified) expect(text.includes(p)).toBe(false);
  }, 120_000);

  it('cuts a torn last line off a topic file (a kill mid-append), so that the next append starts clean', async () => {
    const dir = freshFolder();
    const pipeline = await EmbeddedPipeline.open({ config: loadConfig({ env: {} }), partitions: 1 });
    const folder = new EmbeddedDataFolder(dir, pipeline.secrets.masterKeys);
    await pipeline.close();
    const record = (offset: number) => ({ topic: 't', partition: 0, offset: String(offset), key: null, value: Buffer.from(`v${offset}`), timestamp: 1, headers: { h: 'x' }, kind: 'sink' as const });
    folder.appendTopic('t', [record(0), record(1)]);
    appendFileSync(join(dir, 'topics', 't.ndjson'), '{"p":0,"o":"2","t":1,"k":nu');
    expect(folder.loadTopic('t').map((r) => r.offset)).toEqual(['0', '1']);
    folder.appendTopic('t', [record(2)]);
    const reloaded = folder.loadTopic('t');
    expect(reloaded.map((r) => [r.offset, r.value?.toString(), r.headers])).toEqual([
      ['0', 'v0', { h: 'x' }],
      ['1', 'v1', { h: 'x' }],
      ['2', 'v2', { h: 'x' }],
    ]);
  });

  it('refuses a data folder written with another partition count, and one sealed under another key', async () => {
    const dir = freshFolder();
    const config = loadConfig({ env: {} });
    const pipeline = await EmbeddedPipeline.open({ config, partitions: 2, dataDir: dir });
    await pipeline.ingest(generateWorkload({ events: 40, users: 4, seed: 1 }).events);
    await pipeline.close();
    await expect(EmbeddedPipeline.open({ config, partitions: 3, dataDir: dir })).rejects.toMatchObject({ code: 'EMBEDDED_DATA_MISMATCH' });

    const other = await EmbeddedPipeline.open({ config, partitions: 2, dataDir: freshFolder() });
    await other.close();
    expect(() => new EmbeddedDataFolder(dir, other.secrets.masterKeys).readSealed('vault')).toThrow(/master key/);
  });

  it('quintet demo --data twice: the second export holds both runs and quintet verify passes', async () => {
    const dir = freshFolder();
    const file = join(dir, 'canonical.ndjson');
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const saved = process.env;
    // The keys the demo keeps in its data folder are the ones `quintet verify` finds through QUINTET_DATA_DIR.
    process.env = { ...process.env, QUINTET_DATA_DIR: join(dir, 'data') };
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      const demo = async (seed: string) => {
        out.length = 0;
        const code = await runCli(['demo', '--events', '200', '--seed', seed, '--partitions', '2', '--data', join(dir, 'data'), '--json', '--export', file]);
        return { code, report: JSON.parse(out.join('')) as { canonical_out: number; resumed?: { canonical: number }; chains: { intact: boolean; records: number } } };
      };
      const one = await demo('1');
      expect(one.code).toBe(0);
      const firstLines = readFileSync(file, 'utf8');
      const two = await demo('2');
      expect(two.code).toBe(0);
      expect(two.report.resumed?.canonical).toBe(one.report.canonical_out);
      expect(two.report.chains).toMatchObject({ intact: true, records: one.report.canonical_out + two.report.canonical_out });
      const both = readFileSync(file, 'utf8');
      expect(both.startsWith(firstLines)).toBe(true);
      out.length = 0;
      const verified = await runCli(['verify', '--in', file, '--checkpoints', `${file}.checkpoints`, '--public-key', `${file}.public-key.pem`]);
      const summary = JSON.parse(out.join('')) as { intact: boolean; records: number };
      expect(verified).toBe(0);
      expect(summary).toMatchObject({ intact: true, records: one.report.canonical_out + two.report.canonical_out });
    } finally {
      process.stdout.write = write;
      process.env = saved;
    }
  }, 120_000);

  it('creates the data folder and its sub-folders readable by their owner only', async () => {
    const dir = join(freshFolder(), 'data');
    const pipeline = await EmbeddedPipeline.open({ config: loadConfig({ env: {} }), partitions: 1, dataDir: dir });
    try {
      await pipeline.ingest(generateWorkload({ events: 20, users: 4, seed: 9 }).events);
    } finally {
      await pipeline.close();
    }
    for (const folder of [dir, join(dir, 'topics'), join(dir, 'state'), join(dir, 'sealed')]) expect(statSync(folder).mode & 0o777).toBe(0o700);
  });
});
