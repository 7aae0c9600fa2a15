import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryVaultStore } from '../../../connectors/memory/vault-store.js';
import { PII_TOKEN_PATTERN, PiiVault } from '../../../processors/pseudonymization/pii-vault.js';
import { definePiiPolicy, looksLikeEmail, truncateIp } from '../../../processors/pseudonymization/pii-policy.js';
import { Pseudonymizer } from '../../../processors/pseudonymization/pseudonymizer.js';
import { MasterKeyRing, PSEUDONYM_PATTERN } from '../../../processors/pseudonymization/vault-crypto.js';
import type { VaultStore } from '../../../processors/pseudonymization/vault-store.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';

const masterKeys = new MasterKeyRing('m1', new Map([['m1', randomBytes(32)]]));
const lookupKey = randomBytes(32);
const newVault = (store: VaultStore = new MemoryVaultStore()): PiiVault => new PiiVault(store, { masterKeys, lookupKey });
/** Another vault instance (another process) over the same store and keys. */
const newVaultSharing = (_other: PiiVault, store: VaultStore): PiiVault => new PiiVault(store, { masterKeys, lookupKey });

const event = (overrides: Partial<CanonicalEvent>): CanonicalEvent => ({
  id: randomUUID(),
  event_timestamp: '2026-11-28T09:00:00.000Z',
  observed_timestamp: '2026-11-28T09:00:01.000Z',
  source: 'test://app',
  spec_version: '1.0',
  action: { name: 'shop.order.completed', type: 'track' },
  actor: { id: 'user-8812', type: 'user' },
  ...overrides,
});

const unwrap = <T>(result: { kind: string; value?: T }): T => {
  expect(result.kind).toBe('ok');
  return result.value as T;
};

