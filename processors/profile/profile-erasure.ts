/**
 * Profile erasure across partitions. The profile table is partitioned like the raw topic (each task
 * holds the profiles of the users keyed to its partition), while erasure requests arrive on one
 * partition of their own topic. After crypto-shredding the vault, the erasing task deletes the profile
 * in its own table and sends one control record to every other raw partition, so that each task deletes
 * the erased pseudonyms from its table too.
 *
 * A control record carries pseudonyms only (no identifier), is marked by a header, and is authenticated
 * with an HMAC under a key derived from the vault's active master key: anyone who can write to the raw
 * topic can write headers, but cannot forge an erasure.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MasterKeyRing } from '../pseudonymization/vault-crypto.js';
import { PSEUDONYM_PATTERN } from '../pseudonymization/vault-crypto.js';

/** Header marking a raw record as a profile-erasure control record (its value is the JSON below). */
export const PROFILE_ERASURE_HEADER = 'quintet-control';
export const PROFILE_ERASURE_KIND = 'profile-erasure.v1';
/** `<masterKeyId>.<hex HMAC-SHA256 of the value>`. */
export const PROFILE_ERASURE_MAC_HEADER = 'quintet-control-mac';

export interface ProfileErasure {
  readonly pseudonyms: readonly string[];
  /** The raw partition the record is addressed to. */
  readonly partition: number;
}

const macKey = (masterKeys: MasterKeyRing, keyId: string): Buffer =>
  createHmac('sha256', masterKeys.key(keyId)).update('quintet.profile-erasure.mac.v1').digest();

/** The value and headers of a control record addressed to `partition`. */
export function sealProfileErasure(masterKeys: MasterKeyRing, erasure: ProfileErasure): { value: Buffer; headers: Record<string, string> } {
  const value = Buffer.from(JSON.stringify({ pseudonyms: erasure.pseudonyms, partition: erasure.partition }), 'utf8');
  const keyId = masterKeys.activeKeyId;
  const mac = createHmac('sha256', macKey(masterKeys, keyId)).update(value).digest('hex');
  return { value, headers: { [PROFILE_ERASURE_HEADER]: PROFILE_ERASURE_KIND, [PROFILE_ERASURE_MAC_HEADER]: `${keyId}.${mac}` } };
}

const headerText = (value: string | Buffer | Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? value : Buffer.from(value).toString('utf8');

/** True when the record claims to be a control record (then it is never treated as an event). */
export const isProfileErasureRecord = (headers: Readonly<Record<string, string | Buffer | Uint8Array | undefined>>): boolean =>
  headers[PROFILE_ERASURE_HEADER] !== undefined;

/** The erasure of an authentic control record, or undefined when it is malformed or forged. */
export function openProfileErasure(
  masterKeys: MasterKeyRing,
  value: Buffer | null,
  headers: Readonly<Record<string, string | Buffer | Uint8Array | undefined>>,
): ProfileErasure | undefined {
  if (value === null || headerText(headers[PROFILE_ERASURE_HEADER]) !== PROFILE_ERASURE_KIND) return undefined;
  const [keyId, mac] = (headerText(headers[PROFILE_ERASURE_MAC_HEADER]) ?? '').split('.');
  if (keyId === undefined || mac === undefined || !/^[0-9a-f]{64}$/.test(mac) || !masterKeys.has(keyId)) return undefined;
  const expected = createHmac('sha256', macKey(masterKeys, keyId)).update(value).digest();
  if (!timingSafeEqual(expected, Buffer.from(mac, 'hex'))) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  const { pseudonyms, partition } = (parsed ?? {}) as { pseudonyms?: unknown; partition?: unknown };
  if (!Array.isArray(pseudonyms) || !pseudonyms.every((p) => typeof p === 'string' && PSEUDONYM_PATTERN.test(p))) return undefined;
  if (!Number.isInteger(partition)) return undefined;
  return { pseudonyms: pseudonyms as string[], partition: partition as number };
}
