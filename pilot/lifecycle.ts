/**
 * What a pull pilot (pilot/pilot.ts) and a push pilot (pilot/push/push-pilot.ts) do alike: the
 * handle that stops them, the API they talk to, their log and registration, and their life once
 * registered: Running, statuses and heartbeats every `pilot.heartbeatSeconds`, the log every
 * `pilot.logUploadSeconds`, jobs taken until there is a reason to stop (pilot/job-agent.ts), the
 * drain, and the end, Done or Failed.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PilotApi, WrapperContext, WrapperHandle } from '#pilot/api.ts';
import { createHttpPilotApi } from '#pilot/http-api.ts';
import {
  drainJobs,
  interruptAll,
  type JobAgentDeps,
  takeJobs,
  type WrapperFactory,
} from '#pilot/job-agent.ts';
import { openPilotLog, type PilotLog } from '#pilot/log.ts';
import { createWakeUps, type WakeUps } from '#pilot/polling.ts';
import { createReporter } from '#pilot/reporter.ts';
import type { PilotToken } from '#pilot/token.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { Logger, LogLevel } from '#shared/log.ts';

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
  /** Asks the matcher at once if a core is free, forgetting the backoff (pilot/polling.ts). */
  wake(): void;
}

/** What a pull pilot and a push pilot are both given. */
export interface PilotBaseOptions {
  readonly config: MuonConfig;
  /** Directory of the configuration file (hook paths are relative to it); default: the working directory. */
  readonly configDir?: string;
  /** The API to use (tests); otherwise one over HTTP to `apiUrl` with `token`. */
  readonly api?: PilotApi;
  readonly apiUrl?: string;
  readonly token?: PilotToken;
  /** Default: `pilot.idleStopSeconds`. */
  readonly idleStopSeconds?: number;
  /** Default: the job wrapper (pilot/wrapper/). */
  readonly startWrapper?: WrapperFactory;
  readonly logLevel?: LogLevel;
  /** Also gets every log line (the pilot always writes them to its `pilot.log`). */
  readonly echo?: (line: string) => void;
}

/** What `stop()` tells a running pilot, and how it says it registered. */
export interface PilotControl {
  readonly stop: AbortSignal;
  readonly force: AbortSignal;
  readonly registered: (reference: string) => void;
  readonly wakeUps: WakeUps;
}

/** Runs `run` in the background behind a `RunningPilot` handle. */
export function startRunning(run: (control: PilotControl) => Promise<void>): RunningPilot {
  const stopping = new AbortController();
  const forcing = new AbortController();
  const wakeUps = createWakeUps();
  let registered: (reference: string) => void = () => undefined;
  let unregistered: (error: unknown) => void = () => undefined;
  const reference = new Promise<string>((resolve, reject) => {
    registered = resolve;
    unregistered = reject;
  });
  const done = run({ stop: stopping.signal, force: forcing.signal, registered, wakeUps }).catch((error) => {
    unregistered(error);
    throw error;
  });
  // The caller may only await one of them; neither must be an unhandled rejection.
  reference.catch(() => undefined);
  done.catch(() => undefined);
  return {
    reference,
    done,
    wake: () => wakeUps.wake(),
    stop: async ({ reason = 'stop requested', force = false } = {}) => {
      if (!stopping.signal.aborted) stopping.abort(new Error(reason));
      if (force) forcing.abort(new Error(reason));
      await done.catch(() => undefined);
    },
  };
}

/** The API given (tests), else one over HTTP; `caller` names the function missing its options. */
export function pilotApi(
  options: Pick<PilotBaseOptions, 'api' | 'apiUrl' | 'token'>,
  logger: Logger,
  caller: string,
): PilotApi {
  if (options.api) return options.api;
  const required = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`${caller} needs ${name} (or an api)`);
    return value;
  };
  return createHttpPilotApi({
    apiUrl: required(options.apiUrl, 'apiUrl'),
    token: required(options.token, 'token'),
    logger,
  });
}

/**
 * Opens the pilot's log (`<dir>/pilot.log`), registers the pilot (`register`, which returns the API
 * it registered with and its reference; a failure is logged as `failure` and rethrown), then runs it
 * (`run`, with a logger tagged with its reference). The log is closed, and `temporaryDir` removed,
 * however the pilot ends.
 */
export async function withPilotLog<
  R extends { readonly api: PilotApi; readonly pilotReference: string },
