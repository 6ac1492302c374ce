/**
 * What makes a task queue: waiting jobs with identical requirements share one (DIRAC's
 * TaskQueueDB: owner, group, bucketed CPU time, and the sets of sites, grid CEs, banned sites,
 * platforms, job types and tags). A task queue's id is a hash of that definition, so finding a
 * job's task queue needs no lookup and no lock.
 */
import { createHash } from 'node:crypto';
import type { JobRequirements } from '#shared/jobs/model.ts';

/** DIRAC's default CPU-time segments (seconds); a job's CPU time is rounded up to one of them. */
export const cpuTimeSegments = [
  360, 1800, 3600, 21_600, 43_200, 86_400, 172_800, 259_200, 345_600, 518_400, 691_200, 864_000, 1_080_000,
] as const;

export function bucketCpuTime(cpuTime: number): number {
  return cpuTimeSegments.find((segment) => cpuTime <= segment) ?? 1_080_000;
}

/** A job's requirements without its own priority, CPU time bucketed and every list a sorted set. */
export type TaskQueueDefinition = Omit<JobRequirements, 'priority'>;

const sortedSet = (values: readonly string[]) => [...new Set(values)].sort();

export function taskQueueDefinition(requirements: JobRequirements): TaskQueueDefinition {
  return {
    vo: requirements.vo,
    owner: requirements.owner,
    ownerGroup: requirements.ownerGroup,
    cpuTime: bucketCpuTime(requirements.cpuTime),
    sites: sortedSet(requirements.sites),
    gridCEs: sortedSet(requirements.gridCEs),
    bannedSites: sortedSet(requirements.bannedSites),
    platforms: sortedSet(requirements.platforms),
    jobTypes: sortedSet(requirements.jobTypes),
    tags: sortedSet(requirements.tags),
  };
}

export function taskQueueId(definition: TaskQueueDefinition): string {
  const canonical = JSON.stringify([
    definition.vo,
    definition.owner,
    definition.ownerGroup,
    definition.cpuTime,
    definition.sites,
    definition.gridCEs,
    definition.bannedSites,
    definition.platforms,
    definition.jobTypes,
    definition.tags,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 24);
}
