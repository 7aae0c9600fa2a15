import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryVaultStore } from '../../../connectors/memory/vault-store.js';
import { PiiVault } from '../../../processors/pseudonymization/pii-vault.js';
import { Pseudonymizer } from '../../../processors/pseudonymization/pseudonymizer.js';
import { MasterKeyRing } from '../../../processors/pseudonymization/vault-crypto.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';

/** A canonical event of `actor` (and `entity`, `context`), the rest fixed. */
const eventOf = (fields: Pick<CanonicalEvent, 'action' | 'actor'> & Partial<Pick<CanonicalEvent, 'entity' | 'context'>>): CanonicalEvent => ({
  id: randomUUID(),
  event_timestamp: '2026-11-28T09:00:00.000Z',
  observed_timestamp: '2026-11-28T09:00:01.000Z',
  source: '/billing/invoices',
  spec_version: '1.0',
  ...fields,
});

const vault = () => new PiiVault(new MemoryVaultStore(), { masterKeys: new MasterKeyRing('m1', new Map([['m1', randomBytes(32)]])), lookupKey: randomBytes(32) });

describe('Pseudonymizer: raw identifiers copied elsewhere in the event', () => {
  it('replaces every delimited occurrence of a subject id by its pseudonym, leaving longer ids alone', async () => {
    const input = eventOf({
      action: { name: 'billing.invoice.created', type: 'create' },
      actor: { id: 'user-00001', type: 'user' },
      entity: {
        id: 'invoice-7',
        type: 'invoice',
        // As a CloudEvent's data or a CloudTrail record carries it.
        details: { actor: { id: 'user-00001', type: 'user' }, arn: 'arn:aws:iam::123456789012:user/user-00001', other: 'user-000012', list: ['x:user-00001'] },
      },
      context: { attributes: { principal: 'AROAEXAMPLE:user-00001' } },
    });
    const result = await new Pseudonymizer(vault()).pseudonymize(input);
    expect(result.kind).toBe('ok');
    const out = (result as { value: CanonicalEvent }).value;
    const pseudonym = out.actor.pseudonym as string;
    const text = JSON.stringify(out);
    expect(text).not.toMatch(/user-00001(?![0-9])/);
    expect(out.entity?.details).toMatchObject({ actor: { id: pseudonym }, arn: `arn:aws:iam::123456789012:user/${pseudonym}`, other: 'user-000012', list: [`x:${pseudonym}`] });
    expect(out.context?.attributes?.principal).toBe(`AROAEXAMPLE:${pseudonym}`);
  });

  it('scrubs an identifier two subjects share (an anonymous actor and a user entity) with the later subject\'s pseudonym', async () => {
    const input = eventOf({
      action: { name: 'identity.user.merged', type: 'update' },
      actor: { id: 'shared-42', type: 'anonymous' },
      entity: { id: 'shared-42', type: 'user', details: { note: 'merged shared-42 into shared-42', other: ['shared-42', 'shared-421'] } },
    });
    const result = await new Pseudonymizer(vault()).pseudonymize(input);
    const out = (result as { value: CanonicalEvent }).value;
    const entityPseudonym = out.entity?.id as string;
    expect(entityPseudonym).not.toBe(out.actor.pseudonym);
    expect(out.entity?.details).toEqual({ note: `merged ${entityPseudonym} into ${entityPseudonym}`, other: [entityPseudonym, 'shared-421'] });
  });
});
