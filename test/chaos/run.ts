/**
 * `npm run test:chaos [-- --short]`: the whole pipeline on a private instance of the local stack
 * (test/chaos/private-stack.ts) while a steady generated workload flows raw → ingest → canonical →
 * feeds, likes, analytics, each topology its own `quintet run <name>` process. Meanwhile: SIGKILL of the
 * processors at random moments (each one in turn), a restart of the Kafka broker, a SIGKILL and restart
 * of Redis, ClickHouse stopped for a while. Then the invariants of test/chaos/invariants.ts are measured
 * until they hold or the drain time is up; they are printed and written to bench/results/chaos.json, and
 * the process exits 1 when one fails. See docs/chaos.md.
 *
 * Options: --short (CI), --events N, --kills N, --seed N, --clickhouse-stop-s N, --no-broker-restart,
 * --guarantee exactly_once|at_least_once, --commit-interval-ms N, --kill-mode random|commit-window|mixed
 * (test/chaos/commit-window.ts), --self-check (test/chaos/self-check.ts, then the at-least-once negative
 * control of test/chaos/negative-control.ts), --no-negative-control, --keep (leave the private stack
 * running), --out FILE.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { privateDeploymentEnv } from '../support/private-deployment.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { loadConfig } from '../../core/config.js';
import { CommitWindowKiller, KILL_MODES, type KillMode, type KillRecord } from './commit-window.js';
import { failedInvariants, measureInvariants, type ChaosDetails, type ChaosInvariants } from './invariants.js';
import { runNegativeControl, type NegativeControlResult } from './negative-control.js';
import { PRIVATE_PORTS, PrivateStack, ROOT } from './private-stack.js';
import { ProcessorSupervisor } from './processor-supervisor.js';
import { produceSteadily, workloadMessages } from './produce.js';
import { selfCheck } from './self-check.js';

const TOPOLOGIES = ['ingest', 'feeds', 'likes', 'analytics'] as const;
/**
 * Topologies whose output includes Kafka topics, so that a commit window can be seen. analytics writes
 * only to ClickHouse: its kills stay at random moments.
 */
const WINDOW_WATCHABLE = new Set<string>(['ingest', 'feeds', 'likes']);
/** How long after the end of the workload a commit-window kill may still wait for its window. */
const WINDOW_GRACE_MS = 30_000;

const { values: options } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    events: { type: 'string' },
    kills: { type: 'string' },
    seed: { type: 'string' },
    'clickhouse-stop-s': { type: 'string' },
    'no-broker-restart': { type: 'boolean', default: false },
    // at_least_once is the negative control: the run must then fail (duplicates, chain breaks).
    guarantee: { type: 'string', default: 'exactly_once' },
    // Longer commit intervals widen the window in which a kill leaves processed but uncommitted input.
    'commit-interval-ms': { type: 'string', default: '200' },
    // commit-window: every kill of a topology with Kafka outputs waits for the moment its output is ahead
    // of its committed offsets (the only moment at which at-least-once and exactly-once differ); mixed:
    // every other round of kills does, the others hit at random moments (start-up, restore, idle).
    'kill-mode': { type: 'string', default: 'mixed' },
    'ingest-window-kills': { type: 'string' },
    'no-negative-control': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'self-check': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench/results/chaos.json') },
  },
});

const short = options.short === true;
if (!(KILL_MODES as readonly string[]).includes(options['kill-mode'] as string)) throw new Error(`--kill-mode must be one of ${KILL_MODES.join(', ')}`);
if (options.guarantee !== 'exactly_once' && options.guarantee !== 'at_least_once') throw new Error('--guarantee must be exactly_once or at_least_once');
const killMode = options['kill-mode'] as KillMode;
const plan = {
  mode: short ? 'short' : 'long',
  // Events stay inside one hour of event time (250 ms apart from 09:00): no like can be late for its window.
  events: Number(options.events ?? (short ? 2_500 : 12_000)),
  kills: Number(options.kills ?? (short ? 8 : 24)),
  /** Extra ingest kills in commit windows (kill modes commit-window and mixed), one hunt after another. */
  ingestWindowKills: Number(options['ingest-window-kills'] ?? (short ? 3 : 8)),
  seed: Number(options.seed ?? Math.floor(Math.random() * 1_000_000)),
  produceSeconds: short ? 60 : 360,
  clickhouseStopSeconds: Number(options['clickhouse-stop-s'] ?? (short ? 15 : 60)),
  brokerRestart: options['no-broker-restart'] !== true,
  drainSeconds: short ? 150 : 300,
};
/** The negative control of --self-check: ingest alone under at_least_once, killed in commit windows. */
const negativeControlPlan = { events: 800, produceSeconds: 40, kills: 3, seed: plan.seed + 1, drainSeconds: 60 };

