import type { Command } from 'commander';
import { loadConfig, type QuintetConfig } from '../core/config.js';

/** Loads the configuration once for a command, from `--config` and the process environment. */
export function configFor(command: Command): QuintetConfig {
  const root = command.optsWithGlobals<{ config?: string }>();
  return loadConfig({ env: process.env, ...(root.config === undefined ? {} : { file: root.config }) });
}
