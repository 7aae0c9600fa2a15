import type { Command } from 'commander';
import { ApiKeys, FileApiKeyStore } from '../../api/api-keys.js';
import { dashboardBackend, erasureBackend, feedBackend, ingestBackend, kafkaRawSender } from '../../api/backends.js';
import { ApiServer, type ApiServerOptions } from '../../api/server.js';
import { ClickHouseDashboardBackend } from '../../connectors/clickhouse/analytics-store.js';
import { ClickHouseServer, connectionOptionsFrom } from '../../connectors/clickhouse/server.js';
import { createKafkaClient } from '../../connectors/kafka/client.js';
import { createFeedRedis } from '../../connectors/redis/feed-client.js';
import { FeedReader } from '../../connectors/redis/feed-reader.js';
import { createVaultRedis } from '../../connectors/redis/vault-client.js';
import { RedisVaultStore } from '../../connectors/redis/vault-store.js';
import type { QuintetConfig } from '../../core/config.js';
import { QuintetError } from '../../core/errors.js';
import { componentLogger, createLogger, type Logger } from '../../core/logger.js';
import { QuintetMetrics } from '../../core/metrics.js';
import { CanonicalTranslator } from '../../processors/adapters/translator.js';
import { DashboardRunner } from '../../processors/analytics/dashboards.js';
import { PiiVault } from '../../processors/pseudonymization/pii-vault.js';
import { KafkaStreams } from '../../streams/kafka/kafka-streams.js';
import { isTopologyName, openDeployment, TOPOLOGY_NAMES, type Deployment } from '../../topologies/deployments.js';
import { configFor } from '../context.js';
import { instrumentedTopology, observeRunningTopologies, type RunningTopology } from '../topology-metrics.js';
import { eraseSubjects } from './erase.js';
import { apiKeyFile } from './keys.js';

type Closer = () => Promise<unknown>;

/** The HTTP API's backends in Kafka mode: raw topic, Redis read models, ClickHouse dashboards, vault erasure. */
async function kafkaApi(config: QuintetConfig, closers: Closer[]): Promise<Pick<ApiServerOptions, 'ingest' | 'feeds' | 'dashboards' | 'erasure'>> {
  const producer = createKafkaClient(config, { clientIdSuffix: 'api' }).producer({ idempotent: true });
  await producer.connect();
  closers.push(() => producer.disconnect());
  const vaultRedis = createVaultRedis(config, { connectionName: 'quintet-api-vault' });
  const feedRedis = createFeedRedis(config, { connectionName: 'quintet-api-feeds' });
  closers.push(async () => vaultRedis.disconnect(), async () => feedRedis.disconnect());
  const clickhouse = ClickHouseServer.connect(connectionOptionsFrom(config));
  closers.push(() => clickhouse.close());
  const vault = PiiVault.fromConfig(new RedisVaultStore(vaultRedis, { prefix: config.redis.keyPrefix }), config);
  return {
    ingest: ingestBackend(new CanonicalTranslator({ limits: config.limits }), kafkaRawSender(producer, config)),
    feeds: feedBackend(vault, FeedReader.redis(feedRedis, { keyPrefix: config.redis.keyPrefix })),
    dashboards: dashboardBackend(new DashboardRunner(new ClickHouseDashboardBackend(clickhouse))),
    erasure: erasureBackend(async (subject) => {
      const result = await eraseSubjects(config, { subjects: [subject], publish: true, keyPrefix: config.redis.keyPrefix });
      return { erased_pseudonyms: result.erased, request_id: result.request.request_id, published: result.published };
    }),
  };
}

/**
 * Starts the named topologies (and the HTTP server). `onFatal` is called when a topology stops with an
 * error, so that the process can exit and its supervisor restart it (state is restored from changelogs).
 */
