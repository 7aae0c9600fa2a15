import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// kafkajs as the application loads it: the work-arounds first.
import '../../../connectors/kafka/kafkajs.js';
import { shippedModule } from '../../../connectors/kafka/module-cache.js';
import { frameRequest, installRequestFramingFix } from '../../../connectors/kafka/request-framing-fix.js';

const require = createRequire(import.meta.url);

interface Encoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  size(): number;
  writeBytes(value: Buffer): Encoder;
  writeInt32(value: number): Encoder;
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as new (initialSize?: number) => Encoder;
const shippedFrame = shippedModule<(input: object) => Promise<Encoder>>('kafkajs/src/protocol/request.js');

describe('request framing in one allocation', () => {
  it('frames every request as kafkajs does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          apiKey: fc.integer({ min: 0, max: 70 }),
          apiVersion: fc.integer({ min: 0, max: 15 }),
          correlationId: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          clientId: fc.oneof(fc.constant(null), fc.constant(undefined), fc.constant(''), fc.string({ unit: 'grapheme', maxLength: 40 })),
          body: fc.uint8Array({ maxLength: 3_000 }),
          // kafkajs' own encoders hold more bytes than they wrote: only the written ones count.
          spare: fc.nat(600),
        }),
        async ({ apiKey, apiVersion, correlationId, clientId, body, spare }) => {
          const encode = async (): Promise<Encoder> => new Encoder(spare).writeInt32(body.length).writeBytes(Buffer.from(body));
          const request = { apiKey, apiVersion, encode };
          const ours = await frameRequest({ correlationId, clientId, request });
          const theirs = await shippedFrame({ correlationId, clientId, request });
          expect(ours.buffer.equals(theirs.buffer)).toBe(true);
          expect(ours.buffer.length).toBe(theirs.size());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is what kafkajs frames its requests with once the client is loaded', () => {
    expect(installRequestFramingFix()).toBe(true);
    expect(require('kafkajs/src/protocol/request.js')).toBe(frameRequest);
  });
});
