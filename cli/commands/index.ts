import type { Command } from 'commander';
import { register as config } from './config.js';
import { register as convert } from './convert.js';
import { register as demo } from './demo.js';
import { register as keys } from './keys.js';
import { register as produce } from './produce.js';
import { register as run } from './run.js';
import { register as scanPii } from './scan-pii.js';
import { register as topics } from './topics.js';
import { register as verify } from './verify.js';
import { register as exportTopic } from './export.js';
import { register as erase } from './erase.js';
import { register as dlq } from './dlq.js';

/** Every `quintet` sub-command registers itself on the program. Add new commands here. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [demo, run, config, keys, topics, produce, convert, scanPii];
commands.push(verify, exportTopic, erase, dlq);
import { register as migrate } from './migrate.js';
import { register as dashboard } from './dashboard.js';
commands.push(migrate, dashboard);
import { register as feed } from './feed.js';
import { register as notifications } from './notifications.js';
commands.push(feed, notifications);
import { register as archiveCommand } from './archive.js';
commands.push(archiveCommand);
