/**
 * Who may do what with sandboxes (DiracX's SandboxAccessPolicy, widened for muon's payload tokens).
 * Uploading needs NormalUser. A sandbox may be read by its owner (same VO, group and user name, as
 * DiracX's prefix check) and by a JobAdministrator of its VO; a payload token reads the sandboxes
 * assigned to its job, and uploads and assigns that job's output sandbox, which belongs to the
 * job's owner. No identity crosses VOs.
 */
import { hasProperty, type Identity, properties } from '#shared/auth/identity.ts';
import { ForbiddenError } from '#shared/errors.ts';
import { isAdministrator, mayAccess } from '#shared/jobs/access.ts';
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
  if (isAdministrator(identity)) return true;
  return hasProperty(identity, properties.normalUser) && isOwner(identity, owner);
}

/** A job's sandbox list is for those who may read the job: its owner, an administrator, its payload token. */
export const mayListJobSandboxes = (identity: Identity, job: Pick<JobRecord, 'vo' | 'owner'>): boolean =>
  mayAccess(identity, job, 'read');

/** Assigning an output sandbox is reporting on the job, which its payload token does. */
export const mayAssignToJob = (identity: Identity, job: Pick<JobRecord, 'vo' | 'owner'>): boolean =>
  mayAccess(identity, job, 'report');

/** Whether `owner` is the job's owner: the only owner a job's output sandbox may have. */
export const isJobOwnersSandbox = (
  job: Pick<JobRecord, 'vo' | 'owner' | 'ownerGroup'>,
  owner: SandboxOwner,
): boolean => owner.vo === job.vo && owner.group === job.ownerGroup && owner.user === job.owner;