const log = (message: string): void => void process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const run = promisify(execFile);

function runEnvironment(stack: PrivateStack, name: string, dataDir: string, guarantee = options.guarantee as string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...stack.quintetEnv,
    ...privateDeploymentEnv(name, { partitions: 3, dataDir, clickhouseDatabase: name.replace(/[^A-Za-z0-9_]/g, '_') }),
    QUINTET_PROCESSING_GUARANTEE: guarantee,
    QUINTET_COMMIT_INTERVAL_MS: options['commit-interval-ms'] as string,
  };
}

async function main(): Promise<number> {
  const stack = new PrivateStack();
  const name = `chaos-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const logDir = join(stack.stateDir, 'logs', name);
  const dataDir = join(stack.stateDir, 'data', name);
  log(`${plan.mode} run ${name} (${options.guarantee as string}): ${plan.events} events over ${plan.produceSeconds}s, ${plan.kills} kills (${killMode}${killMode === 'random' ? '' : `, plus up to ${plan.ingestWindowKills} ingest window kills`}), seed ${plan.seed}`);

  // A fresh private stack: its Kafka storage is formatted anew, so nothing of an earlier run remains.
  await stack.command('down').catch(() => undefined);
  rmSync(stack.stateDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  await stack.command('up');
  const env = runEnvironment(stack, name, dataDir);
  const config = loadConfig({ env });
  const registry = await fetch(`${config.schemaRegistry.url}/subjects`).catch(() => undefined);
  if (registry?.ok !== true) throw new Error(`the schema registry at ${config.schemaRegistry.url} does not answer: start the shared stack (bash deploy/local/stack up registry)`);

  const quintetWith = (commandEnv: NodeJS.ProcessEnv, ...args: string[]) => run(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: ROOT, env: commandEnv, maxBuffer: 16 * 1024 * 1024 });
  await quintetWith(env, 'topics', 'create');
  await quintetWith(env, 'migrate');

  const processors = TOPOLOGIES.map((topology) => new ProcessorSupervisor(topology, env, logDir));
  for (const processor of processors) processor.start();

  const messages = workloadMessages(plan.events, plan.seed);
  const counters = { acked: 0, resends: 0 };
  const restarts = { broker: 0, redis: 0, clickhouse: 0 };
  const started = Date.now();
  const producing = produceSteadily(env, messages, plan.produceSeconds, counters);

  // Kills at random moments over the production window, each processor in turn so that every one is hit.
  const windowMs = plan.produceSeconds * 1_000;
  const killTimes = Array.from({ length: plan.kills }, () => 3_000 + Math.random() * (windowMs - 3_000)).sort((a, b) => a - b);
  const firstVictim = Math.floor(Math.random() * processors.length);
  const killer = new CommitWindowKiller({ host: '127.0.0.1', port: PRIVATE_PORTS.kafka }, createKafkaClient(config, { clientIdSuffix: 'chaos-window' }));
  const killLog: KillRecord[] = [];
  const windowTarget = (topology: string) => ({
    groupId: `${name}-${topology}`,
    outputTopics: topology === 'ingest' ? [config.topics.canonical] : [],
    internalTopicPrefix: `${name}-${topology}-`,
  });
  // Ingest's window hunter (kill modes commit-window and mixed): ingest is the topology whose redone
  // output the invariants see, so it gets commit-window kills of its own, spread over the workload and
  // independent of the random schedule, whose kills may fall while the broker restarts. The same kills
  // under at_least_once are the negative control.
  const ingest = processors[TOPOLOGIES.indexOf('ingest')] as ProcessorSupervisor;
  const hunting = (async () => {
    if (killMode === 'random') return;
    for (let n = 0; n < plan.ingestWindowKills; n += 1) {
      await sleep(Math.max(0, started + 3_000 + (n * windowMs) / plan.ingestWindowKills - Date.now()));
      const at_s = Math.round((Date.now() - started) / 100) / 10;
      const kill = await killer.kill(ingest, windowTarget('ingest'), started + windowMs + WINDOW_GRACE_MS, 'skip');
      if (!kill.killed) {
        log(`ingest window kill ${n + 1}/${plan.ingestWindowKills}: no window before the hunt's end (${kill.polls} polls)`);
        killLog.push({ topology: 'ingest', mode: 'commit-window', at_s, ...kill });
        break;
      }
      killLog.push({ topology: 'ingest', mode: 'commit-window', at_s, ...kill });
      log(`SIGKILL ingest (window kill ${n + 1}/${plan.ingestWindowKills}) in a commit window after ${kill.hunted_ms} ms (${kill.confirmed === true ? 'confirmed' : 'not confirmed'}, ≥${kill.output_records_ahead} output records ahead)`);
    }
  })();
  const killing = (async () => {
    for (const [n, at] of killTimes.entries()) {
      await sleep(Math.max(0, started + at - Date.now()));
      const victim = processors[(firstVictim + n) % processors.length] as ProcessorSupervisor;
      const round = Math.floor(n / processors.length);
      // mixed: the first round of feeds and likes kills waits for a commit window, the rest (and every
      // ingest kill of this schedule: ingest has its own window hunter below) hit at random moments.
      const inWindow = WINDOW_WATCHABLE.has(victim.topology) && (killMode === 'commit-window' || (killMode === 'mixed' && victim.topology !== 'ingest' && round % 2 === 0));
      const at_s = Math.round((Date.now() - started) / 100) / 10;
      if (inWindow) {
        // Output runs ahead of the commits while the workload flows and while the processors catch up
        // after it (a broker restart leaves a backlog); a hunt still going after that ends in a plain kill.
        const kill = await killer.kill(victim, windowTarget(victim.topology), started + windowMs + WINDOW_GRACE_MS);
        killLog.push({ topology: victim.topology, mode: 'commit-window', at_s, ...kill });
        const how = kill.window_seen === true ? `in a commit window after ${kill.hunted_ms} ms (${kill.confirmed === true ? 'confirmed' : 'not confirmed'}, ≥${kill.output_records_ahead} output records ahead)` : `without a window after ${kill.hunted_ms} ms`;
        log(`SIGKILL ${victim.topology} (${n + 1}/${plan.kills}) ${how}`);
      } else {
        // A processor still inside its restart delay is hit at its next start instead of being skipped.
        while (!(await victim.kill())) await sleep(200);
        killLog.push({ topology: victim.topology, mode: 'random', at_s });
        log(`SIGKILL ${victim.topology} (${n + 1}/${plan.kills})`);
      }
    }
  })();
  const allKills = Promise.all([killing, hunting]).finally(() => killer.close());

  const disrupting = (async () => {
    if (plan.brokerRestart) {
      await sleep(Math.max(0, started + windowMs * 0.25 - Date.now()));
      log('restarting the Kafka broker');
      await stack.command('restart', ['kafka']);
      restarts.broker += 1;
    }
    await sleep(Math.max(0, started + windowMs * 0.5 - Date.now()));
    log('SIGKILL and restart of Redis');
    await stack.command('crash-restart', ['redis-durable']);
    restarts.redis += 1;
    await sleep(Math.max(0, started + windowMs * 0.6 - Date.now()));
    log(`stopping ClickHouse for ${plan.clickhouseStopSeconds}s`);
    await stack.command('down', ['clickhouse']);
    await sleep(plan.clickhouseStopSeconds * 1_000);
    await stack.command('up', ['clickhouse']);
    restarts.clickhouse += 1;
    log('ClickHouse is back');
  })();

  let invariants: ChaosInvariants | undefined;
  let details: ChaosDetails | undefined;
  let failed: string[] = [];
  let selfChecked: { detected: string[]; missed: string[] } | undefined;
  let negativeControl: NegativeControlResult | undefined;
  try {
    await Promise.all([producing, allKills, disrupting]);
    log(`workload sent (${counters.acked} acknowledged, ${counters.resends} resent batches); draining`);
    const drainUntil = Date.now() + plan.drainSeconds * 1_000;
    for (;;) {
      const kafka = createKafkaClient(loadConfig({ env }), { clientIdSuffix: 'chaos-check' });
      try {
        ({ invariants, details } = await measureInvariants(config, kafka));
        failed = failedInvariants(invariants);
      } catch (error) {
        failed = [`measurement failed: ${(error as Error).message}`];
      }
      if (failed.length === 0 || Date.now() > drainUntil) break;
      log(`not yet: ${failed.join(', ')}`);
      await sleep(10_000);
    }
  } finally {
    await Promise.all(processors.map((p) => p.stop()));
    if (options['self-check'] === true && failed.length === 0) {
      // With the processors stopped, so that nothing repairs or spreads the planted faults.
      selfChecked = await selfCheck(config, createKafkaClient(config, { clientIdSuffix: 'chaos-self-check' })).catch((error: unknown) => ({ detected: [], missed: [`self-check failed: ${(error as Error).message}`] }));
      log(`self-check: planted faults detected: ${selfChecked.detected.join(', ') || 'none'}; missed: ${selfChecked.missed.join(', ') || 'none'}`);
      if (selfChecked.missed.length > 0) failed = [...failed, ...selfChecked.missed.map((name) => `self-check missed ${name}`)];
      if (options['no-negative-control'] !== true) {
        negativeControl = await runNegativeControl(negativeControlPlan, {
          name,
          stateDir: stack.stateDir,
          environment: (controlName, controlDataDir, guarantee) => runEnvironment(stack, controlName, controlDataDir, guarantee),
          quintet: quintetWith,
          log,
        }).catch((error: unknown) => ({ failed_as_expected: false, reason: `negative control could not run: ${(error as Error).message}` }) as NegativeControlResult);
        log(
          negativeControl.failed_as_expected
            ? `negative control failed as it must: ${negativeControl.canonical_duplicates} canonical duplicates, ${negativeControl.chain_breaks} chain breaks after ${negativeControl.confirmed_window_kills} confirmed commit-window kills under at_least_once`
            : `negative control did NOT fail: ${negativeControl.reason ?? 'unknown'}`,
        );
        if (!negativeControl.failed_as_expected) failed = [...failed, `negative control: ${negativeControl.reason ?? 'did not fail'}`];
      }
    }
    await fetch(`${config.schemaRegistry.url}/subjects/${encodeURIComponent(`${config.topics.canonical}-value`)}`, { method: 'DELETE' })
      .then(() => fetch(`${config.schemaRegistry.url}/subjects/${encodeURIComponent(`${config.topics.canonical}-value`)}?permanent=true`, { method: 'DELETE' }))
      .catch(() => undefined);
    if (options.keep !== true) {
      await stack.command('down').catch((error: unknown) => log(`stack down: ${(error as Error).message}`));
    }
  }

  const result = {
    date: new Date().toISOString(),
    mode: plan.mode,
    guarantee: options.guarantee,
    commit_interval_ms: Number(options['commit-interval-ms']),
    seed: plan.seed,
    seconds: Math.round((Date.now() - started) / 1_000),
    kills: processors.reduce((n, p) => n + p.kills, 0),
    kill_mode: killMode,
    commit_window_kills: {
      attempted: killLog.filter((k) => k.mode === 'commit-window').length,
      window_seen: killLog.filter((k) => k.window_seen === true).length,
      confirmed: killLog.filter((k) => k.confirmed === true).length,
      confirmed_ingest: killLog.filter((k) => k.confirmed === true && k.topology === 'ingest').length,
    },
    restarts: restarts.broker + restarts.redis + restarts.clickhouse,
    ...(invariants ?? {}),
    passed: failed.length === 0,
    failed,
    ...(selfChecked === undefined ? {} : { self_check: selfChecked }),
    ...(negativeControl === undefined ? {} : { negative_control: negativeControl }),
    kill_log: killLog,
    disruptions: { broker_restarts: restarts.broker, redis_restarts: restarts.redis, clickhouse_stops: restarts.clickhouse, clickhouse_stop_seconds: plan.clickhouseStopSeconds },
    processors: Object.fromEntries(processors.map((p) => [p.topology, { kills: p.kills, restarts: p.restarts, self_exits: p.selfExits, hung_after_failure: p.hungAfterFailure }])),
    producer: { generated: plan.events, acknowledged: counters.acked, resent_batches: counters.resends },
    details,
  };
  mkdirSync(join(options.out as string, '..'), { recursive: true });
  writeFileSync(options.out as string, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  const hung = processors.filter((p) => p.hungAfterFailure > 0).map((p) => `${p.topology} ×${p.hungAfterFailure}`);
  if (hung.length > 0) log(`WARNING: processes that did not exit after a topology failure (killed after 30 s): ${hung.join(', ')}`);
  log(failed.length === 0 ? 'every invariant holds' : `FAILED: ${failed.join(', ')} (processor logs in ${logDir})`);
  if (options.keep !== true && failed.length === 0) rmSync(stack.stateDir, { recursive: true, force: true });
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    log(`error: ${(error as Error).stack ?? String(error)}`);
    // Never leave the private stack running behind a failed start (CI tears down only the shared one).
    if (options.keep !== true) await new PrivateStack().command('down').catch(() => undefined);
    process.exit(2);
  },
);