export async function runTopologies(config: QuintetConfig, names: readonly string[], logger: Logger, onFatal: (topology: string) => void = () => undefined): Promise<() => Promise<void>> {
  const wanted = names.includes('all') ? [...TOPOLOGY_NAMES, 'api'] : [...new Set(names)];
  for (const name of wanted) {
    if (name !== 'api' && !isTopologyName(name)) {
      throw new QuintetError('TOPOLOGY_UNKNOWN', `unknown topology "${name.slice(0, 64)}" (known: ${[...TOPOLOGY_NAMES, 'api', 'all'].join(', ')})`);
    }
  }
  const metrics = new QuintetMetrics({ defaultMetrics: true });
  const closers: Closer[] = [];
  const running: KafkaStreams[] = [];
  const observed: RunningTopology[] = [];
  closers.push(observeRunningTopologies(metrics, config, () => observed));
  const shutdown = async () => {
    for (const close of closers.reverse()) await close().catch((error: unknown) => logger.error({ code: (error as QuintetError).code }, 'shutdown step failed'));
  };
  try {
    for (const name of wanted) {
      if (!isTopologyName(name)) continue;
      const deployment: Deployment = await openDeployment(name, config, metrics);
      closers.push(() => deployment.close());
      const topology = instrumentedTopology(deployment.topology, metrics, name, config.topics.deadLetter);
      const streams = new KafkaStreams(topology, {
        config,
        applicationId: deployment.applicationId,
        logger: logger.child({ topology: name }),
        metrics,
        topologyName: name,
        ...(deployment.commitIntervalMs === undefined ? {} : { commitIntervalMs: deployment.commitIntervalMs }),
      });
      closers.push(() => streams.close());
      streams.on('error', () => undefined);
      streams.on('stateChange', (state: string) => {
        if (state === 'ERROR') onFatal(name);
      });
      await streams.start();
      running.push(streams);
      const inputTopics = [...new Set(topology.metadata(deployment.applicationId).subtopologies.flatMap((s) => s.sourceTopics))];
      observed.push({ name, applicationId: deployment.applicationId, streams, inputTopics });
      logger.info({ topology: name, applicationId: deployment.applicationId }, 'topology started');
    }
    const api = wanted.includes('api') ? await kafkaApi(config, closers) : {};
    const server = new ApiServer({
      keys: new ApiKeys(new FileApiKeyStore(apiKeyFile(config.dataDir))),
      ...api,
      metrics,
      logger: componentLogger(logger, 'http'),
      maxBodyBytes: config.http.maxBodyBytes,
      ready: async () => running.every((s) => s.state === 'RUNNING'),
    });
    const port = await server.listen(config.http.port, config.http.host);
    closers.push(() => server.close());
    logger.info({ host: config.http.host, port, api: wanted.includes('api') }, 'http listening');
  } catch (error) {
    await shutdown();
    throw error;
  }
  return shutdown;
}

export function register(program: Command): void {
  program
    .command('run')
    .description(`Run topologies on Kafka (${TOPOLOGY_NAMES.join(', ')}), the HTTP API (api), or all; /metrics, /healthz and /readyz on the HTTP port`)
    .argument('<topology...>', `${[...TOPOLOGY_NAMES, 'api', 'all'].join(' | ')}`)
    .action(async (names: string[], _options: unknown, command: Command) => {
      const config = configFor(command);
      const logger = createLogger({ level: config.logLevel });
      // A topology may fail while start-up is still in progress, before the real `stop` exists (found by the
      // chaos run: a broker restart during start-up left the process running with a failed topology).
      let failedWhileStarting = false;
      let stop: (reason: string) => void = () => void (failedWhileStarting = true);
      const shutdown = await runTopologies(config, names, logger, (topology) => {
        logger.error({ topology }, 'topology failed; stopping so that a supervisor can restart the process');
        process.exitCode = 1;
        stop('topology-error');
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          logger.info({ signal }, 'stopping');
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          void shutdown().finally(resolve);
        };
        const onTerm = () => stop('SIGTERM');
        const onInt = () => stop('SIGINT');
        process.on('SIGTERM', onTerm);
        process.on('SIGINT', onInt);
        if (failedWhileStarting) stop('topology-error');
      });
    });
}
