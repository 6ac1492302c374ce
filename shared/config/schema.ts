/**
 * The configuration document: muon's analogue of DIRAC's Configuration Service. One YAML file,
 * validated by this schema, describes virtual organisations, groups, sites, platforms and limits.
 * Later features add their own sections here rather than inventing settings of their own.
 */
import { z } from 'zod';
import { awsBatchSettingsSchema, localSettingsSchema, slurmSettingsSchema } from '#shared/ce/settings.ts';

const identifier = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    'use letters, digits, "_", "." and "-" only, starting with a letter or digit',
  );

const groupSchema = z
  .object({
    properties: z.array(z.string().min(1)).min(1),
    /** Fair-share weight of the group among the VO's groups (DIRAC's JobShare). */
    share: z.number().positive().default(1),
    /**
     * DIRAC's JobSharing: the group's owners share one fair-share slot (production groups). When
     * false, as for user groups, the group's share is divided among its owners.
     */
    jobSharing: z.boolean().default(false),
  })
  .strict();

const jobDescriptionSchema = z
  .object({
    defaultCpuTime: z.number().int().positive().default(86_400),
    minCpuTime: z.number().int().positive().default(100),
    maxCpuTime: z.number().int().positive().default(500_000),
    defaultPriority: z.number().int().min(0).max(10).default(1),
    maxInputData: z.number().int().positive().default(500),
    maxParametricJobs: z.number().int().positive().default(10_000),
    allowedJobTypes: z.array(identifier).min(1).default(['User', 'Test', 'Hospital']),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (!(d.minCpuTime <= d.defaultCpuTime && d.defaultCpuTime <= d.maxCpuTime)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultCpuTime'],
        message: `needs minCpuTime <= defaultCpuTime <= maxCpuTime (${d.minCpuTime}, ${d.defaultCpuTime}, ${d.maxCpuTime})`,
      });
    }
  });

const virtualOrganizationSchema = z
  .object({
    defaultGroup: identifier,
    groups: z.record(identifier, groupSchema),
    jobDescription: jobDescriptionSchema.prefault({}),
  })
  .strict()
  .superRefine((vo, ctx) => {
    if (!(vo.defaultGroup in vo.groups)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultGroup'],
        message: `"${vo.defaultGroup}" is not one of this VO's groups (${Object.keys(vo.groups).join(', ')})`,
      });
    }
  });

/** What every type of computing element has; `settings` depend on the type (shared/ce/settings.ts). */
const computingElementBase = z.object({
  /** Most pilots this element may hold at once, queued plus running. */
  maxPilots: z.number().int().nonnegative().default(10),
  /** Most pilots queued at once (DIRAC's MaxWaitingJobs); default `maxPilots`. */
  maxWaitingPilots: z.number().int().nonnegative().optional(),
  processors: z.number().int().positive().default(1),
  memoryMb: z.number().int().positive().optional(),
  tags: z.array(z.string().min(1)).default([]),
  platform: z.string().min(1).optional(),
  /** Normalised CPU seconds a pilot here offers, for the site director's demand; default generous. */
  cpuTimeSeconds: z.number().int().positive().optional(),
});

const computingElementSchema = z.discriminatedUnion('type', [
  computingElementBase
    .extend({ type: z.literal('Local'), settings: localSettingsSchema.prefault({}) })
    .strict(),
  computingElementBase
    .extend({ type: z.literal('Slurm'), settings: slurmSettingsSchema.prefault({}) })
    .strict(),
  computingElementBase
    .extend({ type: z.literal('AwsBatch'), settings: awsBatchSettingsSchema.prefault({}) })
    .strict(),
]);

const siteSchema = z
  .object({
    computingElements: z.record(identifier, computingElementSchema).default({}),
    storageElements: z.array(identifier).default([]),
    /** A banned site gets no work, as with DIRAC's Resource Status System. */
    banned: z.boolean().default(false),
  })
  .strict();

const storageElementSchema = z
  .object({
    /** `disk` replicas are read directly; `tape` ones need staging. */
    kind: z.enum(['disk', 'tape']).default('disk'),
    /** Where uploaded output data goes: an S3 prefix in the sandbox bucket (`s3`) or a path (`file`). */
    backend: z.enum(['s3', 'file']).default('s3'),
    path: z.string().min(1),
  })
  .strict();

