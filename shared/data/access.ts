/**
 * Who may write and list which LFNs. Every LFN starts with `/<vo>/`, and no identity crosses VOs.
 * A payload token writes for its job, under the job owner's user directory or where the job asked
 * its outputs to go (OutputPath, and LFNs named in its OutputData), but never in another user's
 * directory nor another owner's transformation outputs; a normal user writes under their own user
 * directory. Listing is for a user's own directory, or anywhere for a JobAdministrator; replicas
 * and downloads are open to the whole VO, as in DIRAC's catalog.
 */
import { hasProperty, type Identity, properties } from '#shared/auth/identity.ts';
import { isLfn, isWithin, userDirectory } from '#shared/data/lfn.ts';
import { ForbiddenError } from '#shared/errors.ts';
import { parsePlainId } from '#shared/http/path-ids.ts';
import { isAdministrator } from '#shared/jobs/access.ts';
import type { JobRecord } from '#shared/jobs/model.ts';

export type WritingJob = Pick<JobRecord, 'jobId' | 'vo' | 'owner' | 'description'>;

export function assertInVo(identity: Identity, lfn: string): void {
  if (!isWithin(lfn, `/${identity.vo}`)) {
    throw new ForbiddenError(`${lfn} is not a file of ${identity.vo}: its LFNs start with /${identity.vo}/.`);
  }
}

/**
 * Where a job's outputs may go: its owner's user directory, its OutputPath when that is an LFN of
 * the VO (a relative one is under the user directory anyway), and the LFNs and output paths its
 * OutputData names (JDL `LFN:/...` items; CWL `dirac:Job` entries, kept as JSON). A path above the
 * users' or the productions' directories (`/<vo>`, `/<vo>/user`, `/<vo>/prod`) is no root: writing
 * there, directory metadata above all, reaches every file below (inherited metadata would feed
 * every user's files to every catalog query that names it).
 */
export function jobOutputRoots(job: WritingJob): string[] {
  const roots = [userDirectory(job.vo, job.owner)];
  for (const lfn of requestedOutputLfns(job.description)) {
    if (isWithin(lfn, `/${job.vo}`) && !aboveSharedAreas(job.vo, lfn)) roots.push(lfn);
  }
  return roots;
}

/**
 * The LFNs a job asks its outputs to go to: its OutputPath when it is an LFN (a relative one is
 * under the owner's directory anyway) and the LFNs and output paths its OutputData names (JDL
 * `LFN:/...` items; CWL `dirac:Job` entries, kept as JSON).
 */
function requestedOutputLfns(
  description: Partial<Pick<JobRecord['description'], 'outputPath' | 'outputData'>>,
): string[] {
  const lfns: string[] = [];
  const add = (candidate: unknown) => {
    if (typeof candidate !== 'string') return;
    const lfn = candidate.replace(/^lfn:/i, '').replace(/\/+$/, '');
    if (isLfn(lfn)) lfns.push(lfn);
  };
  add(description.outputPath);
  for (const item of description.outputData ?? []) {
    if (item.startsWith('{')) add(parseJson(item)?.outputPath);
    else if (/^lfn:/i.test(item)) add(item);
  }
  return lfns;
}

/** `/<vo>`, `/<vo>/user`, `/<vo>/prod` or above: no job's outputs go there. */
const aboveSharedAreas = (vo: string, lfn: string): boolean =>
  [`/${vo}/user`, `/${vo}/prod`].some((area) => isWithin(area, lfn));

/** Why a job of `owner` may not write under `lfn` of its VO, or undefined if it may. */
function outputAreaProblem(vo: string, owner: string, lfn: string): string | undefined {
  if (aboveSharedAreas(vo, lfn)) return `${lfn} is above every user's or production's directory`;
  const home = userDirectory(vo, owner);
  if (isWithin(lfn, `/${vo}/user`) && !isWithin(lfn, home)) {
    return `${lfn} is in another user's directory (the job owner's is ${home})`;
  }
  return undefined;
}

/**
 * Outputs a job asks for where the data manager would refuse them (another VO, another user's
 * directory, above the users' or productions' directories), told at submission instead of when
 * the finished job uploads them. `/<vo>/prod/<id>` is checked only at upload, against the
 * transformation's owner.
 */
export function outputLocationProblems(
  vo: string,
  owner: string,
  description: Partial<Pick<JobRecord['description'], 'outputPath' | 'outputData'>>,
): string[] {
  return requestedOutputLfns(description).flatMap((lfn) => {
    if (!isWithin(lfn, `/${vo}`)) return [`output ${lfn} is not in /${vo}, your VO`];
    const problem = outputAreaProblem(vo, owner, lfn);
    return problem === undefined ? [] : [`output ${problem}`];
  });
}

/**
 * Writing for `job` (its payload token, pilot or owner, already proven to be the job's): only where
 * its outputs may go, and never in another user's directory. The job's owner chooses OutputPath and
 * OutputData, so a root naming someone else's home (or `/<vo>` or `/<vo>/user`, above every home)
 * must not let the owner write, through the job, where they may not write themselves: in DIRAC's
 * catalog a user's directory belongs to that user.
 */
export function assertJobMayWrite(job: WritingJob, lfn: string): void {
  const roots = jobOutputRoots(job);
  if (!roots.some((root) => isWithin(lfn, root))) {
    throw new ForbiddenError(
      `Job ${job.jobId} may write only under ${roots.join(', ')}; ${lfn} is elsewhere.`,
    );
  }
  const problem = outputAreaProblem(job.vo, job.owner, lfn);
  if (problem !== undefined) throw new ForbiddenError(`Job ${job.jobId} may not write: ${problem}.`);
}

/**
 * The transformation whose outputs directory (`/<vo>/prod/<id>`, shared/transformations/job.ts's
 * taskOutputPath) holds `lfn`: its id, 0 for any other path under `/<vo>/prod`, undefined outside
 * it. Only the transformation owner's jobs write there (shared/data/service.ts checks the owner):
 * another user's job naming it as OutputPath could replace a production's outputs, or plant files
 * its next step would take as input.
 */
export function productionAreaOf(vo: string, lfn: string): number | undefined {
  const root = `/${vo}/prod`;
  if (!isWithin(lfn, root)) return undefined;
  return parsePlainId(lfn.slice(root.length + 1).split('/')[0]) ?? 0;
}

/** A normal user writing on their own behalf: only under their own user directory. */
export function assertUserMayWrite(identity: Identity, lfn: string): void {
  if (!hasProperty(identity, properties.normalUser)) {
    throw new ForbiddenError(
      `Writing data needs the ${properties.normalUser} property, or the JobID of the job a payload token is for.`,
    );
  }
  const home = userDirectory(identity.vo, identity.username);
  if (!isWithin(lfn, home))
    throw new ForbiddenError(`You may write only under ${home}; ${lfn} is elsewhere.`);
}

export function assertMayList(identity: Identity, directory: string): void {
  assertInVo(identity, directory);
  if (isAdministrator(identity)) return;
  const home = userDirectory(identity.vo, identity.username);
  if (!hasProperty(identity, properties.normalUser) || !isWithin(directory, home)) {
    throw new ForbiddenError(`You may list only your own directory, ${home}.`);
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
