/**
 * The one contract of the PII vault, run against every VaultStore: the in-memory store (unit project)
 * and the Redis store (integration project). Not a test file itself: each store's test calls it.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isQuintetError } from '../../../core/errors.js';
import { PII_TOKEN_PATTERN, PiiVault, type PiiVaultOptions } from '../../../processors/pseudonymization/pii-vault.js';
import { lookupHash, MasterKeyRing, PSEUDONYM_PATTERN, wrappingKeyId, type SubjectRef } from '../../../processors/pseudonymization/vault-crypto.js';
import type { VaultStore } from '../../../processors/pseudonymization/vault-store.js';

export interface VaultStoreFixture {
  readonly store: VaultStore;
  /** Another store over the same data, on its own connection (a second processor). */
  another(): Promise<VaultStore>;
  /** Every key and value held, as text (to check that no raw PII is stored). */
  dump(): Promise<string[]>;
  cleanup(): Promise<void>;
}

const ring = (...ids: string[]): MasterKeyRing => new MasterKeyRing(ids[0] as string, new Map(ids.map((id) => [id, keyOf(id)])));
const keys = new Map<string, Buffer>();
const keyOf = (id: string): Buffer => {
  let key = keys.get(id);
  if (key === undefined) {
    key = randomBytes(32);
    keys.set(id, key);
  }
  return key;
};

