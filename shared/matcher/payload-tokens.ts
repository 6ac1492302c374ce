/**
 * Payload tokens as the matcher hands them out: one with every matched job, and a fresh one when
 * the pilot holding a job asks before the old one runs out (`POST /api/jobs/{jobId}/token`). A
 * token is only ever issued to the pilot the job is matched to, and never for a final job.
 */
import type { Identity } from '#shared/auth/identity.ts';
import type { IssuedPayloadToken, PayloadTokens } from '#shared/auth/payload-token.ts';
import { ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { holdingProblem } from '#shared/jobs/access.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { MatchAnswer } from '#shared/matcher/answer.ts';

export interface PayloadTokenDeps {
  readonly tokens: PayloadTokens;
  readonly getJob: (jobId: number) => Promise<JobRecord | undefined>;
}

export function createMatcherPayloadTokens(deps: PayloadTokenDeps) {
  const issueFor = (job: Pick<JobRecord, 'vo' | 'jobId' | 'owner' | 'ownerGroup'>, pilotReference: string) =>
    deps.tokens.issue({
      vo: job.vo,
      jobId: job.jobId,
      owner: job.owner,
      ownerGroup: job.ownerGroup,
      pilotReference,
    });

  return {
    /**
     * Matches (`match`) and adds the job's payload token. The key is read before `match` runs: a
     * key that cannot be read (Secrets Manager down) must fail the request before a job is claimed.
     */
    async withToken(pilot: Identity, match: () => Promise<MatchAnswer>): Promise<MatchAnswer> {
      await deps.tokens.ready();
      const answer = await match();
      if (!answer.match) return answer;
      const job = answer.job as { JobID: number; VO: string; Owner: string; OwnerGroup: string };
      const issued = await issueFor(
        { vo: job.VO, jobId: job.JobID, owner: job.Owner, ownerGroup: job.OwnerGroup },
        pilot.pilotReference as string,
      );
      return { match: true, job: { ...answer.job, ...issued } };
    },

    /** A fresh token for a job the calling (bound) pilot holds and that is not final. */
    async renew(pilot: Identity, jobId: number): Promise<IssuedPayloadToken> {
      const job = await deps.getJob(jobId);
      const problem = holdingProblem(pilot, job);
      if (job && !problem) return issueFor(job, pilot.pilotReference as string);
      switch (problem) {
        case 'moved':
          throw new ForbiddenError(
            `Job ${jobId} is not held by pilot ${pilot.pilotReference}: only the pilot running a job gets its payload token.`,
            'auth.not_job_holder',
          );
        case 'final':
          throw new ForbiddenError(
            `Job ${jobId} is ${job?.status}: a final job gets no payload token.`,
            'auth.payload_job_final',
          );
        default:
          throw new NotFoundError(`Job ${jobId} does not exist.`, 'job.not_found');
      }
    },
  };
}
