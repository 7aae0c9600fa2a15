/**
 * The hash of one chain entry (docs/hash-chain.md, "Construction", is the normative text; keep in sync):
 *
 *   M = "QUINTET-CHAIN-V1"            16 ASCII bytes
 *     ‖ 0x00
 *     ‖ uint32 big-endian  partition
 *     ‖ uint64 big-endian  sequence
 *     ‖ uint8              length of key_id in bytes
 *     ‖ key_id             ASCII
 *     ‖ previous hash      32 raw bytes (32 zero bytes for sequence 0)
 *     ‖ uint32 big-endian  length of E in bytes
 *     ‖ E                  UTF-8 bytes of the RFC 8785 canonical JSON of the event (without its chain link)
 *   hash = lower-case hex of HMAC-SHA256(key[key_id], M)
 *
 * Fixed-width and length-prefixed fields make the framing unambiguous; binding partition, sequence and
 * key id into M means an entry cannot be moved to another position, chain or key without detection.
 */
import type { KeyRing } from '../../core/config.js';
import { QuintetError } from '../../core/errors.js';
import type { CanonicalEvent } from '../../schemas/canonical-event.js';
import { CANONICAL_EVENT_FIELDS, type RecordField } from '../../schemas/canonical-fields.js';
import { CanonicalJsonWriter, canonicalJson, recordLayout, type RecordLayout } from './canonical-json.js';
import { HMAC_PREFIX_BYTES, hmacSha256HexAfterBlock } from '../hmac-sha256.js';

export const CHAIN_DOMAIN = 'QUINTET-CHAIN-V1';
export const GENESIS_HASH = '0'.repeat(64);
const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** HMAC keys of the chain by id; the active one chains new entries, all of them verify. */
export class ChainKeyRing {
  readonly activeKeyId: string;
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(activeKeyId: string, keys: ReadonlyMap<string, Buffer>) {
    if (!keys.has(activeKeyId)) throw new QuintetError('CHAIN_KEY_INVALID', `active chain key ${activeKeyId} is not in the ring`);
    for (const [id, key] of keys) {
      if (!/^[\x21-\x7e]{1,255}$/.test(id)) throw new QuintetError('CHAIN_KEY_INVALID', 'chain key ids are 1–255 printable ASCII characters');
      if (key.length < 16) throw new QuintetError('CHAIN_KEY_INVALID', `chain key ${id} must be at least 16 bytes`, { details: { keyId: id } });
    }
    this.activeKeyId = activeKeyId;
    this.#keys = keys;
  }

  static fromConfig(ring: KeyRing | undefined): ChainKeyRing {
    if (ring === undefined) throw new QuintetError('CHAIN_NOT_CONFIGURED', 'the hash chain needs secrets.chainKeys (QUINTET_CHAIN_KEYS)');
    return new ChainKeyRing(ring.activeKeyId, new Map([...ring.keys].map(([id, secret]) => [id, Buffer.from(secret.reveal(), 'base64')])));
  }

  /** The same keys with another active one (rotation: new entries use it from the next sequence on). */
  withActive(keyId: string): ChainKeyRing {
    return new ChainKeyRing(keyId, this.#keys);
  }

  key(keyId: string): Buffer | undefined {
    return this.#keys.get(keyId);
  }
}

export interface ChainPosition {
  readonly partition: number;
  readonly sequence: number;
  readonly keyId: string;
  /** Hex hash of the previous entry; GENESIS_HASH for sequence 0. */
  readonly previousHash: string;
}

/** The hash chainHash returned last (64 lower-case hex digits, as every digest it returns). */
let lastHash: string | undefined;

/** `position` if M can carry it (partition in 32 bits, sequence a safe non-negative integer, a hex previous hash). */
function checkedPosition(position: ChainPosition): ChainPosition {
  const { partition, sequence, previousHash } = position;
  if (!Number.isInteger(partition) || partition < 0 || partition > 0xffffffff) throw new QuintetError('CHAIN_INPUT_INVALID', 'partition out of range');
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new QuintetError('CHAIN_INPUT_INVALID', 'sequence out of range');
  // The head's hash is usually the one chainHash just returned, which has the form: no pattern test then.
  if (previousHash !== lastHash && !HASH_PATTERN.test(previousHash)) throw new QuintetError('CHAIN_INPUT_INVALID', 'previous hash is not 64 lower-case hex digits');
  return position;
}

/** The exact bytes M that the HMAC covers. */
export function chainMessage(position: ChainPosition, event: CanonicalEvent): Buffer {
  const { partition, sequence, keyId, previousHash } = checkedPosition(position);
  const keyIdBytes = Buffer.from(keyId, 'ascii');
  const body = Buffer.from(canonicalJson(event), 'utf8');
  const head = Buffer.alloc(16 + 1 + 4 + 8 + 1);
  head.write(CHAIN_DOMAIN, 0, 'ascii');
  head.writeUInt8(0, 16);
  head.writeUInt32BE(partition, 17);
  head.writeBigUInt64BE(BigInt(sequence), 21);
  head.writeUInt8(keyIdBytes.length, 29);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, keyIdBytes, Buffer.from(previousHash, 'hex'), length, body]);
}

