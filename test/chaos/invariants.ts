/**
 * What must hold after a chaos run, measured from the outputs themselves (never from the processors'
 * own counters): the raw topic says what went in; the committed canonical topic, the chain verifier,
 * ClickHouse and Redis say what came out.
 *
 * - events_lost / canonical_duplicates: the canonical event ids the raw records translate to (the
 *   translator is pure and ids are derived from the source ids; events without a source id are matched
 *   by action, event time and source instead), as a multiset, against the committed canonical topic. A raw record a producer resent after a broker restart counts twice on
 *   both sides, so it is neither a loss nor a duplicate.
 * - chains_verified: `quintet verify` over the canonical topic and its signed checkpoints.
 * - clickhouse_count_delta: rows of `events` FINAL minus distinct canonical event ids.
 * - inbox_duplicates: inbox entries beyond one per event id, over every inbox.
 * - notification_count_errors: like notifications whose count differs from the distinct likers the
 *   canonical log holds for that (owner, target, window), recomputed with the likes topology's own
 *   pure aggregator; missing and extra notifications count as errors too.
 */
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { readTopicToEnd, CanonicalValueDecoder } from '../../cli/commands/export.js';
import { verifyTopic } from '../../cli/commands/verify.js';
import { parseFeedMember } from '../../connectors/redis/keys.js';
import type { QuintetConfig } from '../../core/config.js';
import { CanonicalTranslator } from '../../processors/adapters/translator.js';
import { LikeWindowAggregator, type LikeAggregate } from '../../processors/feeds/like-window-aggregator.js';
import type { CanonicalEvent } from '../../schemas/canonical-event.js';

export interface ChaosInvariants {
  readonly events_in: number;
  readonly events_lost: number;
  readonly canonical_duplicates: number;
  readonly chains_verified: boolean;
  readonly clickhouse_count_delta: number;
  readonly inbox_duplicates: number;
  readonly notification_count_errors: number;
}

export interface ChaosDetails {
  readonly canonical_expected: number;
  readonly canonical_records: number;
  readonly dead_letters_expected: number;
  readonly dead_letters: number;
  readonly chain_records_verified: number;
  readonly chain_breaks: readonly unknown[];
  readonly chain_truncation_checked: boolean;
  readonly clickhouse_rows: number;
  readonly clickhouse_rows_before_merge: number;
  readonly inboxes: number;
  readonly inbox_entries: number;
  readonly inbox_unknown_events: number;
  readonly notifications_expected: number;
  readonly notifications_found: number;
}

