/**
 * JobScheduling, the end of the chain (DIRAC's order of checks): wait out reschedule delays,
 * intersect the requested sites with the banned ones and with the sites holding the input data,
 * derive the tags, and put the job in its task queue. The job is then Waiting.
 */
import { compatiblePlatforms, isAny } from '#shared/config/platforms.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { Executor, ExecutorOutcome } from '#shared/executors/executor.ts';
import { requiredTags } from '#shared/executors/tags.ts';
import type { JobRecord, JobRequirements } from '#shared/jobs/model.ts';
import type { TaskQueueDefinition } from '#shared/taskqueues/definition.ts';

export interface TaskQueuePort {
  /** Puts the job in the task queue of `requirements` and returns that task queue's id. */
  insert(job: JobRecord, requirements: JobRequirements): Promise<string>;
}

export type { TaskQueueDefinition };

export function createJobScheduling(
  config: MuonConfig,
  taskQueues: TaskQueuePort,
  now: () => Date,
): Executor {
  const bannedByAdmins = new Set(
    Object.entries(config.sites)
      .filter(([, s]) => s.banned)
      .map(([name]) => name),
  );
  const { rescheduleDelays, holdTimeSeconds } = config.jobs;

  return {
    name: 'JobScheduling',
    optimize: async (job): Promise<ExecutorOutcome> => {
      // 1. Reschedule delay: DIRAC's growing delays after each reschedule.
      if (job.rescheduleCounter > 0 && job.rescheduleTime) {
        const delay = rescheduleDelays[Math.min(job.rescheduleCounter, rescheduleDelays.length) - 1] ?? 0;
        const waited = (now().getTime() - Date.parse(job.rescheduleTime)) / 1000;
        if (waited < delay) {
          return {
            kind: 'hold',
            seconds: delay - waited,
            applicationStatus: `On Hold: after rescheduling ${job.rescheduleCounter}`,
          };
        }
      }

      // 2. The user's site requirements.
      const d = job.description;
      const userSites = d.sites.filter((s) => !isAny(s));
      const userBanned = d.bannedSites.filter((s) => !isAny(s));
      let sites = userSites.filter((s) => !userBanned.includes(s));
      if (userSites.length > 0 && sites.length === 0)
        return { kind: 'fail', reason: 'Impossible site requirement' };

      // 3. Sites the administrators banned: hold jobs that can only run there.
      if (sites.length > 0) {
        const usable = sites.filter((s) => !bannedByAdmins.has(s));
        if (usable.length === 0) {
          return {
            kind: 'hold',
            seconds: holdTimeSeconds,
            applicationStatus: `Requested site(s) ${sites.join(', ')} are inactive`,
          };
        }
        sites = usable;
      }

      // 4. Input data: only sites holding every file.
      if (d.inputData.length > 0) {
        const candidates = Object.entries(job.siteCandidates ?? {})
          .filter(([site]) => sites.length === 0 || sites.includes(site))
          .filter(([site]) => !userBanned.includes(site) && !bannedByAdmins.has(site));
        if (candidates.length === 0)
          return { kind: 'fail', reason: 'Impossible InputData * Site requirements' };
        const complete = candidates.filter(([, c]) => c.disk + c.tape >= d.inputData.length);
        if (complete.length === 0)
          return { kind: 'fail', reason: 'Site candidates do not have all the input data' };
        // Prefer sites with every file on disk; muon has no stager, so tape-only sites are a fallback.
        const onDisk = complete.filter(([, c]) => c.disk >= d.inputData.length);
        sites = (onDisk.length > 0 ? onDisk : complete).map(([site]) => site);
      }

      // 5. Requirements and task queue.
      const requirements: JobRequirements = {
        vo: job.vo,
        owner: job.owner,
        ownerGroup: job.ownerGroup,
        cpuTime: d.cpuTime,
        sites,
        bannedSites: userBanned,
        platforms: compatiblePlatforms(config, d.platform),
        jobTypes: [job.jobType],
        tags: requiredTags(d),
        gridCEs: d.gridCE ? [d.gridCE] : [],
        priority: job.userPriority,
      };
      const taskQueueId = await taskQueues.insert(job, requirements);
      const site = sites.length === 0 ? 'ANY' : sites.length === 1 ? (sites[0] as string) : 'Multiple';
      return { kind: 'waiting', changes: { requirements, taskQueueId, site } };
    },
  };
}
