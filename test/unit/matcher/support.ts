import type { TaskQueueDefinition } from '#shared/taskqueues/definition.ts';

/** A task-queue definition with no constraint but a User job type, changed by `over`. */
export const taskQueue = (over: Partial<TaskQueueDefinition> = {}): TaskQueueDefinition => ({
  vo: 'vo',
  owner: 'alice',
  ownerGroup: 'user',
  cpuTime: 3600,
  sites: [],
  gridCEs: [],
  bannedSites: [],
  platforms: [],
  jobTypes: ['User'],
  tags: [],
  ...over,
});
