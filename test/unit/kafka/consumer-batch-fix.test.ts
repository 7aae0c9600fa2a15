import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../../../connectors/kafka/kafkajs.js';
import { consumerBatchClass, installConsumerBatchFix, messagesWithinOffset } from '../../../connectors/kafka/consumer-batch-fix.js';
import { shippedModule } from '../../../connectors/kafka/module-cache.js';

type Batch = {
  rawMessages: unknown[];
  messagesWithinOffset: unknown[];
  messages: unknown[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
};
type BatchClass = new (topic: string, fetchedOffset: unknown, partitionData: object) => Batch;
const Shipped = shippedModule<BatchClass>('kafkajs/src/consumer/batch.js');
const Fast = consumerBatchClass() as unknown as BatchClass;

const ABORT_MARKER = Buffer.from([0, 0, 0, 0]);
const offsetText = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 62n }), fc.bigInt({ min: 0n, max: 5_000n })).map(String);

/** A fetched partition: ascending offsets from a start (big ones included), some control records and producers. */
const partition = fc
  .record({
    start: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    steps: fc.array(fc.record({ gap: fc.bigInt({ min: 1n, max: 3n }), control: fc.boolean(), abortMarker: fc.boolean(), producer: fc.constantFrom('7', '8'), inTransaction: fc.boolean() }), { maxLength: 30 }),
    aborted: fc.array(fc.record({ producer: fc.constantFrom('7', '8'), at: fc.nat(30) }), { maxLength: 2 }),
    fetchedShift: fc.integer({ min: -3, max: 33 }),
  })
  .map(({ start, steps, aborted, fetchedShift }) => {
    let offset = start;
    const messages = steps.map((step) => {
      offset += step.gap;
      return {
        offset: offset.toString(),
        key: step.control && step.abortMarker ? ABORT_MARKER : Buffer.from('k'),
        value: Buffer.from('v'),
        isControlRecord: step.control,
        batchContext: { producerId: step.producer, inTransaction: step.inTransaction },
      };
    });
    const offsetAt = (index: number): string => (start + BigInt(index)).toString();
    const abortedTransactions = aborted.map((a) => ({ producerId: a.producer, firstOffset: offsetAt(a.at) })).sort((x, y) => (BigInt(x.firstOffset) < BigInt(y.firstOffset) ? -1 : 1));
    const fetched = start + BigInt(fetchedShift);
    return { messages, abortedTransactions, fetchedOffset: (fetched < 0n ? 0n : fetched).toString(), highWatermark: (offset + 1n).toString() };
  });

describe('consumer Batch without a Long per message', () => {
  it('selects, filters and answers exactly like kafkajs', () => {
    fc.assert(
      fc.property(partition, fc.boolean(), ({ messages, abortedTransactions, fetchedOffset, highWatermark }, numeric) => {
        const fetched = numeric && Number.isSafeInteger(Number(fetchedOffset)) ? Number(fetchedOffset) : fetchedOffset;
        const data = { partition: 3, highWatermark, abortedTransactions, messages };
        const ours = new Fast('t', fetched, data);
        const theirs = new Shipped('t', fetched, data);
        expect(ours.messagesWithinOffset).toEqual(theirs.messagesWithinOffset);
        expect(ours.messages).toEqual(theirs.messages);
        expect(ours.rawMessages).toBe(theirs.rawMessages);
        expect([ours.isEmpty(), ours.firstOffset(), ours.lastOffset(), ours.offsetLag(), ours.offsetLagLow()]).toEqual([
          theirs.isEmpty(),
          theirs.firstOffset(),
          theirs.lastOffset(),
          theirs.offsetLag(),
          theirs.offsetLagLow(),
        ]);
      }),
      { numRuns: 500 },
    );
  });

  it('compares decimal offsets as numbers, odd forms included', () => {
    fc.assert(
      fc.property(offsetText, offsetText, (offset, fetched) => {
        expect(messagesWithinOffset([{ offset }], fetched).length).toBe(BigInt(offset) >= BigInt(fetched) ? 1 : 0);
      }),
    );
    // Leading zeros, a sign or a number: not plain decimal, so kafkajs' own comparison decides.
    expect(messagesWithinOffset([{ offset: '010' }, { offset: '9' }, { offset: '+12' }], '10').map((m) => m.offset)).toEqual(['010', '+12']);
    expect(messagesWithinOffset([{ offset: '100' }, { offset: '99' }], 100).map((m) => m.offset)).toEqual(['100']);
  });

  it('is the Batch kafkajs builds once kafkajs is loaded through connectors/kafka/kafkajs.ts', () => {
    expect(installConsumerBatchFix()).toBe(true);
  });
});
