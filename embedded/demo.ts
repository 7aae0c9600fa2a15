/**
 * `quintet demo`: the whole pipeline in one process on a realistic generated workload (or NDJSON input),
 * ending with a report that a newcomer can check against what was generated: events in, canonical
 * out, dead letters by reason, the chains verified, a sample feed and notification, the dashboards,
 * and an erasure shown to have removed the subject everywhere.
 */
import type { QuintetConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { DashboardResult } from '../processors/analytics/dashboards.js';
import type { VerificationReport } from '../processors/chain/chain-verifier.js';
import { SUBJECT_KINDS } from '../processors/pseudonymization/vault-crypto.js';
import type { CanonicalEvent } from '../schemas/canonical-event.js';
import { generateWorkload, type Workload, type WorkloadUser } from '../workload/generator.js';
import { EmbeddedPipeline, type RawInput } from './pipeline.js';

export interface DemoOptions {
  readonly config: QuintetConfig;
  /** Generated workload size (ignored when `input` is given). */
  readonly events: number;
  readonly seed: number;
  /** Raw records to ingest instead of a generated workload (NDJSON lines). */
  readonly input?: readonly RawInput[];
  /** Subject to erase at the end (default: the generated workload's erasure subject). */
  readonly eraseSubject?: string;
  readonly partitions?: number;
  readonly dataDir?: string;
  /** Keep generated keys here (so that an exported log can be verified later). */
  readonly keysDir?: string;
  readonly batchSize?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly logger?: Logger;
}

export interface ErasureCheck {
  readonly subject_pseudonyms: number;
  readonly pseudonyms_resolve_to_nothing: boolean;
  readonly raw_identifiers_found: { readonly canonical_log: number; readonly checkpoints: number; readonly dead_letters: number; readonly analytics: number };
  readonly inbox_items_by_subject: number;
  readonly notifications_naming_subject: number;
  readonly subject_inbox_items: number;
  readonly erased_event_chained: boolean;
  readonly passed: boolean;
}

export interface DemoReport {
  readonly events_in: number;
  readonly generated_by_kind?: Readonly<Record<string, number>>;
  /** Canonical events and dead letters of this run (with `--data`, earlier runs' are in `resumed`). */
  readonly canonical_out: number;
  readonly dead_lettered: number;
  /** With a data folder that earlier runs wrote to: what they left, which this run continued. */
  readonly resumed?: { readonly canonical: number; readonly dead_lettered: number };
  readonly dead_lettered_by_reason: Readonly<Record<string, number>>;
  readonly chains: { readonly intact: boolean; readonly partitions: number; readonly records: number; readonly checkpoints_valid: number; readonly truncation_checked: boolean };
  readonly sample_feed: { readonly reader: string; readonly items: ReadonlyArray<{ readonly time: string; readonly actor: string; readonly action: string; readonly entity: string }> };
  readonly sample_notification: { readonly owner: string; readonly text: string; readonly count: number; readonly unread: number } | null;
  readonly dashboards: readonly DashboardResult[];
  readonly erasure: ErasureCheck | null;
  readonly keys: string;
  readonly seconds: number;
  readonly events_per_second: number;
}

const short = (pseudonym: string): string => (pseudonym.length > 14 ? `${pseudonym.slice(0, 12)}…` : pseudonym);

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[keyOf(item)] = (counts[keyOf(item)] ?? 0) + 1;
  return counts;
}

function occurrences(haystack: string, needles: readonly string[]): number {
  let found = 0;
  for (const needle of needles) if (needle !== '' && haystack.includes(needle)) found += 1;
  return found;
}

