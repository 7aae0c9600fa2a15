/**
 * The chaos run's own instance of the local stack: Kafka, the AOF Redis and ClickHouse on ports and in a
 * state folder of their own (deploy/local/lib.sh reads QUINTET_STACK_STATE and QUINTET_STACK_*_PORT), so
 * that restarting and stopping them never touches the shared stack other tests use. The schema registry
 * is the shared one: it is only read and written (random subjects), never restarted.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** Ports well away from the shared stack's (9092/9093, 6379/6380, 8123/9000/9009). */
export const PRIVATE_PORTS = {
  kafka: Number(process.env.QUINTET_CHAOS_KAFKA_PORT ?? 19092),
  kafkaController: Number(process.env.QUINTET_CHAOS_KAFKA_CONTROLLER_PORT ?? 19093),
  redis: Number(process.env.QUINTET_CHAOS_REDIS_PORT ?? 16380),
  clickhouseHttp: Number(process.env.QUINTET_CHAOS_CLICKHOUSE_HTTP_PORT ?? 18123),
  clickhouseTcp: Number(process.env.QUINTET_CHAOS_CLICKHOUSE_TCP_PORT ?? 19000),
  clickhouseInterserver: Number(process.env.QUINTET_CHAOS_CLICKHOUSE_INTERSERVER_PORT ?? 19009),
} as const;

export type PrivateComponent = 'kafka' | 'redis-durable' | 'clickhouse';
export const PRIVATE_COMPONENTS: readonly PrivateComponent[] = ['kafka', 'redis-durable', 'clickhouse'];

export class PrivateStack {
  readonly stateDir: string;

  constructor(stateDir = join(ROOT, '.stack', 'chaos')) {
    this.stateDir = stateDir;
  }

  /** Variables for deploy/local/stack that select this instance. */
  get stackEnv(): Record<string, string> {
    return {
      QUINTET_STACK_STATE: this.stateDir,
      QUINTET_STACK_KAFKA_PORT: String(PRIVATE_PORTS.kafka),
      QUINTET_STACK_KAFKA_CONTROLLER_PORT: String(PRIVATE_PORTS.kafkaController),
      QUINTET_STACK_REDIS_DURABLE_PORT: String(PRIVATE_PORTS.redis),
      QUINTET_STACK_CLICKHOUSE_HTTP_PORT: String(PRIVATE_PORTS.clickhouseHttp),
      QUINTET_STACK_CLICKHOUSE_TCP_PORT: String(PRIVATE_PORTS.clickhouseTcp),
      QUINTET_STACK_CLICKHOUSE_INTERSERVER_PORT: String(PRIVATE_PORTS.clickhouseInterserver),
    };
  }

  /** QUINTET_* endpoints of this instance for Quintet's own configuration. */
  get quintetEnv(): Record<string, string> {
    return {
      QUINTET_KAFKA_BROKERS: `127.0.0.1:${PRIVATE_PORTS.kafka}`,
      // The durable instance (AOF, fsync always) holds vault, feeds and notifications: a Redis restart must lose nothing.
      QUINTET_REDIS_URL: `redis://127.0.0.1:${PRIVATE_PORTS.redis}/0`,
      QUINTET_CLICKHOUSE_URL: `http://127.0.0.1:${PRIVATE_PORTS.clickhouseHttp}`,
    };
  }

  /** Runs `deploy/local/stack <command> <components…>` against this instance; rejects on a non-zero exit. */
  command(command: 'up' | 'down' | 'restart' | 'crash-restart' | 'status', components: readonly PrivateComponent[] = PRIVATE_COMPONENTS): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', [join(ROOT, 'deploy/local/stack'), command, ...components], {
        cwd: ROOT,
        env: { ...process.env, ...this.stackEnv },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`deploy/local/stack ${command} ${components.join(' ')} exited with ${code}`))));
    });
  }
}
