/**
 * Fakes for the pilot's tests: an in-memory PilotApi that hands out queued jobs and records every
 * call, and a job wrapper whose jobs report like the real one and end when the test says.
 */
import type {
  HeartbeatData,
  JobCommand,
  MatchedJob,
  PilotApi,
  ResourceRequest,
  StatusUpdate,
  WrapperContext,
  WrapperHandle,
  WrapperOutcome,
} from '#pilot/api.ts';
import { type JobAgentDeps, takeJobs, type WrapperFactory } from '#pilot/job-agent.ts';
import { createReporter, type Reporter } from '#pilot/reporter.ts';
import type { NodeProbe } from '#pilot/resources.ts';
import { createSlots, matcherRequest } from '#pilot/slots.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { jobDescriptionSchema } from '#shared/jobs/model.ts';
import { createLogger, type Logger } from '#shared/log.ts';

export const quietLogger = (lines: string[] = []): Logger =>
  createLogger({ level: 'debug', write: (line) => lines.push(line) });

/** What the agent gives each wrapper, as the pilot builds it. */
export const contextFor =
  (api: PilotApi, reporter: Reporter, logger: Logger = quietLogger()) =>
  (job: MatchedJob, processors: number): WrapperContext => ({
    api,
    reporter: reporter.forJob(job.JobID),
    config: loadConfigFile('config/muon.yaml').pilot,
    configDir: 'config',
    workRoot: '/nonexistent',
    pilotReference: 'pilot-fake',
    site: 'LOCAL.localhost.local',
    gridCE: 'localhost',
    processors,
    logger,
  });

export function matchedJob(jobId: number, description: Partial<MatchedJob['Description']> = {}): MatchedJob {
  return {
    JobID: jobId,
    VO: 'vo.example.org',
    Owner: 'alice',
    OwnerGroup: 'user',
    JobType: 'User',
    JobName: `job-${jobId}`,
    CPUTime: 100,
    Kind: 'jdl',
    Executable: '/bin/true',
    InputSandbox: [],
    InputData: [],
    OutputSandbox: [],
    OutputData: [],
    OutputSE: [],
    PayloadToken: `payload-token-${jobId}`,
    PayloadTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    // The job model's own defaults fill what a test leaves out.
    Description: jobDescriptionSchema.parse({
      kind: 'jdl',
      jobName: `job-${jobId}`,
      jobType: 'User',
      priority: 1,
      cpuTime: 100,
      ...description,
    }),
  };
}

type StatusBody = Readonly<Record<string, Readonly<Record<string, StatusUpdate>>>>;

export interface FakeApi extends PilotApi {
  /** Jobs the matcher will hand out, first that fits first. */
  readonly queue: MatchedJob[];
  readonly requests: ResourceRequest[];
  readonly requestTimes: number[];
  readonly statusBodies: StatusBody[];
  readonly heartbeatBodies: Record<string, HeartbeatData>[];
  readonly pilotStatuses: { status: string; reason: string }[];
  readonly logs: Buffer[];
  readonly rescheduled: number[];
  /** Jobs whose payload token was renewed. */
  readonly tokenRenewals: number[];
  /** Status bodies sent through a job's own API, with the token they were sent with. */
  readonly jobStatusBodies: { jobId: number; token: string; body: StatusBody }[];
  /** The order of calls, by name. */
  readonly calls: string[];
  /** Commands the next heartbeat answers with. */
  commands: JobCommand[];
  /** Throw this from the next sendStatuses calls (one each). */
  statusFailures: Error[];
  requestFailure?: Error;
}

export function fakeApi(jobs: MatchedJob[] = []): FakeApi {
  const api: FakeApi = {
    queue: [...jobs],
    requests: [],
    requestTimes: [],
    statusBodies: [],
    heartbeatBodies: [],
    pilotStatuses: [],
    logs: [],
    rescheduled: [],
    tokenRenewals: [],
    jobStatusBodies: [],
    calls: [],
    commands: [],
    statusFailures: [],
    async register() {
      api.calls.push('register');
      return { PilotReference: 'pilot-fake', PilotStamp: '0'.repeat(32), Secret: 'f'.repeat(64) };
    },
    async setPilotStatus(status, reason) {
      api.calls.push(`status:${status}`);
      api.pilotStatuses.push({ status, reason });
    },
    async uploadPilotLog(content) {
      api.calls.push('log');
      api.logs.push(content);
    },
    async requestJob(request) {
      api.calls.push('request');
      api.requests.push(request);
      api.requestTimes.push(Date.now());
      if (api.requestFailure) throw api.requestFailure;
      const index = api.queue.findIndex((job) => job.Description.minProcessors <= request.NumberOfProcessors);
      if (index < 0) return undefined;
      return api.queue.splice(index, 1)[0];
    },
    async sendStatuses(updates) {
      api.calls.push('statuses');
      const failure = api.statusFailures.shift();
      if (failure) throw failure;
      api.statusBodies.push(structuredClone(updates));
    },
    async sendHeartbeats(beats) {
      api.calls.push('heartbeats');
      api.heartbeatBodies.push({ ...beats });
      const commands = api.commands;
      api.commands = [];
      return commands;
    },
    async reschedule(jobIds) {
      api.calls.push('reschedule');
      api.rescheduled.push(...jobIds);
    },
    async payloadToken(jobId) {
      api.calls.push('payload token');
      api.tokenRenewals.push(jobId);
      return {
        PayloadToken: `payload-token-${jobId}-${api.tokenRenewals.length}`,
        PayloadTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      };
    },
    forJob: (jobId, tokens) => ({
      jobId,
      downloadSandbox: async () => undefined,
      uploadOutputSandbox: async () => 'SB:SandboxSE|/S3/bucket/key',
      downloadData: async () => ({ backend: 'file', path: '/dev/null' }),
      uploadTarget: async () => ({ backend: 'file', path: '/dev/null', pfn: '/dev/null' }),
      registerReplica: async () => undefined,
      putOutputs: async () => undefined,
      async sendStatuses(updates) {
        api.calls.push('job statuses');
        api.jobStatusBodies.push({ jobId, token: await tokens.token(), body: structuredClone(updates) });
      },
      async reschedule() {
        api.calls.push('job reschedule');
        api.rescheduled.push(jobId);
      },
    }),
  };
  return api;
}

