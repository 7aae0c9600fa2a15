import { describe, expect, it } from 'vitest';
import { alignAbortedTransactions } from '../../../connectors/kafka/read-committed-fix.js';

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
interface Msg {
  readonly offset: string;
  readonly key: Buffer;
  readonly isControlRecord?: boolean;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}
const data = (offset: number, producerId: string): Msg => ({ offset: String(offset), key: Buffer.from('k'), batchContext: { producerId, inTransaction: true } });
const marker = (offset: number, producerId: string, key: Buffer): Msg => ({ offset: String(offset), key, isControlRecord: true, batchContext: { producerId, inTransaction: true } });

/** kafkajs 2.2.4's filterAbortedMessages, as shipped (one activation per record). */
function kafkajsFilter(messages: readonly Msg[], aborted: { producerId: string; firstOffset: string }[]): string[] {
  const active = new Set<string>();
  const remaining = [...aborted];
  const kept: string[] = [];
  for (const m of messages) {
    if (remaining.length > 0 && BigInt(m.offset) >= BigInt((remaining[0] as { firstOffset: string }).firstOffset)) active.add((remaining.shift() as { producerId: string }).producerId);
    if (m.isControlRecord === true) {
      if (m.key.equals(ABORT)) active.delete(m.batchContext.producerId);
      continue;
    }
    if (!(active.has(m.batchContext.producerId) && m.batchContext.inTransaction)) kept.push(m.offset);
  }
  return kept;
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
    expect(kafkajsFilter(messages, brokerOrder)).toContain('2');
  });

  it('makes the one-pass filter exact', () => {
    expect(kafkajsFilter(messages, alignAbortedTransactions(brokerOrder, messages))).toEqual(['0', '10']);
  });

  it('handles a fetch that starts inside aborted transactions', () => {
    const tail = messages.slice(4);
    expect(kafkajsFilter(tail, alignAbortedTransactions(brokerOrder, tail))).toEqual(['10']);
  });
});
