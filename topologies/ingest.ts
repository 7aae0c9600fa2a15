/**
 * The ingest topology (design Parts 5.2, 8.2, 8.3): raw events in, one pseudonymized, hash-chained
 * canonical log out.
 *
 *   source `raw-source` (topics.raw, bytes)
 *     → `translate-pseudonymize` (IngestProcessor: CanonicalTranslator = limits, detect, adapt, validate;
 *        then Pseudonymizer with the PII vault — both for a whole consumed batch in prepareBatch, so the
 *        vault costs two pipelined round trips per batch)
 *     → `stamp-user-state` (UserStateProcessor: identify events update the profile table `user-profiles`,
 *        keyed by pseudonym; every event gets the profile as of its event time, Part 1.1)
 *     → `hash-chain` (ChainProcessor: HashChainer, head in the changelogged store `chain-heads`)
 *     → sink `canonical-sink` (topics.canonical, partition = chain partition, CloudEvents headers)
 *   source `erasure-source` (topics.erasureRequests, JSON)
 *     → `erase-subjects` (ErasureProcessor: vault crypto-shredding, profiles deleted) → `hash-chain` (privacy.subject.erased)
 *     → sink `profile-erasure-sink` (topics.raw: one authenticated control record per other partition, so
 *        that every task deletes the erased pseudonyms from its profile table; processors/profile/profile-erasure.ts)
 *   `hash-chain` → sink `checkpoint-sink` (topics.checkpoints, signed heads, on a wall-clock schedule)
 *   rejects of any step → sink `dead-letter-sink` (topics.deadLetter, key and value encrypted)
 *
 * One chain per partition, one writer per chain: the task of raw partition p is the only writer of
 * canonical partition p, and its head lives in `chain-heads`, whose changelog is written in the same
 * transaction as the chained record (exactly_once): a crash never forks, gaps or repeats a chain.
 * Consequently the canonical partition of an event is its raw partition (producers that key raw events
 * by user keep each user's events in order). The profile table lives in the same task, so it sees all of
 * a user's events only when producers key raw events by user, as they must for order anyway: the
 * internal topics therefore carry no event at all (no repartition), only the stores' changelogs, whose
 * keys are pseudonyms and whose values hold no raw PII. See docs/pii-vault.md, "User profiles".
 */
import { QuintetError } from '../core/errors.js';
import type { DeadLetter, Ok, StepResult } from '../core/result.js';
import type { ProcessorContext, Processor, StreamRecord, Headers } from '../streams/processor.js';
import { Serdes, type Serde } from '../streams/serdes.js';
import { Stores, type KeyValueStore } from '../streams/state/index.js';
import { recordTimestampExtractor } from '../streams/time.js';
import { Topology } from '../streams/topology.js';
import { DEAD_LETTER_HEADERS } from '../streams/dead-letter.js';
import { utf8Bytes } from '../streams/byte-slab.js';
import type { CanonicalTranslator } from '../processors/adapters/translator.js';
import { CANONICAL_WIRE_LAYOUT, type ChainKeyRing } from '../processors/chain/chain-hash.js';
import { HashChainer, type ChainHead } from '../processors/chain/hash-chainer.js';
import type { CheckpointSigner, ChainCheckpoint } from '../processors/chain/checkpoint.js';
import { encryptingDeadLetterPayload, sealDeadLetter } from '../processors/dead-letter/dead-letter-record.js';
import type { StreamTaskOptions } from '../streams/task.js';
import { parseErasureRequest, subjectErasedEvent } from '../processors/pseudonymization/erasure.js';
import { isProfileErasureRecord, openProfileErasure, sealProfileErasure } from '../processors/profile/profile-erasure.js';
import type { PiiVault } from '../processors/pseudonymization/pii-vault.js';
import type { PiiPolicy } from '../processors/pseudonymization/pii-policy.js';
import { PSEUDONYMIZE_STAGE, Pseudonymizer } from '../processors/pseudonymization/pseudonymizer.js';
import type { MasterKeyRing } from '../processors/pseudonymization/vault-crypto.js';
import {
  applyProfileUpdate,
  DEFAULT_PROFILE_POLICY,
  eventTimeMs,
  isIdentifyEvent,
  profileSnapshotAt,
  profileUpdateOf,
  type ProfilePolicy,
  type UserProfile,
} from '../processors/profile/user-profile.js';
import { DEFAULT_PII_POLICY } from '../processors/pseudonymization/pii-policy.js';
import { canonicalWireForm, type CanonicalEnvelope } from '../schemas/avro.js';
import type { CanonicalEvent } from '../schemas/canonical-event.js';

