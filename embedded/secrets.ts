/**
 * Key material of the embedded mode. Configured secrets win; otherwise fresh random keys are made for
 * this run (or, with a data folder, made once and kept in `<dataDir>/embedded-keys.json`, mode 0600,
 * so that a restarted pipeline can still decrypt its vault and extend its chains).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QuintetConfig } from '../core/config.js';
import { QuintetError } from '../core/errors.js';
import { ChainKeyRing } from '../processors/chain/chain-hash.js';
import { lookupKeyFromConfig, MasterKeyRing } from '../processors/pseudonymization/vault-crypto.js';

export interface EmbeddedSecrets {
  readonly masterKeys: MasterKeyRing;
  readonly chainKeys: ChainKeyRing;
  readonly lookupKey: Buffer;
  readonly signingKey: KeyObject;
  readonly verifyingKey: KeyObject;
  /** Where the keys came from, for the report (never the keys themselves). */
  readonly origin: 'configuration' | 'generated' | 'data folder';
}

interface StoredKeys {
  readonly master: string;
  readonly chain: string;
  readonly lookup: string;
  readonly signing: string;
}

function fromStored(stored: StoredKeys, origin: EmbeddedSecrets['origin']): EmbeddedSecrets {
  const signingKey = createPrivateKey(stored.signing);
  return {
    masterKeys: new MasterKeyRing('embedded-m1', new Map([['embedded-m1', Buffer.from(stored.master, 'base64')]])),
    chainKeys: new ChainKeyRing('embedded-c1', new Map([['embedded-c1', Buffer.from(stored.chain, 'base64')]])),
    lookupKey: Buffer.from(stored.lookup, 'base64'),
    signingKey,
    verifyingKey: createPublicKey(signingKey),
    origin,
  };
}

function freshKeys(): StoredKeys {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    master: randomBytes(32).toString('base64'),
    chain: randomBytes(32).toString('base64'),
    lookup: randomBytes(32).toString('base64'),
    signing: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * The chain keys to verify with: configured ones, else those the embedded mode kept in the data
 * folder (so that `quintet verify --in` checks a `quintet demo --export` without extra setup).
 */
export function chainKeysForVerification(config: QuintetConfig): ChainKeyRing {
  if (config.secrets.chainKeys !== undefined) return ChainKeyRing.fromConfig(config.secrets.chainKeys);
  const path = join(config.dataDir, 'embedded-keys.json');
  if (!existsSync(path)) return ChainKeyRing.fromConfig(undefined);
  return embeddedSecrets(config, config.dataDir).chainKeys;
}

export function embeddedSecrets(config: QuintetConfig, dataDir: string | undefined): EmbeddedSecrets {
  const s = config.secrets;
  if (s.masterKeys !== undefined && s.chainKeys !== undefined && s.lookupKey !== undefined && s.signingKey !== undefined) {
    const signingKey = createPrivateKey(s.signingKey.reveal());
    return {
      masterKeys: MasterKeyRing.fromConfig(s.masterKeys),
      chainKeys: ChainKeyRing.fromConfig(s.chainKeys),
      lookupKey: lookupKeyFromConfig(s.lookupKey),
      signingKey,
      verifyingKey: createPublicKey(signingKey),
      origin: 'configuration',
    };
  }
  if (dataDir === undefined) return fromStored(freshKeys(), 'generated');
  const path = join(dataDir, 'embedded-keys.json');
  if (existsSync(path)) {
    try {
      return fromStored(JSON.parse(readFileSync(path, 'utf8')) as StoredKeys, 'data folder');
    } catch (error) {
      throw new QuintetError('EMBEDDED_KEYS_UNREADABLE', `${path} cannot be read as embedded keys`, { cause: error });
    }
  }
  const stored = freshKeys();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(stored)}\n`, { mode: 0o600 });
  return fromStored(stored, 'data folder');
}
