/**
 * What stands behind the HTTP API, in both modes. The API speaks in the application's own subject ids;
 * the read models only know pseudonyms, so every read first looks the subject up in the vault
 * (without creating a pseudonym: an unknown subject simply has an empty feed).
 */
import type { Producer } from 'kafkajs';
import type { QuintetConfig } from '../core/config.js';
import type { FeedReader } from '../connectors/redis/feed-reader.js';
import type { CanonicalTranslator } from '../processors/adapters/translator.js';
import type { DashboardRunner } from '../processors/analytics/dashboards.js';
import type { MarkTarget } from '../processors/feeds/stores.js';
import type { PiiVault } from '../processors/pseudonymization/pii-vault.js';
import { SUBJECT_KINDS } from '../processors/pseudonymization/vault-crypto.js';
import type { RawInput } from '../embedded/pipeline.js';
import type { DashboardBackend, ErasureBackend, FeedBackend, IngestBackend, IngestOutcome } from './server.js';

/** Checks each item with the ingest topology's translator; returns the outcome and the raw records to send. */
export function screen(translator: CanonicalTranslator, items: readonly unknown[], format: string | undefined, now: number): { outcome: IngestOutcome; accepted: RawInput[] } {
  const accepted: RawInput[] = [];
  const acceptedReport: { index: number; ids: string[] }[] = [];
  const rejected: { index: number; code: string; message: string }[] = [];
  items.forEach((item, index) => {
    const value = JSON.stringify(item);
    const result = translator.translate({ value, ...(format === undefined ? {} : { format: format as never }) }, now);
    if (result.kind === 'ok') {
      accepted.push({ value });
      acceptedReport.push({ index, ids: result.value.map((e) => e.id) });
    } else if (result.kind === 'deadLetter') {
      rejected.push({ index, code: result.code, message: result.message });
    } else {
      rejected.push({ index, code: 'DROPPED', message: result.reason });
    }
  });
  return { outcome: { accepted: acceptedReport, rejected }, accepted };
}

export function ingestBackend(translator: CanonicalTranslator, send: (records: RawInput[]) => Promise<void>): IngestBackend {
  return {
    async submit(items, format) {
      const { outcome, accepted } = screen(translator, items, format, Date.now());
      if (accepted.length > 0) await send(accepted);
      return outcome;
    },
  };
}

/** Sends accepted raw events to the raw topic, exactly as producers would. */
export function kafkaRawSender(producer: Producer, config: QuintetConfig): (records: RawInput[]) => Promise<void> {
  return async (records) => {
    await producer.send({ topic: config.topics.raw, acks: -1, messages: records.map((r) => ({ value: r.value, ...(r.key === undefined ? {} : { key: r.key }) })) });
  };
}

async function pseudonymOf(vault: PiiVault, subject: string): Promise<string | undefined> {
  for (const kind of SUBJECT_KINDS) {
    const pseudonym = await vault.lookup({ kind, id: subject });
    if (pseudonym !== undefined) return pseudonym;
  }
  return undefined;
}

function markTarget(options: { itemId?: string; upTo?: string }): MarkTarget {
  if (options.itemId !== undefined) return { itemId: options.itemId };
  return { upTo: options.upTo === undefined ? Date.now() : Date.parse(options.upTo) };
}

export function feedBackend(vault: PiiVault, reader: FeedReader): FeedBackend {
  const empty = { entries: [], cursor: null };
  return {
    async inbox(subject, options) {
      const pseudonym = await pseudonymOf(vault, subject);
      if (pseudonym === undefined) return empty;
      const page = await reader.homeFeed(pseudonym, { limit: Math.min(options.limit, 200), ...(options.cursor === undefined ? {} : { cursor: options.cursor }) });
      return { entries: page.entries, cursor: page.cursor ?? null };
    },
    async notifications(subject, options) {
      const pseudonym = await pseudonymOf(vault, subject);
      if (pseudonym === undefined) return { ...empty, counts: { total: 0, unseen: 0, unread: 0 } };
      const page = await reader.notifications(pseudonym, { limit: Math.min(options.limit, 200) });
      return { entries: page.entries, cursor: page.cursor ?? null, counts: await reader.notificationCounts(pseudonym) };
    },
    async markRead(subject, options) {
      const pseudonym = await pseudonymOf(vault, subject);
      if (pseudonym === undefined) return { counts: { total: 0, unseen: 0, unread: 0 } };
      await reader.markRead(pseudonym, markTarget(options));
      return { counts: await reader.notificationCounts(pseudonym) };
    },
    async markSeen(subject, options) {
      const pseudonym = await pseudonymOf(vault, subject);
      if (pseudonym === undefined) return { counts: { total: 0, unseen: 0, unread: 0 } };
      await reader.markSeen(pseudonym, markTarget(options));
      return { counts: await reader.notificationCounts(pseudonym) };
    },
  };
}

export function dashboardBackend(runner: DashboardRunner): DashboardBackend {
  return {
    names: () => runner.list().map((d) => d.name),
    run: (name, parameters) => runner.run(name, parameters),
  };
}

export function erasureBackend(erase: (subject: string) => Promise<unknown>): ErasureBackend {
  return { erase };
}
