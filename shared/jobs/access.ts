/**
 * Who may do what with jobs (DiracX's WMSAccessPolicy). Submitting needs NormalUser. A normal user
 * sees and acts on their own jobs; a JobAdministrator on every job of their VO; a pilot
 * (GenericPilot) may report on and reschedule only the jobs the matcher handed to it, which it
 * proves with its pilot credential (shared/pilots/binding.ts). No identity crosses VOs.
 */
import { hasProperty, type Identity, properties } from '#shared/auth/identity.ts';
import { ForbiddenError } from '#shared/errors.ts';
import type { JobRecord } from '#shared/jobs/model.ts';

export type JobAction = 'read' | 'manage' | 'report';

export function assertCanSubmit(identity: Identity): void {
  if (!hasProperty(identity, properties.normalUser)) {
    throw new ForbiddenError(
      `Submitting jobs needs the ${properties.normalUser} property; ${identity.group} lacks it.`,
    );
  }
}

export const isAdministrator = (identity: Identity) => hasProperty(identity, properties.jobAdministrator);
export const isPilot = (identity: Identity) => hasProperty(identity, properties.genericPilot);

/** Whether `identity` is the bound pilot the job was handed to (an unbound pilot runs nothing). */
export const isPilotOf = (identity: Identity, job: Pick<JobRecord, 'pilotReference'>): boolean =>
  identity.pilotReference !== undefined && job.pilotReference === identity.pilotReference;

/** Whether `identity` may see or change `job`. */
export function mayAccess(
  identity: Identity,
  job: Pick<JobRecord, 'vo' | 'owner' | 'pilotReference'>,
  action: JobAction,
): boolean {
  if (job.vo !== identity.vo) return false;
  if (isAdministrator(identity)) return true;
  // A pilot reports on the jobs it runs (statuses, reschedule); it does not kill or delete.
  if (isPilot(identity)) return action === 'report' && isPilotOf(identity, job);
  return hasProperty(identity, properties.normalUser) && job.owner === identity.username;
}

/** Normal users only ever search their own jobs. */
export const searchScope = (identity: Identity): { vo: string; owner?: string } =>
  isAdministrator(identity) ? { vo: identity.vo } : { vo: identity.vo, owner: identity.username };
