/**
 * Fuzzing the ingest topology (issue 9): hostile inputs (test/fuzz/corpus/ and hostile-inputs.ts) and
 * fast-check properties, each raw record piped alone through the ingest topology on the
 * TopologyTestDriver. For every input: nothing throws; it ends either as canonical events (and no dead
 * letter) or as exactly one dead letter with a stable code, a stage and a short single-line message that
 * echoes nothing of the input; every canonical record survives the Avro binary encoding and its chain
 * verifies after it; nothing pollutes Object.prototype; and the heap stays
 * flat over a long run. The number of inputs tried is printed at the end.
 */
import { generateKeyPairSync } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryVaultStore } from '../../../connectors/memory/vault-store.js';
import { CanonicalTranslator } from '../../../processors/adapters/translator.js';
import { ChainKeyRing } from '../../../processors/chain/chain-hash.js';
import { ChainVerifier } from '../../../processors/chain/chain-verifier.js';
import { CheckpointSigner } from '../../../processors/chain/checkpoint.js';
import { PiiVault } from '../../../processors/pseudonymization/pii-vault.js';
import { MasterKeyRing } from '../../../processors/pseudonymization/vault-crypto.js';
import { decodeCanonicalAvro, encodeCanonicalAvro, type CanonicalEnvelope } from '../../../schemas/avro.js';
import { DEAD_LETTER_HEADERS } from '../../../streams/dead-letter.js';
import { Serdes } from '../../../streams/serdes.js';
import { TopologyTestDriver, type RawTestRecord } from '../../../streams/test-driver.js';
import { buildIngestTopology } from '../../../topologies/ingest.js';
import { CANARIES, corpusInputs, DELETE, FIXTURES, generatedInputs, HOSTILE_VALUES, paths, withValueAt, type HostileInput } from './hostile-inputs.js';

const topics = { raw: 'raw', canonical: 'canonical', deadLetter: 'dlq', erasureRequests: 'erasure', checkpoints: 'checkpoints' };
const tried: Record<string, number> = {};
const note = (suite: string, n: number) => void (tried[suite] = (tried[suite] ?? 0) + n);

const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

function ingest(options: { keep?: boolean } = {}) {
  const chainKeys = new ChainKeyRing('c1', new Map([['c1', Buffer.alloc(32, 7)]]));
  const masterKeys = new MasterKeyRing('m1', new Map([['m1', Buffer.alloc(32, 9)]]));
  const vault = new PiiVault(new MemoryVaultStore(), { masterKeys, lookupKey: Buffer.alloc(32, 3) });
  let outputs: RawTestRecord[] = [];
  const canonical: RawTestRecord[] = [];
  const driver = new TopologyTestDriver(
    buildIngestTopology({ topics, translator: new CanonicalTranslator(), vault, chainKeys, masterKeys, signer: new CheckpointSigner(generateKeyPairSync('ed25519').privateKey) }),
    {
      applicationId: 'ingest-fuzz',
      initialWallClockTimeMs: Date.parse('2026-11-28T09:00:00Z'),
      deadLetterTopic: topics.deadLetter,
      capture: 'none',
      onOutput: (record) => {
        outputs.push(record);
        if (options.keep === true && record.topic === topics.canonical) canonical.push(record);
      },
    },
  );
  const raw = driver.createInputTopic(topics.raw, Serdes.Bytes(), Serdes.Bytes());

  /** Pipes one input alone and checks where it ended; returns the outcome for tallies. */
  async function pipe(input: HostileInput): Promise<'canonical' | string> {
    outputs = [];
    await raw.pipeInputAsync(Buffer.from('k'), input.value, undefined, input.headers ?? {});
    const events = outputs.filter((r) => r.topic === topics.canonical);
    const dead = outputs.filter((r) => r.topic === topics.deadLetter);
    const where = `input ${input.name}`;
    if (dead.length === 0) {
      expect(events.length, `${where}: neither canonical nor dead-lettered`).toBeGreaterThan(0);
      return 'canonical';
    }
    expect(dead.length, `${where}: more than one dead letter`).toBe(1);
    expect(events, `${where}: both canonical and dead-lettered`).toEqual([]);
    const header = (name: string) => dead[0]?.headers[name]?.toString() ?? '';
    const code = header(DEAD_LETTER_HEADERS.code);
    const message = header(DEAD_LETTER_HEADERS.message);
    expect(code, `${where}: dead-letter code`).toMatch(/^[A-Z][A-Z0-9_]{2,63}$/);
    expect(header(DEAD_LETTER_HEADERS.stage), `${where}: dead-letter stage`).toMatch(/^[a-z][a-z0-9_.-]*$/);
    expect(message.length, `${where}: dead-letter message`).toBeGreaterThan(0);
    expect(message.length, `${where}: dead-letter message length`).toBeLessThanOrEqual(300);
    // One line, no terminal escapes: a reason can be logged as it is.
    // eslint-disable-next-line no-control-regex -- control characters are what is checked for
    expect(/[\u0000-\u001f\u007f\u2028\u2029]/.test(message + header(DEAD_LETTER_HEADERS.path)), `${where}: control character in the reason`).toBe(false);
    for (const canary of CANARIES) expect(message + header(DEAD_LETTER_HEADERS.path), `${where}: the reason echoes the input`).not.toContain(canary);
    return code;
  }

  /**
   * The chains as a Kafka-mode reader sees them: each record encoded to the canonical Avro binary (what
   * the registry serde writes; a throw there would be a poison pill in Kafka mode) and decoded again.
   */
  function verifyChains(): { intact: boolean; records: number } {
    const verifier = new ChainVerifier(chainKeys, [], []);
    for (const record of canonical) {
      const envelope = decodeCanonicalAvro(encodeCanonicalAvro(JSON.parse((record.value as Buffer).toString()) as CanonicalEnvelope));
      verifier.add({ partition: record.partition, offset: record.offset, event: envelope.event, chain: envelope.chain });
    }
    return verifier.report();
  }

  return { pipe, verifyChains, canonical, driver };
}