export function describeVaultStoreContract(name: string, makeFixture: () => Promise<VaultStoreFixture>): void {
  describe(`VaultStore contract: ${name}`, () => {
    let fixture: VaultStoreFixture;
    const lookupKey = randomBytes(32);
    const vaultOn = (store: VaultStore, options: Partial<PiiVaultOptions> = {}): PiiVault =>
      new PiiVault(store, { masterKeys: ring('k1'), lookupKey, ...options });
    const user = (id: string): SubjectRef => ({ kind: 'user', id });

    beforeEach(async () => {
      fixture = await makeFixture();
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('gives a new subject a random pseudonym that stays stable across vault instances', async () => {
      const first = await vaultOn(fixture.store).resolve(user('alice@example.com'));
      expect(first.pseudonym).toMatch(PSEUDONYM_PATTERN);
      expect(first.pseudonym).not.toContain('alice');
      const again = await vaultOn(fixture.store).resolve(user('alice@example.com'));
      expect(again.pseudonym).toBe(first.pseudonym);
      expect(again.dataKey.equals(first.dataKey)).toBe(true);
      const other = await vaultOn(fixture.store).resolve(user('bob@example.com'));
      expect(other.pseudonym).not.toBe(first.pseudonym);
    });

    it('keeps subject kinds apart: user 42 and anonymous 42 are different subjects', async () => {
      const vault = vaultOn(fixture.store);
      const resolved = await vault.resolveMany([user('42'), { kind: 'anonymous', id: '42' }, user('42')]);
      expect(resolved.size).toBe(2);
      const [a, b] = [...resolved.values()];
      expect(a?.pseudonym).not.toBe(b?.pseudonym);
    });

    it('converges on one pseudonym when two processors meet the same new subjects at once', async () => {
      const second = await fixture.another();
      const subjects = Array.from({ length: 200 }, (_, i) => user(`racer-${i}`));
      const [left, right] = await Promise.all([vaultOn(fixture.store).resolveMany(subjects), vaultOn(second).resolveMany([...subjects].reverse())]);
      for (const [key, handle] of left) {
        expect(right.get(key)?.pseudonym).toBe(handle.pseudonym);
        expect(right.get(key)?.dataKey.equals(handle.dataKey)).toBe(true);
      }
      const stats = [...left.values()].map((h) => h.pseudonym);
      expect(new Set(stats).size).toBe(200);
      await second.close();
    });

    it('stores PII encrypted and reveals it to an authorised reader', async () => {
      const vault = vaultOn(fixture.store);
      const subject = user('carol-7781');
      const handle = await vault.resolve(subject);
      const token = vault.protect(subject, handle, 'actor.details.email', 'carol@example.org');
      const ipToken = vault.protect(subject, handle, 'context.client.user_agent', 'Mozilla/5.0 Carol');
      expect(token).toMatch(PII_TOKEN_PATTERN);
      expect(vault.protect(subject, handle, 'actor.details.email', 'carol@example.org')).toBe(token);
      expect(await vault.flush()).toEqual({ written: 2, discarded: 0 });
      const revealed = await vaultOn(fixture.store).reveal(handle.pseudonym);
      expect(revealed?.subject).toEqual(subject);
      expect(revealed?.values.map((v) => [v.path, v.value]).sort()).toEqual([
        ['actor.details.email', 'carol@example.org'],
        ['context.client.user_agent', 'Mozilla/5.0 Carol'],
      ]);
      expect(ipToken).not.toBe(token);
      const everything = (await fixture.dump()).join('\n');
      for (const raw of ['carol-7781', 'carol@example.org', 'Mozilla', 'actor.details.email']) expect(everything).not.toContain(raw);
    });

    it('crypto-shreds on erasure: the pseudonym resolves to nothing and a returning subject gets a new one', async () => {
      const vault = vaultOn(fixture.store);
      const subject = user('dave-1');
      const handle = await vault.resolve(subject);
      vault.protect(subject, handle, 'actor.details.name', 'Dave Example');
      await vault.flush();
      const otherVault = vaultOn(fixture.store);
      expect(await otherVault.lookup(subject)).toBe(handle.pseudonym);

      expect(await vault.erase(subject)).toEqual([handle.pseudonym]);
      expect(await vault.reveal(handle.pseudonym)).toBeUndefined();
      expect(await otherVault.lookup(subject)).toBeUndefined();
      expect(await vault.erase(subject)).toEqual([]);
      expect((await fixture.dump()).join('\n')).not.toContain(handle.pseudonym);

      const returning = await vault.resolve(subject);
      expect(returning.pseudonym).not.toBe(handle.pseudonym);
      expect(returning.dataKey.equals(handle.dataKey)).toBe(false);
    });

    it('erases a subject under every kind by identifier, and by pseudonym', async () => {
      const vault = vaultOn(fixture.store);
      const both = await vault.resolveMany([user('erin'), { kind: 'anonymous', id: 'erin' }, user('frank')]);
      const erased = await vault.eraseIdentifier('erin');
      expect(erased.sort()).toEqual(
        [...both.entries()]
          .filter(([key]) => key.endsWith('erin'))
          .map(([, h]) => h.pseudonym)
          .sort(),
      );
      const frank = [...both.values()][2]?.pseudonym as string;
      expect(await vault.erasePseudonym(frank)).toBe(true);
      expect(await vault.erasePseudonym(frank)).toBe(false);
      expect(await vault.lookup(user('frank'))).toBeUndefined();
    });

    it('does not write values for a subject erased between resolve and flush', async () => {
      const writer = vaultOn(fixture.store);
      const subject = user('gina');
      const handle = await writer.resolve(subject);
      writer.protect(subject, handle, 'actor.details.email', 'gina@example.net');
      await vaultOn(fixture.store).erase(subject);
      expect(await writer.flush()).toEqual({ written: 0, discarded: 1 });
      expect(await writer.reveal(handle.pseudonym)).toBeUndefined();
      expect((await fixture.dump()).join('\n')).not.toContain(handle.pseudonym);
      // The writer's cache entry was dropped: the subject now gets a fresh pseudonym.
      expect((await writer.resolve(subject)).pseudonym).not.toBe(handle.pseudonym);
    });

    it('rotates the master key: old data still decrypts, new writes use the new key id, rewrap moves the rest', async () => {
      const before = vaultOn(fixture.store, { masterKeys: ring('k1') });
      const old = await before.resolve(user('hank'));
      before.protect(user('hank'), old, 'actor.details.email', 'hank@example.com');
      await before.flush();

      const rotated = vaultOn(fixture.store, { masterKeys: ring('k2', 'k1') });
      expect((await rotated.reveal(old.pseudonym))?.values[0]?.value).toBe('hank@example.com');
      const fresh = await rotated.resolve(user('ivy'));
      const [hankEntry, ivyEntry] = await fixture.store.lookup([user('hank'), user('ivy')].map((s) => lookupHash(lookupKey, s)));
      expect(wrappingKeyId(hankEntry?.wrappedKey as string)).toBe('k1');
      expect(wrappingKeyId(ivyEntry?.wrappedKey as string)).toBe('k2');
      expect(fresh.pseudonym).toBe(ivyEntry?.pseudonym);

      // Without k1 in the ring, the old subject's key cannot be unwrapped.
      await expect(vaultOn(fixture.store, { masterKeys: ring('k2') }).reveal(old.pseudonym)).rejects.toSatisfy(
        (e) => isQuintetError(e) && e.code === 'VAULT_KEY_UNKNOWN',
      );
      expect(await rotated.rewrap()).toEqual({ scanned: 2, rewrapped: 1 });
      const onlyNew = vaultOn(fixture.store, { masterKeys: ring('k2') });
      expect((await onlyNew.reveal(old.pseudonym))?.values[0]?.value).toBe('hank@example.com');
      expect(await rotated.rewrap()).toEqual({ scanned: 2, rewrapped: 0 });
    });

    it('caches resolved subjects (hits need no store) and invalidates on erasure', async () => {
      const vault = vaultOn(fixture.store, { cacheSize: 10 });
      const subjects = Array.from({ length: 5 }, (_, i) => user(`cached-${i}`));
      const first = await vault.resolveMany(subjects);
      await vault.resolveMany(subjects);
      expect(vault.stats()).toMatchObject({ hits: 5, misses: 5, hitRate: 0.5, created: 5 });
      await vault.erase(subjects[0] as SubjectRef);
      const after = await vault.resolveMany(subjects);
      expect(after.get(`user\u0000cached-0`)?.pseudonym).not.toBe(first.get(`user\u0000cached-0`)?.pseudonym);
      expect(vault.stats()).toMatchObject({ hits: 9, misses: 6, created: 6 });
    });
  });
}
