/**
 * The pilot record's jobs (DIRAC's `PilotAgentsDB.setJobForPilot`, the JobToPilotMapping), written
 * when the pilot first reports on a job, not when it is matched: the job manager hands over the
 * jobs of one status batch or one heartbeat batch whose write took them out of Matched, and they
 * go into the pilot's record in one write, with their owners and the time the pilot was seen.
 * Matching therefore costs the claim alone (issue 14); a pilot reports its started jobs once per
 * heartbeat period (`pilot.heartbeatSeconds`), or with a short job's final report, so a record
 * lists a job from its start on. A job the pilot never started (it died first) is not listed; the
 * job names its pilot (`Pilot_Reference`) either way.
 *
 * Best effort, as the matcher's write was: the reported statuses are written already, and a record
 * that misses a job only hides the pilot from that job's owner.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Identity } from '#shared/auth/identity.ts';
import type { Logger } from '#shared/log.ts';
import { recordPilotJobs } from '#shared/pilots/records.ts';

export interface StartedJob {
  readonly jobId: number;
  readonly owner: string;
  /** The job's pilot, from the job as written. */
  readonly pilotReference?: string;
}

export type StartedJobsRecorder = (identity: Identity, jobs: readonly StartedJob[]) => Promise<void>;

export function createStartedJobsRecorder(deps: {
  readonly dynamo: DynamoDBDocumentClient;
  readonly table: () => string;
  readonly now: () => Date;
  readonly logger: Logger;
}): StartedJobsRecorder {
  return async (identity, jobs) => {
    // Only the pilot's own reports (its credential, or a payload token it holds) name it.
    const reference = identity.pilotReference;
    const own = jobs.filter((job) => reference !== undefined && job.pilotReference === reference);
    if (reference === undefined || own.length === 0) return;
    const pilot = { vo: identity.vo, reference };
    const fields = { pilotReference: reference, jobIds: own.map((job) => job.jobId) };
    await recordPilotJobs(deps.dynamo, deps.table(), pilot, own, deps.now().toISOString()).then(
      (added) => added || deps.logger.warn('no pilot record to add the started jobs to', fields),
      (error: unknown) =>
        deps.logger.warn('could not add the started jobs to the pilot record', { ...fields, error }),
    );
  };
}
