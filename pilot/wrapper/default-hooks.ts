/**
 * muon's own preProcess and postProcess, used when the configuration names none (DIRAC's
 * JobWrapper.preProcess and postProcess).
 * - preProcess builds the command (cwltool for a CWL job; Executable + Arguments for a JDL job)
 *   and the environment (the pilot's without its credentials, DIRACJOBID, DIRACSITE,
 *   DIRAC_PROCESSORS and DIRAC_JOB_PROCESSORS, DIRAC_WHOLENODE, the JDL's ExecutionEnvironment;
 *   cwltool gets `--no-container` unless the job asks for a container and Docker works), and
 *   fails the job "Application not found" when the executable does not exist. Its cwltool
 *   command may start warm (warm-cwltool.ts) unless `pilot.warmCwltool` is false.
 * - postProcess maps the payload's end to the job's: a watchdog kill fails with the watchdog's
 *   minor status; exit 0 is success; 1502 (or 222, what is left of it in 8 bits) reschedules;
 *   cwltool's 33 is an unsupported CWL requirement; anything else fails with "Exit code N".
 */
import { spawn } from 'node:child_process';
import { getStringList, parseJdl } from '#shared/jdl/index.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { findExecutable, parseExecutionEnvironment, payloadEnvironment, splitArguments } from './command.ts';
import { asksForContainer, cwltoolCommand, unsupportedRequirementExit } from './cwl.ts';
import type {
  Hooks,
  PostProcessContext,
  PostProcessResult,
  PreProcessContext,
  PreProcessResult,
} from './hooks.ts';
import { markWarm, takeWarmFailure } from './warm-cwltool.ts';

export async function defaultPreProcess(context: PreProcessContext): Promise<PreProcessResult> {
  const { job } = context;
  const env = payloadEnvironment(process.env, {
    DIRACJOBID: String(job.JobID),
    DIRACSITE: context.site,
    DIRAC_PROCESSORS: String(context.processors),
    DIRAC_JOB_PROCESSORS: String(context.processors),
    ...(job.Description.wholeNode ? { DIRAC_WHOLENODE: 'True' } : {}),
    ...executionEnvironment(job.JDL),
  });
  let command: string[];
  if (job.Kind === 'cwl') {
    const container = asksForContainer(job.Workflow) && (await dockerWorks());
    command = cwltoolCommand(context.config.cwltool, context.paths, context.cwlDocument ?? '', container);
  } else {
    command = [job.Executable ?? '', ...splitArguments(job.Arguments ?? '')];
  }
  const [executable = '', ...args] = command;
  const found = executable === '' ? undefined : await findExecutable(executable, context.workDir, env.PATH);
  if (found === undefined) {
    return {
      status: 'Failed',
      minorStatus: minorStatus.applicationNotFound,
      applicationStatus: executable === '' ? 'No Executable' : `${executable} not found`,
    };
  }
  const payload = { command: [found, ...args], env };
  if (job.Kind === 'cwl' && context.config.warmCwltool) {
    markWarm(payload.command);
    const failure = takeWarmFailure();
    if (failure !== undefined) context.logger.warn(failure);
  }
  return payload;
}

export async function defaultPostProcess(context: PostProcessContext): Promise<PostProcessResult> {
  const { result, job } = context;
  if (result.watchdog) {
    return {
      status: 'Failed',
      minorStatus: result.watchdog.minorStatus,
      applicationStatus: result.watchdog.message,
    };
  }
  const code = result.exitCode;
  if (code === 0) {
    if (job.Kind === 'cwl' && result.cwlOutput === undefined) {
      return {
        status: 'Failed',
        minorStatus: minorStatus.applicationFinishedWithErrors,
        applicationStatus: 'cwltool printed no output object',
      };
    }
    return { status: 'Completing', minorStatus: minorStatus.applicationFinishedSuccessfully };
  }
  if (code === 1502 || code === 222) {
    return {
      status: 'Rescheduled',
      minorStatus: minorStatus.goingToRescheduleJob,
      reason: `Exit code ${code}`,
    };
  }
  const applicationStatus = code === null ? `Killed by ${result.signal}` : `Exit code ${code}`;
  if (job.Kind === 'cwl' && code === unsupportedRequirementExit) {
    return { status: 'Failed', minorStatus: minorStatus.unsupportedCwlRequirement, applicationStatus };
  }
  return { status: 'Failed', minorStatus: minorStatus.applicationFinishedWithErrors, applicationStatus };
}

export const defaultHooks: Hooks = { preProcess: defaultPreProcess, postProcess: defaultPostProcess };

function executionEnvironment(jdl: string | undefined): Record<string, string> {
  if (jdl === undefined) return {};
  try {
    return parseExecutionEnvironment(getStringList(parseJdl(jdl), 'ExecutionEnvironment'));
  } catch {
    return {};
  }
}

let docker: Promise<boolean> | undefined;
/** Whether `docker info` answers (asked once per pilot): containers are used only then. */
export function dockerWorks(): Promise<boolean> {
  docker ??= new Promise((done) => {
    const child = spawn('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
    child.on('error', () => done(false));
    child.on('exit', (code) => done(code === 0));
  });
  return docker;
}