const limitsSchema = z
  .object({
    maxJobsPerSubmission: z.number().int().positive().default(10_000),
    /**
     * Seconds a bulk request (submission, kill, delete, reschedule, status updates) may work before
     * it stops and answers with what it did per job: under API Gateway's 30 s, with room to answer.
     */
    requestBudgetSeconds: z.number().positive().default(20),
    maxSandboxBytes: z
      .number()
      .int()
      .positive()
      .default(100 * 1024 * 1024),
  })
  .strict();

const executorsSchema = z
  .object({
    /** The start of every job's chain (DIRAC's BasePath); must begin with JobPath. */
    basePath: z.array(identifier).min(1).default(['JobPath', 'JobSanity']),
    /** The end of every chain (DIRAC's EndPath); must end with JobScheduling. */
    endPath: z.array(identifier).min(1).default(['JobScheduling']),
  })
  .strict();

const jobsSchema = z
  .object({
    /** How many times a job may be rescheduled before it fails (DIRAC's MaxRescheduling). */
    maxRescheduling: z.number().int().nonnegative().default(3),
    /** Seconds a rescheduled job waits before it is scheduled again, growing with each reschedule. */
    rescheduleDelays: z.array(z.number().int().nonnegative()).min(1).default([60, 180, 300, 600]),
    /** Seconds a job whose sites are all banned waits before JobScheduling looks again. */
    holdTimeSeconds: z.number().int().positive().default(300),
    /** Seconds a job may sit in Received or Checking before the recovery sweep re-sends it. */
    recoverAfterSeconds: z.number().int().positive().default(120),
    /** Re-sends after which a job that never leaves the executor chain fails. */
    maxRecoveries: z.number().int().positive().default(3),
  })
  .strict();

const perSiteAndJobType = <T extends z.ZodType>(value: T) =>
  z.record(identifier, z.record(identifier, value)).default({});

/**
 * The Matcher (DIRAC's JobScheduling/RunningLimit and MatchingDelay options, and the TaskQueues
 * agent). Running limits count jobs in Running, Matched and Stalled at a site; matching delays are
 * kept per matcher instance, as DIRAC keeps them per Matcher process.
 */
const matcherSchema = z
  .object({
    /** `{site: {jobType: N}}`: at most N jobs of that type at once at the site. */
    runningLimits: perSiteAndJobType(z.number().int().nonnegative()),
    /** `{site: {jobType: seconds}}`: after a match of that type at the site, wait before the next. */
    matchingDelays: perSiteAndJobType(z.number().positive()),
    /** Groups whose task queues of priority-0 jobs are background (DIRAC's AllowBackgroundTQs). */
    allowBackgroundTaskQueues: z.array(identifier).default([]),
    /** How long a matcher instance reuses its list of task queues. */
    taskQueueCacheSeconds: z.number().positive().default(5),
    /** How long a matcher instance reuses its running-job counts (DIRAC's Limiter: 10 s). */
    runningCountCacheSeconds: z.number().positive().default(10),
    /** A matcher instance records a site's pilot description at most this often. */
    pilotReportSeconds: z.number().positive().default(30),
    /** Pilot descriptions older than this are no longer shown by the matching explainer. */
    pilotsSeenSeconds: z.number().positive().default(3600),
    /** A task queue empty for this long is deleted by the TaskQueues agent (DIRAC: 300 s). */
    emptyTaskQueueSeconds: z.number().positive().default(300),
    /**
     * A Matched job with no report from its pilot (status update or heartbeat) this long after the
     * claim was never confirmed: the UnconfirmedMatches agent reschedules it (docs/matcher.md). Keep
     * it well above `pilot.heartbeatSeconds`, the longest a pilot waits before its first report.
     */
    confirmSeconds: z.number().positive().default(300),
  })
  .strict();

/**
 * The watchdog that supervises every payload from the job wrapper's first step (DIRAC's Watchdog
 * options, with its defaults, except that the CPU limit is checked: DIRAC's CheckCPULimitFlag).
 */
