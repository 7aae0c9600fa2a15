import { describe, expect, it } from 'vitest';
import { syntheticEvents } from '../../../processors/analytics/synthetic-events.js';

const START = Date.UTC(2026, 9, 1);
const DAY = 86_400_000;
const times = (order: 'log' | 'random') => [...syntheticEvents({ count: 5_000, startMs: START, spanMs: 10 * DAY, seed: 7, order })].map((event) => Date.parse(event.event_timestamp));

describe('syntheticEvents order', () => {
  it('log order: times rise with the position, a few late by at most the lateness bound, all in range', () => {
    const log = times('log');
    const step = (10 * DAY) / 5_000;
    let late = 0;
    log.forEach((at, i) => {
      const onTime = START + Math.floor(i * step);
      expect(at).toBeLessThanOrEqual(onTime);
      expect(onTime - at).toBeLessThanOrEqual(600_000);
      if (at < onTime) late += 1;
    });
    expect(late).toBeGreaterThan(40); // ~2 % of 5 000
    expect(late).toBeLessThan(200);
  });

  it('random order (the default) spreads times over the range out of order, and the same seed gives the same events', () => {
    const random = times('random');
    const descents = random.filter((at, i) => i > 0 && at < (random[i - 1] as number)).length;
    expect(descents).toBeGreaterThan(2_000);
    expect(Math.min(...random)).toBeGreaterThanOrEqual(START);
    expect(Math.max(...random)).toBeLessThan(START + 10 * DAY);
    const defaults = [...syntheticEvents({ count: 5_000, startMs: START, spanMs: 10 * DAY, seed: 7 })].map((event) => Date.parse(event.event_timestamp));
    expect(defaults).toEqual(random);
  });
});
