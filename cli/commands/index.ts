import type { Command } from 'commander';

/** Every `quintet` sub-command registers itself on the program. Add new commands here. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
