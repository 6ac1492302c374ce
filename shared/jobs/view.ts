/** One job as `GET /api/jobs/{jobId}` shows it: attributes, description, requirements, history. */
import type { Identity } from '#shared/auth/identity.ts';
import { ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { mayAccess } from '#shared/jobs/access.ts';
import { type JobRecord, toWire } from '#shared/jobs/model.ts';

export function jobView(job: JobRecord | undefined, jobId: number, identity: Identity) {
  // Another VO's or user's job is reported as missing, so ids do not reveal other users' work.
  if (!job || job.vo !== identity.vo)
    throw new NotFoundError(`Job ${jobId} does not exist.`, 'job.not_found');
  if (!mayAccess(identity, job, 'read')) throw new ForbiddenError(`Job ${jobId} is not yours.`);
  return {
    ...toWire(job),
    Parameters: job.parameters,
    Description: job.description,
    ...(job.requirements ? { Requirements: job.requirements } : {}),
    ...(job.chain ? { OptimizerChain: job.chain } : {}),
    ...(job.siteCandidates ? { SiteCandidates: job.siteCandidates } : {}),
    ...(job.taskQueueId ? { TaskQueueID: job.taskQueueId } : {}),
    PendingCommands: job.commands,
    LoggingInfo: job.history.map((h) => ({
      Status: h.status,
      MinorStatus: h.minorStatus,
      ApplicationStatus: h.applicationStatus,
      StatusTime: h.time,
      Source: h.source,
    })),
  };
}