export const INGEST_NODES = {
  rawSource: 'raw-source',
  erasureSource: 'erasure-source',
  ingest: 'translate-pseudonymize',
  erasure: 'erase-subjects',
  userState: 'stamp-user-state',
  chain: 'hash-chain',
  canonicalSink: 'canonical-sink',
  checkpointSink: 'checkpoint-sink',
  deadLetterSink: 'dead-letter-sink',
  profileErasureSink: 'profile-erasure-sink',
} as const;

/** The changelogged store of chain heads: partition → {sequence, hash, key_id}. */
export const CHAIN_HEAD_STORE = 'chain-heads';
/** The changelogged, versioned profile table: pseudonym → UserProfile (allow-listed, non-PII traits). */
export const USER_PROFILE_STORE = 'user-profiles';

export interface IngestTopics {
  readonly raw: string;
  readonly canonical: string;
  readonly deadLetter: string;
  readonly erasureRequests: string;
  readonly checkpoints: string;
}

export interface IngestTopologyOptions {
  readonly topics: IngestTopics;
  readonly translator: CanonicalTranslator;
  /** Shared by all tasks of the process (one Redis connection, one cache). */
  readonly vault: PiiVault;
  readonly policy?: PiiPolicy;
  /** Which identify traits enter the profile table; default DEFAULT_PROFILE_POLICY (docs/pii-vault.md). */
  readonly profilePolicy?: ProfilePolicy;
  readonly chainKeys: ChainKeyRing;
  /** Encrypts dead-letter payloads. */
  readonly masterKeys: MasterKeyRing;
  /** Signs checkpoints; without it no checkpoints are written (tail truncation becomes undetectable). */
  readonly signer?: CheckpointSigner;
  /** Default 60 s. */
  readonly checkpointIntervalMs?: number;
  /**
   * Partitions of the raw topic (= of the canonical topic). An erasure deletes the subject's profile on
   * every one of them, through control records on the raw topic. Default 1.
   */
  readonly partitions?: number;
  /**
   * Values of the canonical topic: the registry's Avro serde (confluentAvroSerde with
   * canonicalEventAvroSchema, toAvroRecord/fromAvroRecord) in Kafka mode; default JSON `{event, chain}`.
   */
  readonly canonicalValueSerde?: Serde<CanonicalEnvelope>;
  /** `content-type` header of canonical records; default from the serde name (`application/avro` or `application/json`). */
  readonly contentType?: string;
}

type Bytes = Buffer | null;
type Outcome =
  | { readonly kind: 'ok'; readonly events: CanonicalEvent[] }
  | { readonly kind: 'profile-erasure'; readonly pseudonyms: readonly string[] }
  | DeadLetter;

/** A record for the dead-letter sink: reason in `quintet.dlq.*` headers, the input sealed in the value. */
interface DeadLetterOut {
  readonly value: Buffer;
  readonly headers: Headers;
}

function deadLetterOut(context: ProcessorContext<unknown, unknown>, masterKeys: MasterKeyRing, rejection: DeadLetter, key: Bytes, value: Bytes, node: string): DeadLetterOut {
  const meta = context.recordMetadata ?? { topic: 'unknown', partition: context.partition, offset: '-1' };
  const sealed = sealDeadLetter(masterKeys, { ...meta, key, value }, new Date(context.currentSystemTimeMs()));
  // The input's own headers are NOT copied: they may carry identifiers (e.g. ce_subject).
  const headers: Record<string, string> = {
    [DEAD_LETTER_HEADERS.code]: rejection.code,
    [DEAD_LETTER_HEADERS.stage]: rejection.stage,
    [DEAD_LETTER_HEADERS.message]: rejection.message,
    [DEAD_LETTER_HEADERS.node]: node,
    [DEAD_LETTER_HEADERS.task]: context.taskId,
    [DEAD_LETTER_HEADERS.application]: context.applicationId,
    [DEAD_LETTER_HEADERS.sourceTopic]: meta.topic,
    [DEAD_LETTER_HEADERS.sourcePartition]: String(meta.partition),
    [DEAD_LETTER_HEADERS.sourceOffset]: meta.offset,
  };
  if (rejection.path !== undefined) headers[DEAD_LETTER_HEADERS.path] = rejection.path;
  return { value: Buffer.from(JSON.stringify(sealed), 'utf8'), headers };
}

