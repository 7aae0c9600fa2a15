/**
 * The negative control of `--self-check`: proof that the kill schedule can provoke what exactly-once
 * prevents. On the same private stack, a second deployment runs `quintet run ingest` under
 * at_least_once while a short workload flows, and its process is SIGKILLed in commit windows
 * (test/chaos/commit-window.ts). Once every raw record has reached the canonical topic, that topic must
 * hold duplicates: records the restarted task wrote a second time because the offsets of the input they
 * came from were never committed. No duplicate after a confirmed window kill means the kills did not
 * do what the exactly-once run's `canonical_duplicates: 0` is taken to show, and the self-check fails.
 *
 * Only ingest runs: its output, the canonical topic, is where a redone input shows as a duplicate (the
 * feeds, likes and analytics writes are idempotent by design, so a redo leaves no trace there).
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { loadConfig } from '../../core/config.js';
import { verifyTopic } from '../../cli/commands/verify.js';
import { CommitWindowKiller, type KillRecord } from './commit-window.js';
import { measureCanonical } from './invariants.js';
import { PRIVATE_PORTS } from './private-stack.js';
import { ProcessorSupervisor } from './processor-supervisor.js';
import { produceSteadily, workloadMessages } from './produce.js';

export interface NegativeControlPlan {
  readonly events: number;
  readonly produceSeconds: number;
  readonly kills: number;
  readonly seed: number;
  /** How long to wait, after the workload is sent, for every raw record to reach the canonical topic. */
  readonly drainSeconds: number;
}

export interface NegativeControlResult {
  readonly guarantee: 'at_least_once';
  readonly events_in: number;
  readonly events_lost: number;
  readonly canonical_duplicates: number;
  readonly canonical_records: number;
  readonly chain_breaks: number;
  readonly kills: readonly KillRecord[];
  readonly confirmed_window_kills: number;
  /** The control did what it must: duplicates after confirmed window kills, nothing lost. */
  readonly failed_as_expected: boolean;
  readonly reason?: string;
  readonly seconds: number;
}

export interface NegativeControlDeps {
  readonly name: string;
  readonly stateDir: string;
  readonly environment: (name: string, dataDir: string, guarantee: 'at_least_once') => NodeJS.ProcessEnv;
  readonly quintet: (env: NodeJS.ProcessEnv, ...args: string[]) => Promise<unknown>;
  readonly log: (message: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runNegativeControl(plan: NegativeControlPlan, deps: NegativeControlDeps): Promise<NegativeControlResult> {
  const name = `${deps.name}-alo`;
  const logDir = join(deps.stateDir, 'logs', name);
  const dataDir = join(deps.stateDir, 'data', name);
  mkdirSync(logDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const env = deps.environment(name, dataDir, 'at_least_once');
  const config = loadConfig({ env });
  deps.log(`negative control ${name}: ingest under at_least_once, ${plan.events} events over ${plan.produceSeconds}s, ${plan.kills} commit-window kills, seed ${plan.seed}`);
  await deps.quintet(env, 'topics', 'create');

  const ingest = new ProcessorSupervisor('ingest', env, logDir);
  const killer = new CommitWindowKiller({ host: '127.0.0.1', port: PRIVATE_PORTS.kafka }, createKafkaClient(config, { clientIdSuffix: 'chaos-window' }));
  const started = Date.now();
  const kills: KillRecord[] = [];
  try {
    ingest.start();
    const counters = { acked: 0, resends: 0 };
    const producing = produceSteadily(env, workloadMessages(plan.events, plan.seed), plan.produceSeconds, counters);
    const productionEnd = Date.now() + plan.produceSeconds * 1_000;
    const target = { groupId: `${name}-ingest`, outputTopics: [config.topics.canonical], internalTopicPrefix: `${name}-ingest-` };
    const killing = (async () => {
      // The first kill waits for the process to be up and working; each later one for its restart.
      for (let n = 0; n < plan.kills; n += 1) {
        const at = Date.now();
        const kill = await killer.kill(ingest, target, productionEnd);
        kills.push({ topology: 'ingest', mode: 'commit-window', at_s: Math.round((at - started) / 100) / 10, ...kill });
        deps.log(`negative control: SIGKILL ingest (${n + 1}/${plan.kills}) ${kill.window_seen === true ? `in a commit window (${kill.confirmed === true ? 'confirmed' : 'not confirmed'}, ≥${kill.output_records_ahead} records ahead)` : 'without a window (time-out)'}`);
      }
    })();
    await Promise.all([producing, killing]);

    const until = Date.now() + plan.drainSeconds * 1_000;
    const kafka = createKafkaClient(config, { clientIdSuffix: 'chaos-check' });
    let measure = await measureCanonical(config, kafka);
    while (measure.lost > 0 && Date.now() < until) {
      await sleep(5_000);
      measure = await measureCanonical(config, kafka);
    }
    const verification = await verifyTopic(config, config.topics.canonical, config.topics.checkpoints, undefined);
    const confirmed = kills.filter((k) => k.confirmed === true).length;
    const reason =
      measure.eventsIn === 0 ? 'nothing went in'
      : measure.lost > 0 ? `${measure.lost} canonical events still missing after the drain`
      : confirmed === 0 ? 'no kill was confirmed inside a commit window'
      : measure.duplicates === 0 ? `no canonical duplicate after ${confirmed} confirmed commit-window kills`
      : undefined;
    return {
      guarantee: 'at_least_once',
      events_in: measure.eventsIn,
      events_lost: measure.lost,
      canonical_duplicates: measure.duplicates,
      canonical_records: measure.canonicalRecords,
      chain_breaks: verification.breaks.length,
      kills,
      confirmed_window_kills: confirmed,
      failed_as_expected: reason === undefined,
      ...(reason === undefined ? {} : { reason }),
      seconds: Math.round((Date.now() - started) / 1_000),
    };
  } finally {
    killer.close();
    await ingest.stop();
    await fetch(`${config.schemaRegistry.url}/subjects/${encodeURIComponent(`${config.topics.canonical}-value`)}`, { method: 'DELETE' })
      .then(() => fetch(`${config.schemaRegistry.url}/subjects/${encodeURIComponent(`${config.topics.canonical}-value`)}?permanent=true`, { method: 'DELETE' }))
      .catch(() => undefined);
  }
}
