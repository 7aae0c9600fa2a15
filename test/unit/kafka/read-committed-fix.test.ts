import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { abortedRecordOffsets, markAbortedRecords } from '../../../connectors/kafka/read-committed-fix.js';

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
interface Msg {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly isControlRecord?: boolean;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}
interface Aborted {
  producerId: string;
  firstOffset: string;
}
const data = (offset: number, producerId: string, key = Buffer.from('k')): Msg => ({ offset: String(offset), key, batchContext: { producerId, inTransaction: true } });
const marker = (offset: number, producerId: string, key: Buffer): Msg => ({ offset: String(offset), key, isControlRecord: true, batchContext: { producerId, inTransaction: true } });

// kafkajs' own Batch (and its filterAbortedMessages), as shipped: what a consumer's eachBatch receives.
const Batch = createRequire(import.meta.url)('kafkajs/src/consumer/batch.js') as new (
  topic: string,
  fetchedOffset: string,
  partition: { partition: number; highWatermark: string; abortedTransactions: Aborted[]; messages: Msg[] },
) => { messages: Msg[]; lastOffset(): string };

function delivered(messages: readonly Msg[], aborted: readonly Aborted[], fetchedOffset: number, fix: boolean): { offsets: string[]; lastOffset: string } {
  const partition = { partition: 0, highWatermark: '100', abortedTransactions: aborted.map((a) => ({ ...a })), messages: [...messages] };
  if (fix) markAbortedRecords(partition);
  const batch = new Batch('t', String(fetchedOffset), partition);
  return { offsets: batch.messages.map((m) => m.offset), lastOffset: batch.lastOffset() };
}

describe('read_committed fix for kafkajs aborted-transaction filtering', () => {
  // Three producers abort together (a fenced instance): the broker lists them by marker offset.
  const messages = [
    data(0, 'a'),
    marker(1, 'a', COMMIT),
    data(2, 'a'),
    data(3, 'b'),
    data(4, 'a'),
    data(5, 'c'),
    data(6, 'b'),
    marker(7, 'b', ABORT),
    marker(8, 'a', ABORT),
    marker(9, 'c', ABORT),
    data(10, 'a'),
    marker(11, 'a', COMMIT),
  ];
  const brokerOrder = [
    { producerId: 'b', firstOffset: '3' },
    { producerId: 'a', firstOffset: '2' },
    { producerId: 'c', firstOffset: '5' },
  ];

  it('reproduces the bug: the unfixed filter delivers aborted records', () => {
    expect(delivered(messages, brokerOrder, 0, false).offsets).toContain('2');
  });

  it('delivers exactly the committed records', () => {
    expect(delivered(messages, brokerOrder, 0, true)).toEqual({ offsets: ['0', '10'], lastOffset: '11' });
  });

  it('handles a fetch that starts inside aborted transactions', () => {
    expect(delivered(messages.slice(4), brokerOrder, 4, true).offsets).toEqual(['10']);
  });

  it('keeps the next committed transaction of a producer when the fetch starts at its abort marker', () => {
    // A previous fetch was cut after the aborted records; this one starts at offset 8 (a's abort
    // marker). The broker still lists a's and c's aborted transactions (their markers are >= 8).
    const tail = messages.slice(8);
    const listed = [
      { producerId: 'a', firstOffset: '2' },
      { producerId: 'c', firstOffset: '5' },
    ];
    expect(abortedRecordOffsets(listed, tail).size).toBe(0);
    expect(delivered(tail, listed, 8, true).offsets).toEqual(['10']);
  });

  it('activates every aborted transaction reached, even several at one record', () => {
    // The record batch holding the fetch offset starts before it: a's and b's transactions both
    // started before the first record kafkajs keeps (offset 6).
    const fetched = messages.slice(2);
    expect(delivered(fetched, brokerOrder, 6, true).offsets).toEqual(['10']);
    expect([...abortedRecordOffsets(brokerOrder, fetched)].sort()).toEqual(['2', '3', '4', '5', '6']);
  });

  it('drops an aborted record keyed like an abort marker without ending the filtering', () => {
    const fetched = [data(0, 'a', Buffer.from(ABORT)), data(1, 'a'), marker(2, 'a', ABORT), data(3, 'b'), marker(4, 'b', COMMIT)];
    expect(delivered(fetched, [{ producerId: 'a', firstOffset: '0' }], 0, true)).toEqual({ offsets: ['3'], lastOffset: '4' });
  });

  it('keeps a producer’s earlier committed transaction and ignores non-transactional records', () => {
    const fetched = [
      data(0, 'a'),
      marker(1, 'a', COMMIT),
      { offset: '2', key: null, batchContext: { producerId: '-1', inTransaction: false } },
      data(3, 'a'),
      marker(4, 'a', ABORT),
      data(5, 'a'),
      marker(6, 'a', COMMIT),
    ];
    expect(delivered(fetched, [{ producerId: 'a', firstOffset: '3' }], 0, true).offsets).toEqual(['0', '2', '5']);
  });
});
