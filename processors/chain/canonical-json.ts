/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the deterministic serialization the hash chain covers.
 *
 * - Object members sorted by key, comparing UTF-16 code units (JavaScript's default string order);
 *   members whose value is `undefined` are omitted (they do not exist in JSON).
 * - No whitespace. Strings escaped as ECMAScript JSON.stringify does (which RFC 8785 adopts): `\"`, `\\`,
 *   `\b \f \n \r \t`, other controls as `\u00xx` (lower-case hex), everything else literal.
 * - Numbers as ECMAScript Number.prototype.toString (what JSON.stringify emits; -0 → 0). NaN and
 *   ±Infinity are not JSON and are rejected.
 * - Strings with lone surrogates are rejected: they cannot be encoded as UTF-8, so the Avro form of the
 *   event could not carry the same text the hash covered.
 *
 * This runs once per chained event. Keys are sorted by insertion sort in place: Array.prototype.sort
 * allocated a work array on every object, a fifth of the bytes the ingest hot path allocated.
 */
import { QuintetError } from '../../core/errors.js';

// In Unicode mode a surrogate pair is one code point, so \p{Cs} matches only lone surrogates.
const LONE_SURROGATE = /\p{Cs}/u;

export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return canonicalString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new QuintetError('CHAIN_INPUT_INVALID', 'non-finite number cannot be canonicalized');
      // Number.prototype.toString, which is what JSON.stringify writes for a finite number (-0 → "0").
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = value[i];
          out += item === undefined ? 'null' : canonicalJson(item);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = sortedInPlace(Object.keys(record));
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        out += first ? memberPrefix(key) : nextMemberPrefix(key);
        first = false;
        out += canonicalJson(member);
      }
      return `${out}}`;
    }
    default:
      throw new QuintetError('CHAIN_INPUT_INVALID', `a ${typeof value} cannot be canonicalized as JSON`);
  }
}

/**
 * `"key":` and `,"key":`, remembered per key: events repeat the same keys, and one Map lookup is cheaper
 * than building the quoted key and its separators again (three concatenations per member). Bounded:
 * a map that fills up is cleared (the text is the same either way).
 */
const MEMBER_PREFIX_MEMO_SIZE = 4_096;
const memberPrefixes = new Map<string, string>();
const nextMemberPrefixes = new Map<string, string>();

const memberPrefix = (key: string): string => rememberedPrefix(memberPrefixes, '', key);
const nextMemberPrefix = (key: string): string => rememberedPrefix(nextMemberPrefixes, ',', key);

function rememberedPrefix(memo: Map<string, string>, separator: string, key: string): string {
  let prefix = memo.get(key);
  if (prefix === undefined) {
    prefix = `${separator}${canonicalString(key)}:`;
    if (memo.size >= MEMBER_PREFIX_MEMO_SIZE) memo.clear();
    memo.set(key, prefix);
  }
  return prefix;
}

/** Above this many keys the built-in sort is faster than insertion sort. */
const INSERTION_SORT_MAX = 24;

/**
 * The keys in RFC 8785's order, UTF-16 code units: `>` on strings compares code units, exactly as the
 * default sort does; the keys of one object are distinct, so stability does not matter.
 */
