/**
 * Who may do what with jobs (DIRAC's JobPolicy, DiracX's WMSAccessPolicy). Submitting needs
 * NormalUser. A normal user acts on the jobs they submitted with the group they hold now; with
 * JobSharing, on every job of that group; a JobAdministrator on every job of their VO. A pilot
 * (GenericPilot) reports on and reschedules only the jobs the matcher handed to it, which it proves
 * with its pilot credential (shared/pilots/binding.ts); a payload token reads, reports on and
 * reschedules its one job while that pilot holds it. No identity crosses VOs.
 *
 * Actions: `read` (see the job), `manage` (kill, delete), `reschedule`, `report` (what the running
 * job hands back: outputs, sandboxes, data), `status` (status updates and heartbeats, which only
 * the pilot and executors set: an owner that could set them could fake a job's outcome).
 */
import { hasProperty, type Identity, properties } from '#shared/auth/identity.ts';
import { ForbiddenError } from '#shared/errors.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { isEnded } from '#shared/jobs/status.ts';

export type JobAction = 'read' | 'manage' | 'reschedule' | 'report' | 'status';

/** What access is decided on. `jobId` and `ownerGroup` are optional for callers holding less; absent, they grant nothing. */
export type AccessedJob = Pick<JobRecord, 'vo' | 'owner'> &
  Partial<Pick<JobRecord, 'jobId' | 'ownerGroup' | 'pilotReference'>>;

export function assertCanSubmit(identity: Identity): void {
  if (!hasProperty(identity, properties.normalUser)) {
    throw new ForbiddenError(
      `Submitting jobs needs the ${properties.normalUser} property; ${identity.group} lacks it.`,
    );
  }
}

export const isAdministrator = (identity: Identity) => hasProperty(identity, properties.jobAdministrator);
export const isPilot = (identity: Identity) => hasProperty(identity, properties.genericPilot);
export const sharesJobs = (identity: Identity) => hasProperty(identity, properties.jobSharing);

/** The one job a payload token is for; undefined for every other identity. */
export const payloadJobId = (identity: Identity): number | undefined => identity.jobId;

/** Whether `identity` is the bound pilot the job was handed to (an unbound pilot runs nothing). */
export const isPilotOf = (identity: Identity, job: Pick<JobRecord, 'pilotReference'>): boolean =>
  identity.pilotReference !== undefined && job.pilotReference === identity.pilotReference;

/**
 * Why `identity` may not work on `job` as the pilot holding it: the job is gone (or of another
 * VO), held by another pilot (`moved`), or has ended (`final`); undefined when it may. A caller
 * that does not hold the job learns nothing of its status.
 */
export function holdingProblem(
  identity: Identity,
  job: Pick<JobRecord, 'vo' | 'status' | 'pilotReference'> | undefined,
): 'gone' | 'moved' | 'final' | undefined {
  if (!job || job.vo !== identity.vo) return 'gone';
  if (!isPilotOf(identity, job)) return 'moved';
  return isEnded(job.status) ? 'final' : undefined;
}

/** Owner rights: the submitter under the group it holds now, or anyone of that group with JobSharing. */
function isOwnerOf(identity: Identity, job: AccessedJob): boolean {
  if (job.ownerGroup === undefined || job.ownerGroup !== identity.group) return false;
  if (sharesJobs(identity)) return true;
  return hasProperty(identity, properties.normalUser) && job.owner === identity.username;
}

/** Whether `identity` may do `action` on `job`. */
export function mayAccess(identity: Identity, job: AccessedJob, action: JobAction): boolean {
  if (job.vo !== identity.vo) return false;
  // Checked first: a payload token is never more than its job, whatever else it carries.
  const scoped = payloadJobId(identity);
  if (scoped !== undefined) {
    return (
      job.jobId === scoped &&
      // DIRAC's job wrapper reschedules its own job (rescheduleFailedJob); it never kills or deletes.
      (action === 'read' || action === 'report' || action === 'status' || action === 'reschedule') &&
      isPilotOf(identity, job)
    );
  }
  if (isAdministrator(identity)) return true;
  // A pilot reports on the jobs it runs (statuses, outputs, reschedule); it does not kill or delete.
  if (isPilot(identity))
    return (
      (action === 'report' || action === 'status' || action === 'reschedule') && isPilotOf(identity, job)
    );
  if (action === 'status') return false;
  return isOwnerOf(identity, job);
}

/** Why `mayAccess` said no, for the per-job failure of a bulk request. */
export function refusal(action: JobAction, jobId: number): string {
  switch (action) {
    case 'read':
      return `You may not see job ${jobId}.`;
    case 'status':
      return `You may not set the status of job ${jobId}: only the pilot running it, its executors and administrators do.`;
    default:
      return `You may not change job ${jobId}.`;
  }
}

/**
 * Whose jobs a caller may search, as `mayAccess(…, 'read')` decides for one job: an owner's own
 * under their current group, a JobSharing member's whole group, an administrator's whole VO.
 * Pilots and payload tokens search nothing: they know their jobs' ids.
 */
export function searchScope(identity: Identity): {
  vo: string;
  owner?: string;
  ownerGroup?: string;
  none?: true;
} {
  const vo = identity.vo;
  if (payloadJobId(identity) !== undefined) return { vo, none: true };
  if (isAdministrator(identity)) return { vo };
  if (sharesJobs(identity)) return { vo, ownerGroup: identity.group };
  if (hasProperty(identity, properties.normalUser))
    return { vo, owner: identity.username, ownerGroup: identity.group };
  return { vo, none: true };
}
