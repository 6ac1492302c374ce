/**
 * A pilot, start to end: it registers (POST /api/pilots) with the resources it found, sets itself
 * Running, takes jobs into its slots until there is a reason to stop (pilot/job-agent.ts), sends
 * statuses and heartbeats every `pilot.heartbeatSeconds` (pilot/reporter.ts), uploads its log every
 * `pilot.logUploadSeconds`, and ends Done, or Failed when it crashed. `startPilot` runs one in this
 * process: `muon pilot` (pilot/main.ts), the local runtime and the tests all use it. A pilot running
 * as root runs each payload as a user of its own (pilot/wrapper/isolation.ts).
 */
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ChosenComputingElement, chooseComputingElement } from '#pilot/computing-element.ts';
import {
  type PilotBaseOptions,
  type PilotControl,
  pilotApi,
  type RunningPilot,
  runRegisteredPilot,
  startRunning,
  withPilotLog,
} from '#pilot/lifecycle.ts';
import {
  createTimeLeft,
  discoverResources,
  type NodeProbe,
  type PilotResources,
  type ResourceOverrides,
} from '#pilot/resources.ts';
import { createSlots, matcherRequest } from '#pilot/slots.ts';
import { defaultHooks } from '#pilot/wrapper/default-hooks.ts';
import { loadHooks } from '#pilot/wrapper/hooks.ts';
import { startJobWrapper } from '#pilot/wrapper/index.ts';
import {
  createPayloadUserPool,
  defaultPayloadIds,
  isolatedPayloadRunner,
  type PayloadIdRange,
} from '#pilot/wrapper/isolation.ts';
import type { PayloadRunner } from '#pilot/wrapper/payload.ts';
import { hostProtections, logIsolation, payloadWorkRoot } from '#pilot/wrapper/work-root.ts';
import { version } from '#shared/version.ts';

export type { RunningPilot } from '#pilot/lifecycle.ts';

export interface PilotOptions extends PilotBaseOptions {
  /** Default: the first Local computing element of the configuration. */
  readonly site?: string;
  readonly ce?: string;
  /** Default: the one its computing element gave it (`pilotReferenceFromEnvironment`), else the API makes one up. */
  readonly reference?: string;
  readonly resources?: ResourceOverrides;
  /** Default: a new temporary directory, removed when the pilot ends. */
  readonly workDir?: string;
  /** Stop taking jobs after this many. */
  readonly maxJobs?: number;
  readonly probe?: NodeProbe;
  /** The uids and gids a root pilot's payloads run as (default 61000, 1000 of them). */
  readonly payloadIds?: PayloadIdRange;
}

export function startPilot(options: PilotOptions): RunningPilot {
  return startRunning((control) => runPilot(options, control));
}

async function runPilot(options: PilotOptions, control: PilotControl): Promise<void> {
  const { config } = options;
  const pilotConfig = config.pilot;
  const computingElement = chooseComputingElement(config, options.site, options.ce);
  const { site, gridCE } = computingElement;
  const workDir = resolve(options.workDir ?? (await mkdtemp(join(tmpdir(), 'muon-pilot-'))));
  // The pilot's files (its log, its jobs' directories) are its own only. mkdir's mode is for a new
  // directory (less the umask); a --work-dir that exists keeps its own mode without the chmod.
  await mkdir(workDir, { recursive: true, mode: 0o700 });
  await chmod(workDir, 0o700);
  const root = process.getuid?.() === 0;
  let jobs: { workRoot: string; temporary: boolean; runner?: PayloadRunner } = {
    workRoot: workDir,
    temporary: false,
  };
  try {
    await withPilotLog({
      options,
      control,
      dir: workDir,
      logContext: { site, gridCE },
      temporaryDir: options.workDir ? undefined : workDir,
      failure: 'the pilot could not start',
      register: async (logger) => {
        // A hook that cannot load would bounce every job the pilot takes: fail here, before matching.
        await loadHooks(pilotConfig.hooks, options.configDir ?? process.cwd(), defaultHooks);
        if (root) {
          // Payloads of other users must reach their job directories, and nothing else of the pilot.
          jobs = {
            ...(await payloadWorkRoot(workDir, logger)),
            runner: isolatedPayloadRunner(createPayloadUserPool(options.payloadIds ?? defaultPayloadIds)),
          };
        }
        logIsolation(logger, { root, host: await hostProtections() });
        const api = pilotApi(options, logger, 'startPilot');
        const resources = await discoverResources(workDir, options.resources, options.probe);
        const registration = await api.register(
          registrationBody(computingElement, resources, options.reference ?? resources.reference),
        );
        return { api, pilotReference: registration.PilotReference, resources };
      },
      run: async ({ api, pilotReference, resources, log, logger }) => {
        logger.info('pilot registered', { version, workDir, resources });
        const slots = createSlots(resources.cores, resources.memoryMb);
        await runRegisteredPilot({
          kind: 'pilot',
          api,
          log,
          logger,
          config: pilotConfig,
          control,
          where: {
            configDir: options.configDir ?? process.cwd(),
            workRoot: jobs.workRoot,
            pilotReference,
            site,
            gridCE,
            ...(jobs.runner ? { payloadRunner: jobs.runner } : {}),
          },
          jobs: {
            slots,
            idleStopSeconds: options.idleStopSeconds ?? pilotConfig.idleStopSeconds,
            ...(options.maxJobs !== undefined ? { maxJobs: options.maxJobs } : {}),
            timeLeft: createTimeLeft(resources, options.probe ? { probe: options.probe } : {}),
            request: (timeLeftSeconds) =>
              matcherRequest({
                site,
                gridCE,
                pilotReference,
                slots,
                timeLeftSeconds,
                cpuNormalizationFactor: pilotConfig.cpuNormalizationFactor,
                tags: computingElement.ce.tags,
                ...(computingElement.ce.platform ? { platform: computingElement.ce.platform } : {}),
              }),
            startWrapper: options.startWrapper ?? startJobWrapper,
          },
          uploadLogAtStart: true,
          interruptSeconds: pilotConfig.watchdog.killGraceSeconds + 30,
        });
      },
    });
  } finally {
    if (jobs.temporary) await rm(jobs.workRoot, { recursive: true, force: true });
  }
}

/** The body of `POST /api/pilots` (docs/pilots.md, "Registration and the pilot credential"). */
function registrationBody(
  where: ChosenComputingElement,
  resources: PilotResources,
  reference: string | undefined,
) {
  return {
    ...(reference ? { PilotReference: reference } : {}),
    Site: where.site,
    GridCE: where.gridCE,
    CEType: where.ce.type,
    ...(resources.batch ? { BatchJobID: resources.batch.jobId } : {}),
    Resources: {
      Cores: resources.cores,
      MemoryMB: resources.memoryMb,
      DiskMB: resources.diskMb,
      ...(resources.wallClockSeconds !== undefined
        ? { WallClockSeconds: Math.floor(resources.wallClockSeconds) }
        : {}),
    },
    Version: version,
  };
}
