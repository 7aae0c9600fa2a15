import type { Command } from 'commander';
import { register as config } from './config.js';
import { register as convert } from './convert.js';
import { register as keys } from './keys.js';

/** Every `quintet` sub-command registers itself on the program. Add new commands here. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [config, keys, convert];
