/**
 * ClickHouse's RowBinary encoding of analytics rows (columns in ANALYTICS_COLUMNS order), the insert
 * format chosen by bench/analytics.ts (docs/analytics.md#insert-format):
 *
 * - exact: Float64 travels as its 8 bytes. ClickHouse 18.16's text parsers (TabSeparated, CSV,
 *   JSONEachRow) are not correctly rounded: `4.56` is stored as 4.5600000000000005;
 * - no escaping: strings are a length (LEB128) and their UTF-8 bytes, any content included;
 * - the server only copies bytes into columns instead of parsing text.
 *
 * Types, as in deploy/clickhouse/migrations/0001_events.sql: String; DateTime = UInt32 seconds;
 * UInt16, UInt32, UInt64 little-endian; Nullable(Float64) = one byte (1 = NULL) then the double.
 */
import { QuintetError } from '../../core/errors.js';
import type { AnalyticsRow } from './analytics-row.js';

/** Room for a typical row; the buffer grows when rows are larger. */
const BYTES_PER_ROW_GUESS = 320;
const TWO_POW_32 = 4_294_967_296;

class RowBinaryWriter {
  buffer: Buffer;
  offset = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  ensure(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }

  string(value: string): void {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: below 43 units the length fits one LEB128 byte,
    // so the bytes are written first and the length after, with one native call.
    if (value.length < 43) {
      this.ensure(1 + value.length * 3);
      const written = this.buffer.write(value, this.offset + 1, 'utf8');
      this.buffer[this.offset] = written;
      this.offset += 1 + written;
      return;
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.ensure(5 + length);
    let rest = length;
    while (rest >= 0x80) {
      this.buffer[this.offset++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.buffer[this.offset++] = rest;
    this.offset += this.buffer.write(value, this.offset, 'utf8');
  }

  uint16(value: number): void {
    this.ensure(2);
    this.offset = this.buffer.writeUInt16LE(value, this.offset);
  }

  uint32(value: number): void {
    this.ensure(4);
    this.offset = this.buffer.writeUInt32LE(value, this.offset);
  }

  uint64(decimal: string): void {
    this.ensure(8);
    this.offset = writeUInt64Decimal(this.buffer, this.offset, decimal);
  }

  nullableFloat64(value: number | null): void {
    this.ensure(9);
    if (value === null) {
      this.buffer[this.offset++] = 1;
      return;
    }
    this.buffer[this.offset++] = 0;
    this.offset = this.buffer.writeDoubleLE(value, this.offset);
  }
}

/** Writes a UInt64 given as decimal text (Kafka offsets) at `at`, exact above 2^53 too; returns the end. */
export function writeUInt64Decimal(buffer: Buffer, at: number, decimal: string): number {
  const value = Number(decimal);
  if (Number.isSafeInteger(value) && value >= 0) {
    buffer.writeUInt32LE(value % TWO_POW_32, at);
    buffer.writeUInt32LE(Math.floor(value / TWO_POW_32), at + 4);
    return at + 8;
  }
  if (!/^\d{1,20}$/.test(decimal)) throw new QuintetError('ANALYTICS_ROW_INVALID', 'log offset is not an unsigned decimal integer');
  return buffer.writeBigUInt64LE(BigInt(decimal), at);
}

const twoDigits = (text: string, at: number): number => (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;

/** Epoch seconds of a `YYYY-MM-DD hh:mm:ss` DateTime text (as toAnalyticsRow writes it, always valid). */
export function dateTimeSeconds(text: string): number {
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  return Date.UTC(year, twoDigits(text, 5) - 1, twoDigits(text, 8), twoDigits(text, 11), twoDigits(text, 14), twoDigits(text, 17)) / 1000;
}

/** The RowBinary body of an INSERT of `rows` (columns in ANALYTICS_COLUMNS order). */
export function encodeRowBinary(rows: readonly AnalyticsRow[]): Buffer {
  const out = new RowBinaryWriter(Math.max(1024, rows.length * BYTES_PER_ROW_GUESS));
  for (const row of rows) {
    out.string(row.event_id);
    out.uint32(dateTimeSeconds(row.event_time));
    out.uint16(row.event_ms);
    out.uint32(dateTimeSeconds(row.observed_time));
    out.uint16(row.observed_ms);
    out.string(row.source);
    out.string(row.action_name);
    out.string(row.action_type);
    out.string(row.actor_type);
    out.string(row.actor_pseudonym);
    out.string(row.entity_type);
    out.string(row.entity_id);
    out.string(row.status);
    out.string(row.error_code);
    out.nullableFloat64(row.duration_ms);
    out.string(row.trace_id);
    out.uint32(row.log_partition);
    out.uint64(row.log_offset);
  }
  return out.buffer.subarray(0, out.offset);
}