export async function runDemo(options: DemoOptions): Promise<{ report: DemoReport; pipeline: EmbeddedPipeline; canonical: CanonicalEvent[] }> {
  const started = performance.now();
  const spacingMs = 250;
  const workload: Workload | undefined =
    options.input === undefined ? generateWorkload({ events: options.events, seed: options.seed, spacingMs, startMs: Date.now() - options.events * spacingMs - 60_000 }) : undefined;
  const records: readonly RawInput[] = options.input ?? (workload as Workload).events;
  const pipeline = await EmbeddedPipeline.open({
    config: options.config,
    ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.keysDir === undefined ? {} : { keysDir: options.keysDir }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const earlier = { canonical: pipeline.records(options.config.topics.canonical).length, deadLetters: pipeline.deadLetters().length };
  const batchSize = options.batchSize ?? 1_000;
  for (let i = 0; i < records.length; i += batchSize) {
    await pipeline.ingest(records.slice(i, i + batchSize));
    options.onProgress?.(Math.min(i + batchSize, records.length), records.length);
  }
  const ingestSeconds = (performance.now() - started) / 1000;

  // The erasure subject and its identifiers, captured before erasure so that we can look for them after.
  const subjectId = options.eraseSubject ?? workload?.erasureSubject;
  const subjectUser: WorkloadUser | undefined = workload?.users.find((u) => u.id === subjectId);
  const subjectPseudonyms: string[] = [];
  if (subjectId !== undefined) {
    for (const kind of SUBJECT_KINDS) {
      const pseudonym = await pipeline.vault.lookup({ kind, id: subjectId });
      if (pseudonym !== undefined) subjectPseudonyms.push(pseudonym);
    }
    await pipeline.erase(subjectId);
  }
  // Close the analytics micro-batches and write a checkpoint of every chain head.
  await pipeline.tick(15_000);

  const canonical = pipeline.canonicalEnvelopes().map((e) => e.event);
  const deadLetters = pipeline.deadLetters().slice(earlier.deadLetters);
  const verification: VerificationReport = pipeline.verifyChains();

  const sampleFeed = await sampleInbox(pipeline, canonical, subjectPseudonyms);
  const sampleNotification = await busiestNotification(pipeline, canonical, subjectPseudonyms);
  const dashboards: DashboardResult[] = [];
  for (const dashboard of pipeline.dashboards.list()) {
    const parameters: Record<string, string> = { from: 'now-7d', to: 'now' };
    if (dashboard.parameters.some((p) => p.name === 'action' && p.defaultValue === undefined)) parameters.action = 'social.post.created';
    dashboards.push(await pipeline.dashboards.run(dashboard.name, parameters));
  }

  const erasure = subjectId === undefined ? null : await checkErasure(pipeline, canonical, subjectId, subjectUser, subjectPseudonyms);
  const seconds = (performance.now() - started) / 1000;
  const report: DemoReport = {
    events_in: records.length,
    ...(workload === undefined ? {} : { generated_by_kind: workload.expected }),
    canonical_out: canonical.length - earlier.canonical,
    dead_lettered: deadLetters.length,
    ...(earlier.canonical + earlier.deadLetters === 0 ? {} : { resumed: { canonical: earlier.canonical, dead_lettered: earlier.deadLetters } }),
    dead_lettered_by_reason: countBy(deadLetters, (d) => String(d.headers['quintet.dlq.code'] ?? 'UNKNOWN')),
    chains: {
      intact: verification.intact,
      partitions: verification.partitions.length,
      records: verification.records,
      checkpoints_valid: verification.checkpoints.valid,
      truncation_checked: verification.truncation_checked,
    },
    sample_feed: sampleFeed,
    sample_notification: sampleNotification,
    dashboards,
    erasure,
    keys: pipeline.secrets.origin,
    seconds: Math.round(seconds * 100) / 100,
    events_per_second: Math.round(records.length / ingestSeconds),
  };
  return { report, pipeline, canonical };
}

/** The inbox of the most-followed reader that is not the erased subject. */
async function sampleInbox(pipeline: EmbeddedPipeline, canonical: readonly CanonicalEvent[], erased: readonly string[]): Promise<DemoReport['sample_feed']> {
  const followers = countBy(
    canonical.filter((e) => e.action.name === 'social.user.followed' && e.actor.pseudonym !== undefined && !erased.includes(e.actor.pseudonym)),
    (e) => e.actor.pseudonym as string,
  );
  const reader = Object.keys(followers)[0];
  if (reader === undefined) return { reader: '', items: [] };
  const page = await pipeline.feedReader.homeFeed(reader, { limit: 5 });
  return {
    reader,
    items: page.entries.map((entry) => ({
      time: new Date(entry.position.score).toISOString(),
      actor: entry.item.actor,
      action: entry.item.action,
      entity: `${entry.item.entity?.type ?? ''}:${entry.item.entity?.id ?? ''}`,
    })),
  };
}

/** The notification with the most likes, as the owner would see it. */
async function busiestNotification(pipeline: EmbeddedPipeline, canonical: readonly CanonicalEvent[], erased: readonly string[]): Promise<DemoReport['sample_notification']> {
  const owners = new Set<string>();
  for (const e of canonical) {
    const owner = e.entity?.details?.owner_pseudonym;
    if (e.action.name === 'social.post.liked' && typeof owner === 'string' && !erased.includes(owner)) owners.add(owner);
  }
  let best: DemoReport['sample_notification'] = null;
  for (const owner of owners) {
    const page = await pipeline.feedReader.notifications(owner, { limit: 50 });
    for (const n of page.entries) {
      if (best !== null && n.count <= best.count) continue;
      const [first, ...rest] = n.actors;
      const others = n.count - 1;
      const text = `${short(first ?? '?')}${others > 0 ? ` and ${others} other${others === 1 ? '' : 's'}` : ''} liked your ${n.target.type} ${n.target.id}`;
      const counts = await pipeline.feedReader.notificationCounts(owner);
      best = { owner, text, count: n.count, unread: counts.unread };
      void rest;
    }
  }
  return best;
}

async function checkErasure(
  pipeline: EmbeddedPipeline,
  canonical: readonly CanonicalEvent[],
  subjectId: string,
  user: WorkloadUser | undefined,
  pseudonyms: readonly string[],
): Promise<ErasureCheck> {
  const identifiers = [`"${subjectId}"`, ...(user === undefined ? [] : [user.email, user.name, user.ip])];
  const topics = pipeline.config.topics;
  const text = (records: readonly { value: Buffer | null; key: Buffer | null }[]) => records.map((r) => `${r.key?.toString('utf8') ?? ''}${r.value?.toString('utf8') ?? ''}`).join('\n');
  let resolvable = 0;
  for (const pseudonym of pseudonyms) if ((await pipeline.vault.reveal(pseudonym)) !== undefined) resolvable += 1;
  for (const kind of SUBJECT_KINDS) if ((await pipeline.vault.lookup({ kind, id: subjectId })) !== undefined) resolvable += 1;

  // Every reader that followed someone: none of their inboxes may still hold an item by the subject.
  const readers = new Set(canonical.filter((e) => e.action.name === 'social.user.followed').map((e) => e.actor.pseudonym as string));
  let inboxItems = 0;
  let notificationsNaming = 0;
  for (const reader of readers) {
    const page = await pipeline.feedReader.homeFeed(reader, { limit: 200 });
    inboxItems += page.entries.filter((entry) => pseudonyms.includes(entry.item.actor)).length;
    const notes = await pipeline.feedReader.notifications(reader, { limit: 200 });
    notificationsNaming += notes.entries.filter((n) => n.actors.some((a) => pseudonyms.includes(a))).length;
  }
  let subjectInbox = 0;
  for (const pseudonym of pseudonyms) subjectInbox += (await pipeline.feedReader.homeFeed(pseudonym, { limit: 200 })).entries.length;
  const analyticsText = await pipeline.analytics.dumpText();
  const erasedEvent = canonical.some((e) => e.action.name === 'privacy.subject.erased' && pseudonyms.every((p) => JSON.stringify(e).includes(p)));
  const found = {
    canonical_log: occurrences(text(pipeline.records(topics.canonical)), identifiers),
    checkpoints: occurrences(text(pipeline.records(topics.checkpoints)), identifiers),
    dead_letters: occurrences(text(pipeline.deadLetters()), identifiers),
    analytics: occurrences(analyticsText, identifiers),
  };
  const passed =
    pseudonyms.length > 0 &&
    resolvable === 0 &&
    Object.values(found).every((n) => n === 0) &&
    inboxItems === 0 &&
    notificationsNaming === 0 &&
    subjectInbox === 0 &&
    erasedEvent;
  return {
    subject_pseudonyms: pseudonyms.length,
    pseudonyms_resolve_to_nothing: resolvable === 0,
    raw_identifiers_found: found,
    inbox_items_by_subject: inboxItems,
    notifications_naming_subject: notificationsNaming,
    subject_inbox_items: subjectInbox,
    erased_event_chained: erasedEvent,
    passed,
  };
}
