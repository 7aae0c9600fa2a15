/**
 * `quintet erase --subject ID [--subject ID …] [--kind user|anonymous] [--no-publish]`: the right to be
 * forgotten (design Part 8.2, step 3).
 *
 * 1. Crypto-shreds the subject(s) in the Redis vault at once (data key, lookup entry, record): the
 *    pseudonyms in the immutable log then resolve to nothing.
 * 2. Publishes an erasure request (lookup hashes and the shredded pseudonyms, never the identifier) to
 *    `topics.erasureRequests`; the ingest topology repeats the (idempotent) shredding and appends the
 *    chained `privacy.subject.erased` audit event that the read models obey.
 *
 * Prints `{"erased":[pseudonyms],"request_id":…,"published":true}`; the identifier is never printed.
 */
import type { Command } from 'commander';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { createVaultRedis } from '../../connectors/redis/vault-client.js';
import { RedisVaultStore } from '../../connectors/redis/vault-store.js';
import { QuintetError } from '../../core/errors.js';
import type { QuintetConfig } from '../../core/config.js';
import { erasureRequest, type ErasureRequest } from '../../processors/pseudonymization/erasure.js';
import { PiiVault } from '../../processors/pseudonymization/pii-vault.js';
import { SUBJECT_KINDS, type SubjectKind, type SubjectRef } from '../../processors/pseudonymization/vault-crypto.js';
import { configFor } from '../context.js';

export interface EraseOptions {
  readonly subjects: readonly string[];
  readonly kind?: SubjectKind;
  readonly publish: boolean;
  /** Redis key prefix (tests use a random one). */
  readonly keyPrefix?: string;
}

export async function eraseSubjects(config: QuintetConfig, options: EraseOptions): Promise<{ erased: string[]; request: ErasureRequest; published: boolean }> {
  const redis = createVaultRedis(config, { connectionName: 'quintet-erase' });
  try {
    const vault = PiiVault.fromConfig(new RedisVaultStore(redis, { prefix: options.keyPrefix ?? config.redis.keyPrefix }), config);
    const refs: SubjectRef[] = options.subjects.flatMap((id) => (options.kind === undefined ? SUBJECT_KINDS.map((kind) => ({ kind, id })) : [{ kind: options.kind, id }]));
    const erased: string[] = [];
    for (const ref of refs) erased.push(...(await vault.erase(ref)));
    const request = erasureRequest(
      refs.map((ref) => vault.lookupHashOf(ref)),
      erased,
    );
    if (options.publish) {
      const producer = createKafkaClient(config, { clientIdSuffix: 'erase' }).producer({ idempotent: true });
      await producer.connect();
      try {
        await producer.send({ topic: config.topics.erasureRequests, acks: -1, messages: [{ key: request.request_id, value: JSON.stringify(request) }] });
      } finally {
        await producer.disconnect();
      }
    }
    return { erased, request, published: options.publish };
  } finally {
    redis.disconnect();
  }
}

export function register(program: Command): void {
  program
    .command('erase')
    .description('Erase subjects (crypto-shredding in the PII vault) and publish the erasure request for the audit event')
    .requiredOption('--subject <id>', 'user or anonymous id to erase (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--kind <kind>', `only this kind of subject (${SUBJECT_KINDS.join(' or ')}); default: every kind`)
    .option('--no-publish', 'do not publish the erasure request (no audit event will be chained)')
    .action(async (options: { subject: string[]; kind?: string; publish: boolean }, command: Command) => {
      if (options.kind !== undefined && !(SUBJECT_KINDS as readonly string[]).includes(options.kind)) {
        throw new QuintetError('OPTION_INVALID', `--kind must be one of ${SUBJECT_KINDS.join(', ')}`);
      }
      const result = await eraseSubjects(configFor(command), {
        subjects: options.subject,
        publish: options.publish,
        ...(options.kind === undefined ? {} : { kind: options.kind as SubjectKind }),
      });
      process.stdout.write(`${JSON.stringify({ erased: result.erased, request_id: result.request.request_id, published: result.published })}\n`);
    });
}
