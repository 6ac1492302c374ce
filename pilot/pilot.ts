/**
 * A pilot, start to end: it registers (POST /api/pilots) with the resources it found, sets itself
 * Running, takes jobs into its slots until there is a reason to stop (pilot/job-agent.ts), sends
 * statuses and heartbeats every `pilot.heartbeatSeconds` (pilot/reporter.ts), uploads its log every
 * `pilot.logUploadSeconds`, and ends Done, or Failed when it crashed. `startPilot` runs one in this
 * process: `muon pilot` (pilot/main.ts), the local runtime and the tests all use it.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { PilotApi, WrapperContext, WrapperHandle } from '#pilot/api.ts';
import { type ChosenComputingElement, chooseComputingElement } from '#pilot/computing-element.ts';
import { createHttpPilotApi } from '#pilot/http-api.ts';
import { drainJobs, interruptAll, takeJobs, type WrapperFactory } from '#pilot/job-agent.ts';
import { openPilotLog } from '#pilot/log.ts';
import { createReporter } from '#pilot/reporter.ts';
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
import type { MuonConfig } from '#shared/config/schema.ts';
import type { LogLevel } from '#shared/log.ts';
import { version } from '#shared/version.ts';

export type { WrapperFactory } from '#pilot/job-agent.ts';

export interface PilotOptions {
  readonly config: MuonConfig;
  /** Directory of the configuration file (hook paths are relative to it); default: the working directory. */
  readonly configDir?: string;
  /** The API to use (tests); otherwise one over HTTP to `apiUrl` with `token`. */
  readonly api?: PilotApi;
  readonly apiUrl?: string;
  readonly token?: string;
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
  /** Default: `pilot.idleStopSeconds`. */
  readonly idleStopSeconds?: number;
  /** Default: the job wrapper (pilot/wrapper/). */
  readonly startWrapper?: WrapperFactory;
  readonly logLevel?: LogLevel;
  /** Also gets every log line (the pilot always writes them to `<work dir>/pilot.log`). */
  readonly echo?: (line: string) => void;
  readonly probe?: NodeProbe;
}

export interface RunningPilot {
  /** The pilot's reference once it registered (rejects when it could not). */
  readonly reference: Promise<string>;
  /**
   * Stops taking jobs; running ones get `pilot.graceSeconds` to finish, then are interrupted (and
   * rescheduled); with `force` they are interrupted at once. Resolves when the pilot has ended.
   */
  stop(options?: { reason?: string; force?: boolean }): Promise<void>;
  /** Resolves when the pilot ends normally, rejects when it crashed. */
  readonly done: Promise<void>;
}

