/**
 * Work-around for kafkajs 2.2.4's request framing (`src/protocol/request.js`), which every request
 * goes through: it copied the encoded request into a header encoder and that into a size-prefixed
 * one, each starting from a zero-filled 512-byte buffer and growing by doubling into new zero-filled
 * buffers. For a 512 KiB produce request that is about a megabyte zero-filled and copied twice over.
 * Here the frame (size, API key and version, correlation id, client id, body) is allocated once at
 * its exact size and the body copied into it once. Same bytes (a unit test compares them with
 * kafkajs' own module). kafkajs requires the module as it loads (network/connection.js), so it is put
 * into the module cache before kafkajs is imported (connectors/kafka/kafkajs.ts).
 */
import { createRequire } from 'node:module';
import { replaceUnlessLoaded } from './module-cache.js';

const require = createRequire(import.meta.url);

interface KafkaEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}

const Encoder = require('kafkajs/src/protocol/encoder.js') as new (initialSize?: number) => KafkaEncoder;

interface FramedRequest {
  readonly correlationId: number;
  readonly clientId: string | null | undefined;
  readonly request: { readonly apiKey: number; readonly apiVersion: number; encode(): Promise<KafkaEncoder> | KafkaEncoder };
}

/** kafkajs' `protocol/request.js`: the request as sent, in an Encoder. */
export async function frameRequest({ correlationId, clientId, request: { apiKey, apiVersion, encode } }: FramedRequest): Promise<KafkaEncoder> {
  const payload = await encode();
  const body = payload.buf;
  const bodyLength = payload.offset;
  const clientIdLength = clientId === null || clientId === undefined ? -1 : Buffer.byteLength(clientId, 'utf8');
  const size = 2 + 2 + 4 + 2 + Math.max(0, clientIdLength) + bodyLength;
  const frame = Buffer.allocUnsafe(4 + size);
  let offset = frame.writeInt32BE(size, 0);
  offset = frame.writeInt16BE(apiKey, offset);
  offset = frame.writeInt16BE(apiVersion, offset);
  offset = frame.writeInt32BE(correlationId, offset);
  offset = frame.writeInt16BE(clientIdLength, offset);
  if (clientIdLength > 0) offset += frame.write(clientId as string, offset, 'utf8');
  offset += body.copy(frame, offset, 0, bodyLength);
  if (offset !== frame.length) throw new Error(`request framing wrote ${offset} of ${frame.length} bytes`);
  const encoder = new Encoder(0);
  encoder.buf = frame;
  encoder.offset = frame.length;
  return encoder;
}

/** True when kafkajs frames its requests with frameRequest (installed now, or by an earlier call). */
export function installRequestFramingFix(): boolean {
  return replaceUnlessLoaded('kafkajs/src/protocol/request.js', frameRequest);
}

installRequestFramingFix();
