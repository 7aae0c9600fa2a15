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
 * --guarantee exactly_once|at_least_once, --commit-interval-ms N, --self-check (test/chaos/self-check.ts), --keep (leave the private stack running), --out FILE.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { privateDeploymentEnv } from '../support/private-deployment.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import type { Message, Producer } from 'kafkajs';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { loadConfig } from '../../core/config.js';
import { generateWorkload } from '../../workload/generator.js';
import { failedInvariants, measureInvariants, type ChaosDetails, type ChaosInvariants } from './invariants.js';
import { PrivateStack, ROOT } from './private-stack.js';
import { ProcessorSupervisor } from './processor-supervisor.js';
import { selfCheck } from './self-check.js';

const TOPOLOGIES = ['ingest', 'feeds', 'likes', 'analytics'] as const;

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
    keep: { type: 'boolean', default: false },
    'self-check': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench/results/chaos.json') },
  },
});

const short = options.short === true;
const plan = {
  mode: short ? 'short' : 'long',
  // Events stay inside one hour of event time (250 ms apart from 09:00): no like can be late for its window.
  events: Number(options.events ?? (short ? 2_500 : 12_000)),
  kills: Number(options.kills ?? (short ? 8 : 24)),
  seed: Number(options.seed ?? Math.floor(Math.random() * 1_000_000)),
  produceSeconds: short ? 60 : 360,
  clickhouseStopSeconds: Number(options['clickhouse-stop-s'] ?? (short ? 15 : 60)),
  brokerRestart: options['no-broker-restart'] !== true,
  drainSeconds: short ? 150 : 300,
};

const log = (message: string): void => void process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const run = promisify(execFile);

function runEnvironment(stack: PrivateStack, name: string, dataDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...stack.quintetEnv,
    ...privateDeploymentEnv(name, { partitions: 3, dataDir, clickhouseDatabase: name.replace(/[^A-Za-z0-9_]/g, '_') }),
    QUINTET_PROCESSING_GUARANTEE: options.guarantee as string,
    QUINTET_COMMIT_INTERVAL_MS: options['commit-interval-ms'] as string,
  };
}

/** Sends the workload at a steady rate; a failed send (broker restarting) is retried with a fresh producer. */
async function produceSteadily(env: NodeJS.ProcessEnv, messages: readonly Message[], seconds: number, counters: { acked: number; resends: number }): Promise<void> {
  const config = loadConfig({ env });
  const kafka = createKafkaClient(config, { clientIdSuffix: 'chaos-producer' });
  const tickMs = 250;
  const perTick = Math.max(1, Math.ceil(messages.length / ((seconds * 1_000) / tickMs)));
  let producer: Producer | undefined;
  const started = Date.now();
  for (let i = 0; i < messages.length; i += perTick) {
    const batch = messages.slice(i, i + perTick);
    for (;;) {
      try {
        if (producer === undefined) {
          producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
          await producer.connect();
        }
        await producer.send({ topic: config.topics.raw, acks: -1, messages: [...batch] });
        counters.acked += batch.length;
        break;
      } catch {
        // The batch may or may not have landed: resending can duplicate raw records, which the
        // invariants count on both sides (a duplicate raw record is not a canonical duplicate).
        counters.resends += 1;
        await producer?.disconnect().catch(() => undefined);
        producer = undefined;
        await sleep(1_000);
      }
    }
    const due = started + ((i + perTick) / perTick) * tickMs;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  await producer?.disconnect().catch(() => undefined);
}

async function main(): Promise<number> {
  const stack = new PrivateStack();
  const name = `chaos-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const logDir = join(stack.stateDir, 'logs', name);
  const dataDir = join(stack.stateDir, 'data', name);
  log(`${plan.mode} run ${name}: ${plan.events} events over ${plan.produceSeconds}s, ${plan.kills} kills, seed ${plan.seed}`);

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

  const quintet = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 });
  await quintet('topics', 'create');
  await quintet('migrate');

  const processors = TOPOLOGIES.map((topology) => new ProcessorSupervisor(topology, env, logDir));
  for (const processor of processors) processor.start();

  const workload = generateWorkload({ events: plan.events, seed: plan.seed });
  const messages: Message[] = workload.events.map((event) => ({
    value: event.value,
    ...(event.key === undefined ? {} : { key: event.key }),
    ...(event.headers === undefined ? {} : { headers: { ...event.headers } }),
  }));
  const counters = { acked: 0, resends: 0 };
  const restarts = { broker: 0, redis: 0, clickhouse: 0 };
  const started = Date.now();
  const producing = produceSteadily(env, messages, plan.produceSeconds, counters);

  // Kills at random moments over the production window, each processor in turn so that every one is hit.
  const windowMs = plan.produceSeconds * 1_000;
  const killTimes = Array.from({ length: plan.kills }, () => 3_000 + Math.random() * (windowMs - 3_000)).sort((a, b) => a - b);
  const firstVictim = Math.floor(Math.random() * processors.length);
  const killing = (async () => {
    for (const [n, at] of killTimes.entries()) {
      await sleep(Math.max(0, started + at - Date.now()));
      const victim = processors[(firstVictim + n) % processors.length] as ProcessorSupervisor;
      // A processor still inside its restart delay is hit at its next start instead of being skipped.
      while (!(await victim.kill())) await sleep(200);
      log(`SIGKILL ${victim.topology} (${n + 1}/${plan.kills})`);
    }
  })();

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
  try {
    await Promise.all([producing, killing, disrupting]);
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
    restarts: restarts.broker + restarts.redis + restarts.clickhouse,
    ...(invariants ?? {}),
    passed: failed.length === 0,
    failed,
    ...(selfChecked === undefined ? {} : { self_check: selfChecked }),
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
