/**
 * The NDJSON export of a topic (docs/hash-chain.md, "Export format"): one JSON object per line, in offset
 * order within each partition.
 *
 *   canonical topic:   {"topic":T,"partition":P,"offset":"O","event":{…},"chain":{partition,sequence,previous_hash,hash,key_id}}
 *   checkpoints topic: {"topic":T,"partition":P,"offset":"O","checkpoint":{topic,partition,sequence,hash,key_id,time,signer,signature}}
 *
 * Offsets are decimal strings (Kafka offsets are 64-bit). A canonical record without a chain link has
 * `"chain":null`.
 */
import type { CanonicalEvent, ChainLink } from '../../schemas/canonical-event.js';
import type { ChainCheckpoint } from './checkpoint.js';

export interface ExportedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly event: CanonicalEvent;
  readonly chain: ChainLink | null;
}

export interface ExportedCheckpoint {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly checkpoint: ChainCheckpoint;
}

export const exportLine = (record: ExportedRecord | ExportedCheckpoint): string => `${JSON.stringify(record)}\n`;

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Parses one line of a canonical export; undefined when it is not one (malformed line). */
export function parseRecordLine(line: string): ExportedRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(value) || !Number.isInteger(value.partition) || typeof value.offset !== 'string' || !isObject(value.event)) return undefined;
  const chain = value.chain;
  if (chain !== null && chain !== undefined && !isObject(chain)) return undefined;
  return {
    topic: typeof value.topic === 'string' ? value.topic : '',
    partition: value.partition as number,
    offset: value.offset,
    event: value.event as unknown as CanonicalEvent,
    chain: (chain ?? null) as ChainLink | null,
  };
}

/** A checkpoint from a line of a checkpoints export, or a bare checkpoint object. */
export function parseCheckpointLine(line: string): ChainCheckpoint | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const checkpoint = isObject(value) && isObject(value.checkpoint) ? value.checkpoint : value;
  if (!isObject(checkpoint) || !Number.isInteger(checkpoint.partition) || !Number.isInteger(checkpoint.sequence) || typeof checkpoint.hash !== 'string') {
    return undefined;
  }
  return checkpoint as unknown as ChainCheckpoint;
}