export interface FakeJob {
  readonly job: MatchedJob;
  readonly context: WrapperContext;
  readonly handle: WrapperHandle;
  readonly killed: boolean;
  readonly interrupted: string | undefined;
  /** Ends the job Done (as its payload ending would). */
  finish(outcome?: WrapperOutcome): void;
}

/**
 * A job wrapper that reports Running/"Job Initialization" and Running/"Application", and ends Done
 * after `runMs` (or when `finish()` is called, when `runMs` is undefined). A Kill ends it Killed,
 * an interrupt Rescheduled.
 */
export function fakeWrapper(options: { runMs?: number } = {}): {
  start: WrapperFactory;
  jobs: Map<number, FakeJob>;
} {
  const jobs = new Map<number, FakeJob>();
  const start: WrapperFactory = (job, context) => {
    let end: (outcome: WrapperOutcome) => void = () => undefined;
    let killed = false;
    let interrupted: string | undefined;
    let ended = false;
    const finishWith = async (outcome: WrapperOutcome, update: StatusUpdate, after?: () => Promise<void>) => {
      if (ended) return;
      ended = true;
      context.reporter.status(update);
      await context.reporter.flush();
      await after?.();
      end(outcome);
    };
    const done = new Promise<WrapperOutcome>((resolve) => {
      end = resolve;
    });
    context.reporter.status({ Status: 'Running', MinorStatus: 'Job Initialization' });
    context.reporter.status({ Status: 'Running', MinorStatus: 'Application' });
    const fake: FakeJob = {
      job,
      context,
      get killed() {
        return killed;
      },
      get interrupted() {
        return interrupted;
      },
      handle: {
        jobId: job.JobID,
        heartbeat: () => ({ CPUConsumed: 0.5, WallClockTime: 1 }),
        kill: () => {
          killed = true;
          void finishWith({ status: 'Killed' }, { MinorStatus: 'Received Kill signal' });
        },
        interrupt: (reason) => {
          interrupted = reason;
          void finishWith({ status: 'Rescheduled', reason }, { MinorStatus: 'Going to reschedule job' }, () =>
            context.api.reschedule([job.JobID]),
          );
        },
        done,
      },
      finish: (outcome = { status: 'Done' }) =>
        void finishWith(outcome, { Status: 'Done', MinorStatus: 'Execution Complete' }),
    };
    jobs.set(job.JobID, fake);
    if (options.runMs !== undefined) setTimeout(() => fake.finish(), options.runMs);
    return fake.handle;
  };
  return { start, jobs };
}

export const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

/** A job agent over a fake API (2 cores unless `overrides.slots` says); `overrides` replace any of its dependencies. */
export function jobAgent(api: FakeApi, overrides: Partial<JobAgentDeps> = {}) {
  const wrapper = fakeWrapper();
  const slots = overrides.slots ?? createSlots(2, 4000);
  const reporter = createReporter({ api, logger: quietLogger() });
  const stop = new AbortController();
  const running = new Map<number, WrapperHandle>();
  const deps: JobAgentDeps = {
    api,
    reporter,
    slots,
    running,
    config: { pollSeconds: 0.02, maxPollSeconds: 0.06, minTimeLeftSeconds: 100 },
    idleStopSeconds: 60,
    timeLeft: async () => undefined,
    request: (timeLeftSeconds) =>
      matcherRequest({
        site: 's',
        gridCE: 'ce',
        pilotReference: 'p',
        slots,
        timeLeftSeconds,
        cpuNormalizationFactor: 2,
      }),
    startWrapper: wrapper.start,
    context: contextFor(api, reporter),
    logger: quietLogger(),
    signal: stop.signal,
    ...overrides,
  };
  return { deps, wrapper, stop, running, taking: () => takeJobs(deps) };
}

/** The project's config with a pilot that polls, beats and uploads fast, and stops idle after `idleStopSeconds`. */
export function fastPilotConfig(idleStopSeconds: number): MuonConfig {
  const settings = loadConfigFile('config/muon.yaml');
  settings.pilot = {
    ...settings.pilot,
    pollSeconds: 0.02,
    maxPollSeconds: 0.05,
    idleStopSeconds,
    heartbeatSeconds: 0.05,
    logUploadSeconds: 0.1,
    graceSeconds: 0.1,
  };
  return settings;
}

/** A worker node with `cpus` processors, plenty of disk and memory, and nothing else to probe. */
export const fakeNode = (cpus: number): NodeProbe => ({
  env: {},
  readFile: () => undefined,
  run: async () => '',
  freeDiskBytes: async () => 10 * 1024 ** 3,
  totalMemoryBytes: () => 8 * 1024 ** 3,
  cpus: () => cpus,
  hostname: () => 'node1',
});
