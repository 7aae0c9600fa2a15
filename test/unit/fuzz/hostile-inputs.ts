/**
 * Hostile raw records for the ingest fuzz tests: the files of test/fuzz/corpus/ (each file one record
 * value, bytes as they are) plus inputs generated from every adapter fixture — truncated at several
 * points, each field given a wrong type or a hostile value, each field removed, wrapped in deep
 * nesting — and sizes no file should hold (huge strings, numbers, key counts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as fixtures from '../adapters/fixtures.js';

export interface HostileInput {
  readonly name: string;
  readonly value: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

const CORPUS_DIR = new URL('../../fuzz/corpus/', import.meta.url);

/** Strings planted in hostile inputs that must never come back in a dead-letter reason. */
export const CANARIES = ['alice@exa', 'forged', 'FLUSHALL', 'DROP TABLE', 'root login ok', 'admin logged in', 'canary-7f3a'] as const;

/** Values put in place of a field: wrong types, hostile strings, edge numbers. */
export const HOSTILE_VALUES: readonly unknown[] = [
  null,
  0,
  -1.5,
  1.7976931348623157e308,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  ' ',
  true,
  [],
  {},
  [null],
  { __canary: 'canary-7f3a' },
  '__proto__',
  'constructor',
  'canary-7f3a\n{"level":60,"msg":"forged"}\r\n',
  '\u0000\u0007\u001b[31m\u202e',
  '2026-02-30T25:61:61Z',
  '9'.repeat(400),
  'x'.repeat(10_000),
];

export const FIXTURES: Readonly<Record<string, unknown>> = Object.fromEntries(
  Object.entries(fixtures).filter(([, value]) => value !== null && typeof value === 'object'),
);

export function corpusInputs(): HostileInput[] {
  return readdirSync(CORPUS_DIR)
    .sort()
    .map((file) => ({ name: `corpus/${file}`, value: readFileSync(new URL(file, CORPUS_DIR)) }));
}

type Path = readonly (string | number)[];

/** Every path to a value inside `root` (objects and arrays included), breadth first, at most `limit`. */
export function paths(root: unknown, limit = 200): Path[] {
  const out: Path[] = [];
  const queue: { value: unknown; path: Path }[] = [{ value: root, path: [] }];
  while (queue.length > 0 && out.length < limit) {
    const { value, path } = queue.shift() as { value: unknown; path: Path };
    if (value === null || typeof value !== 'object') continue;
    for (const [key, child] of Object.entries(value)) {
      const next = [...path, Array.isArray(value) ? Number(key) : key];
      out.push(next);
      queue.push({ value: child, path: next });
    }
  }
  return out;
}

/** A deep copy of `root` with the value at `path` replaced (or deleted when `replacement` is `DELETE`). */
export const DELETE = Symbol('delete');
export function withValueAt(root: unknown, path: Path, replacement: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (replacement === DELETE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    parent[last] = replacement;
  }
  return copy;
}

const text = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

export function generatedInputs(): HostileInput[] {
  const out: HostileInput[] = [];
  for (const [name, fixture] of Object.entries(FIXTURES)) {
    const json = JSON.stringify(fixture);
    for (let cut = 1; cut < 8; cut += 1) out.push({ name: `${name}/truncated-${cut}of8`, value: Buffer.from(json.slice(0, Math.floor((json.length * cut) / 8))) });
    for (const path of paths(fixture)) {
      out.push({ name: `${name}/${path.join('.')}=deleted`, value: text(withValueAt(fixture, path, DELETE)) });
      for (const [i, hostile] of HOSTILE_VALUES.entries()) out.push({ name: `${name}/${path.join('.')}=hostile-${i}`, value: text(withValueAt(fixture, path, hostile)) });
    }
    out.push({ name: `${name}/as-array`, value: text([fixture, fixture]) });
    out.push({ name: `${name}/wrapped-20-deep`, value: Buffer.from(`${'{"a":'.repeat(20)}${json}${'}'.repeat(20)}`) });
    // One flipped byte in the middle: often still JSON, subtly not the format.
    const flipped = Buffer.from(json);
    const middle = Math.floor(flipped.length / 2);
    flipped[middle] = (flipped[middle] as number) ^ 0x20;
    out.push({ name: `${name}/byte-flipped`, value: flipped });
  }
  const big = (name: string, value: string) => out.push({ name, value: Buffer.from(value) });
  big('nested-arrays-100k', `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
  big('nested-objects-50k', `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`);
  big('unterminated-nesting-200k', '['.repeat(200_000));
  big('string-2mb', JSON.stringify({ type: 'track', event: 'x', userId: 'u', messageId: 'm', properties: { s: 'a'.repeat(2 * 1024 * 1024) } }));
  big('string-900k', JSON.stringify({ type: 'track', event: 'x', userId: 'u', messageId: 'm', timestamp: '2026-11-28T09:00:00Z', properties: { s: 'a'.repeat(900_000) } }));
  big('number-100k-digits', `{"type":"track","event":"x","userId":"u","messageId":"m","properties":{"n":${'9'.repeat(100_000)}}}`);
  big('keys-100k', JSON.stringify({ type: 'track', event: 'x', userId: 'u', messageId: 'm', properties: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])) }));
  big('segment-batch-10k', JSON.stringify({ batch: Array.from({ length: 10_000 }, (_, i) => ({ type: 'track', event: 'x', userId: `u${i}`, messageId: `m${i}`, timestamp: '2026-11-28T09:00:00Z' })) }));
  big('cloudtrail-records-10k', JSON.stringify({ Records: Array.from({ length: 10_000 }, () => ({ eventSource: 'x' })) }));
  // CloudEvents binary mode: the headers are the event, the value its data.
  const ce = { ce_specversion: '1.0', ce_id: 'id-1', ce_source: '/app', ce_type: 'com.example.order.created', ce_time: '2026-11-28T09:00:00Z' };
  const binary = (name: string, headers: Record<string, string>, value: string | Buffer = '{"n":1}') => out.push({ name: `cloudevents-binary/${name}`, value: Buffer.from(value), headers });
  binary('valid', ce);
  binary('no-id', { ...ce, ce_id: '' });
  binary('bad-spec', { ...ce, ce_specversion: '0.1' });
  binary('bad-time', { ...ce, ce_time: 'tomorrow' });
  binary('type-injection', { ...ce, ce_type: 'x\n{"msg":"forged"}' });
  binary('proto-subject', { ...ce, ce_subject: '__proto__' });
  binary('data-not-json', ce, '\u0000\u0001garbage');
  binary('data-invalid-utf8', ce, Buffer.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]));
  return out;
}
