/**
 * The embedded mode's data folder survives SIGKILL at any moment (no services needed; a crash test,
 * hence in this layer): after several runs killed in the middle of their work, a pipeline opened on the
 * folder finds every chain intact (no fork, no gap, no repeated sequence), every pseudonym the saved log
 * names still in the saved vault with every field its tokens point to, no subject with two pseudonyms,
 * and it carries on. Where a kill lands is random, so this shows the absence of a failure only for the
 * moments it happened to hit.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.js';
import { EmbeddedPipeline } from '../../../embedded/pipeline.js';
import { generateWorkload } from '../../../workload/generator.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'quintet-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child until it has reported `batches` batches, then kills it a random moment later. */
function runAndKill(seed: number, batches: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['--import', 'tsx', 'test/integration/product/fixtures/ingest-until-killed.ts', dir, String(seed)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').filter((l) => l.startsWith('batch ')).length >= batches && child.exitCode === null && !child.killed) {
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 150));
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child ended with ${code ?? signal}: ${err.slice(-2_000)}`))));
  });
}

describe('embedded data folder under SIGKILL', () => {
  it('keeps chains and pseudonyms consistent across killed runs', async () => {
    for (const [seed, batches] of [[1, 2], [2, 4], [3, 3], [4, 5]] as const) await runAndKill(seed, batches);

    const config = loadConfig({ env: {} });
    const pipeline = await EmbeddedPipeline.open({ config, partitions: 2, dataDir: dir });
    try {
      const before = pipeline.records(config.topics.canonical).length;
      expect(before).toBeGreaterThan(0);
      expect(pipeline.verifyChains()).toMatchObject({ intact: true, records: before });

      // Every token in the log resolves: its pseudonym is in the vault, with that field.
      const tokens = new Map<string, Set<string>>();
      for (const envelope of pipeline.canonicalEnvelopes()) {
        for (const [, pseudonym, field] of JSON.stringify(envelope.event).matchAll(/pii:(ps_[a-z2-7]{26}):([a-z2-7]{20})/g)) {
          tokens.set(pseudonym as string, (tokens.get(pseudonym as string) ?? new Set()).add(field as string));
        }
      }
      expect(tokens.size).toBeGreaterThan(0);
      for (const [pseudonym, fields] of tokens) {
        const revealed = await pipeline.vault.reveal(pseudonym);
        expect(revealed, pseudonym).toBeDefined();
        const stored = new Set(revealed?.values.map((v) => v.fieldId));
        for (const field of fields) expect(stored.has(field)).toBe(true);
      }
      // One pseudonym per subject, however many runs: no two pseudonyms of the log reveal the same subject.
      const actors = new Set(pipeline.canonicalEnvelopes().flatMap((e) => (e.event.actor.pseudonym === undefined ? [] : [e.event.actor.pseudonym])));
      const owners = new Map<string, string>();
      for (const pseudonym of new Set([...actors, ...tokens.keys()])) {
        const revealed = await pipeline.vault.reveal(pseudonym);
        expect(revealed, pseudonym).toBeDefined();
        const subject = JSON.stringify(revealed?.subject);
        expect(owners.get(subject), 'a subject with two pseudonyms').toBeUndefined();
        owners.set(subject, pseudonym);
      }
      expect(owners.size).toBeGreaterThan(12);

      await pipeline.ingest(generateWorkload({ events: 60, users: 12, seed: 99, startMs: Date.now() - 60_000 }).events);
      await pipeline.tick(15_000);
      expect(pipeline.verifyChains()).toMatchObject({ intact: true });
      expect(pipeline.records(config.topics.canonical).length).toBeGreaterThan(before);
    } finally {
      await pipeline.close();
    }
  }, 180_000);
});