/**
 * HMAC-SHA256(key, M) for the hot path of the ingest topology: M is laid out exactly as chainMessage
 * lays it out, in a scratch buffer reused from event to event, and the canonical JSON is written as
 * UTF-8 straight into it (CanonicalJsonWriter: no text built first); its byte length, which M carries
 * before it, is known once it is written. With `layout` (CANONICAL_WIRE_LAYOUT, for events from
 * canonicalWireForm only), the event's records are written without listing and sorting their keys.
 */
export function chainHash(key: Buffer, position: ChainPosition, event: CanonicalEvent, layout?: RecordLayout): string {
  const { partition, sequence, keyId, previousHash } = checkedPosition(position);
  const keyIdLength = Buffer.byteLength(keyId, 'ascii');
  // M starts after the block that hmacSha256HexAfterBlock reserves for the key's inner pad.
  const at = HMAC_PREFIX_BYTES;
  // Fixed part: domain ‖ 0x00 ‖ partition ‖ sequence ‖ key id length ‖ key id ‖ previous hash ‖ body length; then the body.
  const bodyAt = at + HEAD_BYTES + keyIdLength + 32 + 4;
  const writer = scratch;
  if (writer.buffer.length < bodyAt) writer.buffer = Buffer.allocUnsafe(2 * bodyAt);
  const head = writer.buffer;
  DOMAIN_BYTES.copy(head, at);
  head.writeUInt8(0, at + 16);
  head.writeUInt32BE(partition, at + 17);
  writeUint64BE(head, sequence, at + 21);
  head.writeUInt8(keyIdLength, at + 29);
  head.write(keyId, at + HEAD_BYTES, 'ascii');
  head.write(previousHash, at + HEAD_BYTES + keyIdLength, 'hex');
  writer.position = bodyAt;
  try {
    if (layout === undefined) writer.write(event);
    else writer.writeRecord(event as unknown as Record<string, unknown>, layout);
    // The writer may have moved the message to a larger buffer (the head is copied along).
    const message = writer.buffer;
    message.writeUInt32BE(writer.position - bodyAt, bodyAt - 4);
    lastHash = hmacSha256HexAfterBlock(key, message, writer.position);
    return lastHash;
  } finally {
    // One very large event does not keep its buffer for good.
    if (writer.buffer.length > KEPT_MESSAGE_BYTES) writer.buffer = Buffer.allocUnsafe(SCRATCH_BYTES);
  }
}

/** The message buffer is reused up to this size (events are limited to far less); beyond it, it is dropped after use. */
const KEPT_MESSAGE_BYTES = 1024 * 1024;
const SCRATCH_BYTES = 16 * 1024;
const scratch = new CanonicalJsonWriter(Buffer.allocUnsafe(SCRATCH_BYTES));

function layoutOf(record: RecordField): RecordLayout {
  const members = new Map<string, RecordLayout | undefined>();
  for (const name of Object.keys(record.fields)) {
    const field = record.fields[name] as RecordField['fields'][string];
    members.set(name, field.kind === 'record' ? layoutOf(field) : undefined);
  }
  return recordLayout(members);
}

/**
 * The canonical event's records as canonicalWireForm builds them (canonical fields only, records as
 * plain objects): the layout chainHash may use for its output, and for nothing else.
 */
export const CANONICAL_WIRE_LAYOUT: RecordLayout = layoutOf(CANONICAL_EVENT_FIELDS);

const HEAD_BYTES = 16 + 1 + 4 + 8 + 1;
const DOMAIN_BYTES = Buffer.from(CHAIN_DOMAIN, 'ascii');

/** uint64 big-endian of a safe integer, without a BigInt. */
function writeUint64BE(buffer: Buffer, value: number, offset: number): void {
  const high = Math.floor(value / 0x1_0000_0000);
  buffer.writeUInt32BE(high, offset);
  buffer.writeUInt32BE(value - high * 0x1_0000_0000, offset + 4);
}
