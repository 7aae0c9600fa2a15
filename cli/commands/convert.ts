/**
 * `quintet convert [--from FORMAT] [--in FILE] [--to canonical|cloudevents|otel] [--plan FILE]`
 *
 * Reads NDJSON, a JSON array, a single JSON document or a CloudTrail `{"Records": [...]}` file from
 * FILE or stdin, translates every input with the CanonicalTranslator (the same code as the ingest
 * topology, with the configured limits) and writes one event per line to stdout. Each rejected input
 * writes one JSON line to stderr: `{"index", "line"?, "code", "stage", "message", "path"?}` — never
 * the input's values. Exit 0 when everything converted, 1 when anything was rejected.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { QuintetError } from '../../core/errors.js';
import type { CanonicalEvent } from '../../schemas/canonical-event.js';
import { TrackingPlan } from '../../schemas/tracking-plan.js';
import { toCloudEventStructured } from '../../processors/adapters/outbound/cloudevents.js';
import { toOtlpLogs } from '../../processors/adapters/outbound/otel.js';
import { CanonicalTranslator, type FormatChoice, SOURCE_FORMATS } from '../../processors/adapters/translator.js';
import { configFor } from '../context.js';

export const OUTPUT_FORMATS = ['canonical', 'cloudevents', 'otel'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

interface ConvertOptions {
  from: FormatChoice;
  to: OutputFormat;
  in?: string;
  plan?: string;
}

/** One unit of input: its text, its index among inputs and, for NDJSON, its 1-based line. */
export interface InputItem {
  readonly index: number;
  readonly line?: number;
  readonly text: string;
}

/**
 * Splits the whole input into items. A document that parses as a whole is a JSON array (one item per
 * element), a CloudTrail file (one item per record) or a single document; otherwise it is NDJSON
 * (one item per non-blank line, so that one bad line does not hide the others).
 */
export function splitInput(input: string): InputItem[] {
  const trimmed = input.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let whole: unknown;
    let parsed = false;
    try {
      whole = JSON.parse(trimmed);
      parsed = true;
    } catch {
      // Not one document: NDJSON below.
    }
    if (parsed) {
      if (Array.isArray(whole)) return whole.map((element, index) => ({ index, text: JSON.stringify(element) }));
      const records = (whole as { Records?: unknown }).Records;
      if (whole !== null && typeof whole === 'object' && Array.isArray(records) && Object.keys(whole).length === 1) {
        return records.map((record, index) => ({ index, text: JSON.stringify(record) }));
      }
      return [{ index: 0, text: trimmed }];
    }
  }
  const items: InputItem[] = [];
  const lines = input.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line.trim() === '') continue;
    items.push({ index: items.length, line: i + 1, text: line });
  }
  return items;
}

function render(events: readonly CanonicalEvent[], to: OutputFormat): string[] {
  switch (to) {
    case 'canonical':
      return events.map((e) => JSON.stringify(e));
    case 'cloudevents':
      return events.map((e) => JSON.stringify(toCloudEventStructured(e)));
    case 'otel':
      return events.map((e) => JSON.stringify(toOtlpLogs([e])));
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function readInput(path: string | undefined): Promise<string> | string {
  if (path === undefined || path === '-') return readStdin();
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new QuintetError('INPUT_UNREADABLE', `cannot read --in ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function loadPlan(path: string): TrackingPlan {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new QuintetError('TRACKING_PLAN_INVALID', `cannot read tracking plan ${path} as JSON: ${(error as NodeJS.ErrnoException).code ?? 'not JSON'}`);
  }
  return TrackingPlan.fromJson(document);
}

export function register(program: Command): void {
  program
    .command('convert')
    .description('Translate events from a source format into canonical events (or their CloudEvents / OTel mappings), one per line')
    .addOption(new Option('--from <format>', 'source format').choices(['auto', ...SOURCE_FORMATS]).default('auto'))
    .addOption(new Option('--to <format>', 'output format').choices([...OUTPUT_FORMATS]).default('canonical'))
    .option('--in <file>', 'input file (NDJSON, JSON array or CloudTrail Records file); stdin when absent or "-"')
    .option('--plan <file>', 'tracking plan (JSON) to enforce')
    .action(async (options: ConvertOptions, command: Command) => {
      const config = configFor(command);
      const translator = new CanonicalTranslator({
        limits: config.limits,
        format: options.from,
        ...(options.plan === undefined ? {} : { trackingPlan: loadPlan(options.plan) }),
      });
      const items = splitInput(await readInput(options.in));
      const out: string[] = [];
      const errors: string[] = [];
      for (const item of items) {
        const result = translator.translate({ value: item.text }, Date.now());
        if (result.kind === 'ok') {
          out.push(...render(result.value, options.to));
        } else if (result.kind === 'deadLetter') {
          errors.push(
            JSON.stringify({
              index: item.index,
              ...(item.line === undefined ? {} : { line: item.line }),
              code: result.code,
              stage: result.stage,
              message: result.message,
              ...(result.path === undefined ? {} : { path: result.path }),
            }),
          );
        }
      }
      if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
      if (errors.length > 0) process.stderr.write(`${errors.join('\n')}\n`);
      process.exitCode = errors.length > 0 ? 1 : 0;
    });
}
