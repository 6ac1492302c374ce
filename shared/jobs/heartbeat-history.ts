/**
 * `GET /api/jobs/{jobId}/heartbeats`: a job's heartbeat figures over its life (DIRAC's
 * JobMonitoring `getJobHeartBeatData`, which the WebApp's job monitor plots as CPU, memory and
 * wall-time graphs), in time order. Who may read the job may read its beats.
 */
import type { Identity } from '#shared/auth/identity.ts';
import { ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { mayAccess } from '#shared/jobs/access.ts';
import type { JobRepository } from '#shared/jobs/repository.ts';
import { type HeartbeatEntry, readHeartbeats } from '#shared/jobs/store/heartbeat-log.ts';

export async function heartbeatHistory(
  jobs: JobRepository,
  identity: Identity,
  jobId: number,
): Promise<HeartbeatEntry[]> {
  const job = await jobs.get(jobId);
  // As `GET /api/jobs/{jobId}`: another VO's job is missing, another user's is forbidden.
  if (!job || job.vo !== identity.vo)
    throw new NotFoundError(`Job ${jobId} does not exist.`, 'job.not_found');
  if (!mayAccess(identity, job, 'read')) throw new ForbiddenError(`Job ${jobId} is not yours.`);
  return readHeartbeats(jobs.transitions, jobId);
}
