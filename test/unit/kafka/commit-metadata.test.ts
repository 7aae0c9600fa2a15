import { describe, expect, it } from 'vitest';
import { decodeCommitMetadata, encodeCommitMetadata } from '../../../streams/kafka/task-runtime.js';

describe('commit metadata (stream time)', () => {
  it('round-trips stream time', () => {
    expect(decodeCommitMetadata(encodeCommitMetadata(1_767_225_600_123))).toBe(1_767_225_600_123);
  });

  it('ignores metadata written by other clients or versions', () => {
    for (const foreign of [null, undefined, '', 'AQAAAZQ=', '{"v":2,"streamTime":5}', '{"streamTime":"5"}', '[]']) {
      expect(decodeCommitMetadata(foreign)).toBeUndefined();
    }
  });
});
