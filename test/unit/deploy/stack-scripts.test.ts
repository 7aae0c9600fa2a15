/**
 * The local stack scripts, without starting anything: they parse, `env` prints variables that the
 * configuration knows and whose values equal its defaults, and unknown components or commands fail.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../../core/config.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const stack = `${root}deploy/local/stack`;
// Port overrides of the caller must not leak into what is checked against the defaults.
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('QUINTET_STACK_')));
}

describe('deploy/local/stack', () => {
  it('has scripts that bash can parse', () => {
    const scripts = [stack, `${root}deploy/local/lib.sh`, ...readdirSync(`${root}deploy/local/components`).map((f) => `${root}deploy/local/components/${f}`)];
    for (const script of scripts) expect(spawnSync('bash', ['-n', script]).status, script).toBe(0);
  });

  it('prints, with `env`, the configuration variables at their default values', () => {
    const output = execFileSync('bash', [stack, 'env'], { env: cleanEnv(), encoding: 'utf8' });
    const printed = new Map([...output.matchAll(/^export (QUINTET_[A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]));
    expect(printed.size).toBeGreaterThanOrEqual(4);
    for (const [name, value] of printed) {
      if (name === 'QUINTET_TEST_REDIS_DURABLE_URL') continue; // test-only: the AOF instance
      const key = CONFIG_KEYS.find((k) => k.env === name);
      expect(key, name).toBeDefined();
      expect(value, name).toBe(key?.defaultValue);
    }
    expect(printed.get('QUINTET_TEST_REDIS_DURABLE_URL')).toBe('redis://127.0.0.1:6380/0');
  });

  it('refuses an unknown component or command with a message', () => {
    const unknownComponent = spawnSync('bash', [stack, 'status', 'zookeeper'], { encoding: 'utf8' });
    expect(unknownComponent.status).not.toBe(0);
    expect(unknownComponent.stderr).toContain("unknown component 'zookeeper'");
    const unknownCommand = spawnSync('bash', [stack, 'explode', 'redis'], { encoding: 'utf8' });
    expect(unknownCommand.status).not.toBe(0);
    expect(unknownCommand.stderr).toContain('usage:');
  });
});