>(pilot: {
  readonly options: Pick<PilotBaseOptions, 'logLevel' | 'echo'>;
  readonly control: PilotControl;
  readonly dir: string;
  readonly logContext: Record<string, unknown>;
  /** A directory the pilot made for itself. */
  readonly temporaryDir: string | undefined;
  readonly failure: string;
  readonly register: (logger: Logger) => Promise<R>;
  readonly run: (registered: R & { readonly log: PilotLog; readonly logger: Logger }) => Promise<void>;
}): Promise<void> {
  const { options } = pilot;
  const log = openPilotLog({
    path: join(pilot.dir, 'pilot.log'),
    level: options.logLevel ?? 'info',
    ...(options.echo ? { echo: options.echo } : {}),
    context: pilot.logContext,
  });
  try {
    let registered: R;
    try {
      registered = await pilot.register(log.logger);
    } catch (error) {
      log.logger.error(pilot.failure, { error });
      throw error;
    }
    const logger = log.logger.child({ pilot: registered.pilotReference });
    pilot.control.registered(registered.pilotReference);
    await pilot.run({ ...registered, log, logger });
  } finally {
    await log.close();
    if (pilot.temporaryDir) await rm(pilot.temporaryDir, { recursive: true, force: true });
  }
}

/** A registered pilot, ready to take jobs. */
export interface RegisteredPilot {
  /** How its log lines and statuses name it: `pilot` or `push pilot`. */
  readonly kind: 'pilot' | 'push pilot';
  readonly api: PilotApi;
  readonly log: PilotLog;
  /** Already tagged with the pilot's reference. */
  readonly logger: Logger;
  readonly config: MuonConfig['pilot'];
  readonly control: PilotControl;
  /** What every job wrapper gets besides the API, its reporter, the config, its cores and the logger. */
  readonly where: Pick<
    WrapperContext,
    'configDir' | 'workRoot' | 'pilotReference' | 'site' | 'gridCE' | 'payloadRunner'
  >;
  /** How the job agent takes jobs. */
  readonly jobs: Pick<
    JobAgentDeps,
    'slots' | 'idleStopSeconds' | 'maxJobs' | 'timeLeft' | 'request' | 'startWrapper'
  >;
  /** Upload the log at once too, so that `muon pilot logs` shows the pilot from its start. */
  readonly uploadLogAtStart: boolean;
  /** How long interrupted wrappers get to stop their payloads when draining. */
  readonly interruptSeconds: number;
  /** Called once no job runs any more, before the final reports. */
  readonly onJobsEnded?: () => void;
}

/**
 * Sets the pilot Running, takes jobs until there is a reason to stop, drains, and ends it Done, or
 * Failed (rethrowing) when it crashed.
 */
export async function runRegisteredPilot(pilot: RegisteredPilot): Promise<void> {
  const { api, log, logger, config, control, kind } = pilot;
  const label = `the ${kind}`;
  await api
    .setPilotStatus('Running', kind === 'pilot' ? 'Pilot started' : 'Push pilot started')
    .catch((error) => logger.warn('pilot status not set', { error }));

  const running = new Map<number, WrapperHandle>();
  const reporter = createReporter({ api, logger });
  const uploadLog = async () => {
    try {
      await api.uploadPilotLog(await log.read());
    } catch (error) {
      logger.warn('pilot log not uploaded', { error: (error as Error).message });
    }
  };
  if (pilot.uploadLogAtStart) await uploadLog();
  const timers = [
    every(config.heartbeatSeconds, () => reporter.cycle(running)),
    every(config.logUploadSeconds, uploadLog),
  ];
  const context = (job: { JobID: number }, processors: number): WrapperContext => ({
    ...pilot.where,
    api,
    reporter: reporter.forJob(job.JobID),
    config,
    processors,
    logger,
  });

  let ending: { status: 'Done' | 'Failed'; reason: string };
  let crash: unknown;
  try {
    const reason = await takeJobs({
      ...pilot.jobs,
      api,
      reporter,
      running,
      config,
      context,
      logger,
      signal: control.stop,
      wakeUps: control.wakeUps,
    });
    logger.info(`${label} takes no more jobs`, { reason, running: running.size });
    await drainJobs({
      running,
      stop: control.stop,
      force: control.force,
      graceSeconds: config.graceSeconds,
      interruptSeconds: pilot.interruptSeconds,
      logger,
    });
    ending = { status: 'Done', reason };
  } catch (error) {
    crash = error;
    ending = { status: 'Failed', reason: (error as Error).message };
    logger.error(`${label} crashed`, { error });
    await interruptAll(running, 'the pilot crashed', {
      logger,
      waitSeconds: config.watchdog.killGraceSeconds + 30,
    });
  }
  pilot.onJobsEnded?.();
  for (const timer of timers) timer.stop();
  await Promise.all(timers.map((timer) => timer.idle()));
  await reporter.flush();
  if (reporter.pending() > 0)
    logger.error('status updates could not be sent', { updates: reporter.pending() });
  logger.info(`${kind} ends`, ending);
  // The log goes first: once the pilot is Done its credential no longer works.
  await uploadLog();
  await api
    .setPilotStatus(ending.status, ending.reason)
    .catch((error) => logger.warn('pilot status not set', { error: (error as Error).message }));
  if (crash !== undefined) throw crash;
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
