/**
 * The Confluent wire format shared by every Confluent-compatible serializer (Java's KafkaAvroSerializer,
 * @kafkajs/confluent-schema-registry, Apicurio's ccompat mode):
 *
 *   byte 0      magic byte, always 0
 *   bytes 1..4  schema id, 32-bit big-endian, as assigned by the registry
 *   bytes 5..   the Avro binary encoding of the value with that (writer) schema
 */
import { SchemaRegistryError } from './errors.js';

export const MAGIC_BYTE = 0;
export const WIRE_HEADER_BYTES = 5;

export interface WireFrame {
  readonly schemaId: number;
  /** A view of the Avro body inside the original buffer (no copy). */
  readonly body: Buffer;
}

/** Header + body in one allocation. */
export function encodeWireFrame(schemaId: number, body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(WIRE_HEADER_BYTES + body.length);
  frame[0] = MAGIC_BYTE;
  frame.writeUInt32BE(schemaId, 1);
  body.copy(frame, WIRE_HEADER_BYTES);
  return frame;
}

/** Splits a framed record; throws SCHEMA_WIRE_FORMAT_INVALID when it is not in the wire format. */
export function decodeWireFrame(buffer: Buffer): WireFrame {
  if (buffer.length < WIRE_HEADER_BYTES) {
    throw new SchemaRegistryError('SCHEMA_WIRE_FORMAT_INVALID', `record of ${buffer.length} bytes is shorter than the ${WIRE_HEADER_BYTES}-byte Confluent header`, {
      details: { length: buffer.length },
    });
  }
  if (buffer[0] !== MAGIC_BYTE) {
    throw new SchemaRegistryError('SCHEMA_WIRE_FORMAT_INVALID', `record starts with byte ${buffer[0]}, not the Confluent magic byte ${MAGIC_BYTE}`, {
      details: { magicByte: buffer[0] },
    });
  }
  return { schemaId: buffer.readUInt32BE(1), body: buffer.subarray(WIRE_HEADER_BYTES) };
}
