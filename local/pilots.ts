/**
 * The local runtime's pilots: the SiteDirector (shared/agents/site-director.ts) driving the
 * configuration's Local computing elements, which fork `muon pilot` processes. Waiting jobs bring
 * pilots up by themselves; a pilot stops after `agents.siteDirector.localIdleStopSeconds` without
 * work. Each pilot offers its element's `processors` and `memoryMb`, not the whole machine.
 * `stop()` stops submitting and cancels (SIGTERM) the pilots this runtime started; those still
 * running after 5 s (at once with `force`) get a second SIGTERM, which interrupts and reschedules
 * their jobs while the API still answers. The pilot token goes to each pilot in a one-shot
 * credentials file (shared/ce/local.ts), never in its environment or arguments. `wake()` tells
 * them a job waits, so an idle pilot asks the matcher at once instead of after its backoff.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '#local/home.ts';
import { wakeOnWrite } from '#local/wake-on-write.ts';
import {
  createSiteDirector,
  localPilotArguments,
  pilotArguments,
  type SiteDirector,
  type SiteDirectorRun,
} from '#shared/agents/site-director.ts';
import { type ComputingElement, createComputingElements } from '#shared/ce/index.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { AwsClients, Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import type { Logger } from '#shared/log.ts';
import { endedStatuses } from '#shared/pilots/model.ts';

export interface LocalPilotsOptions {
  readonly deps: Deps;
  /** The configuration file pilots load; default: the configuration written under `home`. */
  readonly configFile?: string;
  readonly apiUrl: string;
  /** The current GenericPilot token, handed to each new pilot in a credentials file. */
  readonly token: () => string;
  /** Pilots work under `<home>/pilots/<site>/<ce>/<pid>/` (their log is `pilot.log` there). */
  readonly home: string;
  readonly logger: Logger;
  /** Replaces `agents.siteDirector.localIdleStopSeconds` (tests). */
  readonly idleStopSeconds?: number;
  /** Seconds `stop()` waits for the pilots to end; default 20. */
  readonly stopWaitSeconds?: number;
}

export interface LocalPilots {
  readonly director: SiteDirector;
  /** The Local elements the director drives. */
  readonly elements: readonly ComputingElement[];
  /** References of the pilots this runtime started, in submission order. */
  readonly started: readonly string[];
  /** One cycle of the site director (nothing once stopping). */
  run(): Promise<SiteDirectorRun | undefined>;
  /** The started pilots that still run. */
  running(): Promise<string[]>;
  /** Tells the running pilots a job waits: idle ones ask the matcher at once (SIGUSR2). */
  wake(): Promise<void>;
  stop(options?: { force?: boolean }): Promise<void>;
}

export function startLocalPilots(options: LocalPilotsOptions): LocalPilots {
  const { deps, logger } = options;
  const config: MuonConfig = deps.config;
  const started: string[] = [];
  /** The pilots of each element not yet seen ended: those `wake`, `running` and `stop` look at. */
  const startedBy = new Map<ComputingElement, Set<string>>();
  let stopping = false;
  const configFile = options.configFile ?? writeConfig(options.home, config);
  const idleStop = options.idleStopSeconds ?? config.agents.siteDirector.localIdleStopSeconds;

  // The elements record what they start, so the runtime can stop exactly its own pilots, and
  // forget those a status shows ended (the site director asks every cycle).
  const ceDeps = { home: options.home, env: process.env, logger };
  const elements = createComputingElements(config, ceDeps, ['Local']).map((element): ComputingElement => {
    const own = new Set<string>();
    const recording: ComputingElement = {
      ...element,
      submitPilots: async (count, spec) => {
        const references = await element.submitPilots(count, spec);
        for (const reference of references) own.add(reference);
        started.push(...references);
        return references;
      },
      status: async (references) => {
        const states = await element.status(references);
        for (const [reference, state] of states) {
          if (state !== 'Unknown' && endedStatuses.has(state)) own.delete(reference);
        }
        return states;
      },
    };
    startedBy.set(recording, own);
    return recording;
  });
  const director = createSiteDirector({
    config,
    dynamo: deps.aws.dynamo,
    pilotsTable: tableName(deps.resources, 'pilots'),
    taskQueuesTable: tableName(deps.resources, 'taskQueues'),
    elements,
    pilotSpec: (ce) => ({
      arguments: pilotArguments(ce, options.apiUrl, [
        '--config',
        configFile,
        ...localPilotArguments(config, ce, idleStop),
      ]),
      credentials: { token: options.token() },
    }),
    now: deps.now,
    logger,
  });

  const running = async (): Promise<string[]> => {
    const alive: string[] = [];
    for (const [ce, own] of startedBy) {
      const states = await ce.status([...own]);
      for (const [reference, state] of states) if (state === 'Running') alive.push(reference);
    }
    return alive;
  };
  const cancel = async (references: readonly string[]) => {
    for (const [ce, own] of startedBy) await ce.cancel(references.filter((r) => own.has(r)));
  };

  return {
    director,
    elements,
    started,
    run: () => (stopping ? Promise.resolve(undefined) : director.run()),
    running,
    wake: async () => {
      if (stopping) return;
      for (const [ce, own] of startedBy) await ce.wake?.([...own]);
    },
    stop: async ({ force = false } = {}) => {
      stopping = true;
      const alive = await running();
      if (alive.length === 0) return;
      logger.info('stopping local pilots', { pilots: alive, force });
      await cancel(alive);
      // The pilot's second SIGTERM interrupts its jobs at once (pilot/main.ts), which reschedules
      // them while the API still answers: the runtime stops its API only after its pilots.
      const waitMs = (options.stopWaitSeconds ?? 20) * 1000;
      const interruptAt = Date.now() + (force ? 0 : Math.min(5000, waitMs / 2));
      const deadline = Date.now() + waitMs;
      let interrupted = false;
      while (Date.now() < deadline) {
        const left = await running();
        if (left.length === 0) break;
        if (!interrupted && Date.now() >= interruptAt) {
          interrupted = true;
          await cancel(left);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const left = await running();
      if (left.length > 0) logger.warn('local pilots still draining at shutdown', { pilots: left });
    },
  };
}

/** The configuration as the pilots' file (they run in processes of their own). */
function writeConfig(home: string, config: MuonConfig): string {
  const dir = join(home, 'pilots');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'config.json');
  writePrivateFile(file, JSON.stringify(config, null, 2));
  return file;
}

/**
 * A job becoming Waiting (JobScheduling's write of status Waiting / Pilot Agent Submission to the
 * jobs table, after its task queue entry) wakes the local pilots, so an idle one takes it at once
 * (issue 12: pickup within 0.5 s). Pilots in the cloud have no such wake-up and keep their backoff.
 */
export function wakePilotsOnWaiting(aws: AwsClients, jobsTable: string | undefined, wake: () => void): void {
  wakeOnWrite(aws, {
    name: 'muonWakePilots',
    // Jobs of one submission become Waiting together: one wake-up for them.
    delayMs: 10,
    matches: ({ commandName, input }) => {
      if (!/^Update(Item)?Command$/.test(commandName) || input.TableName !== jobsTable) return false;
      // The document client's values, or the marshalled ones ({S: 'Waiting'}) a step below.
      const values = JSON.stringify(input.ExpressionAttributeValues ?? {});
      return values.includes('"Waiting"') && values.includes(`"${minorStatus.pilotAgentSubmission}"`);
    },
    wake,
  });
}