/** The ones that must be zero / true for the run to pass. */
export function failedInvariants(invariants: ChaosInvariants): string[] {
  const failed: string[] = [];
  if (invariants.events_in === 0) failed.push('events_in (nothing went in)');
  for (const name of ['events_lost', 'canonical_duplicates', 'clickhouse_count_delta', 'inbox_duplicates', 'notification_count_errors'] as const) {
    if (invariants[name] !== 0) failed.push(name);
  }
  if (!invariants.chains_verified) failed.push('chains_verified');
  return failed;
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** What identifies an event whose id is random: unchanged by pseudonymization, unique in generated workloads. */
function fingerprint(event: CanonicalEvent): string {
  return `${event.action.name}|${event.event_timestamp}|${event.source}`;
}

async function clickhouseScalar(config: QuintetConfig, sql: string): Promise<number> {
  const url = `${config.clickhouse.url}/?database=${encodeURIComponent(config.clickhouse.database)}&query=${encodeURIComponent(sql)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`ClickHouse answered ${response.status}: ${body.slice(0, 200)}`);
  return Number(body.trim());
}

export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** What the raw topic says should be on the canonical topic, against what is there (see the file comment). */
export interface CanonicalMeasure {
  readonly eventsIn: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly deadLettersExpected: number;
  readonly canonicalExpected: number;
  readonly canonicalRecords: number;
  readonly distinctIds: ReadonlySet<string>;
  readonly events: readonly CanonicalEvent[];
}

export async function measureCanonical(config: QuintetConfig, kafka: Kafka): Promise<CanonicalMeasure> {
  const topics = config.topics;
  const translator = new CanonicalTranslator({ limits: config.limits });
  const expected = new Map<string, number>();
  const deterministicIds = new Set<string>();
  let eventsIn = 0;
  let deadLettersExpected = 0;
  await readTopicToEnd(kafka, topics.raw, (record) => {
    eventsIn += 1;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(record.headers)) headers[name] = value.toString();
    const result = record.value === null ? undefined : translator.translate({ value: record.value, headers }, Date.now());
    if (result?.kind !== 'ok') {
      deadLettersExpected += 1;
      return;
    }
    // A source event without an id of its own gets a random canonical id (processors/adapters/common.ts
    // eventId): a second translation tells which ids are random, and those events are matched by content.
    const again = translator.translate({ value: record.value as Buffer, headers }, Date.now());
    result.value.forEach((event, i) => {
      const deterministic = again.kind === 'ok' && again.value[i]?.id === event.id;
      if (deterministic) deterministicIds.add(event.id);
      count(expected, deterministic ? event.id : fingerprint(event));
    });
  });

  const decoder = new CanonicalValueDecoder(config);
  const found = new Map<string, number>();
  const distinctIds = new Set<string>();
  const events: CanonicalEvent[] = [];
  const canonical = await readTopicToEnd(kafka, topics.canonical, async (record) => {
    const envelope = await decoder.decode(record.value);
    if (envelope === undefined) return;
    count(found, deterministicIds.has(envelope.event.id) ? envelope.event.id : fingerprint(envelope.event));
    distinctIds.add(envelope.event.id);
    events.push(envelope.event);
  });
  let lost = 0;
  let duplicates = 0;
  for (const [id, n] of expected) lost += Math.max(0, n - (found.get(id) ?? 0));
  for (const [id, n] of found) duplicates += Math.max(0, n - (expected.get(id) ?? 0));
  return {
    eventsIn,
    lost,
    duplicates,
    deadLettersExpected,
    canonicalExpected: [...expected.values()].reduce((a, b) => a + b, 0),
    canonicalRecords: canonical.records,
    distinctIds,
    events,
  };
}

export async function measureInvariants(config: QuintetConfig, kafka: Kafka): Promise<{ invariants: ChaosInvariants; details: ChaosDetails }> {
  const topics = config.topics;
  const { eventsIn, lost, duplicates, deadLettersExpected, canonicalExpected, canonicalRecords, distinctIds, events } = await measureCanonical(config, kafka);
  // The erasure topic is not written by the chaos workload: every canonical event comes from a raw record.

  const deadLetters = (await readTopicToEnd(kafka, topics.deadLetter, () => undefined)).records;
  const verification = await verifyTopic(config, topics.canonical, topics.checkpoints, undefined);

  const clickhouseRows = await clickhouseScalar(config, 'SELECT count() FROM events FINAL');
  const clickhouseRowsBeforeMerge = await clickhouseScalar(config, 'SELECT count() FROM events');

  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  let inboxEntries = 0;
  let inboxDuplicates = 0;
  /** Inbox entries naming an event the canonical log does not hold (there should be none). */
  let inboxUnknown = 0;
  const notificationsFound = new Map<string, number>();
  const prefix = config.redis.keyPrefix;
  try {
    const inboxes = await scanKeys(redis, `${prefix}:feed:*:inbox`);
    for (const key of inboxes) {
      const members = await redis.zrange(key, 0, -1);
      inboxEntries += members.length;
      const ids = new Set(members.map((member) => parseFeedMember(member)?.eventId ?? member));
      inboxDuplicates += members.length - ids.size;
      for (const id of ids) if (!distinctIds.has(id)) inboxUnknown += 1;
    }
    for (const key of await scanKeys(redis, `${prefix}:notif:*:items`)) {
      const owner = key.slice(key.indexOf('{') + 1, key.lastIndexOf('}'));
      for (const [id, json] of Object.entries(await redis.hgetall(key))) {
        notificationsFound.set(`${owner}/${id}`, (JSON.parse(json) as { count: number }).count);
      }
    }
    const aggregator = new LikeWindowAggregator();
    const aggregates = new Map<string, LikeAggregate>();
    for (const event of events) {
      if (!aggregator.wants(event)) continue;
      const signal = aggregator.signal(event);
      if (signal.kind !== 'ok') continue;
      const start = aggregator.windowStartOf(signal.value.timestamp);
      const key = `${signal.value.owner}/${aggregator.notificationId({ target: signal.value.target, windowStart: start })}`;
      aggregates.set(key, aggregator.apply(aggregates.get(key) ?? aggregator.initial(signal.value, start), signal.value));
    }
    let notificationErrors = 0;
    const expectedNotifications = new Map([...aggregates].map(([key, aggregate]) => [key, aggregator.notification(aggregate).count] as const).filter(([, n]) => n > 0));
    for (const [key, n] of expectedNotifications) if (notificationsFound.get(key) !== n) notificationErrors += 1;
    for (const key of notificationsFound.keys()) if (!expectedNotifications.has(key)) notificationErrors += 1;
    const distinctCanonical = distinctIds.size;
    return {
      invariants: {
        events_in: eventsIn,
        events_lost: lost,
        canonical_duplicates: duplicates,
        chains_verified: verification.intact && verification.breaks.length === 0 && verification.truncation_checked && verification.records === canonicalRecords,
        clickhouse_count_delta: clickhouseRows - distinctCanonical,
        inbox_duplicates: inboxDuplicates,
        notification_count_errors: notificationErrors,
      },
      details: {
        canonical_expected: canonicalExpected,
        canonical_records: canonicalRecords,
        dead_letters_expected: deadLettersExpected,
        dead_letters: deadLetters,
        chain_records_verified: verification.partitions.reduce((n, p) => n + p.verified_through + 1, 0),
        chain_breaks: verification.breaks.slice(0, 5),
        chain_truncation_checked: verification.truncation_checked,
        clickhouse_rows: clickhouseRows,
        clickhouse_rows_before_merge: clickhouseRowsBeforeMerge,
        inboxes: inboxes.length,
        inbox_entries: inboxEntries,
        inbox_unknown_events: inboxUnknown,
        notifications_expected: expectedNotifications.size,
        notifications_found: notificationsFound.size,
      },
    };
  } finally {
    redis.disconnect();
  }
}
