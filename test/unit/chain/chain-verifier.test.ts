import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../processors/chain/canonical-json.js';
import { ChainKeyRing, GENESIS_HASH } from '../../../processors/chain/chain-hash.js';
import { ChainVerifier, type VerificationReport } from '../../../processors/chain/chain-verifier.js';
import { CheckpointSigner, verifyCheckpoint, type ChainCheckpoint } from '../../../processors/chain/checkpoint.js';
import { parseRecordLine } from '../../../processors/chain/export-format.js';
import { HashChainer, MemoryChainHeadStore } from '../../../processors/chain/hash-chainer.js';
import { chainedLog, chainKeys, sampleEvent } from './chain-fixtures.js';

function verifyLines(keys: ChainKeyRing, lines: readonly string[], checkpoints: ChainCheckpoint[] = [], publicKeys = [] as Parameters<typeof verifyCheckpoint>[1]): VerificationReport {
  const verifier = new ChainVerifier(keys, checkpoints, publicKeys);
  for (const line of lines) {
    const record = parseRecordLine(line);
    if (record === undefined) verifier.malformed('not a record');
    else verifier.add(record);
  }
  return verifier.report();
}

/** Index in `lines` of partition p's entry with sequence s. */
const indexOf = (lines: string[], partition: number, sequence: number): number =>
  lines.findIndex((l) => {
    const r = parseRecordLine(l);
    return r?.partition === partition && r.chain?.sequence === sequence;
  });

describe('HashChainer', () => {
  it('numbers entries from 0, links each to the previous hash, and switches key id on rotation', () => {
    const keys = chainKeys();
    const heads = new MemoryChainHeadStore();
    const first = new HashChainer(keys, heads);
    const a = first.append(7, sampleEvent(0));
    const b = first.append(7, sampleEvent(1));
    if (a.kind !== 'ok' || b.kind !== 'ok') throw new Error('expected ok');
    expect(a.value).toMatchObject({ partition: 7, sequence: 0, previous_hash: GENESIS_HASH, key_id: 'c1' });
    expect(b.value).toMatchObject({ sequence: 1, previous_hash: a.value.hash, key_id: 'c1' });
    // A restart with a rotated key continues the same chain (same head store) under the new key id.
    const rotated = new HashChainer(keys.withActive('c2'), heads);
    const c = rotated.append(7, sampleEvent(2));
    if (c.kind !== 'ok') throw new Error('expected ok');
    expect(c.value).toMatchObject({ sequence: 2, previous_hash: b.value.hash, key_id: 'c2' });
    expect(rotated.append(8, sampleEvent(3))).toMatchObject({ kind: 'ok', value: { partition: 8, sequence: 0 } });

    const verifier = new ChainVerifier(keys);
    for (const [i, r] of [a, b, c].entries()) verifier.add({ partition: 7, offset: String(i), event: sampleEvent(i), chain: r.kind === 'ok' ? r.value : null });
    // The events were rebuilt with fresh ids, so they no longer match: the verifier notices.
    expect(verifier.report().intact).toBe(false);
  });

  it('dead-letters an event that has no canonical JSON form, without advancing the head', () => {
    const heads = new MemoryChainHeadStore();
    const chainer = new HashChainer(chainKeys(), heads);
    const bad = { ...sampleEvent(0), source: 'lone \ud800 surrogate' };
    expect(chainer.append(0, bad)).toMatchObject({ kind: 'deadLetter', code: 'CHAIN_INPUT_INVALID', stage: 'chain' });
    expect(heads.get(0)).toBeUndefined();
  });
});

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units, omits undefined, and serializes numbers and strings the ECMAScript way', () => {
    expect(canonicalJson({ b: [1, 'x', null, true], a: { d: undefined, c: -0 }, '\u20ac': 1, '\ud83d\ude00': 2, '\ufb33': 3 })).toBe(
      '{"a":{"c":0},"b":[1,"x",null,true],"\u20ac":1,"\ud83d\ude00":2,"\ufb33":3}',
    );
    expect(canonicalJson({ n: [1e21, 1e-7, 0.1 + 0.2, 100, 333333333.3333333] })).toBe('{"n":[1e+21,1e-7,0.30000000000000004,100,333333333.3333333]}');
    expect(canonicalJson('\u0007"\\\n')).toBe('"\\u0007\\"\\\\\\n"');
    expect(() => canonicalJson({ x: Number.NaN })).toThrow();
  });
});

