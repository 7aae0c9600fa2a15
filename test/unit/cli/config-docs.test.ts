import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationTable } from '../../../cli/commands/config.js';

describe('docs/configuration.md', () => {
  it('holds the table of every configuration key as the code declares it', () => {
    const docs = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    expect(docs).toContain(configurationTable());
  });
});
