/**
 * The test vector in docs/hash-chain.md, checked twice: by the production code and by an independent
 * implementation written from the document's text only (as an auditor would).
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../processors/chain/canonical-json.js';
import { chainHash, chainMessage, ChainKeyRing } from '../../../processors/chain/chain-hash.js';
import { ChainVerifier } from '../../../processors/chain/chain-verifier.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';

interface Vector {
  key_base64: string;
  key_id: string;
  partition: number;
  entries: { sequence: number; previous_hash: string; event: CanonicalEvent; canonical_json: string; message_hex?: string; hash: string }[];
}

const doc = readFileSync(new URL('../../../docs/hash-chain.md', import.meta.url), 'utf8');
const block = /<!-- test-vector:begin -->\s*```json\n([\s\S]*?)\n```\s*<!-- test-vector:end -->/.exec(doc);
const vector = JSON.parse(block?.[1] ?? 'null') as Vector;

/** Written from the "Construction" section, sharing no code with processors/chain. */
function auditorHash(key: Buffer, keyId: string, partition: number, sequence: number, previousHex: string, canonical: string): { m: Buffer; hash: string } {
  const e = Buffer.from(canonical, 'utf8');
  const fixed = Buffer.alloc(4 + 8);
  fixed.writeUInt32BE(partition, 0);
  fixed.writeBigUInt64BE(BigInt(sequence), 4);
  const eLength = Buffer.alloc(4);
  eLength.writeUInt32BE(e.length, 0);
  const m = Buffer.concat([Buffer.from('QUINTET-CHAIN-V1', 'ascii'), Buffer.from([0]), fixed, Buffer.from([keyId.length]), Buffer.from(keyId, 'ascii'), Buffer.from(previousHex, 'hex'), eLength, e]);
  return { m, hash: createHmac('sha256', key).update(m).digest('hex') };
}

describe('docs/hash-chain.md test vector', () => {
  it('is present', () => {
    expect(vector.entries.length).toBe(2);
  });

  it('matches the production implementation', () => {
    const key = Buffer.from(vector.key_base64, 'base64');
    for (const entry of vector.entries) {
      expect(canonicalJson(entry.event)).toBe(entry.canonical_json);
      const position = { partition: vector.partition, sequence: entry.sequence, keyId: vector.key_id, previousHash: entry.previous_hash };
      if (entry.message_hex !== undefined) expect(chainMessage(position, entry.event).toString('hex')).toBe(entry.message_hex);
      expect(chainHash(key, position, entry.event)).toBe(entry.hash);
    }
  });

  it('matches an independent implementation from the text, and the entries chain', () => {
    const key = Buffer.from(vector.key_base64, 'base64');
    let previous = '0'.repeat(64);
    for (const entry of vector.entries) {
      expect(entry.previous_hash).toBe(previous);
      const { m, hash } = auditorHash(key, vector.key_id, vector.partition, entry.sequence, entry.previous_hash, entry.canonical_json);
      if (entry.message_hex !== undefined) expect(m.toString('hex')).toBe(entry.message_hex);
      expect(hash).toBe(entry.hash);
      previous = hash;
    }
    const verifier = new ChainVerifier(new ChainKeyRing(vector.key_id, new Map([[vector.key_id, key]])));
    vector.entries.forEach((entry, i) =>
      verifier.add({
        partition: vector.partition,
        offset: String(i),
        event: entry.event,
        chain: { partition: vector.partition, sequence: entry.sequence, previous_hash: entry.previous_hash, hash: entry.hash, key_id: vector.key_id },
      }),
    );
    expect(verifier.report().intact).toBe(true);
  });
});
