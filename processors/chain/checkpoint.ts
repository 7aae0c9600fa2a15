/**
 * Signed checkpoints of chain heads (docs/hash-chain.md, "Checkpoints"). A checkpoint says "partition p
 * of topic t had reached sequence s with hash h at time τ", signed with Ed25519. Deleting the tail of a
 * chain leaves an intact-looking shorter chain; a checkpoint beyond its end exposes the truncation.
 *
 *   signed bytes = "QUINTET-CHECKPOINT-V1" ‖ 0x00 ‖ UTF-8 of JCS({hash, key_id, partition, sequence, time, topic})
 *   signature    = base64 of the 64-byte Ed25519 signature
 *   signer       = lower-case hex SHA-256 of the signer's public key in DER SubjectPublicKeyInfo form
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { Secret } from '../../core/config.js';
import { QuintetError } from '../../core/errors.js';
import { canonicalJson } from './canonical-json.js';
import type { ChainHead } from './hash-chainer.js';

export const CHECKPOINT_DOMAIN = 'QUINTET-CHECKPOINT-V1';

export interface ChainCheckpoint {
  readonly topic: string;
  readonly partition: number;
  readonly sequence: number;
  readonly hash: string;
  readonly key_id: string;
  /** ISO-8601 UTC time the head was read. */
  readonly time: string;
  readonly signer: string;
  readonly signature: string;
}

export type CheckpointBody = Omit<ChainCheckpoint, 'signer' | 'signature'>;

export function checkpointMessage(body: CheckpointBody): Buffer {
  const { topic, partition, sequence, hash, key_id, time } = body;
  return Buffer.concat([Buffer.from(`${CHECKPOINT_DOMAIN}\u0000`, 'ascii'), Buffer.from(canonicalJson({ topic, partition, sequence, hash, key_id, time }), 'utf8')]);
}

export function publicKeyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function requireEd25519(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new QuintetError('CHECKPOINT_KEY_INVALID', 'checkpoint keys must be Ed25519');
  return key;
}

/** The Ed25519 private key from `secrets.signingKey` (PEM). */
export function signingKeyFromConfig(secret: Secret | undefined): KeyObject {
  if (secret === undefined) throw new QuintetError('CHECKPOINT_NOT_CONFIGURED', 'signing checkpoints needs secrets.signingKey (QUINTET_SIGNING_KEY)');
  try {
    return requireEd25519(createPrivateKey(secret.reveal()));
  } catch (cause) {
    if (cause instanceof QuintetError) throw cause;
    throw new QuintetError('CHECKPOINT_KEY_INVALID', 'secrets.signingKey is not a PEM private key', { cause });
  }
}

/** A public key from PEM text (what auditors receive). */
export function verificationKeyFromPem(pem: string): KeyObject {
  try {
    return requireEd25519(createPublicKey(pem));
  } catch (cause) {
    if (cause instanceof QuintetError) throw cause;
    throw new QuintetError('CHECKPOINT_KEY_INVALID', 'not an Ed25519 public or private key in PEM form', { cause });
  }
}

export class CheckpointSigner {
  readonly #key: KeyObject;
  readonly fingerprint: string;

  constructor(privateKey: KeyObject) {
    this.#key = requireEd25519(privateKey);
    this.fingerprint = publicKeyFingerprint(privateKey);
  }

  sign(topic: string, partition: number, head: ChainHead, time: Date): ChainCheckpoint {
    const body: CheckpointBody = { topic, partition, sequence: head.sequence, hash: head.hash, key_id: head.key_id, time: time.toISOString() };
    return { ...body, signer: this.fingerprint, signature: sign(null, checkpointMessage(body), this.#key).toString('base64') };
  }
}

/** Whether one of `keys` (public or private) signed the checkpoint. */
export function verifyCheckpoint(checkpoint: ChainCheckpoint, keys: readonly KeyObject[]): boolean {
  const key = keys.find((k) => publicKeyFingerprint(k) === checkpoint.signer);
  if (key === undefined || typeof checkpoint.signature !== 'string') return false;
  try {
    return verify(null, checkpointMessage(checkpoint), key.type === 'private' ? createPublicKey(key) : key, Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    return false;
  }
}
