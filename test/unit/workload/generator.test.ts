import { describe, expect, it } from 'vitest';
import { generateWorkload } from '../../../workload/generator.js';

describe('generateWorkload', () => {
  it('is deterministic for a seed and counts what it generated', () => {
    const a = generateWorkload({ events: 2000, seed: 7 });
    const b = generateWorkload({ events: 2000, seed: 7 });
    expect(a.events.map((e) => e.value)).toEqual(b.events.map((e) => e.value));
    expect(a.events).toHaveLength(2000);
    const total = Object.values(a.expected).reduce((sum, n) => sum + n, 0);
    expect(total).toBe(2000);
    for (const kind of Object.keys(a.expected)) expect(a.expected[kind as keyof typeof a.expected], kind).toBeGreaterThan(0);
  });

  it('gives the erasure subject activity of the social kinds', () => {
    const workload = generateWorkload({ events: 3000, seed: 1 });
    const mine = workload.events.filter((e) => e.value.includes(`"${workload.erasureSubject}"`));
    const kinds = new Set(mine.map((e) => e.kind));
    for (const kind of ['segment.identify', 'social.follow', 'social.post', 'social.like'] as const) expect(kinds.has(kind), kind).toBe(true);
  });

  it('never repeats a valid event (redelivery is tested in the pipeline)', () => {
    const workload = generateWorkload({ events: 500, seed: 3 });
    const valid = workload.events.filter((e) => e.kind !== 'invalid');
    expect(new Set(valid.map((e) => e.value)).size).toBe(valid.length);
  });
});
