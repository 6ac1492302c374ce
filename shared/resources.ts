/**
 * The one definition of muon's AWS resources.
 *
 * `infra/` turns it into CloudFormation and `local/` into emulator resources; nothing else describes
 * a table, queue, bucket, function, route or schedule. Names here are logical: the deployed name is
 * the prefix and the name in kebab case (`muon-job-path`, see `physicalName`).
 *
 * Glossary (DIRAC's words, see docs/glossary.md): a *job* waits in a *task queue* until a *pilot*
 * asks the *matcher* for work; *executors* prepare jobs; *agents* run on schedules; *sandboxes*
 * live in the sandbox bucket.
 */

export type KeyType = 'S' | 'N';
export interface KeyDefinition {
  readonly name: string;
  readonly type: KeyType;
}

export interface IndexDefinition {
  readonly partitionKey: KeyDefinition;
  readonly sortKey?: KeyDefinition;
  /** Attributes copied into the index besides the keys; `'ALL'` copies the whole item. */
  readonly projection: 'ALL' | 'KEYS_ONLY' | readonly string[];
}

export interface TableDefinition {
  readonly description: string;
  readonly partitionKey: KeyDefinition;
  readonly sortKey?: KeyDefinition;
  readonly indexes: Readonly<Record<string, IndexDefinition>>;
  /** Attribute holding an epoch-seconds expiry (DynamoDB TTL in the cloud; agents purge it locally). */
  readonly timeToLiveAttribute?: string;
}

export interface QueueDefinition {
  readonly description: string;
  /** Receives before a message moves to the queue's dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Seconds a received message stays invisible; at least 6x its consumer's timeout. */
  readonly visibilityTimeoutSeconds: number;
  readonly retentionDays: number;
}

export interface BucketDefinition {
  readonly description: string;
  readonly lifecycle: readonly { readonly prefix: string; readonly expireAfterDays: number }[];
}

export type TableAccess = 'read' | 'readWrite';
/** `consumeAndSend`: the queue feeds the function, which may also put messages back (delays). */
export type QueueAccess = 'send' | 'consume' | 'consumeAndSend';
export type BucketAccess = 'read' | 'readWrite';

export interface FunctionDefinition {
  readonly description: string;
  /** Module under `functions/` exporting `handler` and `createHandler(deps)`. */
  readonly entry: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly tables: Readonly<Partial<Record<TableName, TableAccess>>>;
  readonly queues: Readonly<Partial<Record<QueueName, QueueAccess>>>;
  readonly bucket?: BucketAccess;
  /** HTTP routes this function serves, as API Gateway route keys (`'POST /api/jobs'`). */
  readonly routes: readonly string[];
  /** Routes in `routes` that need no token (their `route()` declares `caller: 'public'`). */
  readonly publicRoutes?: readonly string[];
  /**
   * The function signs or verifies payload tokens (shared/auth/payload-token.ts): infra grants it
   * read access to the payload key secret and sets `MUON_PAYLOAD_KEY_SECRET`.
   */
  readonly payloadKey?: boolean;
  /** The API's Lambda authorizer (functions/authorizer.ts): every non-public route goes through it. */
  readonly authorizer?: boolean;
  /**
   * The function submits, reads and cancels pilots on the stack's AWS Batch pilot queue (the site
   * director): infra grants exactly that and sets `MUON_PILOT_JOB_QUEUE`,
   * `MUON_PILOT_JOB_DEFINITION` and `MUON_API_URL`.
   */
  readonly pilotBatch?: boolean;
  /** The queue whose messages invoke this function (an SQS event source). */
  readonly consumes?: {
    readonly queue: QueueName;
    readonly batchSize: number;
    readonly maxConcurrency: number;
  };
}

export interface ScheduleDefinition {
  readonly description: string;
  readonly function: FunctionName;
  /** How often the agent runs. */
  readonly everySeconds: number;
}

const key = (name: string, type: KeyType = 'S'): KeyDefinition => ({ name, type });

