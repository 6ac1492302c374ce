/**
 * Who may do what with sandboxes (DiracX's SandboxAccessPolicy, widened for muon's pilots).
 * Uploading needs NormalUser. A sandbox may be read by its owner (same VO, group and user name, as
 * DiracX's prefix check), and by a JobAdministrator or a pilot (GenericPilot) of its VO: a pilot
 * downloads input sandboxes to run jobs. No identity crosses VOs.
 */
import { hasProperty, type Identity, properties } from '#shared/auth/identity.ts';
import { ForbiddenError } from '#shared/errors.ts';
import { isAdministrator, isPilot, mayAccess } from '#shared/jobs/access.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { SandboxOwner } from '#shared/sandboxes/reference.ts';

export function assertCanUpload(identity: Identity): void {
  if (!hasProperty(identity, properties.normalUser)) {
    throw new ForbiddenError(
      `Uploading sandboxes needs the ${properties.normalUser} property; ${identity.group} lacks it.`,
    );
  }
}

export const isOwner = (identity: Identity, owner: SandboxOwner): boolean =>
  identity.vo === owner.vo && identity.group === owner.group && identity.username === owner.user;

export function mayReadSandbox(identity: Identity, owner: SandboxOwner): boolean {
  // A payload token reads by assignment to its job (service.ts), never by owner.
  if (identity.vo !== owner.vo || identity.jobId !== undefined) return false;
  if (isAdministrator(identity) || isPilot(identity)) return true;
  return hasProperty(identity, properties.normalUser) && isOwner(identity, owner);
}

/** A job's sandbox list is for its owner, an administrator, or the pilot that runs it. */
export const mayListJobSandboxes = (identity: Identity, job: Pick<JobRecord, 'vo' | 'owner'>): boolean =>
  mayAccess(identity, job, isPilot(identity) ? 'report' : 'read');

/** Assigning an output sandbox is reporting on the job: its owner, an administrator, or a pilot. */
export const mayAssignToJob = (identity: Identity, job: Pick<JobRecord, 'vo' | 'owner'>): boolean =>
  mayAccess(identity, job, 'report');