describe('Pseudonymizer', () => {
  it('replaces a user actor id by its pseudonym and leaves no raw PII anywhere in the event', async () => {
    const vault = newVault();
    const input = event({
      actor: { id: 'user-8812', type: 'user', details: { name: 'Jane Roe', email: 'jane@example.com', plan: 'pro' } },
      context: {
        client: { ip_address: '203.0.113.77', user_agent: 'Mozilla/5.0 (Jane)', session_id: 'sess-991' },
        attributes: { first_name: 'Jane', Phone_Number: '+44 20 7946 0000', contact: 'jane.alt@example.org', password: 'hunter2', count: 3 },
        domain_specific: { analytics: { properties: { name: 'Blue Shoes', email_verified: true, items: [{ buyer: 'jane@example.com', sku: 'A1' }] } } },
      },
    });
    const before = JSON.stringify(input);
    const out = unwrap(await new Pseudonymizer(vault).pseudonymize(input));
    expect(JSON.stringify(input)).toBe(before);

    expect(out.actor.id).toBeUndefined();
    expect(out.actor.pseudonym).toMatch(PSEUDONYM_PATTERN);
    expect(out.actor.details?.plan).toBe('pro');
    expect(out.actor.details?.name).toMatch(PII_TOKEN_PATTERN);
    expect(out.actor.details?.email).toMatch(PII_TOKEN_PATTERN);
    expect(out.context?.client?.ip_address).toBe('203.0.113.0');
    expect(out.context?.client?.user_agent).toMatch(PII_TOKEN_PATTERN);
    expect(out.context?.client?.session_id).toMatch(PII_TOKEN_PATTERN);
    expect(out.context?.attributes).toMatchObject({ count: 3 });
    expect(out.context?.attributes?.password).toBeUndefined();
    expect(out.context?.domain_specific?.analytics?.properties).toMatchObject({ name: 'Blue Shoes', email_verified: true });
    const text = JSON.stringify(out);
    for (const raw of ['user-8812', 'Jane', 'jane@example.com', 'jane.alt@example.org', '7946', 'Mozilla', 'sess-991', '203.0.113.77', 'hunter2']) {
      expect(text).not.toContain(raw);
    }
    // Every token points into the vault under the actor's pseudonym.
    const tokens = text.match(/pii:ps_[a-z2-7]{26}:[a-z2-7]{20}/g) ?? [];
    expect(tokens.length).toBe(8);
    expect(tokens.every((t) => t.startsWith(`pii:${out.actor.pseudonym}:`))).toBe(true);
    const revealed = await vault.reveal(out.actor.pseudonym as string);
    expect(revealed?.subject).toEqual({ kind: 'user', id: 'user-8812' });
    expect(revealed?.values.map((v) => v.value).sort()).toEqual(
      ['+44 20 7946 0000', 'Jane', 'Jane Roe', 'Mozilla/5.0 (Jane)', 'jane.alt@example.org', 'jane@example.com', 'jane@example.com', 'sess-991'].sort(),
    );
  });

  it('keeps the id of service and system actors, and drops PII it has no subject to file under', async () => {
    const out = unwrap(
      await new Pseudonymizer(newVault()).pseudonymize(
        event({ actor: { id: 'billing-service', type: 'service' }, context: { attributes: { email: 'ops@example.com', region: 'eu' } } }),
      ),
    );
    expect(out.actor).toEqual({ id: 'billing-service', type: 'service' });
    expect(out.context?.attributes).toEqual({ region: 'eu' });
  });

  it('gives one person the same pseudonym as actor, as user entity and as owner (so read models join)', async () => {
    const pseudonymizer = new Pseudonymizer(newVault());
    const [follow, post, like] = (
      await pseudonymizer.pseudonymizeBatch([
        event({ action: { name: 'social.user.followed', type: 'social' }, actor: { id: 'u-1', type: 'user' }, entity: { type: 'user', id: 'u-2' } }),
        event({ action: { name: 'social.post.created', type: 'social' }, actor: { id: 'u-2', type: 'user' }, entity: { type: 'post', id: 'p-9' } }),
        event({
          action: { name: 'social.post.liked', type: 'social' },
          actor: { id: 'u-1', type: 'user' },
          entity: { type: 'post', id: 'p-9', details: { owner_id: 'u-2' } },
        }),
      ])
    ).map((r) => unwrap(r));
    expect(follow?.entity?.id).toBe(post?.actor.pseudonym);
    expect(like?.actor.pseudonym).toBe(follow?.actor.pseudonym);
    expect(like?.entity).toEqual({ type: 'post', id: 'p-9', details: { owner_pseudonym: post?.actor.pseudonym } });
  });

  it('pseudonymizes a Segment anonymous id carried beside the user id as its own subject', async () => {
    const vault = newVault();
    const out = unwrap(await new Pseudonymizer(vault).pseudonymize(event({ actor: { id: 'u-5', type: 'user', details: { anonymous_id: 'anon-77' } } })));
    const anonymous = out.actor.details?.anonymous_pseudonym as string;
    expect(anonymous).toMatch(PSEUDONYM_PATTERN);
    expect(anonymous).not.toBe(out.actor.pseudonym);
    expect(await vault.lookup({ kind: 'anonymous', id: 'anon-77' })).toBe(anonymous);
  });

  it('applies configured audit paths and IPv6 truncation', async () => {
    const policy = definePiiPolicy({ fields: { 'context.domain_specific.audit.request.parameters.userName': 'pseudonymize' } });
    const out = unwrap(
      await new Pseudonymizer(newVault(), policy).pseudonymize(
        event({
          context: {
            client: { ip_address: '2001:db8:85a3:8d3:1319:8a2e:370:7348' },
            domain_specific: { audit: { request: { parameters: { userName: 'jdoe', bucket: 'logs' }, sourceIPAddress: '198.51.100.23' } } },
          },
        }),
      ),
    );
    expect(out.context?.client?.ip_address).toBe('2001:db8:85a3::');
    expect(out.context?.domain_specific?.audit?.request).toEqual({
      parameters: { userName: expect.stringMatching(PII_TOKEN_PATTERN), bucket: 'logs' },
      sourceIPAddress: '198.51.100.0',
    });
  });

  it('after erasure the tokens reveal nothing and the returning person gets a new pseudonym', async () => {
    const vault = newVault();
    const pseudonymizer = new Pseudonymizer(vault);
    const first = unwrap(await pseudonymizer.pseudonymize(event({ actor: { id: 'u-erase', type: 'user', details: { email: 'e@example.com' } } })));
    expect(await vault.erase({ kind: 'user', id: 'u-erase' })).toEqual([first.actor.pseudonym]);
    expect(await vault.reveal(first.actor.pseudonym as string)).toBeUndefined();
    const later = unwrap(await pseudonymizer.pseudonymize(event({ actor: { id: 'u-erase', type: 'user' } })));
    expect(later.actor.pseudonym).not.toBe(first.actor.pseudonym);
  });

  it('costs one lookup, one claim (new subjects only) and one write round trip per batch, and none for cached repeats', async () => {
    const store = new MemoryVaultStore();
    const calls = { lookup: 0, resolveOrClaim: 0, putFields: 0 };
    const counting: VaultStore = {
      lookup: (hashes) => ((calls.lookup += 1), store.lookup(hashes)),
      resolveOrClaim: (claims) => ((calls.resolveOrClaim += 1), store.resolveOrClaim(claims)),
      putFields: (writes) => ((calls.putFields += 1), store.putFields(writes)),
      getRecord: (p) => store.getRecord(p),
      eraseSubject: (h) => store.eraseSubject(h),
      erasePseudonym: (p) => store.erasePseudonym(p),
      replaceWrappedKey: (h, e, r) => store.replaceWrappedKey(h, e, r),
      entries: () => store.entries(),
      close: () => store.close(),
    };
    const vault = newVault(counting);
    const pseudonymizer = new Pseudonymizer(vault);
    const batch = Array.from({ length: 50 }, (_, i) => event({ actor: { id: `u-${i % 10}`, type: 'user', details: { email: `u${i % 10}@example.com` } } }));
    await pseudonymizer.pseudonymizeBatch(batch);
    expect(calls).toEqual({ lookup: 1, resolveOrClaim: 1, putFields: 1 });
    await pseudonymizer.pseudonymizeBatch(batch);
    expect(calls).toEqual({ lookup: 1, resolveOrClaim: 1, putFields: 1 });
    // A fresh instance (cold cache) finds the known subjects with the lookup alone (no claim); it rewrites
    // the values, which it cannot know are stored (idempotent).
    await new Pseudonymizer(newVaultSharing(vault, counting)).pseudonymizeBatch(batch);
    expect(calls).toEqual({ lookup: 2, resolveOrClaim: 1, putFields: 2 });
    expect(vault.stats()).toMatchObject({ misses: 10, hits: 10, fieldsWritten: 10, fieldWritesSkipped: 50 });
  });
  it('gives every event of a batch its own subjects\' pseudonyms, whichever subjects each one has', async () => {
    const vault = newVault();
    const policy = definePiiPolicy();
    const events: CanonicalEvent[] = [
      event({ actor: { id: 'ann', type: 'user' } }),
      event({ actor: { id: 'checkout', type: 'service' }, entity: { type: 'user', id: 'bob' } }),
      event({ actor: { id: 'cat', type: 'user', details: { anonymous_id: 'anon-cat' } }, entity: { type: 'post', id: 'p1', details: { owner_id: 'ann' } } }),
      event({ actor: { id: 'system', type: 'system' } }),
      event({ actor: { id: 'bob', type: 'user' }, entity: { type: 'user', id: 'cat' } }),
      event({ actor: { id: 'anon-cat', type: 'anonymous' } }),
    ];
    const results = (await new Pseudonymizer(vault, policy).pseudonymizeBatch(events)).map(unwrap);
    const pseudonymOf = async (kind: 'user' | 'anonymous', id: string): Promise<string> => (await vault.lookup({ kind, id })) as string;
    const [ann, bob, cat, anonCat] = await Promise.all([pseudonymOf('user', 'ann'), pseudonymOf('user', 'bob'), pseudonymOf('user', 'cat'), pseudonymOf('anonymous', 'anon-cat')]);
    expect(new Set([ann, bob, cat, anonCat]).size).toBe(4);
    expect(results[0]?.actor.pseudonym).toBe(ann);
    expect(results[1]?.actor.id).toBe('checkout');
    expect(results[1]?.entity?.id).toBe(bob);
    expect(results[2]?.actor.pseudonym).toBe(cat);
    expect(results[2]?.actor.details?.anonymous_pseudonym).toBe(anonCat);
    expect(results[2]?.entity?.details?.owner_pseudonym).toBe(ann);
    expect(results[3]?.actor.id).toBe('system');
    expect(results[4]?.actor.pseudonym).toBe(bob);
    expect(results[4]?.entity?.id).toBe(cat);
    expect(results[5]?.actor.pseudonym).toBe(anonCat);
  });

  it('drops, never keeps, a reference whose value an earlier reference of an overlapping policy replaced', async () => {
    const vault = newVault();
    // The first reference writes its pseudonym where the second reference reads its id.
    const policy = definePiiPolicy({
      subjectReferences: [
        { path: 'actor.details.first_id', kind: 'user', pseudonymPath: 'actor.details.second_id' },
        { path: 'actor.details.second_id', kind: 'user', pseudonymPath: 'actor.details.second_pseudonym' },
      ],
    });
    const input = event({ actor: { id: 'checkout', type: 'service', details: { first_id: 'user-first', second_id: 'user-second', note: 'from user-second' } } });
    const out = unwrap(await new Pseudonymizer(vault, policy).pseudonymize(input));
    const text = JSON.stringify(out);
    expect(text).not.toMatch(/user-first|user-second/);
    expect(out.actor.details?.first_id).toBeUndefined();
    expect(out.actor.details?.second_pseudonym).toBeUndefined();
    expect(out.actor.details?.note).toBe(`from ${(await vault.lookup({ kind: 'user', id: 'user-second' })) as string}`);
  });
});

