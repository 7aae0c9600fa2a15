import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryVaultStore } from '../../../connectors/memory/vault-store.js';
import { PiiVault } from '../../../processors/pseudonymization/pii-vault.js';
import { MasterKeyRing, type SubjectRef } from '../../../processors/pseudonymization/vault-crypto.js';

const masterKeys = new MasterKeyRing('m1', new Map([['m1', randomBytes(32)]]));
const lookupKey = randomBytes(32);

/** Bytes of memory a Buffer keeps alive: its whole ArrayBuffer, however short the Buffer is. */
const retainedBytes = (buffer: Buffer): number => buffer.buffer.byteLength;

describe('PiiVault cache memory', () => {
  // A data key that is a slice of Node's 8 KiB Buffer pool keeps its whole pool block alive for as long
  // as the subject stays cached: under a stream of new subjects, ~8 KiB per cached subject instead of 32 B.
  it("keeps only each cached data key's own 32 bytes, for new subjects and for subjects found in the store", async () => {
    const store = new MemoryVaultStore();
    const subjects: SubjectRef[] = Array.from({ length: 200 }, (_, i) => ({ kind: 'anonymous', id: `device-${i}` }));
    const creating = new PiiVault(store, { masterKeys, lookupKey });
    const created = await creating.resolveMany(subjects);
    // Another instance finds them in the store: their data keys are unwrapped, not generated.
    const finding = new PiiVault(store, { masterKeys, lookupKey });
    const found = await finding.resolveMany(subjects);
    expect(finding.stats().created).toBe(0);
    for (const handles of [created, found]) {
      expect(handles.size).toBe(subjects.length);
      for (const handle of handles.values()) {
        expect(handle.dataKey.length).toBe(32);
        expect(retainedBytes(handle.dataKey)).toBe(32);
      }
    }
    // Still the same keys: what one instance wrapped, the other unwrapped.
    for (const [key, handle] of created) expect(found.get(key)?.dataKey.equals(handle.dataKey)).toBe(true);
  });
});
