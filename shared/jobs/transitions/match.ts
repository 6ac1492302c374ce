/**
 * Match (DIRAC's `Matcher.selectJob` with `JobDB.setJobStatus(Matched)`): the claim, one
 * conditional write that makes a Waiting job Matched / "Assigned" to a pilot. It holds only if
 * the job is still Waiting in the task queue the entry belongs to, so of two pilots that read the
 * same entry exactly one gets the job; the other learns it lost and looks elsewhere. A kill that
 * came first leaves the job Killed, and the claim is refused. With the pilot's request id, the
 * claim also records `matchRequest` (in the jobs table's sparse byMatchRequest index), so that a
 * repeat of a request that timed out finds the job it claimed (shared/matcher/repeats.ts).
 */
import type { JobRecord } from '#shared/jobs/model.ts';
import { type JobStatus, minorStatus } from '#shared/jobs/status.ts';
import { historyEntry } from '#shared/jobs/status-updates.ts';
import { inTaskQueue } from '#shared/jobs/transitions/guards.ts';
import { sourcesOf, type TransitionStore, writeTransition } from '#shared/jobs/transitions/write.ts';

export const matchFrom: readonly JobStatus[] = sourcesOf('Matched');

export interface ClaimRequest {
  readonly vo: string;
  readonly jobId: number;
  readonly tqId: string;
  readonly site: string;
  readonly pilotReference: string;
  readonly time: string;
  /** The pilot's request id (`matchRequestKey`), kept on the job so that a repeat finds it. */
  readonly matchRequest?: string;
}

export type ClaimResult = { readonly ok: true; readonly job: JobRecord } | { readonly ok: false };

export async function claimJob(store: TransitionStore, request: ClaimRequest): Promise<ClaimResult> {
  const { time } = request;
  const result = await writeTransition(store, {
    jobId: request.jobId,
    vo: request.vo,
    from: matchFrom,
    to: 'Matched',
    time,
    minorStatus: minorStatus.assigned,
    applicationStatus: 'Unknown',
    set: {
      site: request.site,
      pilotReference: request.pilotReference,
      'parameters.Pilot_Reference': request.pilotReference,
      ...(request.matchRequest !== undefined ? { matchRequest: request.matchRequest } : {}),
    },
    history: [
      historyEntry({
        time,
        status: 'Matched',
        minorStatus: minorStatus.assigned,
        applicationStatus: 'Unknown',
        source: 'Matcher',
      }),
    ],
    guard: inTaskQueue(request.tqId),
  });
  return result.ok ? { ok: true, job: result.job } : { ok: false };
}
