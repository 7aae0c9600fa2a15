import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deadLetter } from '../../../core/result.js';
import {
  DeadLetterTally,
  decodeDeadLetter,
  decryptDeadLetterPayload,
  encodeDeadLetter,
  serializeDeadLetter,
} from '../../../processors/dead-letter/dead-letter-record.js';
import { MasterKeyRing } from '../../../processors/pseudonymization/vault-crypto.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const source = { topic: 'quintet.raw', partition: 2, offset: '991' };

describe('dead-letter records', () => {
  it('carry reason, stage, source and time in clear and the payload encrypted, decryptable after key rotation', () => {
    const payload = Buffer.from(JSON.stringify({ userId: 'jane@example.com', event: 'Signed Up' }));
    const record = encodeDeadLetter(new MasterKeyRing('m1', new Map([['m1', k1]])), deadLetter('validate', 'SCHEMA_INVALID', 'action.name is required', 'action.name'), source, payload, new Date('2026-11-28T09:00:00Z'));
    const wire = serializeDeadLetter(record);
    expect(wire.toString()).not.toContain('jane');
    expect(wire.toString()).not.toContain('Signed Up');
    const decoded = decodeDeadLetter(wire);
    expect(decoded).toMatchObject({ format: 'quintet.dead-letter.v1', reason: 'SCHEMA_INVALID', stage: 'validate', path: 'action.name', source, time: '2026-11-28T09:00:00.000Z', payload: { kid: 'm1', bytes: payload.length } });
    const rotated = new MasterKeyRing('m2', new Map([['m2', k2], ['m1', k1]]));
    expect(decryptDeadLetterPayload(rotated, decoded!).equals(payload)).toBe(true);
  });

  it('refuses a payload moved to other metadata', () => {
    const ring = new MasterKeyRing('m1', new Map([['m1', k1]]));
    const record = encodeDeadLetter(ring, deadLetter('adapt', 'FORMAT_UNKNOWN', 'no adapter'), source, Buffer.from('x'), new Date());
    expect(() => decryptDeadLetterPayload(ring, { ...record, source: { ...source, offset: '992' } })).toThrow(/authentication/);
  });

  it('tallies reasons and counts, and counts foreign values as unreadable', () => {
    const ring = new MasterKeyRing('m1', new Map([['m1', k1]]));
    const tally = new DeadLetterTally();
    for (const [stage, code] of [['validate', 'SCHEMA_INVALID'], ['adapt', 'FORMAT_UNKNOWN'], ['validate', 'SCHEMA_INVALID']] as const) {
      tally.add(serializeDeadLetter(encodeDeadLetter(ring, deadLetter(stage, code, 'm'), source, Buffer.from('p'), new Date())));
    }
    tally.add(Buffer.from('not json'));
    tally.add(null);
    expect(tally.summary()).toMatchObject({
      total: 5,
      unreadable: 2,
      reasons: [
        { stage: 'validate', reason: 'SCHEMA_INVALID', count: 2 },
        { stage: 'adapt', reason: 'FORMAT_UNKNOWN', count: 1 },
      ],
    });
  });
});