function expectNoPrototypePollution(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  const probe = {} as Record<string, unknown>;
  for (const key of ['polluted', 'isAdmin', '__canary']) expect(probe[key], `Object.prototype.${key}`).toBeUndefined();
  expect(Object.getOwnPropertyNames(Array.prototype)).not.toContain('polluted');
}

/** An own `__proto__` key anywhere in a parsed canonical record (JSON.parse makes it an own property). */
function hasProtoKey(value: unknown): boolean {
  const stack = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (next === null || typeof next !== 'object') continue;
    if (Object.prototype.hasOwnProperty.call(next, '__proto__')) return true;
    stack.push(...Object.values(next));
  }
  return false;
}

afterAll(() => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0);
  console.log(`ingest fuzz: ${total} inputs tried (${Object.entries(tried).map(([k, v]) => `${k} ${v}`).join(', ')})`);
});

describe('ingest topology under hostile input', () => {
  it('routes every corpus and generated hostile input to canonical or to one dead letter with a reason', { timeout: 300_000 }, async () => {
    const { pipe, verifyChains, canonical } = ingest({ keep: true });
    const inputs = [...corpusInputs(), ...generatedInputs()];
    const outcomes = new Map<string, number>();
    for (const input of inputs) {
      const outcome = await pipe(input);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    note('corpus+generated', inputs.length);
    expectNoPrototypePollution();
    for (const record of canonical) expect(hasProtoKey(JSON.parse((record.value as Buffer).toString()))).toBe(false);
    expect(verifyChains()).toMatchObject({ intact: true, records: canonical.length });
    // Both ends are exercised: hostile input is mostly rejected, yet a fair share still translates.
    expect(outcomes.get('canonical') ?? 0).toBeGreaterThan(100);
    expect([...outcomes.keys()].length).toBeGreaterThan(8);
  });

  it('property: any bytes, any JSON, any mutated fixture and any CloudEvents headers end on canonical or dead letter, never a throw', { timeout: 300_000 }, async () => {
    const { pipe, verifyChains, canonical } = ingest({ keep: true });
    const fixtureNames = Object.keys(FIXTURES);
    const runs = { bytes: 1_500, json: 1_500, mutated: 1_500, headers: 1_500 };
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => void (await pipe({ name: 'fc-bytes', value: Buffer.from(bytes) }))), { numRuns: runs.bytes, seed: 9 });
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => void (await pipe({ name: `fc-json ${JSON.stringify(value).slice(0, 80)}`, value: Buffer.from(JSON.stringify(value) ?? 'null') }))),
      { numRuns: runs.json, seed: 10 },
    );
    const hostileOrAny = fc.oneof(fc.constantFrom(...HOSTILE_VALUES, DELETE), fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 64 }));
    const mutation = fc.tuple(fc.constantFrom(...fixtureNames), fc.array(fc.tuple(fc.nat(), hostileOrAny), { minLength: 1, maxLength: 4 }));
    await fc.assert(
      fc.asyncProperty(mutation, async ([name, edits]) => {
        let value: unknown = FIXTURES[name];
        for (const [index, replacement] of edits) {
          const all = paths(value);
          if (all.length === 0) break;
          value = withValueAt(value, all[index % all.length] as (string | number)[], replacement);
        }
        await pipe({ name: `fc-mutated ${name}`, value: Buffer.from(JSON.stringify(value)) });
      }),
      { numRuns: runs.mutated, seed: 11 },
    );
    // CloudEvents binary mode: the headers carry the event, so they get the same treatment.
    const headerName = fc.constantFrom('ce_specversion', 'ce_id', 'ce_source', 'ce_type', 'ce_time', 'ce_subject', 'ce_dataschema', 'content-type', 'ce_x');
    const headerValue = fc.oneof(fc.constantFrom('1.0', '2026-11-28T09:00:00Z', 'com.example.order.created', '/app', 'id-1', ''), fc.string({ unit: 'binary', maxLength: 300 }));
    const ceHeaders = fc.dictionary(headerName, headerValue, { minKeys: 1, maxKeys: 9 }).map((headers) => ({ ce_specversion: '1.0', ...headers }));
    await fc.assert(
      fc.asyncProperty(ceHeaders, fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'), fc.string({ unit: 'binary', maxLength: 200 })), async (headers, value) => {
        await pipe({ name: `fc-ce-headers ${JSON.stringify(headers).slice(0, 120)}`, value: Buffer.from(value), headers });
      }),
      { numRuns: runs.headers, seed: 13 },
    );
    note('fast-check', runs.bytes + runs.json + runs.mutated + runs.headers);
    expectNoPrototypePollution();
    expect(verifyChains()).toMatchObject({ intact: true, records: canonical.length });
  });

  it('property: __proto__, constructor and prototype keys anywhere never pollute a prototype', { timeout: 60_000 }, async () => {
    const { pipe } = ingest();
    const key = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'polluted');
    const hostileTree = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), fc.dictionary(key, tie('tree'), { maxKeys: 3 })),
    })).tree;
    const runs = 1_000;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(FIXTURES)), fc.nat(), hostileTree, async (name, index, tree) => {
        const all = paths(FIXTURES[name]);
        const value = withValueAt(FIXTURES[name], all[index % all.length] as (string | number)[], tree);
        // JSON.stringify drops a `__proto__` set by assignment; write the key out as producers can.
        const json = JSON.stringify(value).replace('"polluted":', '"__proto__":');
        await pipe({ name: `fc-proto ${name}`, value: Buffer.from(json) });
        expectNoPrototypePollution();
      }),
      { numRuns: runs, seed: 12 },
    );
    note('prototype keys', runs);
  });

  it('keeps the heap flat over a long run of hostile input', { timeout: 300_000 }, async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const { pipe } = ingest();
    // Every fifth small input (the huge ones are covered above; here the count of records matters).
    const inputs = [...corpusInputs(), ...generatedInputs()].filter((input, i) => input.value.length < 64 * 1024 && i % 5 === 0);
    const round = async () => {
      for (const input of inputs) await pipe(input);
    };
    await round();
    gc();
    const before = process.memoryUsage().heapUsed;
    const rounds = 3;
    for (let i = 0; i < rounds; i += 1) await round();
    gc();
    const grownMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    note('memory run', inputs.length * (rounds + 1));
    console.log(`ingest fuzz: heap grew ${grownMb.toFixed(1)} MB over ${inputs.length * rounds} inputs after warm-up`);
    expect(grownMb).toBeLessThan(16);
  });
});
