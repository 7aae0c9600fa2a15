import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignTasks } from '../../../streams/kafka/task-assignor.js';

const tasks = (n: number, sub = 0): string[] => Array.from({ length: n }, (_, p) => `${sub}_${p}`);

describe('assignTasks', () => {
  it('gives every task to exactly one member, balanced within one task', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 1000 }), (n, m, seed) => {
        const all = [...tasks(n), ...tasks(n % 5, 1)];
        const members = Array.from({ length: m }, (_, i) => ({
          memberId: `member-${(i * 31 + seed) % 97}-${i}`,
          ownedTasks: all.filter((_, t) => (t + seed + i) % (m + 1) === 0),
        }));
        const result = assignTasks(members, all);
        const given = [...result.values()].flat();
        expect(given.sort()).toEqual([...all].sort());
        const sizes = [...result.values()].map((list) => list.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('keeps tasks with their previous owner when that stays balanced', () => {
    const before = assignTasks(
      [
        { memberId: 'a', ownedTasks: [] },
        { memberId: 'b', ownedTasks: [] },
      ],
      tasks(6),
    );
    const joined = assignTasks(
      [
        { memberId: 'a', ownedTasks: before.get('a') ?? [] },
        { memberId: 'b', ownedTasks: before.get('b') ?? [] },
        { memberId: 'c', ownedTasks: [] },
      ],
      tasks(6),
    );
    // Each old member gives up exactly one task to the newcomer and keeps the rest.
    for (const member of ['a', 'b']) {
      const kept = (joined.get(member) ?? []).filter((t) => (before.get(member) ?? []).includes(t));
      expect(kept).toHaveLength(2);
    }
    expect(joined.get('c')).toHaveLength(2);
  });

  it('ignores claims on tasks that no longer exist and resolves double claims', () => {
    const result = assignTasks(
      [
        { memberId: 'a', ownedTasks: ['0_0', '0_1', '9_9'] },
        { memberId: 'b', ownedTasks: ['0_1'] },
      ],
      tasks(2),
    );
    expect(result.get('a')).toEqual(['0_0']);
    expect(result.get('b')).toEqual(['0_1']);
  });
});
