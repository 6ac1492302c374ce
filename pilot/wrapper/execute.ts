/**
 * The job wrapper's execute step (DIRAC's JobWrapper.execute): preProcess → the payload, watched
 * by the watchdog → postProcess. "Application" is reported only once the payload process exists.
 * A Kill command or an interrupt stops here: no postProcess, the wrapper ends the job. The payload
 * runner decides where the payload runs (this machine by default; a batch system in push mode).
 */
import type { StatusUpdate } from '#pilot/api.ts';
import type { Watchdog } from '#pilot/watchdog/watchdog.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { readCwlOutput } from './cwl.ts';
import { defaultPostProcess, defaultPreProcess } from './default-hooks.ts';
import { JobStepError } from './errors.ts';
import {
  type HookContext,
  type Hooks,
  type HookVerdict,
  isPayloadCommand,
  type PayloadResult,
  type PostProcessContext,
  type PostProcessResult,
  type PreProcessContext,
} from './hooks.ts';
import { localPayloadRunner, type PayloadRunner, type RunningPayload } from './payload.ts';

export interface ExecuteInput {
  readonly context: HookContext;
  readonly cwlDocument?: string | undefined;
  readonly hooks: Hooks;
  readonly watchdog: Watchdog;
  /** Default: the local runner. */
  readonly runner?: PayloadRunner | undefined;
  readonly report: (update: StatusUpdate) => void;
  /** The payload was started: keep the handle to stop it. */
  readonly started: (payload: RunningPayload) => void;
  /** The payload process exists (`where`: the remote runner's words): report "Application". */
  readonly running: (where: string | undefined) => void;
  /** A Kill command or an interrupt arrived. */
  readonly stopped: () => boolean;
  /** The limit the watchdog stopped the payload for, if it did. */
  readonly watchdogVerdict: () => { readonly minorStatus: string; readonly message: string } | undefined;
}

export type Execution =
  | { readonly kind: 'verdict'; readonly verdict: HookVerdict }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'finished'; readonly result: PayloadResult; readonly decision: PostProcessResult };

export async function execute(input: ExecuteInput): Promise<Execution> {
  const { context, watchdog } = input;
  const preContext: PreProcessContext = {
    ...context,
    ...(input.cwlDocument !== undefined ? { cwlDocument: input.cwlDocument } : {}),
    defaults: () => defaultPreProcess(preContext),
  };
  const prepared = await input.hooks.preProcess(preContext);
  if (!isPayloadCommand(prepared)) return { kind: 'verdict', verdict: prepared };
  if (input.stopped() || input.watchdogVerdict()) return { kind: 'stopped' };

  let payload: RunningPayload;
  try {
    payload = await (input.runner ?? localPayloadRunner).start(prepared, {
      job: context.job,
      paths: context.paths,
      processors: context.processors,
      treePids: () => watchdog.treePids(),
      report: input.report,
      logger: context.logger,
    });
  } catch (error) {
    if (error instanceof JobStepError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const minor =
      code === 'ENOENT' || code === 'EACCES'
        ? minorStatus.applicationNotFound
        : minorStatus.exceptionDuringExecution;
    throw new JobStepError(minor, `cannot start ${prepared.command[0]}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (payload.pid !== undefined) watchdog.attach(payload.pid);
  input.started(payload);
  // Settles before `exit` does, so "Application" is reported before anything after the payload.
  void payload.running.then(input.running);
  const exit = await payload.exit;
  payload.reap();
  watchdog.stop();
  if (input.stopped()) return { kind: 'stopped' };

  // The watchdog's limit, else the batch system's.
  const verdict = input.watchdogVerdict() ?? exit.limit;
  const cwlOutput =
    context.job.Kind === 'cwl' && exit.exitCode === 0 ? await readCwlOutput(context.paths.stdout) : undefined;
  const usage = watchdog.usage();
  const result: PayloadResult = {
    exitCode: exit.exitCode,
    signal: exit.signal,
    cpuSeconds: exit.cpuSeconds ?? usage.cpuSeconds,
    wallClockSeconds: exit.wallClockSeconds ?? usage.wallClockSeconds,
    stdout: context.paths.stdout,
    stderr: context.paths.stderr,
    ...(verdict ? { watchdog: verdict } : {}),
    ...(cwlOutput ? { cwlOutput } : {}),
  };
  const postContext: PostProcessContext = {
    ...context,
    result,
    defaults: () => defaultPostProcess(postContext),
  };
  return { kind: 'finished', result, decision: await input.hooks.postProcess(postContext) };
}