describe('PII policy helpers', () => {
  it('truncates IPv4 to /24 and IPv6 to /48, and rejects what is not an IP', () => {
    expect(truncateIp('192.168.10.200')).toBe('192.168.10.0');
    expect(truncateIp('::1')).toBe('0:0:0::');
    expect(truncateIp('2001:db8::1')).toBe('2001:db8:0::');
    expect(truncateIp('::ffff:10.1.2.3')).toBe('0:0:0::');
    expect(truncateIp('256.1.1.1')).toBeUndefined();
    expect(truncateIp('not-an-ip')).toBeUndefined();
    expect(truncateIp('1:2:3:4:5:6:7:8:9')).toBeUndefined();
  });

  it('reads IPv4 exactly as /^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$/ on the trimmed text, then Number of each octet', () => {
    const definition = (value: string): string | undefined | 'not-v4' => {
      const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value.trim());
      if (match === null) return 'not-v4';
      const octets = match.slice(1, 5).map(Number);
      return octets.some((o) => o > 255) ? undefined : `${octets[0]}.${octets[1]}.${octets[2]}.0`;
    };
    const fixed = ['01.002.003.004', ' 10.0.0.1\n', '\u00a01.2.3.4', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', '1234.1.1.1', '1.2.3.1000', '255.255.255.255', '0.0.0.0', '+1.2.3.4', '1.2.3.-4', '\u0661.\u0662.\u0663.\u0664', '1.2.3.4 x'];
    let state = 7;
    const next = (n: number): number => {
      state = (state * 1_103_515_245 + 12_345) >>> 0;
      return Math.floor((state / 4_294_967_296) * n);
    };
    const alphabet = '0123456789.:af %[] \t';
    const random = Array.from({ length: 20_000 }, (_, i) =>
      i % 2 === 0 ? Array.from({ length: next(16) }, () => alphabet[next(alphabet.length)]).join('') : `${next(400)}.${next(1200)}.${next(300)}.${next(300)}`,
    );
    for (const value of [...fixed, ...random]) {
      const expected = definition(value);
      if (expected === 'not-v4') expect(truncateIp(value)?.endsWith('::') ?? true).toBe(true);
      else expect(truncateIp(value)).toBe(expected);
    }
  });

  it('recognises e-mail-shaped values', () => {
    expect(looksLikeEmail('a.b+c@example.co.uk')).toBe(true);
    expect(looksLikeEmail('not an @email.com')).toBe(false);
    expect(looksLikeEmail('@handle')).toBe(false);
  });

  it('in place (the ingest topology) gives exactly the copying result, references included', async () => {
    const vault = newVault();
    const make = () =>
      event({
        id: '00000000-0000-4000-8000-000000000001',
        actor: { id: 'user-8812', type: 'user', details: { email: 'jane@example.com', anonymous_id: 'anon-1', plan: 'pro' } },
        entity: { type: 'post', id: 'p-1', details: { owner_id: 'user-77', note: 'by user-8812' } },
        context: { client: { ip_address: '203.0.113.77', user_agent: 'UA user-8812' }, attributes: { contact: 'x@example.org' } },
      });
    const copied = unwrap(await new Pseudonymizer(vault).pseudonymize(make()));
    const input = make();
    const inPlace = unwrap(await new Pseudonymizer(vault, undefined, { inPlace: true }).pseudonymize(input));
    expect(inPlace).toBe(input);
    expect(inPlace).toStrictEqual(copied);
    expect(JSON.stringify(inPlace)).not.toMatch(/user-8812|user-77|anon-1|jane@|x@example/);
  });
});
