/**
 * Priorities as DIRAC computes them (TaskQueueDB `calculate_priority`, `recalculateTQSharesForAll`).
 *
 * - A job's user priority becomes its RealPriority: 10 is "always first" (1e6), 0 is background
 *   (1e-5), 1..9 stay as they are and weigh a weighted-random choice.
 * - A task queue's priority is its entity's share, split among the entity's task queues in
 *   proportion to their average RealPriority. The entity is the group when the group shares
 *   (JobSharing), else each owner of the group, who gets share / number of owners.
 * - Task queues that differ only in sites or banned sites each get their group's sum, so splitting
 *   a workload by site does not lower its priority.
 */
import type { TaskQueueDefinition } from '#shared/taskqueues/definition.ts';

/** DIRAC's TQ_MIN_SHARE: the priority of a background task queue and the floor of all others. */
export const minimumShare = 0.001;

export function realPriority(userPriority: number): number {
  const p = Math.min(Math.max(Math.trunc(userPriority), 0.001), 10);
  if (p === 0.001) return 1e-5;
  if (p === 10) return 1e6;
  return p;
}

/** Average RealPriority of a task queue's jobs, from its jobs per user priority. */
export function averageRealPriority(levels: Readonly<Record<string, number>>): number {
  let jobs = 0;
  let sum = 0;
  for (const [priority, count] of Object.entries(levels)) {
    jobs += count;
    sum += count * realPriority(Number(priority));
  }
  return jobs === 0 ? 0 : sum / jobs;
}

/**
 * DIRAC's `calculate_priority` for one entity: `averages` maps its task queues to their average
 * RealPriority; `definitions` holds every task queue's definition (for the site grouping).
 */
export function calculatePriority(
  averages: ReadonlyMap<string, number>,
  definitions: ReadonlyMap<string, TaskQueueDefinition>,
  share: number,
  allowBackground: boolean,
): Map<string, number> {
  const priorities = new Map<string, number>();
  const background = new Set<string>();
  let total = 0;
  for (const [tqId, average] of averages) {
    if (average <= 0.1 && allowBackground) {
      background.add(tqId);
      priorities.set(tqId, minimumShare);
    } else {
      priorities.set(tqId, average);
      total += average;
    }
  }
  for (const [tqId, average] of priorities) {
    if (background.has(tqId)) continue;
    priorities.set(tqId, Math.max(total > 0 ? (share * average) / total : 0, minimumShare));
  }
  const groups = new Map<string, string[]>();
  for (const tqId of priorities.keys()) {
    const definition = definitions.get(tqId);
    const key = definition ? siteBlindKey(definition) : tqId;
    groups.set(key, [...(groups.get(key) ?? []), tqId]);
  }
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const sum = members.reduce((acc, tqId) => acc + (priorities.get(tqId) ?? 0), 0);
    for (const tqId of members) priorities.set(tqId, sum);
  }
  return priorities;
}

const siteBlindKey = (d: TaskQueueDefinition) =>
  JSON.stringify([d.vo, d.owner, d.ownerGroup, d.cpuTime, d.gridCEs, d.platforms, d.jobTypes, d.tags]);

export interface GroupShare {
  readonly share: number;
  readonly jobSharing: boolean;
  readonly allowBackground: boolean;
}

/**
 * Priorities of one VO's task queues (`recalculateTQSharesForAll`). Task queues without jobs get the
 * minimum, and an owner counts towards their group's split only with jobs waiting.
 */
export function taskQueuePriorities(
  queues: readonly { tqId: string; definition: TaskQueueDefinition; average: number }[],
  groupShare: (group: string) => GroupShare,
): Map<string, number> {
  const definitions = new Map(queues.map((q) => [q.tqId, q.definition]));
  const entities = new Map<string, { group: string; averages: Map<string, number> }>();
  const ownersPerGroup = new Map<string, Set<string>>();
  for (const queue of queues) {
    const { ownerGroup, owner } = queue.definition;
    const sharing = groupShare(ownerGroup).jobSharing;
    const entity = sharing ? ownerGroup : `${ownerGroup}\u0000${owner}`;
    if (!entities.has(entity)) entities.set(entity, { group: ownerGroup, averages: new Map() });
    if (queue.average <= 0) continue;
    entities.get(entity)?.averages.set(queue.tqId, queue.average);
    if (!ownersPerGroup.has(ownerGroup)) ownersPerGroup.set(ownerGroup, new Set());
    ownersPerGroup.get(ownerGroup)?.add(owner);
  }
  const result = new Map<string, number>(queues.map((q) => [q.tqId, minimumShare]));
  for (const { group, averages } of entities.values()) {
    const settings = groupShare(group);
    const owners = settings.jobSharing ? 1 : (ownersPerGroup.get(group)?.size ?? 1);
    const priorities = calculatePriority(
      averages,
      definitions,
      settings.share / owners,
      settings.allowBackground,
    );
    for (const [tqId, priority] of priorities) result.set(tqId, priority);
  }
  return result;
}