function sortedInPlace(keys: string[]): string[] {
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function canonicalString(value: string): string {
  // Most strings (keys, ids, names) need no escape and hold no surrogate: quoting them is the whole
  // serialization, and one regex test is cheaper than a call into JSON.stringify.
  if (!NEEDS_CARE.test(value)) return `"${value}"`;
  // Only strings holding a surrogate code unit can hold a lone one.
  if (HAS_SURROGATE.test(value) && LONE_SURROGATE.test(value)) {
    throw new QuintetError('CHAIN_INPUT_INVALID', 'string with a lone surrogate cannot be canonicalized');
  }
  return JSON.stringify(value);
}

const HAS_SURROGATE = /[\ud800-\udfff]/;
/** What JSON.stringify escapes (quote, backslash, C0 controls), plus surrogates (checked above). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * canonicalJson's UTF-8 bytes, written straight into a byte buffer (the chain hash's message): the hot
 * path used to build the text by concatenation (a cons string per member, then one more copy to
 * flatten it into the buffer), the largest allocation of the ingest topology. Same traversal order, so
 * the same first error with the same message for input canonicalJson rejects.
 *
 * The buffer grows when a value needs more room (what was written so far is copied), so callers read
 * `buffer` back after writing. Not re-entrant: one writer per caller that never nests writes.
 */
export class CanonicalJsonWriter {
  buffer: Buffer;
  position = 0;

  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  /** Appends the canonical JSON of `value`. */
  write(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.#string(value);
        return;
      case 'number':
        if (!Number.isFinite(value)) throw new QuintetError('CHAIN_INPUT_INVALID', 'non-finite number cannot be canonicalized');
        this.#ascii(String(value));
        return;
      case 'boolean':
        this.#ascii(value ? 'true' : 'false');
        return;
      case 'object': {
        if (value === null) {
          this.#ascii('null');
          return;
        }
        if (Array.isArray(value)) {
          this.#byte(0x5b);
          for (let i = 0; i < value.length; i++) {
            if (i > 0) this.#byte(0x2c);
            const item: unknown = value[i];
            if (item === undefined) this.#ascii('null');
            else this.write(item);
          }
          this.#byte(0x5d);
          return;
        }
        const record = value as Record<string, unknown>;
        this.#members(record, sortedInPlace(Object.keys(record)));
        return;
      }
      default:
        throw new QuintetError('CHAIN_INPUT_INVALID', `a ${typeof value} cannot be canonicalized as JSON`);
    }
  }

  /**
   * Appends the canonical JSON of a record whose keys are all among `layout.names` (canonicalWireForm's
   * records): its members are read in the layout's order, so its keys need no listing and no sort. A
   * record with a key outside the layout would lose that member: never pass one.
   */
  writeRecord(record: Record<string, unknown>, layout: RecordLayout): void {
    layout.write(this, record);
  }

  /** `{…}` of the members `names` (in canonical order) of `record`. */
  #members(record: Record<string, unknown>, names: readonly string[]): void {
    this.#byte(0x7b);
    let first = true;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const member = record[name];
      if (member === undefined) continue;
      if (!first) this.#byte(0x2c);
      first = false;
      this.#string(name);
      this.#byte(0x3a);
      this.write(member);
    }
    this.#byte(0x7d);
  }

  /** Room for `bytes` more bytes at `position`: the buffer to write them into. */
  room(bytes: number): Buffer {
    const needed = this.position + bytes;
    if (needed <= this.buffer.length) return this.buffer;
    const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.buffer.length));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
    return grown;
  }

  #byte(byte: number): void {
    const buffer = this.room(1);
    buffer[this.position++] = byte;
  }

  /** Text known to be ASCII without anything to escape (numbers, literals). */
  #ascii(text: string): void {
    const buffer = this.room(text.length);
    let at = this.position;
    for (let i = 0; i < text.length; i++) buffer[at++] = text.charCodeAt(i);
    this.position = at;
  }

  /** A JSON string as JSON.stringify quotes it, in UTF-8; lone surrogates rejected as canonicalString does. */
  #string(text: string): void {
    const length = text.length;
    // At most 6 bytes per UTF-16 unit (`\u00xx`), and the quotes.
    const buffer = this.room(length * 6 + 2);
    let at = this.position;
    buffer[at++] = 0x22;
    // Ids, names, timestamps and pseudonyms are printable ASCII throughout: copied by this tight loop,
    // which stops at the first unit that is escaped or takes more than one byte.
    let i = 0;
    for (; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) break;
      buffer[at++] = c;
    }
    if (i < length) at = writeStringTail(buffer, at, text, i);
    buffer[at++] = 0x22;
    this.position = at;
  }
}

/**
 * Units `from`… of `text` as JSON.stringify quotes them, in UTF-8, at `at` of `buffer` (which has room for
 * 6 bytes per unit); returns the position after them. Lone surrogates are rejected as canonicalString does.
 */