describe('ChainVerifier on an exported log', () => {
  const log = chainedLog(2, 10);
  const withCheckpoints = (lines: string[]): VerificationReport => verifyLines(log.keys, lines, log.checkpoints, [log.publicKey]);

  it('reports an intact log as intact, with truncation checked against the checkpoints', () => {
    const report = withCheckpoints(log.lines);
    expect(report).toMatchObject({ intact: true, records: 20, truncation_checked: true, checkpoints: { valid: 2, invalid: 0 }, breaks: [] });
    expect(report.partitions.map((p) => [p.partition, p.verified_through, p.checkpoint_sequence])).toEqual([
      [0, 9, 9],
      [1, 9, 9],
    ]);
  });

  it('detects a modified field as "modified" at that entry', () => {
    const lines = [...log.lines];
    const i = indexOf(lines, 1, 4);
    const record = parseRecordLine(lines[i] as string)!;
    lines[i] = JSON.stringify({ ...record, event: { ...record.event, action: { ...record.event.action, name: 'shop.cart.deleted' } } });
    const report = withCheckpoints(lines);
    expect(report.intact).toBe(false);
    expect(report.breaks).toEqual([expect.objectContaining({ kind: 'modified', partition: 1, sequence: 4, offset: record.offset, position: i + 1 })]);
    expect(report.partitions[0]?.intact).toBe(true);
  });

  it('detects a modified chain field (re-pointed previous hash) as "modified"', () => {
    const lines = [...log.lines];
    const i = indexOf(lines, 0, 3);
    const record = parseRecordLine(lines[i] as string)!;
    lines[i] = JSON.stringify({ ...record, chain: { ...record.chain, previous_hash: GENESIS_HASH } });
    expect(withCheckpoints(lines).breaks).toEqual([expect.objectContaining({ kind: 'modified', partition: 0, sequence: 3 })]);
  });

  it('detects a deleted line as "deleted", naming the first missing sequence', () => {
    const lines = [...log.lines];
    lines.splice(indexOf(lines, 0, 6), 1);
    expect(withCheckpoints(lines).breaks).toEqual([expect.objectContaining({ kind: 'deleted', partition: 0, sequence: 6 })]);
  });

  it('detects a forged line as "inserted"', () => {
    const lines = [...log.lines];
    const i = indexOf(lines, 1, 5);
    const genuine = parseRecordLine(lines[i] as string)!;
    const forged = { ...genuine, event: { ...genuine.event, action: { name: 'auth.user.promoted', type: 'update' } }, chain: { ...genuine.chain, hash: 'f'.repeat(64) } };
    lines.splice(i, 0, JSON.stringify(forged));
    expect(withCheckpoints(lines).breaks).toEqual([expect.objectContaining({ kind: 'inserted', partition: 1, sequence: 5, position: i + 1 })]);
  });

  it('detects a replayed copy of a genuine line as "inserted"', () => {
    const lines = [...log.lines];
    lines.splice(indexOf(lines, 0, 8), 0, lines[indexOf(lines, 0, 2)] as string);
    expect(withCheckpoints(lines).breaks).toEqual([expect.objectContaining({ kind: 'inserted', partition: 0, sequence: 2 })]);
  });

  it('detects two swapped lines as "reordered"', () => {
    const lines = [...log.lines];
    const a = indexOf(lines, 1, 2);
    const b = indexOf(lines, 1, 3);
    [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
    expect(withCheckpoints(lines).breaks).toEqual([expect.objectContaining({ kind: 'reordered', partition: 1, sequence: 2 })]);
  });

  it('detects a truncated tail as "truncated" when a signed checkpoint exists, and says when it cannot', () => {
    const lines = log.lines.filter((l) => {
      const r = parseRecordLine(l)!;
      return !(r.partition === 0 && r.chain!.sequence >= 7);
    });
    expect(withCheckpoints(lines).breaks).toEqual([expect.objectContaining({ kind: 'truncated', partition: 0, sequence: 7 })]);
    const blind = verifyLines(log.keys, lines);
    expect(blind).toMatchObject({ intact: true, truncation_checked: false });
    // A whole partition missing is a truncation too.
    expect(withCheckpoints(log.lines.filter((l) => parseRecordLine(l)!.partition !== 1)).breaks).toEqual([
      expect.objectContaining({ kind: 'truncated', partition: 1, sequence: 0 }),
    ]);
  });

  it('rejects checkpoints not signed by the given key, and a chain rewritten under a stolen key', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const forgedCheckpoint = new CheckpointSigner(privateKey).sign('quintet.canonical', 0, { sequence: 50, hash: 'a'.repeat(64), key_id: 'c1' }, new Date());
    const report = verifyLines(log.keys, log.lines, [forgedCheckpoint], [log.publicKey]);
    expect(report.breaks).toEqual([expect.objectContaining({ kind: 'checkpoint_invalid', partition: 0 })]);
    const tampered = { ...log.checkpoints[0]!, sequence: 3 };
    expect(verifyCheckpoint(tampered, [log.publicKey])).toBe(false);

    // Same keys, different content: a consistent but different chain contradicts the checkpoint.
    const rewritten = chainedLog(2, 10, log.keys);
    expect(verifyLines(log.keys, rewritten.lines, log.checkpoints, [log.publicKey]).breaks).toEqual([
      expect.objectContaining({ kind: 'modified', partition: 0, sequence: 9 }),
      expect.objectContaining({ kind: 'modified', partition: 1, sequence: 9 }),
    ]);
  });

  it('names unknown key ids, unchained records and malformed lines', () => {
    const other = new ChainKeyRing('zz', new Map([['zz', randomBytes(32)]]));
    expect(verifyLines(other, log.lines).breaks[0]).toMatchObject({ kind: 'unknown_key', partition: 0, sequence: 0 });
    const lines = [...log.lines];
    const record = parseRecordLine(lines[0] as string)!;
    lines[0] = JSON.stringify({ ...record, chain: null });
    lines.push('{not json');
    expect(verifyLines(log.keys, lines).breaks.map((b) => b.kind)).toEqual(['malformed', 'unchained']);
  });
});
