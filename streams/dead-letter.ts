/**
 * Dead-letter records written by the runtime. The record keeps the original key and value bytes of
 * the input (optionally transformed by a `DeadLetterPayload` hook, e.g. to encrypt it) and its
 * original headers, plus `quintet.dlq.*` headers that say why, where and from which input:
 *
 * | header | meaning |
 * | --- | --- |
 * | quintet.dlq.code | stable reason code (DESERIALIZATION_FAILED, PROCESSING_FAILED, PRODUCTION_FAILED, INVALID_TIMESTAMP, or a processor's own) |
 * | quintet.dlq.stage | `deserialization`, `processing`, `production`, or a processor's stage name |
 * | quintet.dlq.message | PII-free explanation (an error's class and code, never its message) |
 * | quintet.dlq.path | JSON path of the offending field, when known |
 * | quintet.dlq.node | topology node that rejected it |
 * | quintet.dlq.task | task id (`<subtopology>_<partition>`) |
 * | quintet.dlq.application | application id |
 * | quintet.dlq.source.topic / .partition / .offset | coordinates of the input record |
 * | quintet.dlq.timestamp | input record timestamp (epoch ms) |
 */
import type { Headers } from './processor.js';
import type { ConsumedRecord, ProducedRecord } from './records.js';

export const DEAD_LETTER_HEADERS = {
  code: 'quintet.dlq.code',
  stage: 'quintet.dlq.stage',
  message: 'quintet.dlq.message',
  path: 'quintet.dlq.path',
  node: 'quintet.dlq.node',
  task: 'quintet.dlq.task',
  application: 'quintet.dlq.application',
  sourceTopic: 'quintet.dlq.source.topic',
  sourcePartition: 'quintet.dlq.source.partition',
  sourceOffset: 'quintet.dlq.source.offset',
  timestamp: 'quintet.dlq.timestamp',
} as const;

export const DEFAULT_DEAD_LETTER_TOPIC = 'quintet.dead-letter';

/** Rewrites the payload stored in the dead-letter topic (e.g. encrypts it); default: unchanged. */
export type DeadLetterPayload = (record: ConsumedRecord) => { key: Buffer | null; value: Buffer | null };

export interface DeadLetterDetails {
  readonly code: string;
  readonly stage: string;
  readonly message: string;
  readonly path?: string | undefined;
  readonly node?: string | undefined;
  readonly taskId: string;
  readonly applicationId: string;
}

/** Builds the dead-letter record for `input` (undefined inside punctuators: no payload, no source coordinates). */
export function deadLetterRecord(
  topic: string,
  input: ConsumedRecord | undefined,
  details: DeadLetterDetails,
  nowMs: number,
  payload: DeadLetterPayload | undefined,
): ProducedRecord {
  const headers: Record<string, string | Buffer> = { ...(input?.headers ?? {}) };
  headers[DEAD_LETTER_HEADERS.code] = details.code;
  headers[DEAD_LETTER_HEADERS.stage] = details.stage;
  headers[DEAD_LETTER_HEADERS.message] = details.message;
  if (details.path !== undefined) headers[DEAD_LETTER_HEADERS.path] = details.path;
  if (details.node !== undefined) headers[DEAD_LETTER_HEADERS.node] = details.node;
  headers[DEAD_LETTER_HEADERS.task] = details.taskId;
  headers[DEAD_LETTER_HEADERS.application] = details.applicationId;
  if (input !== undefined) {
    headers[DEAD_LETTER_HEADERS.sourceTopic] = input.topic;
    headers[DEAD_LETTER_HEADERS.sourcePartition] = String(input.partition);
    headers[DEAD_LETTER_HEADERS.sourceOffset] = input.offset;
    headers[DEAD_LETTER_HEADERS.timestamp] = String(input.timestamp);
  }
  const body = input === undefined ? { key: null, value: null } : payload === undefined ? { key: input.key, value: input.value } : payload(input);
  return { topic, partition: undefined, key: body.key, value: body.value, timestamp: input?.timestamp ?? nowMs, headers: headers as Headers };
}

/** Reads the `quintet.dlq.*` headers back (for tests, the CLI and replay tools). */
export function readDeadLetterHeaders(headers: Headers): Partial<Record<keyof typeof DEAD_LETTER_HEADERS, string>> {
  const result: Partial<Record<keyof typeof DEAD_LETTER_HEADERS, string>> = {};
  for (const [field, header] of Object.entries(DEAD_LETTER_HEADERS) as [keyof typeof DEAD_LETTER_HEADERS, string][]) {
    const value = headers[header];
    if (value !== undefined) result[field] = typeof value === 'string' ? value : value.toString('utf8');
  }
  return result;
}