/** The job attributes that searches and summaries read, copied into the jobs table's indexes. */
const jobSearchAttributes = [
  'vo',
  'owner',
  'ownerGroup',
  'status',
  'minorStatus',
  'applicationStatus',
  'site',
  'jobName',
  'jobType',
  'jobGroup',
  'userPriority',
  'submissionTime',
  'lastUpdateTime',
  'startExecTime',
  'endExecTime',
  'heartBeatTime',
  'rescheduleCounter',
  'rescheduleTime',
] as const;

export const tables = {
  jobs: {
    description:
      'Job database: one item per job with its attributes, description, requirements, parameters, pending commands and status history; beside it, its heartbeats (expiring).',
    partitionKey: key('pk'),
    sortKey: key('sk'),
    /** Heartbeat items only (shared/jobs/store/heartbeat-log.ts); job items never expire. */
    timeToLiveAttribute: 'expiresAt',
    indexes: {
      byOwner: { partitionKey: key('ownerKey'), sortKey: key('jobId', 'N'), projection: jobSearchAttributes },
      byStatus: {
        partitionKey: key('statusKey'),
        sortKey: key('jobId', 'N'),
        projection: jobSearchAttributes,
      },
      byVo: { partitionKey: key('voKey'), sortKey: key('jobId', 'N'), projection: jobSearchAttributes },
      /** Sparse: jobs claimed under a pilot's request id, which a repeat of the request looks up. */
      byMatchRequest: { partitionKey: key('matchRequest'), projection: 'KEYS_ONLY' },
    },
  },
  counters: {
    description:
      'Block allocators for increasing job ids, idempotency records of submissions, and the answers kept for an Idempotency-Key of kill, delete and reschedule (shared/http/idempotency/keys.ts).',
    partitionKey: key('pk'),
    indexes: {},
    timeToLiveAttribute: 'expiresAt',
  },
  workflows: {
    description: 'CWL workflows stored once, addressed by the sha256 of their canonical JSON.',
    partitionKey: key('workflowId'),
    indexes: {},
  },
  taskQueues: {
    description:
      'Task queues and the waiting jobs in them, sharded so that no task queue is one hot partition.',
    partitionKey: key('pk'),
    sortKey: key('sk'),
    indexes: {
      byVo: { partitionKey: key('voKey'), sortKey: key('tqId'), projection: 'ALL' },
    },
  },
  fileCatalog: {
    description: 'Logical file names and their replicas at storage elements.',
    partitionKey: key('lfn'),
    sortKey: key('se'),
    indexes: {
      /** `muon data ls`: the replicas in one LFN directory. */
      byDirectory: { partitionKey: key('directory'), sortKey: key('lfn'), projection: 'ALL' },
    },
  },
  fileMetadata: {
    description:
      "The catalog's files and directories with their metadata, metadata fields and their types, and the metadata index sharded by path (shared/catalog/keys.ts).",
    partitionKey: key('pk'),
    sortKey: key('sk'),
    indexes: {
      /** `muon data ls`: the subdirectories and files of one directory, in path order. */
      byParent: { partitionKey: key('parent'), sortKey: key('path'), projection: 'ALL' },
    },
  },
  transformations: {
    description:
      "Transformations, each file's status in them (sharded by a hash of the LFN) and their tasks (shared/transformations/keys.ts).",
    partitionKey: key('pk'),
    sortKey: key('sk'),
    indexes: {
      /** The transformations of a VO in one state: the sweep's walk. */
      byState: { partitionKey: key('stateKey'), sortKey: key('transformationId', 'N'), projection: 'ALL' },
      /** Every transformation of a VO until Cleaned (sparse): the catalog events' and productions' walk. */
      byVo: { partitionKey: key('voKey'), sortKey: key('transformationId', 'N'), projection: 'ALL' },
      /** A transformation's files of one status in one shard: Unused files to group, counts. */
      byFileStatus: { partitionKey: key('fileStatusKey'), sortKey: key('lfn'), projection: 'ALL' },
      /** Tasks whose job is not final yet (sparse), sharded by task id: the jobs the agent follows. */
      openTasks: { partitionKey: key('openKey'), sortKey: key('taskId', 'N'), projection: 'ALL' },
    },
  },
  productions: {
    description:
      'Productions (their steps and transformations, the steps metadata as sent), the production-id counter and submission idempotency keys (shared/productions/keys.ts).',
    partitionKey: key('pk'),
    sortKey: key('sk'),
    indexes: {
      /** `muon production list`: one owner's productions, newest first. */
      byOwner: { partitionKey: key('ownerKey'), sortKey: key('productionNumber', 'N'), projection: 'ALL' },
    },
  },
  sandboxes: {
    description: 'Sandbox metadata: owner, size, checksum, and the jobs it is assigned to.',
    partitionKey: key('pk'),
    sortKey: key('sk'),
    indexes: {
      /** A sandbox's item and its assignments, by object key: whether any job still holds it. */
      byKey: { partitionKey: key('key'), sortKey: key('sk'), projection: 'KEYS_ONLY' },
      /** Sandbox items only (assignments have no `vo`), oldest access first: the cleaning agent's walk. */
      byLastAccess: {
        partitionKey: key('vo'),
        sortKey: key('lastAccessTime'),
        projection: ['key', 'assigned'],
      },
    },
  },
  pilots: {
    description:
      'Pilot records: reference, site, computing element, status, heartbeats and the jobs each ran.',
    partitionKey: key('pk'),
    sortKey: key('sk'),
    indexes: {
      byStatus: { partitionKey: key('statusKey'), sortKey: key('updatedAt'), projection: 'ALL' },
    },
  },
} as const satisfies Record<string, TableDefinition>;

