/** Shared builders for the chain tests: a chained, exported log of a few partitions. */
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { ChainKeyRing } from '../../../processors/chain/chain-hash.js';
import { CheckpointSigner, type ChainCheckpoint } from '../../../processors/chain/checkpoint.js';
import { exportLine, type ExportedRecord } from '../../../processors/chain/export-format.js';
import { HashChainer, MemoryChainHeadStore } from '../../../processors/chain/hash-chainer.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';

export const chainKeys = (): ChainKeyRing => new ChainKeyRing('c1', new Map([['c1', randomBytes(32)], ['c2', randomBytes(32)]]));

export const sampleEvent = (i: number): CanonicalEvent => ({
  id: randomUUID(),
  event_timestamp: new Date(Date.UTC(2026, 10, 28, 9, 0, 0, i)).toISOString(),
  observed_timestamp: new Date(Date.UTC(2026, 10, 28, 9, 0, 1, i)).toISOString(),
  source: 'test://chain',
  spec_version: '1.0',
  action: { name: 'shop.cart.updated', type: 'update' },
  actor: { type: 'user', pseudonym: `ps_${'a'.repeat(25)}${'bcd'[i % 3]}` },
  context: { attributes: { amount: i * 1.5, note: `entry ${i} ✓` } },
});

export interface ChainedLog {
  readonly keys: ChainKeyRing;
  readonly records: ExportedRecord[];
  readonly lines: string[];
  readonly checkpoints: ChainCheckpoint[];
  readonly signingKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** `perPartition` events on each of `partitions` partitions, interleaved as an export would be; a checkpoint of every head. */
export function chainedLog(partitions = 2, perPartition = 10, keys = chainKeys()): ChainedLog {
  const chainer = new HashChainer(keys, new MemoryChainHeadStore());
  const records: ExportedRecord[] = [];
  for (let i = 0; i < perPartition; i += 1) {
    for (let p = 0; p < partitions; p += 1) {
      const event = sampleEvent(i * partitions + p);
      const link = chainer.append(p, event);
      if (link.kind !== 'ok') throw new Error('chaining failed');
      records.push({ topic: 'quintet.canonical', partition: p, offset: String(i * 2), event, chain: link.value });
    }
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signer = new CheckpointSigner(privateKey);
  const checkpoints = Array.from({ length: partitions }, (_, p) => signer.sign('quintet.canonical', p, chainer.head(p)!, new Date('2026-11-28T10:00:00Z')));
  return { keys, records, lines: records.map((r) => exportLine(r).trimEnd()), checkpoints, signingKey: privateKey, publicKey };
}