/** Raw record → canonical events without PII. Translation and vault I/O happen per consumed batch. */
export class IngestProcessor implements Processor<Bytes, Bytes, unknown, unknown> {
  readonly #translator: CanonicalTranslator;
  readonly #pseudonymizer: Pseudonymizer;
  readonly #masterKeys: MasterKeyRing;
  readonly #outcomes = new Map<StreamRecord<Bytes, Bytes>, Outcome>();
  #context: ProcessorContext<unknown, unknown> | undefined;

  constructor(translator: CanonicalTranslator, pseudonymizer: Pseudonymizer, masterKeys: MasterKeyRing) {
    this.#translator = translator;
    this.#pseudonymizer = pseudonymizer;
    this.#masterKeys = masterKeys;
  }

  init(context: ProcessorContext<unknown, unknown>): void {
    this.#context = context;
  }

  async prepareBatch(records: readonly StreamRecord<Bytes, Bytes>[]): Promise<void> {
    const outcomes = await this.#run(records);
    records.forEach((record, i) => this.#outcomes.set(record, outcomes[i] as Outcome));
  }

  async #run(records: readonly StreamRecord<Bytes, Bytes>[]): Promise<Outcome[]> {
    const now = (this.#context as ProcessorContext<unknown, unknown>).currentSystemTimeMs();
    const partition = (this.#context as ProcessorContext<unknown, unknown>).partition;
    const translated: Outcome[] = records.map((record) => {
      if (isProfileErasureRecord(record.headers)) {
        const erasure = openProfileErasure(this.#masterKeys, record.value, record.headers);
        return erasure === undefined || erasure.partition !== partition
          ? { kind: 'deadLetter', stage: 'decode', code: 'CONTROL_RECORD_INVALID', message: 'control record is malformed, not authentic or misaddressed' }
          : { kind: 'profile-erasure', pseudonyms: erasure.pseudonyms };
      }
      if (record.value === null) return { kind: 'deadLetter', stage: 'decode', code: 'EMPTY_VALUE', message: 'raw record has no value' };
      const result = this.#translator.translate({ value: record.value, headers: record.headers }, now);
      return result.kind === 'ok' ? { kind: 'ok', events: result.value } : result.kind === 'deadLetter' ? result : { kind: 'deadLetter', stage: 'adapt', code: 'DROPPED', message: result.reason };
    });
    const events: CanonicalEvent[] = [];
    for (const outcome of translated) if (outcome.kind === 'ok') for (const event of outcome.events) events.push(event);
    const pseudonymized = await this.#pseudonymizer.pseudonymizeBatch(events);
    let next = 0;
    return translated.map((outcome) => {
      if (outcome.kind !== 'ok') return outcome;
      const count = outcome.events.length;
      const from = next;
      next += count;
      // The results of this record's events: the first rejection rejects the record, else all its events.
      for (let i = from; i < from + count; i++) {
        const result = pseudonymized[i] as StepResult<CanonicalEvent>;
        if (result.kind === 'deadLetter') return result;
        if (result.kind !== 'ok') return { kind: 'deadLetter', stage: PSEUDONYMIZE_STAGE, code: 'PSEUDONYMIZE_DROPPED', message: result.reason };
      }
      // Usually one event per record, and the pseudonymizer worked in place: the translated array serves.
      const events = outcome.events;
      for (let i = 0; i < count; i++) {
        const result = pseudonymized[from + i] as Ok<CanonicalEvent>;
        if (events[i] !== result.value) events[i] = result.value;
      }
      return outcome;
    });
  }

  /** Synchronous for records prepared with their batch (the usual case): no Promise per record. */
  process(record: StreamRecord<Bytes, Bytes>): void | Promise<void> {
    const outcome = this.#outcomes.get(record);
    if (outcome === undefined) return this.#run([record]).then((outcomes) => this.#emit(record, outcomes[0] as Outcome));
    this.#outcomes.delete(record);
    this.#emit(record, outcome);
    return undefined;
  }

  #emit(record: StreamRecord<Bytes, Bytes>, outcome: Outcome): void {
    const context = this.#context as ProcessorContext<unknown, unknown>;
    if (outcome.kind === 'profile-erasure') {
      const profiles = context.getStateStore<KeyValueStore<string, UserProfile>>(USER_PROFILE_STORE);
      for (const pseudonym of outcome.pseudonyms) profiles.delete(pseudonym);
      return;
    }
    if (outcome.kind !== 'ok') {
      const out = deadLetterOut(context, this.#masterKeys, outcome, record.key, record.value, INGEST_NODES.ingest);
      context.forward({ key: null, value: out.value, timestamp: record.timestamp, headers: out.headers }, INGEST_NODES.deadLetterSink);
      return;
    }
    for (const event of outcome.events) context.forward({ key: null, value: event, timestamp: record.timestamp, headers: {} }, INGEST_NODES.userState);
  }
}

/**
 * The stream–table join of Part 1.1: each pseudonymized event is stamped with its actor's profile as it
 * stood at the event's time; identify events then update the profile (so an identify carries the state
 * from before itself; its own traits are in its actor details).
 */
export class UserStateProcessor implements Processor<unknown, CanonicalEvent, unknown, unknown> {
  readonly #policy: ProfilePolicy;
  readonly #piiPolicy: PiiPolicy;
  #store: KeyValueStore<string, UserProfile> | undefined;
  #context: ProcessorContext<unknown, unknown> | undefined;

  constructor(policy: ProfilePolicy, piiPolicy: PiiPolicy) {
    this.#policy = policy;
    this.#piiPolicy = piiPolicy;
  }

  init(context: ProcessorContext<unknown, unknown>): void {
    this.#context = context;
    this.#store = context.getStateStore<KeyValueStore<string, UserProfile>>(USER_PROFILE_STORE);
  }

  process(record: StreamRecord<unknown, CanonicalEvent>): void {
    const event = record.value;
    const pseudonym = event.actor.pseudonym;
    const store = this.#store as KeyValueStore<string, UserProfile>;
    const profile = pseudonym === undefined ? undefined : store.get(pseudonym);
    const identify = isIdentifyEvent(event);
    // The event time only matters to read or update a profile: most events have neither, and parsing
    // the timestamp of each took ~0.6 % of the topology's CPU (profile of the driver, Segment and generator input).
    const at = pseudonym === undefined || (profile === undefined && !identify) ? undefined : eventTimeMs(event);
    if (pseudonym !== undefined && at !== undefined) {
      const snapshot = profileSnapshotAt(profile, at);
      if (snapshot !== undefined) {
        // The event is this step's own copy (the pseudonymizer returns copies): stamping it in place is safe.
        const context = (event.context ??= {});
        const domain = (context.domain_specific ??= {});
        (domain.analytics ??= {}).user_state_snapshot = snapshot;
      }
      if (identify) {
        const update = profileUpdateOf(event, at, this.#policy, this.#piiPolicy);
        if (update !== undefined) store.put(pseudonym, applyProfileUpdate(profile, update, this.#policy));
      }
    }
    (this.#context as ProcessorContext<unknown, unknown>).forward(record, INGEST_NODES.chain);
  }
}

/** Erasure request → vault crypto-shredding → `privacy.subject.erased` event for the chain. */
export class ErasureProcessor implements Processor<Bytes, Bytes, unknown, unknown> {
  readonly #vault: PiiVault;
  readonly #masterKeys: MasterKeyRing;
  readonly #partitions: number;
  #context: ProcessorContext<unknown, unknown> | undefined;

  constructor(vault: PiiVault, masterKeys: MasterKeyRing, partitions = 1) {
    this.#vault = vault;
    this.#masterKeys = masterKeys;
    this.#partitions = partitions;
  }

  init(context: ProcessorContext<unknown, unknown>): void {
    this.#context = context;
  }

  async process(record: StreamRecord<Bytes, Bytes>): Promise<void> {
    const context = this.#context as ProcessorContext<unknown, unknown>;
    const request = parseErasureRequest(record.value);
    if (request === undefined) {
      const rejection: DeadLetter = { kind: 'deadLetter', stage: 'erase', code: 'ERASURE_REQUEST_INVALID', message: 'not a quintet.erasure-request.v1 value' };
      const out = deadLetterOut(context, this.#masterKeys, rejection, record.key, record.value, INGEST_NODES.erasure);
      context.forward({ key: null, value: out.value, timestamp: record.timestamp, headers: out.headers }, INGEST_NODES.deadLetterSink);
      return;
    }
    const erased = await this.#vault.eraseLookupHashes(request.lookup_hashes);
    // `quintet erase` shreds the vault itself and names the pseudonyms in the request: both are gone.
    const gone = [...new Set([...request.pseudonyms, ...erased])];
    const profiles = context.getStateStore<KeyValueStore<string, UserProfile>>(USER_PROFILE_STORE);
    for (const pseudonym of gone) profiles.delete(pseudonym);
    if (gone.length > 0) {
      for (let partition = 0; partition < this.#partitions; partition++) {
        if (partition === context.partition) continue;
        const control = sealProfileErasure(this.#masterKeys, { pseudonyms: gone, partition });
        context.forward({ key: String(partition), value: control.value, timestamp: record.timestamp, headers: control.headers }, INGEST_NODES.profileErasureSink);
      }
    }
    const event = subjectErasedEvent(request, erased, new Date(context.currentSystemTimeMs()));
    if (event !== undefined) context.forward({ key: null, value: event, timestamp: record.timestamp, headers: {} }, INGEST_NODES.chain);
  }
}

/**
 * The form of an event that readers of the canonical topic decode: exactly the canonical fields
 * (unknown ones dropped, free-form objects through JSON). The chain must hash this form, or a consumer
 * of the Avro topic could not re-verify it.
 */
export const wireForm = (event: CanonicalEvent): CanonicalEvent => canonicalWireForm(event);

/** Appends each event to this partition's chain and publishes signed checkpoints of the head. */
export class ChainProcessor implements Processor<unknown, CanonicalEvent, unknown, unknown> {
  readonly #keys: ChainKeyRing;
  readonly #masterKeys: MasterKeyRing;
  readonly #signer: CheckpointSigner | undefined;
  readonly #checkpointIntervalMs: number;
  readonly #canonicalTopic: string;
  readonly #contentType: string;
  #chainer: HashChainer | undefined;
  #store: KeyValueStore<number, ChainHead> | undefined;
  #lastCheckpointed: number | undefined;
  #context: ProcessorContext<unknown, unknown> | undefined;

  constructor(options: { keys: ChainKeyRing; masterKeys: MasterKeyRing; signer: CheckpointSigner | undefined; checkpointIntervalMs: number; canonicalTopic: string; contentType: string }) {
    this.#keys = options.keys;
    this.#masterKeys = options.masterKeys;
    this.#signer = options.signer;
    this.#checkpointIntervalMs = options.checkpointIntervalMs;
    this.#canonicalTopic = options.canonicalTopic;
    this.#contentType = options.contentType;
  }

  init(context: ProcessorContext<unknown, unknown>): void {
    this.#context = context;
    const store = context.getStateStore<KeyValueStore<number, ChainHead>>(CHAIN_HEAD_STORE);
    this.#store = store;
    this.#chainer = new HashChainer(this.#keys, { get: (p) => store.get(p), put: (p, head) => store.put(p, head) });
    if (this.#signer !== undefined) context.schedule(this.#checkpointIntervalMs, 'wall-clock-time', (now) => this.checkpoint(now));
  }

  process(record: StreamRecord<unknown, CanonicalEvent>): void {
    const context = this.#context as ProcessorContext<unknown, unknown>;
    const event = wireForm(record.value);
    // `event` is canonicalWireForm's: its records hold canonical fields only, in the layout's shape.
    const link = (this.#chainer as HashChainer).append(context.partition, event, CANONICAL_WIRE_LAYOUT);
    if (link.kind !== 'ok') {
      const rejection = link.kind === 'deadLetter' ? link : ({ kind: 'deadLetter', stage: 'chain', code: 'CHAIN_DROPPED', message: link.reason } as DeadLetter);
      const out = deadLetterOut(context, this.#masterKeys, rejection, null, Buffer.from(JSON.stringify(event), 'utf8'), INGEST_NODES.chain);
      context.forward({ key: null, value: out.value, timestamp: record.timestamp, headers: out.headers }, INGEST_NODES.deadLetterSink);
      return;
    }
    const envelope: CanonicalEnvelope = { event, chain: link.value };
    context.forward(
      { key: event.actor.pseudonym ?? event.id, value: envelope, timestamp: record.timestamp, headers: cloudEventHeaders(event, this.#contentType) },
      INGEST_NODES.canonicalSink,
    );
  }

  /** Publishes the head of this task's chain if it moved since the last checkpoint. */
  checkpoint(nowMs: number): void {
    const context = this.#context as ProcessorContext<unknown, unknown>;
    const head = this.#store?.get(context.partition);
    if (this.#signer === undefined || head === undefined || head.sequence === this.#lastCheckpointed) return;
    const checkpoint: ChainCheckpoint = this.#signer.sign(this.#canonicalTopic, context.partition, head, new Date(nowMs));
    this.#lastCheckpointed = head.sequence;
    context.forward({ key: String(context.partition), value: checkpoint, timestamp: nowMs, headers: {} }, INGEST_NODES.checkpointSink);
  }

  close(): void {
    // A final checkpoint on clean shutdown would be written outside a transaction; the next periodic one covers it.
  }
}

/** CloudEvents Kafka protocol binding, binary mode: attributes as `ce_*` headers. No personal data. */
export function cloudEventHeaders(event: CanonicalEvent, contentType: string): Headers {
  return {
    ce_specversion: '1.0',
    ce_id: event.id,
    ce_source: event.source,
    ce_type: event.action.name,
    ce_time: event.event_timestamp,
    'content-type': contentType,
  };
}

const jsonEnvelope: Serde<CanonicalEnvelope> = Serdes.Json<CanonicalEnvelope>();
/**
 * The default canonical value serde: Serdes.Json's bytes, carved from shared slabs instead of Node's
 * 8 KiB pool (streams/byte-slab.ts), as canonical records are outputs, produced and then released.
 */
const envelopeJson: Serde<CanonicalEnvelope> = {
  name: jsonEnvelope.name,
  serialize: (_topic, data) => (data === null || data === undefined ? null : utf8Bytes(JSON.stringify(data))),
  deserialize: (topic, data, headers) => jsonEnvelope.deserialize(topic, data, headers),
};
/** The canonical key (the actor's pseudonym or the event id) as Serdes.String does, from the same slabs. */
const canonicalKeyString: Serde<string> = {
  name: 'string',
  serialize: (_topic, data) => (data === null || data === undefined ? null : utf8Bytes(data)),
  deserialize: (topic, data, headers) => Serdes.String().deserialize(topic, data, headers),
};

export function buildIngestTopology(options: IngestTopologyOptions): Topology {
  const { topics } = options;
  const valueSerde = options.canonicalValueSerde ?? envelopeJson;
  const contentType = options.contentType ?? (valueSerde.name.includes('avro') ? 'application/avro' : 'application/json');
  const checkpointIntervalMs = options.checkpointIntervalMs ?? 60_000;
  const partitions = options.partitions ?? 1;
  if (!Number.isInteger(partitions) || partitions < 1) throw new QuintetError('TOPOLOGY_INVALID', 'partitions must be a positive integer');
  if (!Number.isInteger(checkpointIntervalMs) || checkpointIntervalMs < 1) throw new QuintetError('TOPOLOGY_INVALID', 'checkpointIntervalMs must be a positive integer');
  const bytes = { keySerde: Serdes.Bytes(), valueSerde: Serdes.Bytes(), timestampExtractor: recordTimestampExtractor };

  return new Topology()
    .addSource(INGEST_NODES.rawSource, topics.raw, bytes)
    .addSource(INGEST_NODES.erasureSource, topics.erasureRequests, bytes)
    .addProcessor(INGEST_NODES.ingest, () => new IngestProcessor(options.translator, new Pseudonymizer(options.vault, options.policy, { inPlace: true }), options.masterKeys), INGEST_NODES.rawSource)
    .addProcessor(INGEST_NODES.erasure, () => new ErasureProcessor(options.vault, options.masterKeys, partitions), INGEST_NODES.erasureSource)
    .addProcessor(INGEST_NODES.userState, () => new UserStateProcessor(options.profilePolicy ?? DEFAULT_PROFILE_POLICY, options.policy ?? DEFAULT_PII_POLICY), INGEST_NODES.ingest)
    .addProcessor(
      INGEST_NODES.chain,
      () =>
        new ChainProcessor({
          keys: options.chainKeys,
          masterKeys: options.masterKeys,
          signer: options.signer,
          checkpointIntervalMs,
          canonicalTopic: topics.canonical,
          contentType,
        }),
      INGEST_NODES.userState,
      INGEST_NODES.erasure,
    )
    .addStateStore(Stores.keyValueStore<string, UserProfile>(USER_PROFILE_STORE, { keySerde: Serdes.String(), valueSerde: Serdes.Json<UserProfile>(), caching: true }), INGEST_NODES.userState, INGEST_NODES.erasure, INGEST_NODES.ingest)
    .addStateStore(Stores.keyValueStore<number, ChainHead>(CHAIN_HEAD_STORE, { keySerde: Serdes.Long(), valueSerde: Serdes.Json<ChainHead>(), caching: true }), INGEST_NODES.chain)
    .addSink<string, CanonicalEnvelope>(
      INGEST_NODES.canonicalSink,
      topics.canonical,
      { keySerde: canonicalKeyString, valueSerde, partitioner: (_topic, _key, value) => value.chain?.partition },
      INGEST_NODES.chain,
    )
    .addSink<string, ChainCheckpoint>(INGEST_NODES.checkpointSink, topics.checkpoints, { keySerde: Serdes.String(), valueSerde: Serdes.Json<ChainCheckpoint>() }, INGEST_NODES.chain)
    .addSink<null, Buffer>(
      INGEST_NODES.deadLetterSink,
      topics.deadLetter,
      { keySerde: Serdes.Void(), valueSerde: Serdes.Bytes() },
      INGEST_NODES.ingest,
      INGEST_NODES.erasure,
      INGEST_NODES.chain,
    )
    .addSink<string, Buffer>(
      INGEST_NODES.profileErasureSink,
      topics.raw,
      { keySerde: Serdes.String(), valueSerde: Serdes.Bytes(), partitioner: (_topic, key) => Number(key) },
      INGEST_NODES.erasure,
    );
}

/**
 * Task options the engine needs for this topology (pass to `kafkaTopology(topology, options)` or the
 * driver): the canonical topic's partition count, which the chain partitioner needs and the engine cannot
 * infer from the sources, and the encrypting payload of the runtime's own dead letters (records that fail
 * outside the processors' control), so that no raw payload reaches the dead-letter topic in clear.
 */
export function ingestTaskOptions(options: {
  readonly topics: Pick<IngestTopics, 'canonical' | 'checkpoints' | 'deadLetter'> & Partial<Pick<IngestTopics, 'raw'>>;
  readonly canonicalPartitions: number;
  readonly checkpointPartitions?: number;
  readonly masterKeys: MasterKeyRing;
}): Pick<StreamTaskOptions, 'partitionsFor' | 'deadLetterTopic' | 'deadLetterPayload'> {
  const counts = new Map<string, number>([[options.topics.canonical, options.canonicalPartitions]]);
  // Profile-erasure control records go to every raw partition; the raw topic has the canonical's count.
  if (options.topics.raw !== undefined) counts.set(options.topics.raw, options.canonicalPartitions);
  if (options.checkpointPartitions !== undefined) counts.set(options.topics.checkpoints, options.checkpointPartitions);
  return {
    partitionsFor: (topic) => counts.get(topic),
    deadLetterTopic: options.topics.deadLetter,
    deadLetterPayload: encryptingDeadLetterPayload(options.masterKeys),
  };
}
