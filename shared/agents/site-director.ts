/**
 * The SiteDirector (DIRAC's `Agent/SiteDirector.py`): brings pilots to computing elements where
 * jobs wait. Each cycle, for each element it drives:
 * - an element that failed (ComputingElementError, ComputingElementUnavailableError) is left alone
 *   until `failedElementCycles` cycles have passed (DIRAC's FailedQueueCycleFactor); one warn line
 *   names it and the error, and the other elements go on;
 * - every `pilotStatusUpdateCycles` cycles, the element's pilots that have not ended get the status
 *   the element reports (site-director-pilots.ts): this is how a killed pilot becomes Failed, so
 *   the StalledJobs agent reschedules its jobs;
 * - demand: the VO's waiting jobs the element's pilots could match, less its pilots still
 *   Submitted or Waiting; pilots to submit: min(maxPilotsPerCycle, the element's free slots,
 *   demand), none while waiting pilots fill `availabilityEpsilon` of its maxPilots
 *   (site-director-demand.ts). Each submitted pilot gets a `Submitted` record, which the pilot
 *   takes over when it registers under the reference its element handed it.
 * Work per cycle is bounded: pilot records read per status, task queues counted once per cycle.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  elementResourceDescription,
  jobsNeedingPilots,
  pilotsToSubmit,
} from '#shared/agents/site-director-demand.ts';
import { pilotStatusChange } from '#shared/agents/site-director-pilots.ts';
import { countLevels } from '#shared/agents/task-queues.ts';
import {
  type ComputingElement,
  type ComputingElementConfig,
  ComputingElementError,
  type PilotSpec,
} from '#shared/ce/index.ts';
import { mapLimited } from '#shared/concurrency.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { Logger } from '#shared/log.ts';
import { matchTaskQueue } from '#shared/matcher/predicate.ts';
import type { PilotRecord, PilotStatus } from '#shared/pilots/model.ts';
import { createSubmittedPilot, listPilotsByStatus, setPilotStatusFrom } from '#shared/pilots/records.ts';
import { listTaskQueues, type TaskQueueItem } from '#shared/taskqueues/store.ts';

export interface SiteDirectorDeps {
  readonly config: MuonConfig;
  readonly dynamo: DynamoDBDocumentClient;
  readonly pilotsTable: string;
  readonly taskQueuesTable: string;
  /** The elements this director drives (the Lambda: AwsBatch ones; the local runtime: Local ones). */
  readonly elements: readonly ComputingElement[];
  /**
   * What a pilot of `ce` runs: `muon pilot` arguments, and its credentials as `credentials`, which
   * the element delivers in a one-shot file (never in `env`, which a payload can read).
   */
  readonly pilotSpec: (ce: ComputingElement) => PilotSpec;
  readonly now: () => Date;
  readonly logger: Logger;
}

export interface ElementRun {
  readonly element: string;
  submitted: number;
  updated: number;
  skipped?: 'failed recently' | 'failed';
}

export interface SiteDirectorRun {
  readonly cycle: number;
  readonly elements: ElementRun[];
}

/** Pilot records read per status and cycle: what one run may watch. */
const maxRecordsPerStatus = 2000;

/**
 * A fixed pilot token `muon site-director` hands its pilots in their credentials file (else they
 * get its OAuth2 client). The Lambda ignores it: AwsBatch pilots read only the credentials secret.
 */
export const pilotTokenVariable = 'MUON_PILOT_TOKEN';
const waitingStatuses: readonly PilotStatus[] = ['Submitted', 'Waiting'];

const elementKey = (ce: Pick<ComputingElement, 'site' | 'name'>) => `${ce.site}/${ce.name}`;

/** The VO a site director works for: the configured one, else the first declared. */
function siteDirectorVo(config: MuonConfig): string {
  const vo = config.agents.siteDirector.vo ?? Object.keys(config.virtualOrganizations)[0];
  if (vo === undefined || !(vo in config.virtualOrganizations))
    throw new Error(`agents.siteDirector.vo: "${vo}" is not a virtual organisation of the configuration.`);
  return vo;
}

