/**
 * `quintet verify --in FILE [--checkpoints FILE] [--public-key PEM]` (offline) or
 * `quintet verify --topic T` (reads Kafka, checkpoints from `topics.checkpoints`): recomputes every hash
 * chain and prints a JSON summary. Exit 0 intact, 1 broken (docs/hash-chain.md, "Verification").
 *
 * The HMAC keys come from `secrets.chainKeys`; checkpoint signatures are checked with `--public-key`, or
 * with the public half of `secrets.signingKey` when that is configured.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import type { QuintetConfig } from '../../core/config.js';
import { QuintetError } from '../../core/errors.js';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { chainKeysForVerification } from '../../embedded/secrets.js';
import { ChainVerifier, type VerificationReport } from '../../processors/chain/chain-verifier.js';
import { signingKeyFromConfig, verificationKeyFromPem, type ChainCheckpoint } from '../../processors/chain/checkpoint.js';
import { parseCheckpointLine, parseRecordLine } from '../../processors/chain/export-format.js';
import { configFor } from '../context.js';
import { CanonicalValueDecoder, parseCheckpointValue, readTopicToEnd } from './export.js';

/** Lines of an export, gzip-compressed (archives written by `quintet archive`) or not. */
async function* lines(path: string): AsyncIterable<string> {
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  input.setEncoding('utf8');
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of reader) if (line.trim() !== '') yield line;
}

function verificationKeys(config: QuintetConfig, publicKeyFile: string | undefined): KeyObject[] {
  if (publicKeyFile !== undefined) return [verificationKeyFromPem(readFileSync(publicKeyFile, 'utf8'))];
  return config.secrets.signingKey === undefined ? [] : [signingKeyFromConfig(config.secrets.signingKey)];
}

export async function verifyFile(config: QuintetConfig, input: string, checkpointFile: string | undefined, publicKeyFile: string | undefined): Promise<VerificationReport> {
  const checkpoints: ChainCheckpoint[] = [];
  if (checkpointFile !== undefined) {
    for await (const line of lines(checkpointFile)) {
      const checkpoint = parseCheckpointLine(line);
      if (checkpoint === undefined) throw new QuintetError('CHECKPOINT_INVALID', `${checkpointFile} holds a line that is not a checkpoint`);
      checkpoints.push(checkpoint);
    }
  }
  const keys = verificationKeys(config, publicKeyFile);
  if (checkpoints.length > 0 && keys.length === 0) {
    throw new QuintetError('CHECKPOINT_KEY_MISSING', 'checkpoints need --public-key (or secrets.signingKey) to be verified');
  }
  const verifier = new ChainVerifier(chainKeysForVerification(config), checkpoints, keys);
  for await (const line of lines(input)) {
    const record = parseRecordLine(line);
    if (record === undefined) verifier.malformed('line is not an export record');
    else verifier.add(record);
  }
  return verifier.report();
}

export async function verifyTopic(config: QuintetConfig, topic: string, checkpointTopic: string, publicKeyFile: string | undefined): Promise<VerificationReport> {
  const kafka = createKafkaClient(config, { clientIdSuffix: 'verify' });
  const checkpoints: ChainCheckpoint[] = [];
  await readTopicToEnd(kafka, checkpointTopic, (record) => {
    const checkpoint = parseCheckpointValue(record.value);
    if (checkpoint !== undefined && checkpoint.topic === topic) checkpoints.push(checkpoint);
  }).catch((error: unknown) => {
    // A deployment without checkpoints yet is not an error: truncation is then reported as unchecked.
    if ((error as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
  });
  const keys = verificationKeys(config, publicKeyFile);
  const verifier = new ChainVerifier(chainKeysForVerification(config), checkpoints, keys);
  const decoder = new CanonicalValueDecoder(config);
  await readTopicToEnd(kafka, topic, async (record) => {
    const envelope = await decoder.decode(record.value);
    if (envelope === undefined) verifier.malformed(`record ${record.partition}@${record.offset} is not a canonical record`);
    else verifier.add({ partition: record.partition, offset: record.offset, event: envelope.event, chain: envelope.chain });
  });
  return verifier.report();
}

export function register(program: Command): void {
  program
    .command('verify')
    .description('Verify the hash chains of an exported log (--in) or of a topic (--topic); exit 0 intact, 1 broken')
    .option('--in <file>', 'NDJSON export (quintet export)')
    .option('--checkpoints <file>', 'NDJSON export of the checkpoints topic (detects tail truncation)')
    .option('--topic <topic>', 'read this topic from Kafka instead of a file')
    .option('--checkpoints-topic <topic>', 'checkpoints topic when reading Kafka (default: topics.checkpoints)')
    .option('--public-key <file>', 'Ed25519 public key (PEM) that signed the checkpoints')
    .action(async (options: { in?: string; checkpoints?: string; topic?: string; checkpointsTopic?: string; publicKey?: string }, command: Command) => {
      if ((options.in === undefined) === (options.topic === undefined)) throw new QuintetError('OPTION_INVALID', 'give exactly one of --in FILE or --topic T');
      const config = configFor(command);
      const report =
        options.in !== undefined
          ? await verifyFile(config, options.in, options.checkpoints, options.publicKey)
          : await verifyTopic(config, options.topic as string, options.checkpointsTopic ?? config.topics.checkpoints, options.publicKey);
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      process.exitCode = report.intact ? 0 : 1;
    });
}
