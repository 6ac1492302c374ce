/**
 * The pilot registry (DIRAC's PilotManager): a pilot registers at a declared site and computing
 * element and is given its credential; pilots and administrators set its status; its owners,
 * administrators and the pilot itself read its record. An owner reads it with only their own jobs
 * in it: a pilot runs jobs of many users, whose ids and names are not theirs to see.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Identity } from '#shared/auth/identity.ts';
import { type Deps, tableName } from '#shared/deps.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { type AccessedJob, mayAccess } from '#shared/jobs/access.ts';
import { getJobItems } from '#shared/jobs/store/read-jobs.ts';
import { assertCanRegister, mayReadPilot, mayUpdatePilot } from '#shared/pilots/access.ts';
import { sha256Hex } from '#shared/pilots/binding.ts';
import {
  type MetadataUpdate,
  type PilotRecord,
  type PilotView,
  pilotView,
  type Registration,
  type RegistrationAnswer,
} from '#shared/pilots/model.ts';
import { getPilot, ownerName, registerPilot, setPilotStatus } from '#shared/pilots/records.ts';

export type PilotRegistryDeps = Pick<Deps, 'aws' | 'resources' | 'config' | 'now'>;

export function createPilotRegistry(deps: PilotRegistryDeps) {
  const { dynamo } = deps.aws;
  const table = () => tableName(deps.resources, 'pilots');
  const now = () => deps.now().toISOString();

  /** The site and computing element, as declared in the configuration, or 400 naming what to fix. */
  function computingElement(site: string, gridCE: string) {
    const sites = deps.config.sites;
    const declared = sites[site];
    if (!declared) {
      throw new BadRequestError(
        `Site "${site}" is not declared in the configuration (sites: ${Object.keys(sites).join(', ') || 'none'}).`,
        { code: 'pilot.unknown_site' },
      );
    }
    const ce = declared.computingElements[gridCE];
    if (!ce) {
      const known = Object.keys(declared.computingElements).join(', ') || 'none';
      throw new BadRequestError(
        `GridCE "${gridCE}" is not a computing element of ${site} (computing elements: ${known}).`,
        { code: 'pilot.unknown_ce' },
      );
    }
    return ce;
  }

  /** The record, if `identity` may read it: 404 when the VO has no such pilot, 403 when not theirs. */
  async function readable(identity: Identity, reference: string): Promise<PilotRecord> {
    const pilot = await getPilot(dynamo, table(), reference);
    if (!pilot || pilot.vo !== identity.vo)
      throw new NotFoundError(`Pilot ${reference} does not exist.`, 'pilot.not_found');
    if (!mayReadPilot(identity, pilot)) {
      throw new ForbiddenError(
        `You may not see pilot ${reference}: only administrators, the pilot itself, and the owners of the jobs it ran may.`,
      );
    }
    return pilot;
  }

  return {
    readable,

    /** `POST /api/pilots`: the pilot's record, as Running, and its credential (shown only here). */
    async register(identity: Identity, request: Registration): Promise<RegistrationAnswer> {
      assertCanRegister(identity);
      const ce = computingElement(request.Site, request.GridCE);
      const reference = request.PilotReference ?? `pilot-${randomUUID()}`;
      const stamp = randomBytes(16).toString('hex');
      const secret = randomBytes(32).toString('hex');
      const r = request.Resources;
      const outcome = await registerPilot(
        dynamo,
        table(),
        {
          pilotReference: reference,
          pilotStamp: stamp,
          vo: identity.vo,
          site: request.Site,
          gridCE: request.GridCE,
          ceType: request.CEType ?? ce.type,
          ...(request.Queue !== undefined ? { queue: request.Queue } : {}),
          ...(request.BatchJobID !== undefined ? { batchJobId: request.BatchJobID } : {}),
          resources: {
            cores: r.Cores,
            memoryMb: r.MemoryMB,
            diskMb: r.DiskMB,
            wallClockSeconds: r.WallClockSeconds,
          },
          version: request.Version ?? 'unknown',
          status: 'Running',
          statusReason: 'Registered',
          secretHash: sha256Hex(secret),
        },
        now(),
      );
      if (outcome === 'exists') {
        throw new ConflictError(
          `Pilot ${reference} is already registered: a pilot registers once, or leave PilotReference out to get a new one.`,
          'pilot.exists',
        );
      }
      return { PilotReference: reference, PilotStamp: stamp, Secret: secret };
    },

    /** `PATCH /api/pilots/metadata`: the pilot itself, or an administrator of its VO. */
    async setMetadata(identity: Identity, update: MetadataUpdate): Promise<void> {
      const reference = update.PilotReference;
      if (!mayUpdatePilot(identity, reference)) {
        throw new ForbiddenError(
          `You may not change pilot ${reference}: only that pilot, with its credential, or an administrator may.`,
        );
      }
      const changed = await setPilotStatus(
        dynamo,
        table(),
        { vo: identity.vo, reference },
        { status: update.Status, statusReason: update.StatusReason ?? '', time: now() },
      );
      if (!changed) throw new NotFoundError(`Pilot ${reference} does not exist.`, 'pilot.not_found');
    },

    /** `GET /api/pilots/info`: all of it for administrators and the pilot, an owner's part for an owner. */
    async info(identity: Identity, reference: string): Promise<PilotView> {
      const pilot = await readable(identity, reference);
      // Who may update a pilot sees all of it: administrators and the pilot itself.
      if (mayUpdatePilot(identity, pilot.pilotReference)) return pilotView(pilot);
      return ownersView(identity, pilot, await readableJobIds(identity, pilot.jobIds));
    },
  };

  /**
   * Which of `jobIds` `identity` may read, from the jobs' owners and groups (one BatchGet). Without
   * the jobs table the owners are unknown, so none is shown rather than another user's.
   */
  async function readableJobIds(identity: Identity, jobIds: readonly number[]): Promise<Set<number>> {
    const jobsTable = deps.resources.tables.jobs;
    if (jobsTable === undefined || jobIds.length === 0) return new Set();
    const items = await getJobItems(dynamo, jobsTable, jobIds, {
      expression: '#jobId, #vo, #owner, #ownerGroup',
      names: { '#jobId': 'jobId', '#vo': 'vo', '#owner': 'owner', '#ownerGroup': 'ownerGroup' },
    });
    return new Set(
      items
        .filter((item) => mayAccess(identity, item as unknown as AccessedJob, 'read'))
        .map((item) => Number(item.jobId)),
    );
  }
}
export type PilotRegistry = ReturnType<typeof createPilotRegistry>;

/** The record as a job owner sees it: only the jobs they may read, and only their own name. */
export function ownersView(identity: Identity, pilot: PilotRecord, readable: ReadonlySet<number>): PilotView {
  const own = ownerName(identity.vo, identity.username);
  return {
    ...pilotView(pilot),
    jobIds: pilot.jobIds.filter((jobId) => readable.has(jobId)),
    owners: pilot.owners.filter((owner) => owner === own),
  };
}
