/**
 * The translator's decisions and outputs, pinned: every hostile input of the fuzz suite (the corpus
 * files and the thousands generated from the adapter fixtures), and every fixture forced through every
 * format, is translated and its whole result (events with their key order, or the dead letter's code,
 * stage, message and path) is compared with a digest recorded from the translator before its hot path
 * was rewritten (translation-golden.json, recorded at commit 0b7e105 on Node 20). Any change of an accepted event,
 * a key order, a reason code or a message shows up here, named by its input.
 *
 * Regenerate only for an intended change of output: QUINTET_UPDATE_GOLDEN=1 npx vitest run <this file>.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../../core/result.js';
import { CanonicalTranslator, SOURCE_FORMATS } from '../../../processors/adapters/translator.js';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';
import { TrackingPlan } from '../../../schemas/tracking-plan.js';
import { corpusInputs, FIXTURES, generatedInputs, type HostileInput } from '../fuzz/hostile-inputs.js';
import { NOW } from './helpers.js';

const GOLDEN = new URL('./translation-golden.json', import.meta.url);
const V4_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * The result as text, key order included. An id that is a v4 UUID absent from the input was drawn at
 * random (the source had no id): it is replaced by a marker, so the digest stays reproducible.
 */
function describeResult(result: StepResult<CanonicalEvent[]>, rawText: string): string {
  // Where JSON.parse fails, the position comes from V8's own message, which names one for more inputs
  // on Node 24 than on Node 20: pinned without it, so the digest is the same on both.
  if (result.kind === 'deadLetter' && result.code === 'JSON_INVALID') return JSON.stringify({ ...result, message: result.message.replace(/ at position \d+$/, '') });
  if (result.kind !== 'ok') return JSON.stringify(result);
  const lowered = rawText.toLowerCase();
  const events = result.value.map((event) => (V4_UUID.test(event.id) && !lowered.includes(event.id) ? { ...event, id: '<random v4>' } : event));
  return JSON.stringify(events);
}

interface Case {
  readonly name: string;
  readonly run: () => string;
}

function cases(): Case[] {
  const translator = new CanonicalTranslator();
  const out: Case[] = [];
  const hostile = (input: HostileInput): Case => ({
    name: input.name,
    run: () => describeResult(translator.translate({ value: input.value, ...(input.headers === undefined ? {} : { headers: input.headers }) }, NOW), input.value.toString('latin1')),
  });
  for (const input of corpusInputs()) out.push(hostile(input));
  for (const input of generatedInputs()) out.push(hostile(input));
  for (const [name, fixture] of Object.entries(FIXTURES)) {
    const value = JSON.stringify(fixture);
    for (const format of SOURCE_FORMATS) out.push({ name: `${name}/as-${format}`, run: () => describeResult(translator.translate({ value, format }, NOW), value) });
  }
  // A tracking plan and name overrides change the validate and adapt steps: pinned on every fixture too.
  const planned = new CanonicalTranslator({
    trackingPlan: TrackingPlan.fromJson({
      events: {
        'analytics.course.clicked': { properties: { properties: { title: { type: 'string' }, course_id: { type: 'string' } } } },
        'analytics.user.identified': {},
        'aws.*': {},
      },
    }),
    nameOverrides: { 'Signed up': 'analytics.user.signed_up' },
  });
  for (const [name, fixture] of Object.entries(FIXTURES)) {
    const value = JSON.stringify(fixture);
    out.push({ name: `${name}/planned`, run: () => describeResult(planned.translate({ value }, NOW), value) });
  }
  return out;
}

const digest = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 8);

describe('translator golden outputs', () => {
  it('every input translates exactly as recorded (events with key order, or code, stage, message, path)', () => {
    const all = cases();
    const actual: Record<string, string> = {};
    for (const one of all) {
      expect(actual[one.name], `duplicate case name ${one.name}`).toBeUndefined();
      actual[one.name] = digest(one.run());
    }
    if (process.env.QUINTET_UPDATE_GOLDEN === '1') {
      writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 0).replaceAll('","', '",\n"')}\n`);
      return;
    }
    const expected = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, string>;
    const differing = Object.keys(expected).filter((name) => actual[name] !== expected[name]);
    expect(differing, 'inputs whose translation changed').toEqual([]);
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    expect(all.length).toBeGreaterThan(5000);
  });
});