export function startPilot(options: PilotOptions): RunningPilot {
  const stopping = new AbortController();
  const forcing = new AbortController();
  let registered: (reference: string) => void = () => undefined;
  let unregistered: (error: unknown) => void = () => undefined;
  const reference = new Promise<string>((resolve, reject) => {
    registered = resolve;
    unregistered = reject;
  });
  const done = runPilot(options, { stop: stopping.signal, force: forcing.signal, registered }).catch(
    (error) => {
      unregistered(error);
      throw error;
    },
  );
  // The caller may only await one of them; neither must be an unhandled rejection.
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

async function runPilot(options: PilotOptions, control: Control): Promise<void> {
  const { config } = options;
  const pilotConfig = config.pilot;
  const computingElement = chooseComputingElement(config, options.site, options.ce);
  const { site, gridCE } = computingElement;
  const workDir = resolve(options.workDir ?? (await mkdtemp(join(tmpdir(), 'muon-pilot-'))));
  await mkdir(workDir, { recursive: true });
  const log = openPilotLog({
    path: join(workDir, 'pilot.log'),
    level: options.logLevel ?? 'info',
    ...(options.echo ? { echo: options.echo } : {}),
    context: { site, gridCE },
  });
  let logger = log.logger;
  const cleanUp = async () => {
    await log.close();
    if (!options.workDir) await rm(workDir, { recursive: true, force: true });
  };

  let api: PilotApi;
  let pilotReference: string;
  let resources: PilotResources;
  try {
    // A hook that cannot load would bounce every job the pilot takes: fail here, before matching.
    await loadHooks(pilotConfig.hooks, options.configDir ?? process.cwd(), defaultHooks);
    api =
      options.api ??
      createHttpPilotApi({
        apiUrl: required(options.apiUrl, 'apiUrl'),
        token: required(options.token, 'token'),
        logger,
      });
    resources = await discoverResources(workDir, options.resources, options.probe);
    const registration = await api.register(
      registrationBody(computingElement, resources, options.reference ?? resources.reference),
    );
    pilotReference = registration.PilotReference;
  } catch (error) {
    logger.error('the pilot could not start', { error });
    await cleanUp();
    throw error;
  }
  logger = logger.child({ pilot: pilotReference });
  control.registered(pilotReference);
  logger.info('pilot registered', { version, workDir, resources });
  await api
    .setPilotStatus('Running', 'Pilot started')
    .catch((error) => logger.warn('pilot status not set', { error }));

  const running = new Map<number, WrapperHandle>();
  const slots = createSlots(resources.cores, resources.memoryMb);
  const reporter = createReporter({ api, logger });
  const uploadLog = async () => {
    try {
      await api.uploadPilotLog(await log.read());
    } catch (error) {
      logger.warn('pilot log not uploaded', { error: (error as Error).message });
    }
  };
  // At once too, so that `muon pilot logs` shows a pilot from its start.
  await uploadLog();
  const timers = [
    every(pilotConfig.heartbeatSeconds, () => reporter.cycle(running)),
    every(pilotConfig.logUploadSeconds, uploadLog),
  ];
  const startWrapper = options.startWrapper ?? startJobWrapper;
  const context = (job: { JobID: number }, processors: number): WrapperContext => ({
    api,
    reporter: reporter.forJob(job.JobID),
    config: pilotConfig,
    configDir: options.configDir ?? process.cwd(),
    workRoot: workDir,
    pilotReference,
    site,
    gridCE,
    processors,
    logger,
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
      startWrapper,
      context,
      logger,
      signal: control.stop,
    });
    logger.info('the pilot takes no more jobs', { reason, running: running.size });
    await drainJobs({
      running,
      stop: control.stop,
      force: control.force,
      graceSeconds: pilotConfig.graceSeconds,
      interruptSeconds: pilotConfig.watchdog.killGraceSeconds + 30,
      logger,
    });
    ending = { status: 'Done', reason };
  } catch (error) {
    crash = error;
    ending = { status: 'Failed', reason: (error as Error).message };
    logger.error('the pilot crashed', { error });
    interruptAll(running, 'the pilot crashed', logger);
    await Promise.race([
      Promise.allSettled([...running.values()].map((handle) => handle.done)),
      new Promise((resolve) => setTimeout(resolve, (pilotConfig.watchdog.killGraceSeconds + 30) * 1000)),
    ]);
  }
  for (const timer of timers) timer.stop();
  await Promise.all(timers.map((timer) => timer.idle()));
  await reporter.flush();
  if (reporter.pending() > 0)
    logger.error('status updates could not be sent', { updates: reporter.pending() });
  logger.info('pilot ends', ending);
  // The log goes first: once the pilot is Done its credential no longer works.
  await uploadLog();
  await api
    .setPilotStatus(ending.status, ending.reason)
    .catch((error) => logger.warn('pilot status not set', { error: (error as Error).message }));
  await cleanUp();
  if (crash !== undefined) throw crash;
}

/** `POST /api/pilots` (docs/pilot-contract.md §1). */
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
  if (value === undefined) throw new Error(`startPilot needs ${name} (or an api)`);
  return value;
}
