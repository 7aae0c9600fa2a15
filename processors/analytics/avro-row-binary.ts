/**
 * Canonical Avro → the RowBinary bytes of one `events` row, in one pass, without building the event
 * object, the AnalyticsRow or any JS string (docs/analytics.md#the-transcoder).
 *
 * A plan is compiled once per writer schema: the writer's fields are walked in order, the ones the row
 * needs are located (their byte range), every other one is skipped by its length. Strings that are
 * plain String columns are copied byte for byte (Avro and RowBinary both length-prefix UTF-8; only the
 * varint differs: zig-zag long vs LEB128); timestamps are parsed from their digits.
 *
 * The contract is "the same bytes as toAnalyticsRow + encodeRowBinary, or nothing": whenever a record
 * is not the ordinary case (empty id, a timestamp outside the canonical form, UTF-8 the general decoder
 * would repair, truncated or trailing bytes, an invalid union branch), `transcode` returns undefined and
 * the caller takes the general path, which produces today's row, dead letter or error. A writer schema
 * whose analytics fields do not have the canonical types (promotions, renamed records, recursion)
 * gets no plan at all (`compileRowBinaryTranscoder` returns undefined).
 */
import type avro from 'avsc';
import { isUtf8 } from 'node:buffer';
import { ANALYTICS_EVENT_PATHS } from './analytics-projection.js';
import { writeUInt64Decimal } from './row-binary.js';

/** Bytes at the end of a transcoded row left for log_partition (UInt32) and log_offset (UInt64). */
export const LOG_POSITION_BYTES = 12;

/** Where each analytics field sits in the slot arrays: ANALYTICS_EVENT_PATHS order. */
const SLOT = new Map(ANALYTICS_EVENT_PATHS.map((path, index) => [path, index]));
const slotOf = (path: string): number => SLOT.get(path) as number;
const ID = slotOf('id');
const EVENT_TIMESTAMP = slotOf('event_timestamp');
const OBSERVED_TIMESTAMP = slotOf('observed_timestamp');
const DURATION = slotOf('context.telemetry.duration_ms');
const STATUS = slotOf('context.status');
/** The String columns between observed_ms and duration_ms, then trace_id, in table order. */
const STRING_COLUMNS_BEFORE_DURATION = ['source', 'action.name', 'action.type', 'actor.type', 'actor.pseudonym', 'entity.type', 'entity.id', 'context.status', 'context.error.code'].map(slotOf);
const TRACE_ID = slotOf('context.telemetry.trace_id');
const SLOT_COUNT = ANALYTICS_EVENT_PATHS.length;

// Instructions of a compiled plan. Each is [opcode, argument...] in a flat Int32Array.
const OP_END = 0;
/** Skip a zig-zag varint (int, long, enum). */
const OP_SKIP_VARINT = 1;
/** Skip a length-prefixed value (string, bytes). */
const OP_SKIP_SIZED = 2;
/** Skip `n` bytes (boolean 1, float 4, double 8, fixed n). */
const OP_SKIP_FIXED = 3;
/** Record a string's byte range in slot `n`. */
const OP_STRING = 4;
/** Record a double's position in slot `n`. */
const OP_DOUBLE = 5;
/** Union of `n` branches: the branch index selects the next `n` arguments (instruction index of each branch). */
const OP_UNION = 6;
/** Continue at instruction `n`. */
const OP_JUMP = 7;
/**
 * Skip an array or map: its blocks of items, each item skipped by the sub-plan that follows this
 * instruction (ending with OP_RETURN); then continue at instruction `n`.
 */
const OP_SKIP_BLOCKS = 8;
const OP_RETURN = 9;

/** The reader's field kinds the analytics row needs. */
type Wanted = { readonly kind: 'string' | 'double'; readonly optional: boolean; readonly slot: number } | { readonly kind: 'record'; readonly optional: boolean; readonly name: string; readonly fields: ReadonlyMap<string, Wanted> };

class Unsupported extends Error {}

/** A writer schema the transcoder cannot follow exactly: the whole schema id takes the general path. */
const unsupported = (why: string): never => {
  throw new Unsupported(why);
};

type AnyType = avro.Type & {
  readonly typeName: string;
  readonly name?: string;
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly type: AnyType; defaultValue(): unknown }>;
  readonly types?: readonly AnyType[];
  readonly itemsType?: AnyType;
  readonly valuesType?: AnyType;
  readonly size?: number;
  readonly underlyingType?: AnyType;
};

