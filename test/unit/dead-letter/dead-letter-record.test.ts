import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS } from '../../../streams/dead-letter.js';
import { DeadLetterTally, decodeDeadLetter, encryptingDeadLetterPayload, sealDeadLetter, unsealDeadLetter } from '../../../processors/dead-letter/dead-letter-record.js';
import { MasterKeyRing } from '../../../processors/pseudonymization/vault-crypto.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const input = { topic: 'quintet.raw', partition: 2, offset: '991', key: Buffer.from('user-jane'), value: Buffer.from(JSON.stringify({ userId: 'jane@example.com', event: 'Signed Up' })), timestamp: 0, headers: {} };
const reasonHeaders = (code: string, stage: string) => ({ [DEAD_LETTER_HEADERS.code]: code, [DEAD_LETTER_HEADERS.stage]: stage, [DEAD_LETTER_HEADERS.message]: 'why', [DEAD_LETTER_HEADERS.path]: 'action.name' });

describe('dead-letter records', () => {
  it('keep source and time in clear, key and value encrypted, decryptable after key rotation', () => {
    const hook = encryptingDeadLetterPayload(new MasterKeyRing('m1', new Map([['m1', k1]])), () => Date.parse('2026-11-28T09:00:00Z'));
    const { key, value } = hook(input);
    expect(key).toBeNull();
    const text = value!.toString();
    for (const raw of ['jane', 'Signed Up']) expect(text).not.toContain(raw);
    const decoded = decodeDeadLetter(value, reasonHeaders('SCHEMA_INVALID', 'validate'));
    expect(decoded).toMatchObject({
      format: 'quintet.dead-letter.v1',
      reason: 'SCHEMA_INVALID',
      stage: 'validate',
      path: 'action.name',
      source: { topic: 'quintet.raw', partition: 2, offset: '991' },
      time: '2026-11-28T09:00:00.000Z',
      value: { kid: 'm1', bytes: input.value.length },
    });
    const rotated = new MasterKeyRing('m2', new Map([['m2', k2], ['m1', k1]]));
    const original = unsealDeadLetter(rotated, decoded!);
    expect(original.key?.equals(input.key)).toBe(true);
    expect(original.value?.equals(input.value)).toBe(true);
  });

  it('refuses a payload moved to another record', () => {
    const ring = new MasterKeyRing('m1', new Map([['m1', k1]]));
    const sealed = sealDeadLetter(ring, input, new Date());
    expect(() => unsealDeadLetter(ring, { ...sealed, source: { ...sealed.source, offset: '992' } })).toThrow(/authentication/);
  });

  it('tallies reasons and counts, and counts foreign values as unreadable', () => {
    const hook = encryptingDeadLetterPayload(new MasterKeyRing('m1', new Map([['m1', k1]])));
    const tally = new DeadLetterTally();
    for (const [code, stage] of [['SCHEMA_INVALID', 'validate'], ['FORMAT_UNKNOWN', 'detect'], ['SCHEMA_INVALID', 'validate']] as const) {
      tally.add(hook(input).value, reasonHeaders(code, stage));
    }
    tally.add(Buffer.from('not json'));
    tally.add(null);
    expect(tally.summary()).toMatchObject({
      total: 5,
      unreadable: 2,
      reasons: [
        { stage: 'validate', reason: 'SCHEMA_INVALID', count: 2 },
        { stage: 'detect', reason: 'FORMAT_UNKNOWN', count: 1 },
      ],
    });
  });
});
