/**
 * A push pilot (DIRAC's PushJobAgent) for an HPC whose compute nodes have no outbound network. It
 * runs on an edge node that reaches both the muon API and Slurm: it registers as a pilot of the
 * HPC's Slurm computing element, asks the matcher for as many jobs as the HPC's capacity takes
 * (one request per job, again at once after each match), and runs a job wrapper for each, here.
 * The wrappers do every network step on the edge node (input sandbox, input data, preProcess,
 * postProcess, output sandbox and data, statuses and heartbeats) and hand only the payload to
 * Slurm (pilot/push/slurm-runner.ts), in the job directory on a file system the compute nodes
 * share. It stops like the pull pilot: idle for `idleStopSeconds`, or on `stop()` (SIGTERM) it
 * takes no more jobs, lets running ones finish for `pilot.graceSeconds`, then cancels their Slurm
 * jobs and reschedules them.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, statfs } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type PilotBaseOptions,
  type PilotControl,
  pilotApi,
  type RunningPilot,
  runRegisteredPilot,
  startRunning,
  withPilotLog,
} from '#pilot/lifecycle.ts';
import { startJobWrapper } from '#pilot/wrapper/index.ts';
import { version } from '#shared/version.ts';
import { createPushSlots, pushRequest } from './capacity.ts';
import { type PushOverrides, type PushSettings, resolvePushSettings } from './settings.ts';
import { createSlurmClient } from './slurm-client.ts';
import { createSlurmPayloadRunner } from './slurm-runner.ts';

export interface PushPilotOptions extends PilotBaseOptions, PushOverrides {
  /** Environment of the Slurm commands (`SLURM_CONF`, `PATH`); default this process's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function startPushPilot(options: PushPilotOptions): RunningPilot {
  return startRunning((control) => runPushPilot(options, control));
}

async function runPushPilot(options: PushPilotOptions, control: PilotControl): Promise<void> {
  const { config } = options;
  const pilotConfig = config.pilot;
  const settings = resolvePushSettings(config, options);
  const { site, gridCE } = settings;
  const id = randomUUID();
  const base = resolve(settings.workDir ?? (await mkdtemp(join(tmpdir(), 'muon-push-'))));
  // The job directories: under the shared work directory, one directory per push pilot.
  const workRoot = join(base, `push-${id}`);
  // Its log and job directories are the push pilot's own only (the compute nodes run as its uid).
  await mkdir(workRoot, { recursive: true, mode: 0o700 });
  await withPilotLog({
    options,
    control,
    dir: workRoot,
    logContext: { site, gridCE, mode: 'push' },
    temporaryDir: settings.workDir ? undefined : base,
    failure: 'the push pilot could not register',
    register: async (logger) => {
      const api = pilotApi(options, logger, 'startPushPilot');
      const registration = await api.register(await registrationOf(settings, workRoot, id));
      return { api, pilotReference: registration.PilotReference };
    },
    run: async ({ api, pilotReference, log, logger }) => {
      logger.info('push pilot registered', {
        version,
        workRoot,
        settings: { ...settings, ce: undefined },
      });
      if (!settings.workDir) {
        logger.warn('no shared work directory configured: the compute nodes must see this temporary one', {
          workRoot,
        });
      }

      const runner = createSlurmPayloadRunner({
        ...settings,
        client: createSlurmClient({ env: options.env ?? process.env }),
        pilotReference,
        config: pilotConfig,
        logger,
      });
      const slots = createPushSlots(settings, settings.memoryMbPerNode);
      await runRegisteredPilot({
        kind: 'push pilot',
        api,
        log,
        logger,
        config: pilotConfig,
        control,
        where: {
          configDir: options.configDir ?? process.cwd(),
          workRoot,
          pilotReference,
          site,
          gridCE,
          payloadRunner: runner,
        },
        jobs: {
          slots,
          idleStopSeconds: options.idleStopSeconds ?? pilotConfig.idleStopSeconds,
          // The edge node has no end of its own; each payload's time is bounded by its --time.
          timeLeft: async () => undefined,
          request: () =>
            pushRequest({
              site,
              gridCE,
              pilotReference,
              slots,
              timeLimitMinutes: settings.timeLimitMinutes,
              cpuNormalizationFactor: pilotConfig.cpuNormalizationFactor,
              tags: settings.ce.tags,
              ...(settings.ce.platform ? { platform: settings.ce.platform } : {}),
            }),
          startWrapper: options.startWrapper ?? startJobWrapper,
        },
        uploadLogAtStart: false,
        // An interrupted payload's end is only seen at the runner's next polls of Slurm.
        interruptSeconds: pilotConfig.watchdog.killGraceSeconds + 30 + 4 * settings.pollSeconds,
        onJobsEnded: () => runner.close(),
      });
    },
  });
}

/** `POST /api/pilots`: the HPC's capacity under a reference of this edge node. */
async function registrationOf(settings: PushSettings, workRoot: string, id: string) {
  const { bavail, bsize } = await statfs(workRoot);
  return {
    PilotReference: `push://${hostname()}/${id}`,
    Site: settings.site,
    GridCE: settings.gridCE,
    CEType: 'Slurm',
    ...(settings.partition ? { Queue: settings.partition } : {}),
    Resources: {
      Cores: settings.nodes * settings.coresPerNode,
      ...(settings.memoryMbPerNode !== undefined
        ? { MemoryMB: settings.nodes * settings.memoryMbPerNode }
        : {}),
      DiskMB: Math.floor((bavail * bsize) / 1024 / 1024),
    },
    Version: version,
  };
}