/** The wanted-field tree of the reader (the analytics projection), from its avsc Type. */
function wantedOf(reader: AnyType, path: string): Wanted {
  if (reader.typeName.startsWith('union')) {
    const branches = reader.types ?? [];
    const value = branches.filter((branch) => branch.typeName !== 'null');
    if (branches.length !== 2 || value.length !== 1) return unsupported(`reader field ${path} is not an optional value`);
    return { ...wantedOf(value[0] as AnyType, path), optional: true };
  }
  if (reader.typeName === 'record') {
    const fields = new Map<string, Wanted>();
    for (const field of reader.fields ?? []) fields.set(field.name, wantedOf(field.type, path === '' ? field.name : `${path}.${field.name}`));
    return { kind: 'record', optional: false, name: reader.name as string, fields };
  }
  if (reader.typeName !== 'string' && reader.typeName !== 'double') return unsupported(`reader field ${path} is a ${reader.typeName}`);
  const slot = SLOT.get(path);
  if (slot === undefined) return unsupported(`reader field ${path} is not an analytics field`);
  return { kind: reader.typeName, optional: false, slot };
}

class PlanBuilder {
  readonly code: number[] = [];
  /** Records being compiled, to refuse recursive writer types (they cannot be inlined). */
  readonly #open = new Set<string>();

  emit(...words: number[]): number {
    const at = this.code.length;
    this.code.push(...words);
    return at;
  }

  record(writer: AnyType, wanted: Wanted & { kind: 'record' }): void {
    if (writer.name !== wanted.name) unsupported(`writer record ${writer.name ?? '?'} is not ${wanted.name}`);
    const present = new Set<string>();
    for (const field of writer.fields ?? []) {
      const child = wanted.fields.get(field.name);
      present.add(field.name);
      if (child === undefined) this.skip(field.type);
      else this.value(field.type, child);
    }
    for (const [name, child] of wanted.fields) {
      // A field the writer lacks takes the reader's default; only null defaults are reproduced here.
      if (!present.has(name) && !child.optional) unsupported(`writer lacks required field ${name}`);
    }
  }

  value(writer: AnyType, wanted: Wanted): void {
    if (!writer.typeName.startsWith('union')) {
      this.single(writer, wanted);
      return;
    }
    this.union(writer, (branch) => {
      if (branch.typeName !== 'null') this.single(branch, wanted);
      else if (!wanted.optional) unsupported('a required analytics field may be null in the writer');
    });
  }

  /** A branch table, each branch's code (`branchCode`), then a jump from each branch to the end. */
  union(writer: AnyType, branchCode: (branch: AnyType) => void): void {
    const branches = writer.types ?? [];
    const table = this.emit(OP_UNION, branches.length, ...branches.map(() => 0));
    const jumps: number[] = [];
    branches.forEach((branch, index) => {
      this.code[table + 2 + index] = this.code.length;
      branchCode(branch);
      jumps.push(this.emit(OP_JUMP, 0));
    });
    for (const jump of jumps) this.code[jump + 1] = this.code.length;
  }

  single(writer: AnyType, wanted: Wanted): void {
    if (wanted.kind === 'record') {
      if (writer.typeName !== 'record') unsupported(`writer ${writer.typeName} where the reader has record ${wanted.name}`);
      this.#enter(writer, () => this.record(writer, wanted));
      return;
    }
    // No promotions (int → double, bytes → string): avsc converts those values, the plan copies bytes.
    if (writer.typeName !== wanted.kind) unsupported(`writer ${writer.typeName} where the reader has ${wanted.kind}`);
    this.emit(wanted.kind === 'string' ? OP_STRING : OP_DOUBLE, wanted.slot);
  }

