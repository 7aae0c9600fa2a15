/**
 * A kafkajs partition assigner that assigns whole tasks, not topic-partitions.
 *
 * Task `<s>_<p>` reads partition p of every source topic of sub-topology s (co-partitioning), and
 * under exactly-once it owns the transactional id `<applicationId>-<s>_<p>`: if two members were
 * given partition p of two different source topics of s, both would create the task and fence each
 * other forever. kafkajs' round-robin assigner knows nothing of tasks, so this one groups the
 * topic-partitions of a task and hands them to one member.
 *
 * It is sticky, like Kafka Streams' assignor: each member reports the tasks it currently runs in
 * its subscription user data, and keeps them as long as that stays balanced, so a rebalance moves
 * (and restores) only the tasks it must.
 */
import type { PartitionAssigner } from 'kafkajs';
import { AssignerProtocol } from '../../connectors/kafka/kafkajs.js';
import { taskIdOf } from './internal-topics.js';

export interface TaskSources {
  readonly subTopologyId: number;
  readonly topics: readonly string[];
}

export interface MemberTasks {
  readonly memberId: string;
  readonly ownedTasks: readonly string[];
}

/**
 * Balanced, sticky assignment of task ids to members: every member gets ⌊n/m⌋ or ⌈n/m⌉ tasks;
 * a task stays with its previous owner whenever that keeps the balance. Deterministic for equal input.
 */
export function assignTasks(members: readonly MemberTasks[], taskIds: readonly string[]): Map<string, string[]> {
  const sortedMembers = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
  const result = new Map<string, string[]>(sortedMembers.map((m) => [m.memberId, []]));
  if (sortedMembers.length === 0) return result;
  const floor = Math.floor(taskIds.length / sortedMembers.length);
  let ceilingSlots = taskIds.length % sortedMembers.length; // members allowed one more than floor
  const unassigned = new Set(taskIds);
  const previousOwner = new Map<string, string>();
  for (const member of sortedMembers) for (const task of member.ownedTasks) if (!previousOwner.has(task)) previousOwner.set(task, member.memberId);

  // 1. Sticky: keep previous tasks up to the floor.
  for (const member of sortedMembers) {
    const mine = result.get(member.memberId) as string[];
    for (const task of [...member.ownedTasks].sort()) {
      if (mine.length >= floor) break;
      if (unassigned.has(task) && previousOwner.get(task) === member.memberId) {
        mine.push(task);
        unassigned.delete(task);
      }
    }
  }
  // 2. Sticky extras: one more previous task while ceiling slots last.
  for (const member of sortedMembers) {
    if (ceilingSlots === 0) break;
    const mine = result.get(member.memberId) as string[];
    if (mine.length !== floor) continue;
    const extra = [...member.ownedTasks].sort().find((task) => unassigned.has(task) && previousOwner.get(task) === member.memberId);
    if (extra !== undefined) {
      mine.push(extra);
      unassigned.delete(extra);
      ceilingSlots -= 1;
    }
  }
  // 3. The rest to the least loaded members, respecting floor/ceiling.
  for (const task of [...unassigned].sort(compareTaskIds)) {
    let target: string[] | undefined;
    for (const member of sortedMembers) {
      const mine = result.get(member.memberId) as string[];
      const capacity = mine.length < floor || (mine.length === floor && ceilingSlots > 0);
      if (capacity && (target === undefined || mine.length < target.length)) target = mine;
    }
    if (target === undefined) break; // cannot happen: capacities add up to the task count
    if (target.length === floor) ceilingSlots -= 1;
    target.push(task);
  }
  for (const tasks of result.values()) tasks.sort(compareTaskIds);
  return result;
}

function compareTaskIds(a: string, b: string): number {
  const [as, ap] = a.split('_').map(Number) as [number, number];
  const [bs, bp] = b.split('_').map(Number) as [number, number];
  return as - bs || ap - bp;
}

export const TASK_ASSIGNOR_NAME = 'QuintetTaskAssignor';

export interface TaskAssignorOptions {
  readonly sources: readonly TaskSources[];
  /** Tasks this member runs right now (reported to the leader for stickiness). */
  readonly ownedTasks: () => readonly string[];
}

interface UserData {
  readonly tasks: string[];
}

/** The kafkajs `PartitionAssigner` for a topology's consumer group. */
export function taskAssignor(options: TaskAssignorOptions): PartitionAssigner {
  return ({ cluster }) => ({
    name: TASK_ASSIGNOR_NAME,
    version: 1,
    protocol({ topics }) {
      const userData: UserData = { tasks: [...options.ownedTasks()] };
      return {
        name: TASK_ASSIGNOR_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(JSON.stringify(userData)) }),
      };
    },
    async assign({ members }) {
      // task id -> its topic-partitions
      const taskPartitions = new Map<string, { topic: string; partition: number }[]>();
      for (const source of options.sources) {
        for (const topic of source.topics) {
          for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
            const id = taskIdOf(source.subTopologyId, partitionId);
            const list = taskPartitions.get(id) ?? [];
            list.push({ topic, partition: partitionId });
            taskPartitions.set(id, list);
          }
        }
      }
      const memberTasks: MemberTasks[] = members.map((member) => {
        let owned: string[];
        try {
          const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
          const parsed = JSON.parse(metadata?.userData.toString() || '{"tasks":[]}') as Partial<UserData>;
          owned = Array.isArray(parsed.tasks) ? parsed.tasks.filter((t): t is string => typeof t === 'string') : [];
        } catch {
          owned = []; // a member that sent no (or foreign) user data simply has no stickiness
        }
        return { memberId: member.memberId, ownedTasks: owned };
      });
      const assignment = assignTasks(memberTasks, [...taskPartitions.keys()]);
      return members.map((member) => {
        const topicPartitions: Record<string, number[]> = {};
        for (const task of assignment.get(member.memberId) ?? []) {
          for (const { topic, partition } of taskPartitions.get(task) ?? []) (topicPartitions[topic] ??= []).push(partition);
        }
        return {
          memberId: member.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: topicPartitions, userData: Buffer.alloc(0) }),
        };
      });
    },
  });
}