/** Every queue feeds an executor and has the same delivery settings. */
function executorQueue(description: string) {
  return { description, maxReceiveCount: 5, visibilityTimeoutSeconds: 180, retentionDays: 14 } as const;
}

export const queues = {
  jobPath: executorQueue('Jobs waiting for the JobPath executor (entry of the executor chain).'),
  jobSanity: executorQueue('Jobs waiting for the JobSanity executor.'),
  inputData: executorQueue('Jobs waiting for the InputData executor.'),
  jobScheduling: executorQueue(
    'Jobs waiting for the JobScheduling executor (end of the chain, hands jobs to task queues).',
  ),
  customExecutors: executorQueue(
    'Jobs waiting for a community executor (the message names which); see docs/executors.md.',
  ),
  catalogEvents: {
    description:
      'Catalog events: files registered or given metadata, directories given metadata (shared/catalog/events.ts).',
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 180,
    retentionDays: 14,
  },
  transformationWork: {
    description:
      'Transformations that have work now (files joined, a change by their owner, more than one cycle could do).',
    maxReceiveCount: 5,
    // Six times the transformation worker's timeout.
    visibilityTimeoutSeconds: 360,
    retentionDays: 14,
  },
} as const satisfies Record<string, QueueDefinition>;

export const bucket = {
  description: 'Sandbox store (input and output sandboxes), pilot logs and uploaded output data.',
  lifecycle: [
    { prefix: 'pilot-logs/', expireAfterDays: 30 },
    { prefix: 'uploads/', expireAfterDays: 2 },
  ],
} as const satisfies BucketDefinition;

export type TableName = keyof typeof tables;
export type QueueName = keyof typeof queues;

/** Send access to every executor queue: the chain's next step is decided per job. */
const sendToEveryExecutor = {
  jobPath: 'send',
  jobSanity: 'send',
  inputData: 'send',
  jobScheduling: 'send',
  customExecutors: 'send',
} as const satisfies Partial<Record<QueueName, QueueAccess>>;

