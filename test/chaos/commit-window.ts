/**
 * Commit-window kills: a SIGKILL timed to land while a processor has written output that its consumer
 * group's committed offsets do not yet account for. That is the only moment at which at-least-once and
 * exactly-once differ: under at-least-once the output stays and the restarted task processes the same
 * input again (duplicates); under exactly-once the output belongs to an open transaction, which the next
 * owner's fencing aborts. Random kills almost never land there (docs/chaos.md, "Negative control").
 *
 * The watcher polls, every few milliseconds, the high watermarks of the processor's output topics (open
 * transactions included, test/chaos/kafka-wire.ts) and then the group's committed offsets. When output
 * grew since the previous poll while the committed offsets did not move, the processor is killed at
 * once. Whether the kill really landed in the window is then checked, not assumed: the committed offsets
 * read after the process is dead must still be the ones read before the kill (a commit in flight could
 * have landed in between). Only Kafka outputs can be watched: a topology that writes only to Redis or
 * ClickHouse has no window to see, and its kill falls back to a plain one.
 */
import type { Kafka } from 'kafkajs';
import { KafkaWire, sameOffsets, totalOffset, type PartitionOffsets } from './kafka-wire.js';
import type { ProcessorSupervisor } from './processor-supervisor.js';

export const KILL_MODES = ['random', 'commit-window', 'mixed'] as const;
export type KillMode = (typeof KILL_MODES)[number];

/** What a processor writes to Kafka and the group whose commits cover it. */
export interface CommitWindowTarget {
  readonly groupId: string;
  /** Output topics named outright (ingest: the canonical topic). */
  readonly outputTopics: readonly string[];
  /** Every existing topic with this prefix is an output too: the topology's repartition and changelog topics. */
  readonly internalTopicPrefix: string;
}

export interface KillRecord {
  readonly topology: string;
  readonly mode: 'random' | 'commit-window';
  /** Seconds since the workload started. */
  readonly at_s: number;
  /** commit-window: how long the watcher waited for the window. */
  readonly hunted_ms?: number;
  /** commit-window: the window was seen and the kill sent in it (false: no window before the time-out, plain kill). */
  readonly window_seen?: boolean;
  /** commit-window: the committed offsets were the same after the process died, so the output seen was uncommitted. */
  readonly confirmed?: boolean;
  /** commit-window: output records written since the last commit the watcher saw move (a lower bound). */
  readonly output_records_ahead?: number;
  readonly polls?: number;
  /** commit-window: false when the hunt ended without a window and without a kill. */
  readonly killed?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class CommitWindowKiller {
  readonly #wire: KafkaWire;
  readonly #kafka: Kafka;
  readonly #pollMs: number;

  constructor(broker: { host: string; port: number }, kafka: Kafka, options: { pollMs?: number } = {}) {
    this.#wire = new KafkaWire(broker.host, broker.port);
    this.#kafka = kafka;
    this.#pollMs = options.pollMs ?? 3;
  }

  async #outputPartitions(target: CommitWindowTarget): Promise<Map<string, number[]>> {
    const admin = this.#kafka.admin();
    await admin.connect();
    try {
      const existing = await admin.listTopics();
      const topics = [...new Set([...target.outputTopics, ...existing.filter((topic) => topic.startsWith(target.internalTopicPrefix))])].filter((topic) => existing.includes(topic));
      if (topics.length === 0) return new Map();
      const metadata = await admin.fetchTopicMetadata({ topics });
      return new Map(metadata.topics.map((topic) => [topic.name, topic.partitions.map((p) => p.partitionId)]));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * Waits for the window and kills `victim` in it. Without a window by `deadline` (epoch ms: once output
   * no longer flows; meanwhile the processor may be idle, restoring, or waiting for a restarted broker)
   * it kills anyway when `fallback` is 'kill', and not at all when it is 'skip'; the answer says which.
   */
  async kill(victim: ProcessorSupervisor, target: CommitWindowTarget, deadline: number, fallback: 'kill' | 'skip' = 'kill'): Promise<Omit<KillRecord, 'at_s' | 'topology' | 'mode'> & { killed: boolean }> {
    const started = Date.now();
    let partitions: Map<string, number[]> | undefined;
    while (partitions === undefined && Date.now() < deadline) {
      // The broker may be restarting (no answer, or metadata without the topics yet): ask again.
      const found = await this.#outputPartitions(target).catch(() => undefined);
      if (found !== undefined && found.size > 0) partitions = found;
      else await sleep(500);
    }
    let polls = 0;
    if (partitions !== undefined && partitions.size > 0) {
      let previous: { ends: PartitionOffsets; committed: PartitionOffsets; pid: number | undefined } | undefined;
      /** Output end offsets when the committed offsets were last seen to move. */
      let endsAtLastCommit: bigint | undefined;
      while (Date.now() < deadline) {
        if (!victim.running) {
          previous = undefined;
          await sleep(50);
          continue;
        }
        let ends: PartitionOffsets;
        let committed: PartitionOffsets;
        try {
          // This order matters: output read first, commits second, so that "output grew, commits did not"
          // means the commit covering that output had not happened when the commits were read.
          ends = await this.#wire.highWatermarks(partitions);
          committed = await this.#wire.committedOffsets(target.groupId);
        } catch {
          previous = undefined;
          await sleep(100);
          continue;
        }
        polls += 1;
        const pid = victim.pid;
        if (previous !== undefined && previous.pid === pid) {
          if (!sameOffsets(committed, previous.committed)) endsAtLastCommit = totalOffset(ends);
          else if (totalOffset(ends) > totalOffset(previous.ends) && committed.size > 0) {
            if (await victim.kill()) {
              const ahead = totalOffset(ends) - (endsAtLastCommit ?? totalOffset(previous.ends));
              return { killed: true, hunted_ms: Date.now() - started, window_seen: true, confirmed: await this.#unchangedAfterDeath(target.groupId, committed), output_records_ahead: Number(ahead), polls };
            }
            previous = undefined;
            continue;
          }
        }
        previous = { ends, committed, pid };
        await sleep(this.#pollMs);
      }
    }
    if (fallback === 'skip') return { killed: false, hunted_ms: Date.now() - started, window_seen: false, polls };
    while (!(await victim.kill())) await sleep(200);
    return { killed: true, hunted_ms: Date.now() - started, window_seen: false, polls };
  }

  /**
   * The process is dead, so nothing of it can commit any more, except a commit request already on the
   * wire: give that a moment, then compare.
   */
  async #unchangedAfterDeath(groupId: string, before: PartitionOffsets): Promise<boolean> {
    await sleep(300);
    for (let attempt = 0; attempt < 20; attempt += 1) {
      try {
        return sameOffsets(await this.#wire.committedOffsets(groupId), before);
      } catch {
        await sleep(250);
      }
    }
    return false;
  }

  close(): void {
    this.#wire.close();
  }
}
