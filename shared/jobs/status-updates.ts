/**
 * Applying a batch of status updates to a job: muon's version of DiracX `set_job_statuses` and
 * DIRAC `JobStatusUtility.setJobStatusBulk`. Pure: the caller reads the job, calls
 * `applyStatusUpdates`, and writes `next` and `history` in one conditional write.
 *
 * The one deliberate difference from DIRAC: an illegal transition refuses the whole batch
 * (the caller answers 409 with `describeRefusal`), where DIRAC silently keeps the current status
 * and appends "(SM)" to the logged source.
 */
import { z } from 'zod';
import { canTransition, isFinalStatus, type JobStatus, jobStatuses, jobStatusSchema } from './status.ts';

/** DIRAC's JobLoggingDB marker for a field an update did not carry ("unchanged"). */
export const IDEM = 'idem';

const timestampSchema = z.iso
  .datetime({
    offset: true,
    error:
      'time must be an ISO 8601 timestamp with an explicit UTC offset, e.g. 2024-05-01T12:00:00Z or ' +
      '2024-05-01T12:00:00+00:00; a naive timestamp is ambiguous and refused',
  })
  // One spelling for every stored time, so that stored times also sort as strings.
  .transform((time) => new Date(time).toISOString());

/**
 * One status update as a job, an executor or an agent reports it. Column sizes are DIRAC's:
 * MinorStatus varchar(128), ApplicationStatus varchar(255), StatusSource varchar(32).
 */
export const statusUpdateSchema = z
  .strictObject({
    time: timestampSchema,
    status: jobStatusSchema.optional(),
    minorStatus: z.string().min(1).max(128).optional(),
    applicationStatus: z.string().min(1).max(255).optional(),
    source: z.string().min(1).max(32).default('Unknown'),
  })
  .refine(
    (update) =>
      update.status !== undefined ||
      update.minorStatus !== undefined ||
      update.applicationStatus !== undefined,
    { error: 'a status update must carry at least one of status, minorStatus and applicationStatus' },
  );
export type StatusUpdate = z.infer<typeof statusUpdateSchema>;

/** The status-related attributes of a job; all times are ISO 8601 UTC strings. */
export interface JobStatusFields {
  status: JobStatus;
  minorStatus: string;
  applicationStatus: string;
  /** Time of the newest applied update that carried a major status; older updates are stale. */
  lastStatusTime?: string;
  startExecTime?: string;
  endExecTime?: string;
  heartBeatTime?: string;
}

/** One row of the job's logging history (DIRAC's LoggingInfo): what was asked, and what resulted. */
export interface StatusHistoryEntry {
  time: string;
  status: JobStatus | typeof IDEM;
  minorStatus: string;
  applicationStatus: string;
  source: string;
  /** The job's major status once this update was processed. */
  resultingStatus: JobStatus;
  /** False for a stale update: recorded for the history only. */
  applied: boolean;
}

/**
 * A history row for a status change muon decides itself (an executor, the matcher, an agent, the
 * job manager) rather than one reported with its own time: applied, and resulting in what it says.
 */
export const historyEntry = (entry: {
  time: string;
  status: JobStatus;
  minorStatus: string;
  applicationStatus: string;
  source: string;
}): StatusHistoryEntry => ({ ...entry, resultingStatus: entry.status, applied: true });

export interface TransitionRefusal {
  /** The job's status before the batch. */
  current: JobStatus;
  /** The status the refused update would have left; differs from `current` when earlier updates of the batch moved it. */
  from: JobStatus;
  to: JobStatus;
  /** Time of the refused update. */
  time: string;
}

export type ApplyStatusResult =
  | { ok: true; next: JobStatusFields; history: StatusHistoryEntry[]; changed: boolean }
  | { ok: false; error: TransitionRefusal };

/**
 * Whether an update may move a job from `from` to `to` without forcing: the table, plus DIRAC's
 * rule that a Stalled job is validated as if it were Running. A job that still reports is alive
 * (DIRAC's heartbeat flips Stalled back to Running too), so "Stalled → Done" is as legal as
 * "Running → Done". muon applies the rule at every step, not only to the status stored before
 * the batch, so that a batch means the same as its updates sent one at a time.
 */
export function canUpdateStatus(from: JobStatus, to: JobStatus): boolean {
  return canTransition(from, to) || (from === 'Stalled' && canTransition('Running', to));
}

/** The statuses an update may move a job in `from` to, in level order (`from` itself excluded). */
export function allowedUpdateTargets(from: JobStatus): JobStatus[] {
  return jobStatuses.filter((to) => to !== from && canUpdateStatus(from, to));
}

/** The message a caller shows for a refused batch (the 409 body). */
export function describeRefusal(refusal: TransitionRefusal): string {
  const targets = allowedUpdateTargets(refusal.from);
  const allowed = `allowed from ${refusal.from}: ${targets.length === 0 ? 'none' : targets.join(', ')}`;
  if (refusal.from === refusal.current) {
    return `Job is ${refusal.from}; it cannot become ${refusal.to} (${allowed})`;
  }
  return (
    `Job is ${refusal.current}; after the earlier updates in this request it would be ${refusal.from}, ` +
    `which cannot become ${refusal.to} (${allowed})`
  );
}