function writeStringTail(buffer: Buffer, at: number, text: string, from: number): number {
  const length = text.length;
  for (let i = from; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
        buffer[at++] = c;
      } else {
        buffer[at++] = 0x5c;
        const short = SHORT_ESCAPES[c];
        if (short !== undefined) {
          buffer[at++] = short;
        } else {
          // \u00xx with lower-case hex, as JSON.stringify writes the other C0 controls.
          buffer[at++] = 0x75;
          buffer[at++] = 0x30;
          buffer[at++] = 0x30;
          buffer[at++] = HEX_DIGITS[c >> 4] as number;
          buffer[at++] = HEX_DIGITS[c & 15] as number;
        }
      }
    } else if (c < 0x800) {
      buffer[at++] = 0xc0 | (c >> 6);
      buffer[at++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      buffer[at++] = 0xe0 | (c >> 12);
      buffer[at++] = 0x80 | ((c >> 6) & 0x3f);
      buffer[at++] = 0x80 | (c & 0x3f);
    } else {
      const low = i + 1 < length ? text.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || low < 0xdc00 || low > 0xdfff) throw new QuintetError('CHAIN_INPUT_INVALID', 'string with a lone surrogate cannot be canonicalized');
      const point = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
      buffer[at++] = 0xf0 | (point >> 18);
      buffer[at++] = 0x80 | ((point >> 12) & 0x3f);
      buffer[at++] = 0x80 | ((point >> 6) & 0x3f);
      buffer[at++] = 0x80 | (point & 0x3f);
      i++;
    }
  }
  return at;
}

/**
 * The keys a record may hold, in canonical order, and its writer, compiled with the layouts of the
 * members that are records too.
 */
export interface RecordLayout {
  readonly names: readonly string[];
  /** writeRecord of this layout, compiled (compiledRecordWriter). */
  readonly write: (writer: CanonicalJsonWriter, record: Record<string, unknown>) => void;
}

/** A RecordLayout from member names in any order (sorted here as canonicalJson sorts keys). */
export function recordLayout(members: ReadonlyMap<string, RecordLayout | undefined>): RecordLayout {
  const names = [...members.keys()].sort();
  return { names, write: compiledRecordWriter(names, names.map((name) => members.get(name))) };
}

/**
 * writeRecord for one layout as straight-line code, one block per member: `record.name` with a constant
 * name is a property load with its own inline cache (the records come from one compiled copy, so each
 * sees one or two shapes), where a loop over the names made one megamorphic keyed load (the largest
 * cost of the chain step's serialization); and `"name":` is stored as constant bytes, not encoded.
 * Same reads in the same order as the loop it replaces, so the same output and the same first error.
 */
function compiledRecordWriter(names: readonly string[], layouts: readonly (RecordLayout | undefined)[]): RecordLayout['write'] {
  const nested: RecordLayout['write'][] = [];
  const body = ['let buffer = writer.room(1);', 'let at = writer.position;', 'buffer[at] = 0x7b;', 'writer.position = at + 1;', 'let first = true;', 'let child;'];
  for (let i = 0; i < names.length; i++) {
    const prefix = Buffer.from(`${canonicalString(names[i] as string)}:`, 'utf8');
    const stores = [...prefix].map((byte, offset) => `buffer[at + ${offset}] = ${byte};`).join(' ');
    const layout = layouts[i];
    const value =
      layout === undefined
        ? 'writer.write(child);'
        : `if (child !== null && typeof child === 'object' && !Array.isArray(child)) nested${nested.push(layout.write) - 1}(writer, child); else writer.write(child);`;
    body.push(
      `child = record[${JSON.stringify(names[i])}];`,
      'if (child !== undefined) {',
      `  buffer = writer.room(${prefix.length + 1});`,
      '  at = writer.position;',
      '  if (first) first = false; else buffer[at++] = 0x2c;',
      `  ${stores}`,
      `  writer.position = at + ${prefix.length};`,
      `  ${value}`,
      '}',
    );
  }
  body.push('buffer = writer.room(1);', 'at = writer.position;', 'buffer[at] = 0x7d;', 'writer.position = at + 1;');
  const parameters = nested.map((_, i) => `nested${i}`);
  const factory = new Function(...parameters, `return function writeCanonicalRecord(writer, record) {\n${body.join('\n')}\n};`) as (...writers: RecordLayout['write'][]) => RecordLayout['write'];
  return factory(...nested);
}

/** The escapes JSON.stringify writes as a backslash and one letter: `"` `\` and \b \t \n \f \r. */
const SHORT_ESCAPES: readonly (number | undefined)[] = (() => {
  const escapes = new Array<number | undefined>(0x80).fill(undefined);
  escapes[0x22] = 0x22;
  escapes[0x5c] = 0x5c;
  escapes[0x08] = 0x62;
  escapes[0x09] = 0x74;
  escapes[0x0a] = 0x6e;
  escapes[0x0c] = 0x66;
  escapes[0x0d] = 0x72;
  return escapes;
})();
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'ascii');
