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
import { mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { PilotApi, WrapperContext, WrapperHandle } from '#pilot/api.ts';
import { createHttpPilotApi } from '#pilot/http-api.ts';
import { drainJobs, interruptAll, takeJobs, type WrapperFactory } from '#pilot/job-agent.ts';
import { openPilotLog } from '#pilot/log.ts';
import type { RunningPilot } from '#pilot/pilot.ts';
import { createReporter } from '#pilot/reporter.ts';
import { startJobWrapper } from '#pilot/wrapper/index.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { LogLevel } from '#shared/log.ts';
import { version } from '#shared/version.ts';
import { createPushSlots, pushRequest } from './capacity.ts';
import { type PushOverrides, type PushSettings, resolvePushSettings } from './settings.ts';
import { createSlurmClient } from './slurm-client.ts';
import { createSlurmPayloadRunner } from './slurm-runner.ts';

export interface PushPilotOptions extends PushOverrides {
  readonly config: MuonConfig;
  /** Directory of the configuration file (hook paths are relative to it); default: the working directory. */
  readonly configDir?: string;
  /** The API to use (tests); otherwise one over HTTP to `apiUrl` with `token`. */
  readonly api?: PilotApi;
  readonly apiUrl?: string;
  readonly token?: string;
  /** Default: `pilot.idleStopSeconds`. */
  readonly idleStopSeconds?: number;
  /** Environment of the Slurm commands (`SLURM_CONF`, `PATH`); default this process's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default: the job wrapper (pilot/wrapper/). */
  readonly startWrapper?: WrapperFactory;
  readonly logLevel?: LogLevel;
  /** Also gets every log line (the pilot always writes them to its `pilot.log`). */
  readonly echo?: (line: string) => void;
}

export function startPushPilot(options: PushPilotOptions): RunningPilot {
  const stopping = new AbortController();
  const forcing = new AbortController();
  let registered: (reference: string) => void = () => undefined;
  let unregistered: (error: unknown) => void = () => undefined;
  const reference = new Promise<string>((resolve, reject) => {
    registered = resolve;
    unregistered = reject;
  });
  const done = runPushPilot(options, { stop: stopping.signal, force: forcing.signal, registered }).catch(
    (error) => {
      unregistered(error);
      throw error;
    },
  );
  reference.catch(() => undefined);
  done.catch(() => undefined);
  return {
    reference,
    done,
    stop: async ({ reason = 'stop requested', force = false } = {}) => {
      if (!stopping.signal.aborted) stopping.abort(new Error(reason));
      if (force) forcing.abort(new Error(reason));
      await done.catch(() => undefined);
    },
  };
}

interface Control {
  readonly stop: AbortSignal;
  readonly force: AbortSignal;
  readonly registered: (reference: string) => void;
}

async function runPushPilot(options: PushPilotOptions, control: Control): Promise<void> {
  const { config } = options;
  const pilotConfig = config.pilot;
  const settings = resolvePushSettings(config, options);
  const { site, gridCE } = settings;
  const id = randomUUID();
  const base = resolve(settings.workDir ?? (await mkdtemp(join(tmpdir(), 'muon-push-'))));
  // The job directories: under the shared work directory, one directory per push pilot.
  const workRoot = join(base, `push-${id}`);
  await mkdir(workRoot, { recursive: true });
  const log = openPilotLog({
    path: join(workRoot, 'pilot.log'),
    level: options.logLevel ?? 'info',
    ...(options.echo ? { echo: options.echo } : {}),
    context: { site, gridCE, mode: 'push' },
  });
  let logger = log.logger;
  const cleanUp = async () => {
    await log.close();
    if (!settings.workDir) await rm(base, { recursive: true, force: true });
  };

  let api: PilotApi;
  let pilotReference: string;
  try {
    api =
      options.api ??
      createHttpPilotApi({
        apiUrl: required(options.apiUrl, 'apiUrl'),
        token: required(options.token, 'token'),
        logger,
      });
    const registration = await api.register(await registrationOf(settings, workRoot, id));
    pilotReference = registration.PilotReference;
  } catch (error) {
    logger.error('the push pilot could not register', { error });
    await cleanUp();
    throw error;
  }
  logger = logger.child({ pilot: pilotReference });
  control.registered(pilotReference);
  logger.info('push pilot registered', { version, workRoot, settings: { ...settings, ce: undefined } });
  if (!settings.workDir) {
    logger.warn('no shared work directory configured: the compute nodes must see this temporary one', {
      workRoot,
    });
  }
  await api
    .setPilotStatus('Running', 'Push pilot started')
    .catch((error) => logger.warn('pilot status not set', { error }));

  const runner = createSlurmPayloadRunner({
    client: createSlurmClient({ env: options.env ?? process.env }),
    pilotReference,
    config: pilotConfig,
    partition: settings.partition,
    account: settings.account,
    sbatchOptions: settings.sbatchOptions,
    timeLimitMinutes: settings.timeLimitMinutes,
    isolateNetwork: settings.isolateNetwork,
    pollSeconds: settings.pollSeconds,
    logger,
  });
  const running = new Map<number, WrapperHandle>();
  const slots = createPushSlots(settings, settings.memoryMbPerNode);
  const reporter = createReporter({ api, logger });
  const uploadLog = async () => {
    try {
      await api.uploadPilotLog(await log.read());
    } catch (error) {
      logger.warn('pilot log not uploaded', { error: (error as Error).message });
    }
  };
  const timers = [
    every(pilotConfig.heartbeatSeconds, () => reporter.cycle(running)),
    every(pilotConfig.logUploadSeconds, uploadLog),
  ];
  const context = (job: { JobID: number }, processors: number): WrapperContext => ({
    api,
    reporter: reporter.forJob(job.JobID),
    config: pilotConfig,
    configDir: options.configDir ?? process.cwd(),
    workRoot,
    pilotReference,
    site,
    gridCE,
    processors,
    logger,
    payloadRunner: runner,
  });

  let ending: { status: 'Done' | 'Failed'; reason: string };
  let crash: unknown;
  try {
    const reason = await takeJobs({
      api,
      reporter,
      slots,
      running,
      config: pilotConfig,
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
          memoryMbPerNode: settings.memoryMbPerNode,
          tags: settings.ce.tags,
          platform: settings.ce.platform,
        }),
      startWrapper: options.startWrapper ?? startJobWrapper,
      context,
      logger,
      signal: control.stop,
    });
    logger.info('the push pilot takes no more jobs', { reason, running: running.size });
    await drainJobs({
      running,
      stop: control.stop,
      force: control.force,
      graceSeconds: pilotConfig.graceSeconds,
      interruptSeconds: pilotConfig.watchdog.killGraceSeconds + 30 + 4 * settings.pollSeconds,
      logger,
    });
    ending = { status: 'Done', reason };
  } catch (error) {
    crash = error;
    ending = { status: 'Failed', reason: (error as Error).message };
    logger.error('the push pilot crashed', { error });
    interruptAll(running, 'the pilot crashed', logger);
    await Promise.race([
      Promise.allSettled([...running.values()].map((handle) => handle.done)),
      new Promise((resolve) => setTimeout(resolve, (pilotConfig.watchdog.killGraceSeconds + 30) * 1000)),
    ]);
  }
  runner.close();
  for (const timer of timers) timer.stop();
  await Promise.all(timers.map((timer) => timer.idle()));
  await reporter.flush();
  if (reporter.pending() > 0)
    logger.error('status updates could not be sent', { updates: reporter.pending() });
  logger.info('push pilot ends', ending);
  await uploadLog();
  await api
    .setPilotStatus(ending.status, ending.reason)
    .catch((error) => logger.warn('pilot status not set', { error: (error as Error).message }));
  await cleanUp();
  if (crash !== undefined) throw crash;
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

/** Runs `task` every `seconds`, one at a time; `idle()` waits for the one in flight. */
function every(seconds: number, task: () => Promise<void>) {
  let inFlight: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = task()
      .catch(() => undefined)
      .finally(() => {
        inFlight = undefined;
      });
  }, seconds * 1000);
  return { stop: () => clearInterval(timer), idle: () => inFlight ?? Promise.resolve() };
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`startPushPilot needs ${name} (or an api)`);
  return value;
}
