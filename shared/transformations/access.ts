/**
 * Who may do what with transformations (DIRAC's TransformationManager policy, with muon's job
 * rules, shared/jobs/access.ts). Submitting needs NormalUser or ProductionManagement. The owner,
 * under the group they submitted with, reads and changes their own; a JobSharing group shares
 * them; production managers (DIRAC's ProductionManagement property) and JobAdministrators act on
 * every transformation of their VO. Pilots and payload tokens have nothing to do here; no identity
 * crosses VOs, and a transformation of another VO is "not found".
 */
import { hasProperty, type Identity, properties } from '#shared/auth/identity.ts';
import { ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { isAdministrator, payloadJobId, sharesJobs } from '#shared/jobs/access.ts';
import type { TransformationRecord } from '#shared/transformations/model.ts';

/** DIRAC's property of production managers' groups. */
export const productionManagement = 'ProductionManagement';

export const isProductionManager = (identity: Identity): boolean =>
  payloadJobId(identity) === undefined && identity.properties.includes(productionManagement);

export function assertCanSubmitTransformation(identity: Identity): void {
  if (
    payloadJobId(identity) !== undefined ||
    !(hasProperty(identity, properties.normalUser) || isProductionManager(identity))
  ) {
    throw new ForbiddenError(
      `Submitting a transformation needs the ${properties.normalUser} or ${productionManagement} property; ${identity.group} has neither.`,
      'transformation.submit_forbidden',
    );
  }
}

export type TransformationAction = 'read' | 'manage';

export function mayAccessTransformation(
  identity: Identity,
  transformation: Pick<TransformationRecord, 'vo' | 'owner' | 'ownerGroup'>,
): boolean {
  if (transformation.vo !== identity.vo || payloadJobId(identity) !== undefined) return false;
  if (isAdministrator(identity) || isProductionManager(identity)) return true;
  if (transformation.ownerGroup !== identity.group) return false;
  if (sharesJobs(identity)) return true;
  return hasProperty(identity, properties.normalUser) && transformation.owner === identity.username;
}

/** The transformation if `identity` may act on it; another VO's or a missing one is not found. */
export function accessible<
  T extends Pick<TransformationRecord, 'transformationId' | 'vo' | 'owner' | 'ownerGroup'>,
>(identity: Identity, transformation: T | undefined, id: number): T {
  if (!transformation || transformation.vo !== identity.vo) {
    throw new NotFoundError(`No transformation ${id}.`, 'transformation.not_found');
  }
  if (!mayAccessTransformation(identity, transformation)) {
    throw new ForbiddenError(
      `Transformation ${id} belongs to ${transformation.owner} (${transformation.ownerGroup}); only its owner, production managers and administrators act on it.`,
      'transformation.forbidden',
    );
  }
  return transformation;
}
