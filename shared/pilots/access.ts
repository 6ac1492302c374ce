/**
 * Who may do what with pilot records (DiracX's PilotManagementAccessPolicy, narrowed to muon's
 * pilot credential). Registering needs GenericPilot. A pilot record and its log may be read by a
 * JobAdministrator of its VO, by the pilot itself (bound, see shared/pilots/binding.ts), and by a
 * NormalUser whose job the pilot ran; only the pilot itself or an administrator changes it.
 */
import { hasProperty, type Identity, properties } from '#shared/auth/identity.ts';
import { ForbiddenError } from '#shared/errors.ts';
import { isAdministrator, isPilot } from '#shared/jobs/access.ts';
import type { PilotRecord } from '#shared/pilots/model.ts';
import { ownerName } from '#shared/pilots/records.ts';

export function assertCanRegister(identity: Identity): void {
  if (!isPilot(identity)) {
    throw new ForbiddenError(
      `Registering pilots needs the ${properties.genericPilot} property; ${identity.group} lacks it.`,
    );
  }
}

/** The bound pilot itself (an administrator that is also a pilot is an administrator here). */
export const isThePilot = (identity: Identity, reference: string): boolean =>
  isPilot(identity) && identity.pilotReference === reference;

export function mayReadPilot(
  identity: Identity,
  pilot: Pick<PilotRecord, 'vo' | 'pilotReference' | 'owners'>,
) {
  if (pilot.vo !== identity.vo) return false;
  if (isAdministrator(identity) || isThePilot(identity, pilot.pilotReference)) return true;
  return (
    hasProperty(identity, properties.normalUser) &&
    pilot.owners.includes(ownerName(identity.vo, identity.username))
  );
}

/** Whether `identity` may change the record named `reference` (before it is read). */
export const mayUpdatePilot = (identity: Identity, reference: string): boolean =>
  isAdministrator(identity) || isThePilot(identity, reference);
