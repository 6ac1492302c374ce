/**
 * "Why is my job not running?" For a Waiting job: which recently seen pilots would match it, and
 * for the others the first requirement that excludes it. Running limits and matching delays are
 * those this matcher instance knows.
 */
import type { Identity } from '#shared/auth/identity.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { mayAccess } from '#shared/jobs/access.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { Limiter } from '#shared/matcher/limits.ts';
import type { PilotsSeen } from '#shared/matcher/pilots-seen.ts';
import { matchTaskQueue } from '#shared/matcher/predicate.ts';
import { taskQueueDefinition } from '#shared/taskqueues/definition.ts';

export interface ExplainDeps {
  readonly config: MuonConfig;
  readonly getJob: (jobId: number) => Promise<JobRecord | undefined>;
  readonly pilots: PilotsSeen;
  readonly limiter: Limiter;
}

export async function explainMatching(deps: ExplainDeps, identity: Identity, jobId: number) {
  const job = await deps.getJob(jobId);
  if (!job || job.vo !== identity.vo)
    throw new NotFoundError(`Job ${jobId} does not exist.`, 'job.not_found');
  if (!mayAccess(identity, job, 'read')) throw new ForbiddenError(`Job ${jobId} is not yours.`);
  if (job.status !== 'Waiting' || !job.requirements) {
    return {
      JobID: jobId,
      Status: job.status,
      Waiting: false,
      Message: `Job ${jobId} is ${job.status}, not Waiting: only waiting jobs are matched with pilots.`,
    };
  }
  const tq = taskQueueDefinition(job.requirements);
  const matching: { Site: string; GridCE: string; LastSeen: string }[] = [];
  const notMatching: { Site: string; GridCE: string; LastSeen: string; Reason: string }[] = [];
  for (const pilot of await deps.pilots.recent(job.vo)) {
    const exclusions = await deps.limiter.exclusions(job.vo, pilot.site);
    const verdict = matchTaskQueue(tq, pilot.description, exclusions);
    const seen = { Site: pilot.site, GridCE: pilot.gridCE, LastSeen: pilot.seenAt };
    if (verdict.match) matching.push(seen);
    else notMatching.push({ ...seen, Reason: verdict.reason });
  }
  const hours = Math.round((deps.config.matcher.pilotsSeenSeconds / 3600) * 10) / 10;
  return {
    JobID: jobId,
    Status: job.status,
    Waiting: true,
    TaskQueueID: job.taskQueueId,
    Requirements: tq,
    Matching: matching,
    NotMatching: notMatching,
    Message:
      matching.length > 0
        ? `${matching.length} pilot site(s) seen in the last ${hours} h would match this job; it waits its turn by priority.`
        : notMatching.length > 0
          ? `None of the ${notMatching.length} pilot site(s) seen in the last ${hours} h matches this job; each one's reason is listed (NotMatching).`
          : `No pilot has asked for work in the last ${hours} h.`,
  };
}