/** `muon` arguments of a pilot of `ce` (the CE puts its way of starting `muon` first). */
export const pilotArguments = (
  ce: Pick<ComputingElement, 'site' | 'name'>,
  apiUrl: string,
  extra: readonly string[] = [],
): string[] => ['pilot', '--site', ce.site, '--ce', ce.name, '--api-url', apiUrl, ...extra];

/**
 * The arguments of a Local element's pilot beyond `pilotArguments`: one slot of the element's
 * size (not the whole machine), stopping after `idleStopSeconds` without work.
 */
export function localPilotArguments(
  config: MuonConfig,
  ce: Pick<ComputingElement, 'site' | 'name'>,
  idleStopSeconds: number,
): string[] {
  const size = config.sites[ce.site]?.computingElements[ce.name];
  return [
    '--idle-stop',
    String(idleStopSeconds),
    ...(size
      ? [
          '--cores',
          String(size.processors),
          ...(size.memoryMb !== undefined ? ['--memory-mb', String(size.memoryMb)] : []),
        ]
      : []),
  ];
}

export function createSiteDirector(deps: SiteDirectorDeps) {
  const settings = deps.config.agents.siteDirector;
  const vo = siteDirectorVo(deps.config);
  /** Element → the first cycle it is tried again after a failure. */
  const retryAt = new Map<string, number>();
  let cycle = 0;

  const configOf = (ce: ComputingElement): ComputingElementConfig | undefined =>
    deps.config.sites[ce.site]?.computingElements[ce.name];

  async function readPilots(statuses: readonly PilotStatus[]): Promise<Map<string, PilotRecord[]>> {
    const byElement = new Map<string, PilotRecord[]>();
    for (const status of statuses) {
      const records = await listPilotsByStatus(
        deps.dynamo,
        deps.pilotsTable,
        vo,
        status,
        maxRecordsPerStatus,
      );
      for (const record of records) {
        const key = elementKey({ site: record.site, name: record.gridCE });
        const list = byElement.get(key);
        if (list) list.push(record);
        else byElement.set(key, [record]);
      }
    }
    return byElement;
  }

  /** Waiting jobs per task queue, counted from its entries once per cycle, on first need. */
  function jobCounter() {
    const counts = new Map<string, Promise<number>>();
    return (tq: TaskQueueItem): Promise<number> => {
      let count = counts.get(tq.tqId);
      if (!count) {
        count = countLevels(deps.dynamo, deps.taskQueuesTable, tq.tqId, 1).then((levels) =>
          Object.values(levels).reduce((sum, n) => sum + n, 0),
        );
        counts.set(tq.tqId, count);
      }
      return count;
    };
  }

  /** Applies the element's view of its pilots; returns the statuses it changed. */
  async function updateStatuses(ce: ComputingElement, records: readonly PilotRecord[], run: ElementRun) {
    const changes = new Map<string, PilotStatus>();
    if (records.length === 0) return changes;
    const states = await ce.status(records.map((record) => record.pilotReference));
    const now = deps.now();
    for (const record of records) {
      const state = states.get(record.pilotReference);
      if (state === undefined) continue;
      const change = pilotStatusChange(record, state, now.getTime(), settings.unknownPilotAbortSeconds);
      if (!change) continue;
      const changed = await setPilotStatusFrom(
        deps.dynamo,
        deps.pilotsTable,
        { vo, reference: record.pilotReference, from: record.status },
        { ...change, time: now.toISOString() },
      );
      if (changed) {
        run.updated += 1;
        changes.set(record.pilotReference, change.status);
        deps.logger.info('pilot status from its computing element', {
          pilotReference: record.pilotReference,
          from: record.status,
          status: change.status,
        });
      }
    }
    return changes;
  }

  async function submit(
    ce: ComputingElement,
    config: ComputingElementConfig,
    waiting: number,
    queues: readonly TaskQueueItem[],
    count: (tq: TaskQueueItem) => Promise<number>,
    run: ElementRun,
  ) {
    // The availability criterion first: it needs no read at all.
    if (pilotsToSubmit({ ...limits(config), slots: 1, demand: 1, waitingPilots: waiting }) === 0) return;
    const resource = elementResourceDescription(ce.site, ce.name, config);
    const banned = deps.config.sites[ce.site]?.banned ?? false;
    const matching = queues.filter(
      (tq) => matchTaskQueue(tq.definition, banned ? { ...resource, jobTypes: ['Test'] } : resource).match,
    );
    if (matching.length === 0) return;
    const counted = await Promise.all(
      matching.map(async (tq) => ({ definition: tq.definition, jobs: await count(tq) })),
    );
    const demand = jobsNeedingPilots(counted, resource, vo, waiting, banned);
    if (demand === 0) return;
    const { slots } = await ce.available();
    const n = pilotsToSubmit({ ...limits(config), slots, demand, waitingPilots: waiting });
    if (n === 0) return;
    const references = await ce.submitPilots(n, deps.pilotSpec(ce));
    const time = deps.now().toISOString();
    for (const reference of references) {
      await createSubmittedPilot(
        deps.dynamo,
        deps.pilotsTable,
        { pilotReference: reference, vo, site: ce.site, gridCE: ce.name, ceType: ce.type },
        time,
      );
    }
    run.submitted += references.length;
    deps.logger.info('pilots submitted', { element: elementKey(ce), demand, slots, references });
  }

  const limits = (config: ComputingElementConfig) => ({
    maxPilots: config.maxPilots,
    maxPilotsPerCycle: settings.maxPilotsPerCycle,
    availabilityEpsilon: settings.availabilityEpsilon,
  });

  return {
    /** One cycle over every element. */
    async run(): Promise<SiteDirectorRun> {
      cycle += 1;
      const monitor = (cycle - 1) % settings.pilotStatusUpdateCycles === 0;
      const result: SiteDirectorRun = { cycle, elements: [] };
      const active = deps.elements.filter((ce) => {
        const skip = (retryAt.get(elementKey(ce)) ?? 0) > cycle;
        if (skip)
          result.elements.push({
            element: elementKey(ce),
            submitted: 0,
            updated: 0,
            skipped: 'failed recently',
          });
        return !skip;
      });
      if (active.length === 0) return result;
      const waitingPilots = await readPilots(waitingStatuses);
      const runningPilots = monitor ? await readPilots(['Running']) : new Map<string, PilotRecord[]>();
      const queues = await listTaskQueues(deps.dynamo, deps.taskQueuesTable, vo);
      const count = jobCounter();

      await mapLimited(active, 4, async (ce) => {
        const key = elementKey(ce);
        const run: ElementRun = { element: key, submitted: 0, updated: 0 };
        result.elements.push(run);
        const config = configOf(ce);
        if (!config) return;
        const waiting = waitingPilots.get(key) ?? [];
        try {
          const changed = monitor
            ? await updateStatuses(ce, [...waiting, ...(runningPilots.get(key) ?? [])], run)
            : new Map<string, PilotStatus>();
          // Pilots whose element just said they ended are waiting no more.
          const stillWaiting = waiting.filter((record) =>
            waitingStatuses.includes(changed.get(record.pilotReference) ?? record.status),
          );
          await submit(ce, config, stillWaiting.length, queues, count, run);
        } catch (error) {
          if (!(error instanceof ComputingElementError)) {
            // Not the element's fault (the database, a bug): the other elements go on.
            run.skipped = 'failed';
            deps.logger.error('site director cycle failed for an element', { element: key, error });
            return;
          }
          retryAt.set(key, cycle + settings.failedElementCycles);
          run.skipped = 'failed';
          deps.logger.warn(
            `computing element ${key} failed, left alone for ${settings.failedElementCycles - 1} cycles: ${error.message}`,
            { element: key, code: error.code },
          );
        }
      });
      return result;
    },
  };
}
export type SiteDirector = ReturnType<typeof createSiteDirector>;