  skip(writer: AnyType): void {
    switch (writer.typeName) {
      case 'null':
        return;
      case 'boolean':
        this.emit(OP_SKIP_FIXED, 1);
        return;
      case 'int':
      case 'long':
      case 'enum':
        this.emit(OP_SKIP_VARINT);
        return;
      case 'float':
        this.emit(OP_SKIP_FIXED, 4);
        return;
      case 'double':
        this.emit(OP_SKIP_FIXED, 8);
        return;
      case 'string':
      case 'bytes':
        this.emit(OP_SKIP_SIZED);
        return;
      case 'fixed':
        this.emit(OP_SKIP_FIXED, writer.size as number);
        return;
      case 'record':
        this.#enter(writer, () => {
          for (const field of writer.fields ?? []) this.skip(field.type);
        });
        return;
      case 'array':
      case 'map': {
        const at = this.emit(OP_SKIP_BLOCKS, 0);
        if (writer.typeName === 'map') this.emit(OP_SKIP_SIZED);
        this.skip((writer.typeName === 'map' ? writer.valuesType : writer.itemsType) as AnyType);
        this.emit(OP_RETURN);
        this.code[at + 1] = this.code.length;
        return;
      }
      default:
        if (writer.typeName.startsWith('union')) {
          this.union(writer, (branch) => this.skip(branch));
          return;
        }
        if (writer.typeName.startsWith('logical:') && writer.underlyingType !== undefined) {
          this.skip(writer.underlyingType);
          return;
        }
        unsupported(`writer type ${writer.typeName}`);
    }
  }

  #enter(writer: AnyType, body: () => void): void {
    const name = writer.name ?? '';
    if (this.#open.has(name)) unsupported(`recursive writer record ${name}`);
    this.#open.add(name);
    body();
    this.#open.delete(name);
  }
}

/** Room for a consumed batch of rows; rows are views into it until it is full. */
const SLAB_BYTES = 256 * 1024;
const MAX_DATETIME_SECONDS = 4_291_747_199;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const UNKNOWN_STATUS = Buffer.from('UNKNOWN');

/** A compiled plan for one writer schema. */
export class RowBinaryTranscoder {
  readonly #code: Int32Array;
  /** Per slot: start of the value in the record (string bytes or double), -1 when null/absent. */
  readonly #start = new Int32Array(SLOT_COUNT);
  /** Per slot: byte length of a string. */
  readonly #length = new Int32Array(SLOT_COUNT);
  /** Return addresses of array/map item sub-plans. */
  readonly #stack: number[] = [];
  /** Items left in the current block of each open array/map. */
  readonly #remaining: number[] = [];
  #slab: Buffer = Buffer.allocUnsafe(SLAB_BYTES);
  #used = 0;

  constructor(code: readonly number[]) {
    this.#code = Int32Array.from(code);
  }

