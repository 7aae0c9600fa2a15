/**
 * The floor of `ingest.driver`: a bare Node.js loop doing only what issue 5 names ("parse, validate,
 * HMAC and Avro-encode"), with the project's own pieces, on the very records the driver is given:
 *
 *   bytes → UTF-8 text → JSON.parse → (canonical input: stamp observed_timestamp | Segment input: the
 *   Segment adapter, called directly) → CanonicalValidator (taxonomy memo, isSurelyCanonical, ajv when
 *   unsure) → HashChainer.append (RFC 8785 canonical JSON + HMAC-SHA256 after the previous hash, one
 *   chain, head in a Map) → the given Avro encoder (bench/ingest.ts passes the deployed registry serde)
 *
 * Not done: size/depth limits, format detection, pseudonymization (no vault, no AES-GCM), IP truncation,
 * the user-profile table, the wire-form copy before chaining (validated events are closed records, so it
 * changes nothing here), dead letters (a rejected record throws: the floor must do the driver's full
 * work on every record), CloudEvents headers, the topology/driver machinery, keeping the outputs.
 */
import type { AdapterContext } from '../processors/adapters/common.js';
import { isoFromMs } from '../processors/adapters/common.js';
import { adaptSegment } from '../processors/adapters/segment.js';
import type { ChainKeyRing } from '../processors/chain/chain-hash.js';
import { HashChainer, MemoryChainHeadStore } from '../processors/chain/hash-chainer.js';
import { CanonicalValidator } from '../processors/validation/canonical-validator.js';
import type { CanonicalEnvelope } from '../schemas/avro.js';
import type { CanonicalEvent } from '../schemas/canonical-event.js';
import { generateWorkload } from '../workload/generator.js';

/** Throughput of one timed pass: per wall-clock second and per second of this process's CPU time. */
export interface LoopRun {
  readonly eventsPerSecond: number;
  readonly eventsPerCpuSecond: number;
}

/** Times `work`, which handles `events` events. */
export async function timed(events: number, work: () => unknown): Promise<LoopRun> {
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  return { eventsPerSecond: events / seconds, eventsPerCpuSecond: events / ((cpu.user + cpu.system) / 1e6) };
}

/**
 * `count` canonical-shaped raw events: the generator's social events (follows, posts, likes), chunked as
 * bench/ingest-e2e.ts fills its canonical-input topic (same seeds and start times).
 */
export function canonicalSocialValues(count: number): string[] {
  const chunk = 50_000;
  const out: string[] = [];
  for (let i = 0; out.length < count; i += 1) {
    const workload = generateWorkload({ events: chunk, seed: 7_000 + i, startMs: Date.UTC(2026, 10, 28) + i * chunk * 250 });
    for (const event of workload.events) if (event.kind.startsWith('social.') && out.length < count) out.push(event.value);
  }
  return out;
}

export type FloorInput = 'canonical' | 'segment';

export interface FloorTools {
  /** Built once, outside the timed pass, as the driver's translator builds its validator with the topology. */
  readonly validator: CanonicalValidator;
  readonly chainKeys: ChainKeyRing;
  /** Avro bytes of one chained event; must be synchronous (a warmed-up registry serde is). */
  readonly encode: (envelope: CanonicalEnvelope) => Buffer;
}

export function floorTools(chainKeys: ChainKeyRing, encode: (envelope: CanonicalEnvelope) => Buffer): FloorTools {
  return { validator: new CanonicalValidator(), chainKeys, encode };
}

/** One timed pass of the floor over `records` on a fresh chain; throws if any record is not fully processed. */
export async function runFloor(input: FloorInput, records: readonly Buffer[], tools: FloorTools): Promise<LoopRun> {
  const chainer = new HashChainer(tools.chainKeys, new MemoryChainHeadStore());
  const now = Date.now();
  const context: AdapterContext = { now, observed: isoFromMs(now) as string, nameOverrides: new Map(), headers: {} };
  let events = 0;
  let bytes = 0;
  const run = await timed(records.length, () => {
    for (const record of records) {
      const parsed = JSON.parse(record.toString('utf8')) as unknown;
      let batch: CanonicalEvent[];
      if (input === 'canonical') {
        // A required field that only the ingester can set (the Java peer stamps it too); no other adapting.
        (parsed as { observed_timestamp?: string }).observed_timestamp = context.observed;
        batch = [parsed as CanonicalEvent];
      } else {
        const adapted = adaptSegment(parsed, context);
        if (adapted.kind !== 'ok') throw new Error(`floor: the Segment adapter rejected a record (${adapted.kind === 'deadLetter' ? adapted.code : 'dropped'})`);
        batch = adapted.value;
      }
      for (const event of batch) {
        const valid = tools.validator.validate(event);
        if (valid.kind !== 'ok') throw new Error(`floor: validation rejected an event (${valid.kind === 'deadLetter' ? valid.code : 'dropped'})`);
        const link = chainer.append(0, valid.value);
        if (link.kind !== 'ok') throw new Error(`floor: the chain rejected an event (${link.kind === 'deadLetter' ? link.code : 'dropped'})`);
        bytes += tools.encode({ event: valid.value, chain: link.value }).length;
        events += 1;
      }
    }
  });
  // One event per record in both inputs: a pass that did less would not be a floor of the same work.
  if (events !== records.length || bytes === 0) throw new Error(`floor: ${events} events encoded for ${records.length} records`);
  return run;
}
