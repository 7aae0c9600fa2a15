import { describe, expect, it } from 'vitest';
import { splitRequests } from '../../../streams/kafka/task-runtime.js';

const message = (id: number, size: number) => ({ key: Buffer.from(`k${id}`), value: Buffer.alloc(size, 1) });

describe('splitRequests', () => {
  it('keeps every message, in order, in requests under the byte limit', () => {
    const input = [
      { topic: 'a', messages: Array.from({ length: 50 }, (_, i) => message(i, 1000)) },
      { topic: 'b', messages: Array.from({ length: 30 }, (_, i) => message(100 + i, 3000)) },
    ];
    const requests = splitRequests(input, 20_000);
    expect(requests.length).toBeGreaterThan(3);
    for (const request of requests) {
      const bytes = request.flatMap((t) => t.messages).reduce((sum, m) => sum + 64 + (m.key?.length ?? 0) + (m.value?.length ?? 0), 0);
      expect(bytes).toBeLessThanOrEqual(20_000);
    }
    const flattened = requests.flatMap((r) => r.flatMap((t) => t.messages.map((m) => `${t.topic}:${String(m.key)}`)));
    expect(flattened).toEqual(input.flatMap((t) => t.messages.map((m) => `${t.topic}:${String(m.key)}`)));
  });

  it('sends a message larger than the limit alone rather than dropping it', () => {
    const requests = splitRequests([{ topic: 'a', messages: [message(1, 10), message(2, 50_000), message(3, 10)] }], 1_000);
    expect(requests.map((r) => r.flatMap((t) => t.messages).length)).toEqual([1, 1, 1]);
  });
});