  /**
   * The RowBinary row of the Avro body `input[from..]`, its last LOG_POSITION_BYTES left for
   * `completeLogPosition`; undefined when the record must take the general path.
   */
  transcode(input: Buffer, from: number): Buffer | undefined {
    if (!this.#locate(input, from)) return undefined;
    const start = this.#start;
    const length = this.#length;
    const idLength = length[ID] as number;
    if ((start[ID] as number) < 0 || idLength === 0) return undefined;
    // Room: each string its bytes plus at most 5 LEB128 bytes; 2 × (UInt32 + UInt16), Nullable(Float64), position.
    let size = 12 + 9 + LOG_POSITION_BYTES + 5 + idLength + 5 + (length[TRACE_ID] as number) + 5 + UNKNOWN_STATUS.length;
    for (const slot of STRING_COLUMNS_BEFORE_DURATION) size += 5 + Math.max(0, length[slot] as number);
    if (this.#used + size > this.#slab.length) {
      this.#slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, size));
      this.#used = 0;
    }
    const out = this.#slab;
    const rowStart = this.#used;
    let at = this.#string(input, ID, out, rowStart);
    if (at < 0) return undefined;
    at = timestamp(input, start[EVENT_TIMESTAMP] as number, length[EVENT_TIMESTAMP] as number, out, at);
    if (at < 0) return undefined;
    at = timestamp(input, start[OBSERVED_TIMESTAMP] as number, length[OBSERVED_TIMESTAMP] as number, out, at);
    if (at < 0) return undefined;
    for (const slot of STRING_COLUMNS_BEFORE_DURATION) {
      if (slot === STATUS && (start[slot] as number) < 0) {
        out[at] = UNKNOWN_STATUS.length;
        copyBytes(UNKNOWN_STATUS, 0, UNKNOWN_STATUS.length, out, at + 1);
        at += 1 + UNKNOWN_STATUS.length;
      } else {
        at = this.#string(input, slot, out, at);
        if (at < 0) return undefined;
      }
    }
    at = nullableDouble(input, start[DURATION] as number, out, at);
    at = this.#string(input, TRACE_ID, out, at);
    if (at < 0) return undefined;
    const end = at + LOG_POSITION_BYTES;
    this.#used = end;
    return out.subarray(rowStart, end);
  }

  /** A String column from a slot: '' when absent; -1 when the bytes are not valid UTF-8. */
  #string(input: Buffer, slot: number, out: Buffer, at: number): number {
    const from = this.#start[slot] as number;
    if (from < 0) {
      out[at] = 0;
      return at + 1;
    }
    const bytes = this.#length[slot] as number;
    const to = from + bytes;
    let rest = bytes;
    while (rest >= 0x80) {
      out[at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    out[at++] = rest;
    if (bytes >= NATIVE_COPY_BYTES) {
      input.copy(out, at, from, to);
      return isAscii(input, from, to) || isUtf8(input.subarray(from, to)) ? at + bytes : -1;
    }
    // Copied and checked in one pass. Non-ASCII: the general path decodes and re-encodes, which
    // repairs invalid UTF-8, so only valid bytes may be copied (what was written is dropped on -1).
    let seen = 0;
    for (let i = from; i < to; i++) {
      const byte = input[i] as number;
      seen |= byte;
      out[at++] = byte;
    }
    return seen < 0x80 || isUtf8(input.subarray(from, to)) ? at : -1;
  }

  /** Finds each analytics field of the record; false when the bytes do not follow the schema exactly. */
  #locate(input: Buffer, from: number): boolean {
    const code = this.#code;
    const start = this.#start;
    const length = this.#length;
    const stack = this.#stack;
    const end = input.length;
    start.fill(-1);
    const remaining = this.#remaining;
    stack.length = 0;
    remaining.length = 0;
    let pos = from;
    let pc = 0;
    for (;;) {
      switch (code[pc]) {
        case OP_END:
          return pos === end;
        case OP_SKIP_VARINT: {
          let byte: number;
          do {
            if (pos >= end) return false;
            byte = input[pos++] as number;
          } while (byte & 0x80);
          pc += 1;
          break;
        }
        case OP_SKIP_SIZED: {
          const size = readSize(input, pos, end);
          if (size < 0) return false;
          pos = sizeEnd + size;
          if (pos > end) return false;
          pc += 1;
          break;
        }
        case OP_SKIP_FIXED:
          pos += code[pc + 1] as number;
          if (pos > end) return false;
          pc += 2;
          break;
        case OP_STRING: {
          const size = readSize(input, pos, end);
          if (size < 0 || sizeEnd + size > end) return false;
          const slot = code[pc + 1] as number;
          start[slot] = sizeEnd;
          length[slot] = size;
          pos = sizeEnd + size;
          pc += 2;
          break;
        }
        case OP_DOUBLE:
          if (pos + 8 > end) return false;
          start[code[pc + 1] as number] = pos;
          pos += 8;
          pc += 2;
          break;
        case OP_UNION: {
          const branch = readSize(input, pos, end);
          if (branch < 0 || branch >= (code[pc + 1] as number)) return false;
          pos = sizeEnd;
          pc = code[pc + 2 + branch] as number;
          break;
        }
        case OP_JUMP:
          pc = code[pc + 1] as number;
          break;
        case OP_SKIP_BLOCKS:
          remaining.push(0);
          stack.push(pc);
          pc = -1; // falls into the block loop below
          break;
        case OP_RETURN:
          pc = -1;
          break;
        default:
          return false;
      }
      if (pc === -1) {
        // Next item of the innermost array/map; at the end of a block, the next block header.
        const blocks = stack[stack.length - 1] as number;
        let left = (remaining[remaining.length - 1] as number) - 1;
        while (left < 0) {
          const count = readSignedLong(input, pos, end);
          if (count === undefined) return false;
          pos = sizeEnd;
          if (count === 0) break;
          if (count < 0) {
            // A block with its byte size: skipped by the size, as avsc skips it.
            const bytes = readSignedLong(input, pos, end);
            if (bytes === undefined || bytes < 0 || sizeEnd + bytes > end) return false;
            pos = sizeEnd + bytes;
          } else {
            left = count - 1;
          }
        }
        if (left < 0) {
          remaining.pop();
          stack.pop();
          pc = code[blocks + 1] as number;
        } else {
          remaining[remaining.length - 1] = left;
          pc = blocks + 2;
        }
      }
    }
  }
}

/** Below this, a byte loop beats Buffer#copy's call into C++. */
const NATIVE_COPY_BYTES = 96;
function copyBytes(input: Buffer, from: number, to: number, out: Buffer, at: number): void {
  if (to - from >= NATIVE_COPY_BYTES) {
    input.copy(out, at, from, to);
    return;
  }
  for (let i = from; i < to; i++) out[at++] = input[i] as number;
}

function isAscii(input: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if ((input[i] as number) >= 0x80) return false;
  return true;
}

/** End of the varint read by readSize/readSignedLong (module state: the decoder is single-threaded). */
let sizeEnd = 0;

/** A non-negative zig-zag varint below 2^27 (a length, branch or count); -1 for anything else. */
function readSize(input: Buffer, pos: number, end: number): number {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= end || shift > 21) return -1;
    const byte = input[pos++] as number;
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  sizeEnd = pos;
  return value & 1 ? -1 : value >>> 1;
}

