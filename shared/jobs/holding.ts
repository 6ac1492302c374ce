/**
 * The payload token's liveness rule as an error (DIRAC has no payload token; its job wrapper acts
 * with the pilot's proxy, which the pilot's own status covers): a payload token works while its
 * job is held by the pilot it names and has not ended. The HTTP stack applies it before a route
 * runs (shared/http/caller.ts), after reading the job's status; a route that reads the token's job
 * for its own work anyway declares `payloadHolding: 'route'` and applies it here on that read, so
 * the job is read once per call instead of twice (issue 15 item 7: four such calls per job).
 */
import type { Identity } from '#shared/auth/identity.ts';
import { ForbiddenError } from '#shared/errors.ts';
import { holdingProblem, payloadJobId } from '#shared/jobs/access.ts';
import type { JobRecord } from '#shared/jobs/model.ts';

type Holding = Pick<JobRecord, 'vo' | 'status' | 'pilotReference'>;

/** Why the payload token of job `jobId` no longer works on `job` as read; undefined while it does. */
export function holdingError(identity: Identity, jobId: number, job: Holding | undefined) {
  switch (holdingProblem(identity, job)) {
    case 'gone':
      return new ForbiddenError(`The payload token's job ${jobId} does not exist.`, 'auth.payload_job_gone');
    case 'moved':
      return new ForbiddenError(
        `Job ${jobId} is no longer held by the pilot its payload token names.`,
        'auth.payload_job_moved',
      );
    case 'final':
      return new ForbiddenError(
        `Job ${jobId} is ${job?.status}: its payload token no longer works.`,
        'auth.payload_job_final',
      );
    default:
      return undefined;
  }
}

/**
 * For a route that reads the job itself (`payloadHolding: 'route'`): the refusal when `identity`
 * is a payload token, `jobId` is its job and `job` (as read, undefined if absent) says the token no
 * longer works. Another job of a payload token is refused by the job access policy instead.
 */
export function payloadHoldingError(identity: Identity, jobId: number, job: Holding | undefined) {
  return payloadJobId(identity) === jobId ? holdingError(identity, jobId, job) : undefined;
}

/** `payloadHoldingError`, thrown. */
export function assertPayloadHolding(identity: Identity, jobId: number, job: Holding | undefined): void {
  const error = payloadHoldingError(identity, jobId, job);
  if (error) throw error;
}