/**
 * Applies `updates` to `current`. The rules, with DIRAC's reasons:
 *
 * 1. Updates are processed in order of their own time (ties keep their given order), not in
 *    order of arrival: a JobWrapper batches its reports and they may cross the network late.
 * 2. Stale updates. `lastStatusTime` is the time of the newest update that carried a major
 *    status. An update older than it is stale: it is recorded in the history (so the history
 *    stays complete) but changes neither the major, minor nor application status, and is not
 *    validated (a late "Running" after "Done" is history, not an illegal request). An update at
 *    or after `lastStatusTime` is applied. This is DIRAC's `setJobStatusBulk`: only the updates
 *    with `time >= lastTime` are walked. Minor-only updates do not advance `lastStatusTime`.
 * 3. Each applied status is validated from the status the job has at that point of the walk
 *    (`canUpdateStatus`, so Stalled counts as Running) unless `force`. An update repeating the
 *    current status is not a transition and always passes. One refused update refuses the
 *    whole batch: nothing is applied and the result names the refused step.
 * 4. Minor and application status take the last value given by an applied update.
 * 5. `startExecTime` is the time of the first update to Running, `endExecTime` of the first
 *    update to a final status (Done, Completed, Failed, Killed); each is set only if unset. Like
 *    DIRAC's `getStartAndEndTime`, stale updates count: a late "Running" still says when the
 *    job started.
 * 6. `heartBeatTime` is the time of the newest update whose source starts with "Job" (the
 *    JobWrapper, JobAgent): a report from the job proves it was alive then. It never moves
 *    backwards (DIRAC overwrites it even with an older time).
 *
 * `changed` is true when any field of `next` differs from `current`, i.e. the job needs a write.
 * The history needs writing whenever it is not empty, even when nothing changed.
 */
export function applyStatusUpdates(
  current: Readonly<JobStatusFields>,
  updates: readonly StatusUpdate[],
  options: { force?: boolean } = {},
): ApplyStatusResult {
  const force = options.force ?? false;
  const staleBefore = epochOrMinus(current.lastStatusTime);
  const ordered = updates.map((update) => ({ update, at: epoch(update.time) })).sort((a, b) => a.at - b.at);

  const next = statusFieldsOf(current);
  let lastStatusAt = staleBefore;
  let heartBeatAt = epochOrMinus(current.heartBeatTime);
  const history: StatusHistoryEntry[] = [];

  for (const { update, at } of ordered) {
    const time = new Date(at).toISOString();
    const applied = at >= staleBefore;
    if (applied) {
      if (update.status !== undefined) {
        if (!force && !canUpdateStatus(next.status, update.status)) {
          return {
            ok: false,
            error: { current: current.status, from: next.status, to: update.status, time },
          };
        }
        next.status = update.status;
        if (at > lastStatusAt) {
          lastStatusAt = at;
          next.lastStatusTime = time;
        }
      }
      next.minorStatus = update.minorStatus ?? next.minorStatus;
      next.applicationStatus = update.applicationStatus ?? next.applicationStatus;
    }
    if (update.status === 'Running' && next.startExecTime === undefined) next.startExecTime = time;
    if (update.status !== undefined && isFinalStatus(update.status) && next.endExecTime === undefined) {
      next.endExecTime = time;
    }
    if (update.source.startsWith('Job') && at > heartBeatAt) {
      heartBeatAt = at;
      next.heartBeatTime = time;
    }
    history.push({
      time,
      status: update.status ?? IDEM,
      minorStatus: update.minorStatus ?? IDEM,
      applicationStatus: update.applicationStatus ?? IDEM,
      source: update.source,
      resultingStatus: next.status,
      applied,
    });
  }

  return { ok: true, next, history, changed: differs(current, next) };
}

const TIME_FIELDS = ['lastStatusTime', 'startExecTime', 'endExecTime', 'heartBeatTime'] as const;

/** Only the status fields (the caller may pass its whole job record), without undefined times. */
function statusFieldsOf(job: Readonly<JobStatusFields>): JobStatusFields {
  const fields: JobStatusFields = {
    status: job.status,
    minorStatus: job.minorStatus,
    applicationStatus: job.applicationStatus,
  };
  for (const field of TIME_FIELDS) if (job[field] !== undefined) fields[field] = job[field];
  return fields;
}

function differs(a: Readonly<JobStatusFields>, b: Readonly<JobStatusFields>): boolean {
  return (
    a.status !== b.status ||
    a.minorStatus !== b.minorStatus ||
    a.applicationStatus !== b.applicationStatus ||
    TIME_FIELDS.some((field) => a[field] !== b[field])
  );
}

function epoch(time: string): number {
  const at = Date.parse(time);
  // Times reach here through statusUpdateSchema or the job store, so this is a programming error.
  if (Number.isNaN(at)) throw new TypeError(`Not an ISO 8601 timestamp: ${time}`);
  return at;
}

function epochOrMinus(time: string | undefined): number {
  return time === undefined ? Number.NEGATIVE_INFINITY : epoch(time);
}