export const functions = {
  health: {
    description: 'Liveness of the API and of DynamoDB, SQS and S3 behind it (one cheap read of each).',
    entry: 'functions/health.ts',
    timeoutSeconds: 5,
    memoryMb: 256,
    // DescribeTable, GetQueueAttributes and HeadBucket: the smallest grants that allow them.
    tables: { jobs: 'read' },
    queues: { jobPath: 'send' },
    bucket: 'read',
    routes: ['GET /api/health'],
    publicRoutes: ['GET /api/health'],
  },
  authorizer: {
    description:
      "API authorizer: checks the identity provider's tokens and muon's payload tokens, and hands the claims on.",
    entry: 'functions/authorizer.ts',
    timeoutSeconds: 10,
    memoryMb: 256,
    tables: {},
    queues: {},
    routes: [],
    payloadKey: true,
    authorizer: true,
  },
  auth: {
    description: 'Who the caller is, from the token (DiracX userinfo), and where `muon login` signs in.',
    entry: 'functions/auth.ts',
    timeoutSeconds: 5,
    memoryMb: 256,
    tables: {},
    queues: {},
    routes: ['GET /api/auth/userinfo', 'GET /api/auth/client'],
    publicRoutes: ['GET /api/auth/client'],
  },
  openapi: {
    description:
      'The API described: its OpenAPI 3.1 document and a page to read it (public, as DiracX serves them).',
    entry: 'functions/openapi.ts',
    timeoutSeconds: 5,
    memoryMb: 256,
    tables: {},
    queues: {},
    routes: ['GET /api/openapi.json', 'GET /api/docs'],
    publicRoutes: ['GET /api/openapi.json', 'GET /api/docs'],
  },
  config: {
    description:
      'The live configuration: read by users and pilots, replaced by a CSAdministrator (muon config push).',
    entry: 'functions/config.ts',
    timeoutSeconds: 10,
    memoryMb: 256,
    tables: {},
    queues: {},
    // Writes the configuration object (muon-config/muon.json) in the bucket.
    bucket: 'readWrite',
    routes: ['GET /api/config', 'PUT /api/config'],
  },
  sandboxStore: {
    description: 'Sandbox store: presigned uploads and downloads of sandboxes, and their assignment to jobs.',
    entry: 'functions/sandbox-store.ts',
    timeoutSeconds: 10,
    memoryMb: 256,
    tables: { sandboxes: 'readWrite', jobs: 'read', pilots: 'read' },
    queues: {},
    // Presigned PUTs are signed with this function's role, so it needs write access to the bucket.
    bucket: 'readWrite',
    routes: [
      'POST /api/jobs/sandbox',
      'GET /api/jobs/sandbox',
      'GET /api/jobs/{jobId}/sandbox',
      'POST /api/jobs/{jobId}/sandbox/output',
      'PATCH /api/jobs/{jobId}/sandbox/output',
    ],
  },
  jobManager: {
    description: 'Job manager: submission (JDL, CWL), status updates, kill, delete, reschedule.',
    entry: 'functions/job-manager.ts',
    timeoutSeconds: 29,
    memoryMb: 1769,
    tables: {
      jobs: 'readWrite',
      counters: 'readWrite',
      workflows: 'readWrite',
      taskQueues: 'readWrite',
      // Written with a pilot's first report on its jobs (shared/pilots/started-jobs.ts).
      pilots: 'readWrite',
    },
    queues: { jobPath: 'send' },
    routes: [
      'POST /api/jobs',
      'POST /api/jobs/jdl',
      'PATCH /api/jobs/status',
      'PATCH /api/jobs/heartbeat',
      'POST /api/jobs/kill',
      'POST /api/jobs/delete',
      'POST /api/jobs/reschedule',
      'PUT /api/jobs/{jobId}/outputs',
    ],
  },
  jobMonitoring: {
    description: 'Job monitoring: one job with its history, search and summary.',
    entry: 'functions/job-monitoring.ts',
    timeoutSeconds: 29,
    memoryMb: 1769,
    tables: { jobs: 'read', counters: 'read' },
    queues: {},
    routes: [
      'GET /api/jobs/{jobId}',
      'GET /api/jobs/{jobId}/outputs',
      'GET /api/jobs/{jobId}/heartbeats',
      'POST /api/jobs/search',
      'POST /api/jobs/summary',
    ],
  },
  matcher: {
    description:
      'Matcher: pilots ask for a job (and get its payload token, renewed on request); owners ask why a waiting job is not matched.',
    entry: 'functions/matcher.ts',
    timeoutSeconds: 10,
    memoryMb: 1769,
    // Pilots are read by the credential binding; the job manager adds jobs to their records.
    tables: { jobs: 'readWrite', taskQueues: 'readWrite', workflows: 'read', pilots: 'read' },
    queues: {},
    routes: ['POST /api/matcher/request', 'GET /api/jobs/{jobId}/matching', 'POST /api/jobs/{jobId}/token'],
    payloadKey: true,
  },
  pilots: {
    description: 'Pilot registration, pilot status, and pilot logs (DIRAC PilotManager, DiracX pilots).',
    entry: 'functions/pilots.ts',
    timeoutSeconds: 10,
    memoryMb: 512,
    // Jobs are read to show a user only their own jobs of a pilot record.
    tables: { pilots: 'readWrite', jobs: 'read' },
    queues: {},
    bucket: 'readWrite',
    routes: [
      'POST /api/pilots',
      'PATCH /api/pilots/metadata',
      'GET /api/pilots/info',
      'POST /api/pilots/logs',
      'GET /api/pilots/logs',
      'POST /api/pilots/search',
      'POST /api/pilots/summary',
    ],
  },
  dataManager: {
    description: 'Output data: uploads to storage elements, the file catalog, replicas and downloads.',
    entry: 'functions/data-manager.ts',
    timeoutSeconds: 10,
    memoryMb: 512,
    tables: {
      fileCatalog: 'readWrite',
      fileMetadata: 'readWrite',
      jobs: 'read',
      pilots: 'read',
      transformations: 'read',
    },
    queues: { catalogEvents: 'send' },
    bucket: 'readWrite',
    routes: [
      'POST /api/data/upload',
      'POST /api/data/register',
      'GET /api/data/replicas',
      'GET /api/data/download',
      'GET /api/data/list',
      'POST /api/data/metadata',
      'GET /api/data/metadata',
      'POST /api/data/find',
      'POST /api/data/remove',
    ],
  },
  taskQueuesAgent: {
    description: 'Recomputes task-queue priorities from group shares and deletes long-empty task queues.',
    entry: 'functions/agents/task-queues.ts',
    timeoutSeconds: 120,
    memoryMb: 512,
    tables: { taskQueues: 'readWrite' },
    queues: {},
    routes: [],
  },
  jobPathExecutor: executor(
    'jobPath',
    'functions/executors/job-path.ts',
    'JobPath executor: chooses the chain.',
  ),
  jobSanityExecutor: executor(
    'jobSanity',
    'functions/executors/job-sanity.ts',
    'JobSanity executor: input sandboxes present and within limits.',
  ),
  inputDataExecutor: executor(
    'inputData',
    'functions/executors/input-data.ts',
    'InputData executor: replicas of the input files and candidate sites.',
  ),
  jobSchedulingExecutor: executor(
    'jobScheduling',
    'functions/executors/job-scheduling.ts',
    'JobScheduling executor: sites, tags, and the task queue.',
  ),
  communityExecutor: executor(
    'customExecutors',
    'functions/executors/community.ts',
    'Community executors named in shared/executors/registry.ts.',
  ),
  recoveryAgent: {
    description: 'Re-sends jobs stuck in Received or Checking to their executor.',
    entry: 'functions/agents/recovery.ts',
    timeoutSeconds: 120,
    memoryMb: 512,
    tables: { jobs: 'readWrite', counters: 'readWrite' },
    queues: sendToEveryExecutor,
    routes: [],
  },
  stalledJobsAgent: {
    description:
      'Stalled jobs: marks them, then reschedules or fails them; Matched and Rescheduled timeouts.',
    entry: 'functions/agents/stalled-jobs.ts',
    timeoutSeconds: 300,
    memoryMb: 512,
    tables: { jobs: 'readWrite', counters: 'readWrite', pilots: 'read' },
    queues: { jobPath: 'send' },
    routes: [],
  },
  unconfirmedMatchesAgent: {
    description: 'Matched jobs their pilot never confirmed (matcher.confirmSeconds): rescheduled.',
    entry: 'functions/agents/unconfirmed-matches.ts',
    timeoutSeconds: 120,
    memoryMb: 512,
    tables: { jobs: 'readWrite', counters: 'readWrite' },
    queues: { jobPath: 'send' },
    routes: [],
  },
  jobCleaningAgent: {
    description: 'Removes old finished and deleted jobs, unused sandboxes and expired counters records.',
    entry: 'functions/agents/job-cleaning.ts',
    timeoutSeconds: 300,
    memoryMb: 512,
    tables: { jobs: 'readWrite', counters: 'readWrite', taskQueues: 'readWrite', sandboxes: 'readWrite' },
    queues: {},
    bucket: 'readWrite',
    routes: [],
  },
  pilotStatusAgent: {
    description: 'Aborts pilots not seen for long and purges ended pilots with their logs.',
    entry: 'functions/agents/pilot-status.ts',
    timeoutSeconds: 300,
    memoryMb: 512,
    tables: { pilots: 'readWrite', counters: 'readWrite', jobs: 'read' },
    queues: {},
    bucket: 'readWrite',
    routes: [],
  },
  siteDirectorAgent: {
    description: 'Site director: submits pilots to AWS Batch where jobs wait, and follows their status.',
    entry: 'functions/agents/site-director.ts',
    timeoutSeconds: 120,
    memoryMb: 512,
    tables: { pilots: 'readWrite', taskQueues: 'read' },
    queues: {},
    routes: [],
    pilotBatch: true,
  },
  transformations: {
    description:
      'Transformation manager: submit transformations, their status, files and tasks; start, stop, extend, clean.',
    entry: 'functions/transformations.ts',
    timeoutSeconds: 29,
    memoryMb: 1024,
    tables: { transformations: 'readWrite', workflows: 'readWrite' },
    queues: { transformationWork: 'send' },
    routes: [
      'POST /api/transformations',
      'GET /api/transformations/{transformationId}',
      'GET /api/transformations/{transformationId}/files',
      'GET /api/transformations/{transformationId}/tasks',
      'POST /api/transformations/{transformationId}/start',
      'POST /api/transformations/{transformationId}/stop',
      'POST /api/transformations/{transformationId}/extend',
      'POST /api/transformations/{transformationId}/clean',
    ],
  },
  transformationWorker: {
    description:
      "Transformation agent: one transformation's cycle (catalog scan, job outcomes onto files, new tasks and their jobs, completion, cleaning).",
    entry: 'functions/transformation-worker.ts',
    timeoutSeconds: 60,
    memoryMb: 1024,
    tables: {
      transformations: 'readWrite',
      fileMetadata: 'read',
      workflows: 'read',
      jobs: 'readWrite',
      counters: 'readWrite',
      taskQueues: 'readWrite',
    },
    queues: { transformationWork: 'consumeAndSend', jobPath: 'send' },
    routes: [],
    consumes: { queue: 'transformationWork', batchSize: 1, maxConcurrency: 4 },
  },
  transformationEvents: {
    description: 'Catalog events to transformations: matching files join them as they are registered.',
    entry: 'functions/transformation-events.ts',
    // The catalogEvents queue keeps a message invisible 180 s: six times this.
    timeoutSeconds: 30,
    memoryMb: 512,
    tables: { transformations: 'readWrite', fileMetadata: 'read' },
    queues: { catalogEvents: 'consume', transformationWork: 'send' },
    routes: [],
    consumes: { queue: 'catalogEvents', batchSize: 10, maxConcurrency: 2 },
  },
  transformationAgent: {
    description:
      'Transformation sweep: asks for a cycle of every transformation that may have work (the backstop of the events).',
    entry: 'functions/agents/transformations.ts',
    timeoutSeconds: 60,
    memoryMb: 512,
    tables: { transformations: 'read' },
    queues: { transformationWork: 'send' },
    routes: [],
  },
  productions: {
    description:
      'Production manager: submit a multi-step Workflow as one transformation per step, its status per step; start, stop, clean.',
    entry: 'functions/productions.ts',
    timeoutSeconds: 29,
    memoryMb: 1024,
    // The transformations of its steps are created and read through the transformation service.
    tables: {
      productions: 'readWrite',
      transformations: 'readWrite',
      workflows: 'readWrite',
      fileMetadata: 'read',
    },
    queues: { transformationWork: 'send' },
    routes: [
      'POST /api/productions',
      'GET /api/productions',
      'GET /api/productions/{productionId}',
      'POST /api/productions/{productionId}/start',
      'POST /api/productions/{productionId}/stop',
      'POST /api/productions/{productionId}/clean',
    ],
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof functions;

/**
 * The Cognito user pool's pre-token-generation trigger, made only with `-c identity=cognito`
 * (infra/constructs/identity.ts), hence not among `functions`; the embedded runtime has its own
 * OpenID provider and never runs it.
 */
export const cognitoPreTokenFunction = {
  description:
    "Cognito pre-token-generation trigger: adds vo, dirac_group and dirac_properties to a user's tokens.",
  entry: 'functions/cognito-pre-token.ts',
  timeoutSeconds: 5,
  memoryMb: 256,
  tables: {},
  queues: {},
  routes: [],
} as const satisfies FunctionDefinition;

/** The API's Lambda authorizer: the one function of `definitions` marked `authorizer`. */
export function authorizerFunction(
  definitions: Readonly<Record<string, FunctionDefinition>> = functions,
): string {
  const [name] = Object.entries(definitions).find(([, definition]) => definition.authorizer) ?? [];
  if (!name) throw new Error('The resource definition has no authorizer function.');
  return name;
}

/**
 * Executors share their grants: each reads and writes jobs, reads what its checks need, and may
 * send to every executor queue because the chain's next step is decided per job.
 */
function executor(queue: QueueName, entry: string, description: string) {
  return {
    description,
    entry,
    timeoutSeconds: 30,
    memoryMb: 1024,
    tables: { jobs: 'readWrite', fileCatalog: 'read', sandboxes: 'readWrite', taskQueues: 'readWrite' },
    queues: {
      ...sendToEveryExecutor,
      // An executor holding a job sends it back to its own queue with a delay.
      [queue]: 'consumeAndSend',
    },
    bucket: 'read',
    routes: [],
    consumes: { queue, batchSize: 10, maxConcurrency: 4 },
  } as const satisfies FunctionDefinition;
}

export const schedules = {
  recovery: {
    description: 'Recovery sweep of jobs stuck in Received or Checking.',
    function: 'recoveryAgent',
    everySeconds: 60,
  },
  taskQueues: {
    description: 'Task-queue priorities (fair share) and removal of long-empty task queues (DIRAC: 120 s).',
    function: 'taskQueuesAgent',
    everySeconds: 120,
  },
  stalledJobs: {
    description: 'Stalled jobs, jobs of vanished pilots, Matched and Rescheduled timeouts (DIRAC: 3600 s).',
    function: 'stalledJobsAgent',
    everySeconds: 300,
  },
  unconfirmedMatches: {
    description: 'Matched jobs their pilot never confirmed, back to Waiting (no DIRAC counterpart).',
    function: 'unconfirmedMatchesAgent',
    everySeconds: 60,
  },
  cleaning: {
    description: 'Removal of old finished jobs, deleted jobs and unused sandboxes (DIRAC: 3600 s).',
    function: 'jobCleaningAgent',
    everySeconds: 3600,
  },
  pilotStatus: {
    description: 'Stale pilots Aborted, ended pilots purged (DIRAC: 300 s).',
    function: 'pilotStatusAgent',
    everySeconds: 300,
  },
  siteDirector: {
    description: 'Pilots submitted where jobs wait, and their status followed (DIRAC: 120 s).',
    function: 'siteDirectorAgent',
    everySeconds: 120,
  },
  transformations: {
    description:
      "Transformation sweep: job outcomes onto files, catalog rescans, late tasks (DIRAC's TransformationAgent: 120 s).",
    function: 'transformationAgent',
    everySeconds: 60,
  },
} as const satisfies Record<string, ScheduleDefinition>;

/** The deployed name of a logical resource. */
export const physicalName = (prefix: string, logical: string): string =>
  `${prefix}-${logical.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export const deadLetterName = (queue: string): string => `${queue}Dlq`;

/** Environment variables that carry resource names to functions; CDK sets them when it grants access. */
export const environmentNames = {
  table: (name: TableName) => `MUON_TABLE_${constantCase(name)}`,
  queue: (name: QueueName) => `MUON_QUEUE_${constantCase(name)}_URL`,
  bucket: 'MUON_BUCKET',
  config: 'MUON_CONFIG',
  payloadKey: 'MUON_PAYLOAD_KEY_SECRET',
} as const;

function constantCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}