/** A zig-zag varint of magnitude below 2^27; undefined when larger or truncated. */
function readSignedLong(input: Buffer, pos: number, end: number): number | undefined {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= end || shift > 21) return undefined;
    const byte = input[pos++] as number;
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  sizeEnd = pos;
  return (value >>> 1) ^ -(value & 1);
}

/** Below any field value: a non-digit makes its field negative, which every range check refuses. */
const NOT_A_DIGIT = -100_000;
const digit = (input: Buffer, at: number): number => {
  const value = (input[at] as number) - 48;
  return value >= 0 && value <= 9 ? value : NOT_A_DIGIT;
};
const twoDigits = (input: Buffer, at: number): number => digit(input, at) * 10 + digit(input, at + 1);

/**
 * DateTime (UInt32 seconds) and UInt16 milliseconds of a canonical `YYYY-MM-DDThh:mm:ss.sssZ`, with
 * the checks of analytics-row.ts splitCanonicalTimestamp; -1 for anything it would not accept there
 * (the general path then decides: Date.parse, the observed-time fallback or a dead letter). The
 * seconds are Date.UTC's, computed from the civil date directly (days since the epoch, proleptic
 * Gregorian: the years are 1970 and later here).
 */
function timestamp(input: Buffer, from: number, bytes: number, out: Buffer, at: number): number {
  if (bytes !== 24 || input[from + 4] !== 45 || input[from + 7] !== 45 || input[from + 10] !== 84 || input[from + 13] !== 58 || input[from + 16] !== 58 || input[from + 19] !== 46 || input[from + 23] !== 90) return -1;
  const year = twoDigits(input, from) * 100 + twoDigits(input, from + 2);
  const month = twoDigits(input, from + 5);
  const day = twoDigits(input, from + 8);
  const hour = twoDigits(input, from + 11);
  const minute = twoDigits(input, from + 14);
  const second = twoDigits(input, from + 17);
  const milliseconds = digit(input, from + 20) * 100 + twoDigits(input, from + 21);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || milliseconds < 0) return -1;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number))) return -1;
  // Days from the civil date (H. Hinnant's days_from_civil), with years starting in March.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  const seconds = (era * 146_097 + dayOfEra - 719_468) * 86_400 + hour * 3_600 + minute * 60 + second;
  if (seconds > MAX_DATETIME_SECONDS || (seconds === MAX_DATETIME_SECONDS && milliseconds > 0)) return -1;
  out.writeUInt32LE(seconds, at);
  out.writeUInt16LE(milliseconds, at + 4);
  return at + 6;
}

/** Nullable(Float64): NULL when absent or not finite (as toAnalyticsRow), else the double's own 8 bytes. */
function nullableDouble(input: Buffer, from: number, out: Buffer, at: number): number {
  // Exponent all ones: Infinity or NaN.
  if (from < 0 || (((input[from + 7] as number) & 0x7f) === 0x7f && ((input[from + 6] as number) & 0xf0) === 0xf0)) {
    out[at] = 1;
    return at + 1;
  }
  out[at] = 0;
  copyBytes(input, from, from + 8, out, at + 1);
  return at + 9;
}

/** Fills the log position into a row from `transcode` (or encodeRowBinary's last 12 bytes). */
export function completeLogPosition(row: Buffer, partition: number, offset: string): Buffer {
  const at = row.length - LOG_POSITION_BYTES;
  row.writeUInt32LE(partition, at);
  writeUInt64Decimal(row, at + 4, offset);
  return row;
}

/**
 * The plan for records written with `writer`, read as `reader` (the analytics projection), or
 * undefined when this writer schema must always take the general path.
 */
export function compileRowBinaryTranscoder(writer: avro.Type, reader: avro.Type): RowBinaryTranscoder | undefined {
  try {
    const wanted = wantedOf(reader as AnyType, '');
    if (wanted.kind !== 'record') return undefined;
    const builder = new PlanBuilder();
    if ((writer as AnyType).typeName !== 'record') return undefined;
    builder.record(writer as AnyType, wanted);
    builder.emit(OP_END);
    return new RowBinaryTranscoder(builder.code);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}
