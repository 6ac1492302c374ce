/**
 * The PilotStatus agent (DIRAC's PilotStatusAgent), the safety net behind pilots that report their
 * own end and site directors that watch their computing elements. Each run, per VO:
 * - a pilot still Submitted, Waiting or Running that was not seen (registration, match, log
 *   upload, status change) for `stalePilotAfterSeconds`, and none of whose last jobs was updated in
 *   that time, is marked Aborted ("stale: not seen since ..."): the StalledJobs agent then
 *   reschedules what it held;
 * - ended pilots (Done, Failed, Aborted) are deleted `purgeAfterSeconds[status]` after their last
 *   change, with their log in the bucket.
 * At most `maxPilotsPerRun` records change per run; each walk keeps its place for the next run.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { runBudget, walk } from '#shared/agents/sweep.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { getJobItems } from '#shared/jobs/store/read-jobs.ts';
import type { Logger } from '#shared/log.ts';
import type { PilotRecord, PilotStatus } from '#shared/pilots/model.ts';
import {
  abortPilotAsRead,
  deletePilotAsRead,
  fromPilotItem,
  pilotStatusKey,
} from '#shared/pilots/records.ts';
import { tables } from '#shared/resources.ts';

export interface PilotStatusDeps {
  readonly config: MuonConfig;
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly pilotsTable: string;
  readonly jobsTable: string;
  readonly countersTable: string;
  readonly bucket: string;
  readonly now: () => Date;
  readonly logger: Logger;
}

export interface PilotStatusRun {
  examined: number;
  aborted: number;
  purged: number;
}

type Settings = MuonConfig['agents']['pilots'];
export type PurgedStatus = keyof Settings['purgeAfterSeconds'];

const active: readonly PilotStatus[] = ['Submitted', 'Waiting', 'Running'];
const ended: readonly PurgedStatus[] = ['Aborted', 'Failed', 'Done'];
/** The jobs a pilot took last are asked whether they were updated lately. */
const recentJobs = 10;

type Seen = Pick<PilotRecord, 'updatedAt' | 'lastSeenAt' | 'registeredAt' | 'submittedAt'>;

/** When anything last heard of the pilot. */
export const lastHeardOf = (pilot: Seen): number =>
  Math.max(
    ...[pilot.updatedAt, pilot.lastSeenAt, pilot.registeredAt, pilot.submittedAt]
      .filter((time): time is string => typeof time === 'string')
      .map((time) => Date.parse(time)),
  );

export const isStale = (pilot: Seen, settings: Settings, now: number): boolean =>
  now - lastHeardOf(pilot) > settings.stalePilotAfterSeconds * 1000;

export async function checkPilots(deps: PilotStatusDeps): Promise<PilotStatusRun> {
  const settings = deps.config.agents.pilots;
  const now = deps.now().getTime();
  const time = new Date(now).toISOString();
  const run: PilotStatusRun = { examined: 0, aborted: 0, purged: 0 };
  const budget = runBudget(settings.maxPilotsPerRun);
  const before = (seconds: number) => new Date(now - seconds * 1000).toISOString();

  for (const vo of Object.keys(deps.config.virtualOrganizations)) {
    for (const status of active) {
      // updatedAt moves only with the status, so the index's order finds the candidates; lastSeenAt decides.
      const target = byStatus(deps, `pilotStatus#stale#${vo}#${status}`, vo, status);
      run.examined += await walk(
        deps,
        { ...target, sortBelow: before(settings.stalePilotAfterSeconds) },
        budget,
        async (item) => {
          const pilot = fromPilotItem(item);
          if (
            !isStale(pilot, settings, now) ||
            (await jobsUpdatedSince(deps, pilot, now - settings.stalePilotAfterSeconds * 1000))
          )
            return 'skipped';
          const reason = `stale: not seen since ${new Date(lastHeardOf(pilot)).toISOString()}`;
          const changed = { statusReason: reason, time };
          if (!(await abortPilotAsRead(deps.dynamo, deps.pilotsTable, pilot, changed))) return 'skipped';
          deps.logger.info('pilot aborted', { pilotReference: pilot.pilotReference, reason });
          run.aborted += 1;
          return 'changed';
        },
      );
    }
    for (const status of ended) {
      const target = byStatus(deps, `pilotStatus#purge#${vo}#${status}`, vo, status);
      run.examined += await walk(
        deps,
        { ...target, sortBelow: before(settings.purgeAfterSeconds[status]) },
        budget,
        async (item) => {
          const pilot = fromPilotItem(item);
          if (!(await deletePilotAsRead(deps.dynamo, deps.pilotsTable, pilot))) return 'skipped';
          // The record first: a log whose record is gone is unreachable, and the bucket's lifecycle ends it.
          if (pilot.logKey)
            await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: pilot.logKey }));
          run.purged += 1;
          return 'changed';
        },
      );
    }
  }
  return run;
}

const byStatus = (deps: PilotStatusDeps, cursor: string, vo: string, status: PilotStatus) => ({
  cursor,
  table: deps.pilotsTable,
  definition: tables.pilots,
  index: { name: 'byStatus', partition: pilotStatusKey(vo, status) },
});

/** DIRAC keeps a pilot whose jobs were updated lately, whatever its own record says. */
async function jobsUpdatedSince(deps: PilotStatusDeps, pilot: PilotRecord, since: number): Promise<boolean> {
  const last = pilot.jobIds.slice(-recentJobs);
  if (last.length === 0) return false;
  const items = await getJobItems(deps.dynamo, deps.jobsTable, last, {
    expression: '#lastUpdateTime, #heartBeatTime',
    names: { '#lastUpdateTime': 'lastUpdateTime', '#heartBeatTime': 'heartBeatTime' },
  });
  return items.some((job) =>
    [job.lastUpdateTime, job.heartBeatTime].some((t) => typeof t === 'string' && Date.parse(t) > since),
  );
}
