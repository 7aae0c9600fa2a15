import { expect } from 'vitest';
import type { StepResult } from '../../../core/result.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';
import { CanonicalTranslator, type FormatChoice, type TranslatorOptions } from '../../../processors/adapters/translator.js';

export const NOW = Date.parse('2026-11-28T09:00:00.000Z');
export const NOW_ISO = '2026-11-28T09:00:00.000Z';

/** Runs the whole pipeline (limits → detect → adapt → validate) on a JSON payload. */
export function translate(payload: unknown, format: FormatChoice = 'auto', options: TranslatorOptions = {}, headers?: Record<string, string>): StepResult<CanonicalEvent[]> {
  const value = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return new CanonicalTranslator(options).translate({ value, format, ...(headers === undefined ? {} : { headers }) }, NOW);
}

/** The events of a translation that must succeed. */
export function events(payload: unknown, format: FormatChoice = 'auto', options: TranslatorOptions = {}, headers?: Record<string, string>): CanonicalEvent[] {
  const result = translate(payload, format, options, headers);
  if (result.kind !== 'ok') expect.fail(`expected ok, got ${JSON.stringify(result)}`);
  return result.value;
}

export function one(payload: unknown, format: FormatChoice = 'auto', headers?: Record<string, string>): CanonicalEvent {
  const all = events(payload, format, {}, headers);
  expect(all).toHaveLength(1);
  return all[0] as CanonicalEvent;
}

/** A translation that must be rejected; returns its code (and checks it never echoes `secret`). */
export function rejection(payload: unknown, format: FormatChoice = 'auto', secret?: string): { code: string; stage: string; message: string; path?: string } {
  const result = translate(payload, format);
  if (result.kind !== 'deadLetter') expect.fail(`expected deadLetter, got ${JSON.stringify(result)}`);
  if (secret !== undefined) expect(JSON.stringify(result)).not.toContain(secret);
  return result;
}