const watchdogSchema = z
  .object({
    /** Seconds between samples of the payload's CPU, memory, wall clock and disk. */
    checkSeconds: z.number().positive().default(30),
    /** Wall-clock limit of a job, from its first step (DIRAC's MaxWallClockTime, 3 days). */
    maxWallClockSeconds: z.number().positive().default(259_200),
    /** Kill when the work directory's file system has less free space (DIRAC: 10 MB). */
    minDiskSpaceMb: z.number().nonnegative().default(10),
    /** CPU limit = job CPUTime / CPU normalization factor x (1 + margin) (DIRAC: 20 %). */
    cpuLimitMargin: z.number().nonnegative().default(0.2),
    /** Stall check: CPU/wall below `minCpuWallRatio` over this window kills (DIRAC: 1800 s, 5 %). */
    stalledWindowSeconds: z.number().positive().default(1800),
    minCpuWallRatio: z.number().min(0).max(1).default(0.05),
    /** Seconds between SIGTERM and SIGKILL when a payload is killed. */
    killGraceSeconds: z.number().nonnegative().default(30),
  })
  .strict();

/** A module and the function it exports: `path/to/hooks.ts#postProcess` (path from the config file). */
const hookReference = z
  .string()
  .regex(
    /^[^#]+#[A-Za-z_$][\w$]*$/,
    'write <module path>#<exported function>, e.g. hooks/lhcb.ts#postProcess',
  );

/** Pilots and their job wrappers (DIRAC's JobAgent and JobWrapper options). */
const pilotSchema = z
  .object({
    /** Seconds between two matcher requests while the pilot finds work (DIRAC: PollingTime 20). */
    pollSeconds: z.number().positive().default(20),
    /** The longest wait between two requests: after N empty answers the pilot waits min(this, N x pollSeconds). */
    maxPollSeconds: z.number().positive().default(120),
    /** Stop after no work for this long (DIRAC: StopAfterFailedMatches x PollingTime). */
    idleStopSeconds: z.number().positive().default(600),
    /** Statuses and heartbeats are sent together this often (DIRAC's watchdog CheckingTime). */
    heartbeatSeconds: z.number().positive().default(60),
    /** On SIGTERM: seconds running jobs get to finish before they are rescheduled. */
    graceSeconds: z.number().nonnegative().default(60),
    /** Do not take new jobs with less wall-clock time than this left (DIRAC: MinimumTimeLeft). */
    minTimeLeftSeconds: z.number().nonnegative().default(300),
    /** The pilot's CPU power in normalised units per second (DIRAC's CPUNormalizationFactor). */
    cpuNormalizationFactor: z.number().positive().default(1),
    /** Largest output sandbox, compressed (DIRAC's OutputSandboxLimit: 10 MiB). */
    outputSandboxLimitBytes: z
      .number()
      .int()
      .positive()
      .default(10 * 1024 * 1024),
    /** Lines of the payload's output kept as StandardOutput and in the sandbox's tail files. */
    peekLines: z.number().int().positive().default(20),
    /**
     * Uploads of a job's outputs (output sandbox, output data, the outputs record) that fail for a
     * reason the API may get over (no answer, 5xx, 429) are tried again, waiting `firstRetrySeconds`
     * then twice as long each time up to `maxRetrySeconds`, until `deadlineSeconds` after the first
     * upload began; past it the job is rescheduled, not failed (docs/pilots.md).
     */
    outputUploads: z
      .object({
        deadlineSeconds: z.number().positive().default(1800),
        firstRetrySeconds: z.number().positive().default(5),
        maxRetrySeconds: z.number().positive().default(120),
      })
      .strict()
      .prefault({}),
    /** Storage elements tried after the job's own when an output-data upload fails (DIRAC's failover). */
    failoverStorageElements: z.array(identifier).default([]),
    /** How often the pilot uploads its log (seconds). */
    logUploadSeconds: z.number().positive().default(300),
    /** The cwltool command (Debian's, run with Debian's python3). */
    cwltool: z.array(z.string().min(1)).min(1).default(['/usr/bin/cwltool']),
    /**
     * CWL payloads are forked from one cwltool process per pilot that has imported cwltool and
     * loaded the CWL schemas (docs/pilots.md, Warm cwltool); false spawns cwltool for each.
     */
    warmCwltool: z.boolean().default(true),
    /** Community hooks replacing the job wrapper's preProcess and postProcess steps. */
    hooks: z
      .object({ preProcess: hookReference.optional(), postProcess: hookReference.optional() })
      .strict()
      .default({}),
    watchdog: watchdogSchema.prefault({}),
  })
  .strict();

/** Seconds, as every agent setting is (DIRAC counts some in hours, days or watchdog cycles). */
const seconds = z.number().nonnegative();
const days = (n: number) => n * 86_400;

/**
 * The scheduled agents that keep jobs moving and the databases tidy (DIRAC's StalledJobAgent,
 * JobCleaningAgent and PilotStatusAgent, with their defaults); see docs/agents.md.
 */
const agentsSchema = z
  .object({
    stalledJobs: z
      .object({
        /** Running or Completing without a sign of life this long: Stalled (DIRAC 1800 x 2.5). */
        stalledAfterSeconds: seconds.default(4500),
        /** Stalled this long while its pilot still lives: Failed (DIRAC 1800 x 6.5). */
        failAfterSeconds: seconds.default(11_700),
        /** A pilot not seen this long (lastSeenAt) is gone, as is one that ended. */
        pilotGoneAfterSeconds: seconds.default(1800),
        /** A stalled job whose pilot is gone is rescheduled; false fails it, as DIRAC does. */
        rescheduleWhenPilotGone: z.boolean().default(true),
        /** Matched this long without starting: rescheduled (DIRAC's MatchedTime). */
        matchedTimeoutSeconds: seconds.default(7200),
        /** Left in Rescheduled this long: rescheduled again (DIRAC's RescheduledTime). */
        rescheduledTimeoutSeconds: seconds.default(600),
        /** Jobs changed per run; the rest wait for the next run. */
        maxJobsPerRun: z.number().int().positive().default(500),
      })
      .strict()
      .prefault({}),
    cleaning: z
      .object({
        /** Jobs in these statuses are removed once not updated for this long (DIRAC: 7 days). */
        removeAfterSeconds: z
          .object({
            Done: seconds.default(days(7)),
            Failed: seconds.default(days(7)),
            Killed: seconds.default(days(7)),
            Deleted: seconds.default(0),
          })
          .strict()
          .prefault({}),
        /** A sandbox never assigned to a job is removed after this long unused (DIRAC: 15 days). */
        orphanSandboxAfterSeconds: seconds.default(days(15)),
        /** A sandbox whose jobs are all removed goes after this long unused (DIRAC: 0). */
        releasedSandboxAfterSeconds: seconds.default(days(1)),
        /** Jobs removed per run (DIRAC's MaxJobsAtOnce); sandboxes removed per run likewise. */
        maxJobsPerRun: z.number().int().positive().default(500),
        maxSandboxesPerRun: z.number().int().positive().default(500),
      })
      .strict()
      .prefault({}),
    pilots: z
      .object({
        /** A pilot not seen, and none of its jobs updated, for this long is Aborted (DIRAC: 3 days). */
        stalePilotAfterSeconds: seconds.default(days(3)),
        /** Ended pilots are deleted, with their logs, this long after their last change. */
        purgeAfterSeconds: z
          .object({
            Done: seconds.default(days(30)),
            Failed: seconds.default(days(30)),
            Aborted: seconds.default(days(7)),
          })
          .strict()
          .prefault({}),
        /** Pilot records changed per run. */
        maxPilotsPerRun: z.number().int().positive().default(500),
      })
      .strict()
      .prefault({}),
    siteDirector: z
      .object({
        /** The VO whose jobs pilots are submitted for; default the first of `virtualOrganizations`. */
        vo: identifier.optional(),
        /** Most pilots submitted to one element per cycle (DIRAC's MaxPilotsToSubmit). */
        maxPilotsPerCycle: z.number().int().nonnegative().default(100),
        /** No submission while waiting pilots / maxPilots is at least this (DIRAC's epsilon). */
        availabilityEpsilon: z.number().positive().default(0.3),
        /** Cycles an element is left alone after it failed (DIRAC's FailedQueueCycleFactor). */
        failedElementCycles: z.number().int().positive().default(10),
        /** Pilot statuses are read from the elements every N cycles (PilotStatusUpdateCycleFactor). */
        pilotStatusUpdateCycles: z.number().int().positive().default(10),
        /** A pilot its element does not know for this long is Aborted (DIRAC: 3600 s). */
        unknownPilotAbortSeconds: seconds.default(3600),
        /** Local pilots stop after this long without work (`muon pilot --idle-stop`). */
        localIdleStopSeconds: z.number().positive().default(30),
        /** How often the local runtime runs the site director (the cloud schedule is 120 s). */
        localEverySeconds: z.number().positive().default(5),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/**
 * How `muon login` gets a user's tokens: the public client (no secret; device authorization grant,
 * or authorization code with PKCE on a loopback redirect) registered at the identity provider for
 * the CLI. The API hands these to the CLI (`GET /api/auth/client`), so a user needs only the URL.
 */
const loginSchema = z
  .object({
    clientId: z.string().min(1).default('muon-cli'),
    /** Where the CLI logs in, when it is not `auth.issuer` (never needed with one identity provider). */
    issuer: z.url().optional(),
    /** Scopes asked besides `openid offline_access` (an INDIGO IAM client may need `profile`). */
    scope: z.string().default(''),
    /** A resource indicator (RFC 8707) sent with every request, for providers that need one. */
    resource: z.url().optional(),
  })
  .strict();

/** A user of the embedded runtime's OpenID provider (local/oidc-provider.ts), never of the cloud. */
const developmentUserSchema = z.object({ vo: identifier, groups: z.array(identifier).min(1) }).strict();

const authSchema = z
  .object({
    /** The identity provider that issues access tokens (the JWT authorizer's issuer). */
    issuer: z.url(),
    audience: z.array(z.string().min(1)).min(1),
    login: loginSchema.prefault({}),
    /** The embedded runtime's users; default alice (the first VO's user groups) and admin (all). */
    developmentUsers: z.record(identifier, developmentUserSchema).default({}),
  })
  .strict();

export const configSchema = z
  .object({
    auth: authSchema,
    virtualOrganizations: z
      .record(identifier, virtualOrganizationSchema)
      .refine((vos) => Object.keys(vos).length > 0, {
        message: 'declare at least one virtual organisation',
      }),
    sites: z.record(identifier, siteSchema).default({}),
    storageElements: z.record(identifier, storageElementSchema).default({}),
    /** DIRAC platforms and the operating systems each runs on (OSCompatibility). */
    platforms: z.record(identifier, z.array(z.string().min(1))).default({}),
    limits: limitsSchema.prefault({}),
    executors: executorsSchema.prefault({}),
    jobs: jobsSchema.prefault({}),
    matcher: matcherSchema.prefault({}),
    pilot: pilotSchema.prefault({}),
    agents: agentsSchema.prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    for (const [username, user] of Object.entries(config.auth.developmentUsers)) {
      const vo = config.virtualOrganizations[user.vo];
      const at = ['auth', 'developmentUsers', username];
      if (!vo) {
        ctx.addIssue({ code: 'custom', path: [...at, 'vo'], message: `VO "${user.vo}" is not declared` });
        continue;
      }
      user.groups.forEach((group, index) => {
        if (!(group in vo.groups)) {
          ctx.addIssue({
            code: 'custom',
            path: [...at, 'groups', index],
            message: `group "${group}" is not one of ${user.vo}'s groups`,
          });
        }
      });
    }
    for (const section of ['runningLimits', 'matchingDelays'] as const) {
      for (const site of Object.keys(config.matcher[section])) {
        if (!(site in config.sites)) {
          ctx.addIssue({
            code: 'custom',
            path: ['matcher', section, site],
            message: `site "${site}" is not declared under sites`,
          });
        }
      }
    }
    for (const [siteName, site] of Object.entries(config.sites)) {
      for (const [ceName, ce] of Object.entries(site.computingElements)) {
        if (ce.platform !== undefined && !(ce.platform in config.platforms)) {
          ctx.addIssue({
            code: 'custom',
            path: ['sites', siteName, 'computingElements', ceName, 'platform'],
            message: `platform "${ce.platform}" is not declared under platforms`,
          });
        }
      }
      site.storageElements.forEach((se, index) => {
        if (!(se in config.storageElements)) {
          ctx.addIssue({
            code: 'custom',
            path: ['sites', siteName, 'storageElements', index],
            message: `storage element "${se}" is not declared under storageElements`,
          });
        }
      });
    }
  });

export type MuonConfig = z.infer<typeof configSchema>;
export type VirtualOrganizationConfig = MuonConfig['virtualOrganizations'][string];
export type SiteConfig = MuonConfig['sites'][string];
