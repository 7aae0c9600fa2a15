/**
 * The embedded default end to end: every topology in one process, no services. The report must agree
 * with the workload that was generated, the chains must verify, and the erasure must leave no trace.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/program.js';
import { loadConfig } from '../../../core/config.js';
import { runDemo } from '../../../embedded/demo.js';
import { generateWorkload } from '../../../workload/generator.js';

const EVENTS = 600;

describe('quintet demo (embedded pipeline)', () => {
  it('reports numbers consistent with the generated workload, intact chains and a complete erasure', async () => {
    const config = loadConfig({ env: {} });
    const { report, pipeline } = await runDemo({ config, events: EVENTS, seed: 11, partitions: 3 });
    try {
      const workload = generateWorkload({ events: EVENTS, seed: 11 });
      expect(report.events_in).toBe(EVENTS);
      expect(report.generated_by_kind).toEqual(workload.expected);
      // Every generated invalid event is dead-lettered, every valid one becomes exactly one canonical event,
      // and the erasure appends one chained privacy.subject.erased event.
      expect(report.dead_lettered).toBe(workload.expected.invalid);
      expect(report.canonical_out).toBe(EVENTS - workload.expected.invalid + 1);
      expect(Object.keys(report.dead_lettered_by_reason).length).toBeGreaterThan(0);
      expect(report.chains).toMatchObject({ intact: true, partitions: 3, records: report.canonical_out, truncation_checked: true });
      expect(report.chains.checkpoints_valid).toBeGreaterThanOrEqual(3);
      expect(report.sample_feed.items.length).toBeGreaterThan(0);
      expect(report.sample_notification?.text).toMatch(/^ps_\S+( and \d+ others?)? liked your post post-/);
      const names = report.dashboards.map((d) => d.dashboard);
      expect(names).toContain('events-per-minute');
      const perMinute = report.dashboards.find((d) => d.dashboard === 'events-per-minute');
      const total = (perMinute?.rows ?? []).reduce((sum, row) => sum + Number(row.events), 0);
      expect(total).toBe(report.canonical_out);
      expect(report.erasure).toMatchObject({
        pseudonyms_resolve_to_nothing: true,
        raw_identifiers_found: { canonical_log: 0, checkpoints: 0, dead_letters: 0, analytics: 0 },
        inbox_items_by_subject: 0,
        notifications_naming_subject: 0,
        subject_inbox_items: 0,
        erased_event_chained: true,
        passed: true,
      });
    } finally {
      await pipeline.close();
    }
  }, 180_000);

  it('exports a log that quintet verify checks offline, and detects a modified line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quintet-demo-'));
    const file = join(dir, 'canonical.ndjson');
    const env = { ...process.env, QUINTET_DATA_DIR: join(dir, 'data') };
    const saved = process.env;
    process.env = env;
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    const verify = async (input: string) => {
      out.length = 0;
      const code = await runCli(['verify', '--in', input, '--checkpoints', `${file}.checkpoints`, '--public-key', `${file}.public-key.pem`]);
      return { code, summary: JSON.parse(out.join('')) as { intact: boolean; breaks: { kind: string; partition: number }[] } };
    };
    try {
      expect(await runCli(['demo', '--events', '300', '--json', '--export', file])).toBe(0);
      const report = JSON.parse(out.join('')) as { canonical_out: number };
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(report.canonical_out);

      const intact = await verify(file);
      expect(intact.code).toBe(0);
      expect(intact.summary.intact).toBe(true);

      // Tamper with one event: the chain must name the break.
      const victim = JSON.parse(lines[5] as string) as { partition: number; event: { action: { name: string } } };
      victim.event.action.name = 'billing.invoice.deleted';
      const tampered = join(dir, 'tampered.ndjson');
      writeFileSync(tampered, `${[...lines.slice(0, 5), JSON.stringify(victim), ...lines.slice(6)].join('\n')}\n`);
      const broken = await verify(tampered);
      expect(broken.code).toBe(1);
      expect(broken.summary.intact).toBe(false);
      expect(broken.summary.breaks[0]).toMatchObject({ kind: 'modified', partition: victim.partition });
    } finally {
      process.stdout.write = write;
      process.env = saved;
    }
  }, 180_000);
});
