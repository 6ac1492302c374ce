/**
 * The job model. Whatever a user submits (a CWL task with inputs and hints, or a DIRAC JDL) becomes
 * one `JobDescription` per job; the job database keeps it beside the job's attributes, status and
 * history (`JobRecord`).
 *
 * Glossary: *owner* and *owner group* are who submitted the job; *requirements* are what a pilot
 * must offer to be matched with it (set by the JobScheduling executor); *parameters* are
 * key/values reported while the job runs.
 */
import { z } from 'zod';
import type { JobStatus } from '#shared/jobs/status.ts';
import type { StatusHistoryEntry } from '#shared/jobs/status-updates.ts';

export type { StatusHistoryEntry };

const name = z.string().min(1).max(256);

export const jobDescriptionSchema = z.object({
  kind: z.enum(['cwl', 'jdl']),
  /** sha256 of the canonical CWL document, stored once in the workflows table. */
  workflowId: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** The CWL job order (inputs) of this job. */
  inputs: z.record(z.string(), z.unknown()).optional(),
  /** The job's own JDL, after parametric expansion. */
  jdl: z.string().optional(),
  executable: z.string().optional(),
  arguments: z.string().optional(),
  jobName: name,
  jobType: name,
  jobGroup: z.string().max(256).default(''),
  priority: z.number().int().min(0).max(10),
  /** Seconds of normalised CPU time the job needs. */
  cpuTime: z.number().int().positive(),
  platform: z.string().min(1).optional(),
  sites: z.array(name).default([]),
  bannedSites: z.array(name).default([]),
  gridCE: z.string().min(1).optional(),
  tags: z.array(name).default([]),
  minProcessors: z.number().int().min(1).max(1024).default(1),
  /** Absent: exactly `minProcessors`; -1: as many as the node offers. */
  maxProcessors: z.number().int().min(-1).max(1024).optional(),
  wholeNode: z.boolean().default(false),
  maxRamMb: z.number().int().positive().optional(),
  gpus: z.number().int().min(0).default(0),
  inputSandbox: z.array(z.string().min(1)).default([]),
  outputSandbox: z.array(z.string().min(1)).default([]),
  /** Logical file names, without the `LFN:` prefix. */
  inputData: z.array(z.string().min(1)).default([]),
  outputData: z.array(z.string().min(1)).default([]),
  outputSE: z.array(name).default([]),
  outputPath: z.string().optional(),
  /** Catalog metadata set on every output data file the job registers (docs/catalog.md). */
  outputMetadata: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  /** An explicit executor chain (DIRAC's JobPath JDL option). */
  jobPath: z.array(name).optional(),
});
export type JobDescription = z.infer<typeof jobDescriptionSchema>;

/** What a pilot must offer: DIRAC's JobRequirements, set by JobScheduling. */
export interface JobRequirements {
  readonly vo: string;
  readonly owner: string;
  readonly ownerGroup: string;
  readonly cpuTime: number;
  readonly sites: readonly string[];
  readonly bannedSites: readonly string[];
  readonly platforms: readonly string[];
  readonly jobTypes: readonly string[];
  readonly tags: readonly string[];
  readonly gridCEs: readonly string[];
  readonly priority: number;
}

export interface JobCommand {
  readonly command: 'Kill';
  readonly issuedAt: string;
}

export interface JobRecord {
  readonly jobId: number;
  readonly vo: string;
  readonly owner: string;
  readonly ownerSub: string;
  readonly ownerGroup: string;
  readonly status: JobStatus;
  readonly minorStatus: string;
  readonly applicationStatus: string;
  readonly site: string;
  readonly jobName: string;
  readonly jobType: string;
  readonly jobGroup: string;
  readonly userPriority: number;
  readonly submissionTime: string;
  readonly lastUpdateTime: string;
  /** Time of the newest applied major-status update; older ones no longer change the status. */
  readonly lastStatusTime: string;
  readonly startExecTime?: string;
  readonly endExecTime?: string;
  readonly heartBeatTime?: string;
  readonly rescheduleCounter: number;
  readonly rescheduleTime?: string;
  readonly description: JobDescription;
  readonly requirements?: JobRequirements;
  /** The executor chain chosen by JobPath. */
  readonly chain?: readonly string[];
  /** Sites holding every input file, from InputData: site → {disk, tape} file counts. */
  readonly siteCandidates?: Readonly<Record<string, { disk: number; tape: number }>>;
  readonly taskQueueId?: string;
  /** The pilot the matcher handed the job to; only that pilot may report on the job. */
  readonly pilotReference?: string;
  /** The request that claimed the job (`matchRequestKey`: pilot and request id), for its repeats. */
  readonly matchRequest?: string;
  /** An executor put the job on hold until then (reschedule delay, inactive sites). */
  readonly holdUntil?: string;
  /** How many times the recovery sweep re-sent the job to its executor. */
  readonly recoveries?: number;
  /**
   * What the job wrapper reported the job produced (`PUT /api/jobs/{jobId}/outputs`), as its JSON
   * text: a CWL output object may nest deeper than DynamoDB's 32 levels of maps.
   */
  readonly outputs?: string;
  readonly parameters: Readonly<Record<string, string | number>>;
  readonly commands: readonly JobCommand[];
  readonly history: readonly StatusHistoryEntry[];
  /** Bumped by every write; each write is conditional on the version it read. */
  readonly version: number;
}

/** Attributes a job record exposes on the wire, under DiracX's (PascalCase) names. */
export const jobColumns = {
  JobID: 'jobId',
  VO: 'vo',
  Owner: 'owner',
  OwnerGroup: 'ownerGroup',
  Status: 'status',
  MinorStatus: 'minorStatus',
  ApplicationStatus: 'applicationStatus',
  Site: 'site',
  JobName: 'jobName',
  JobType: 'jobType',
  JobGroup: 'jobGroup',
  UserPriority: 'userPriority',
  SubmissionTime: 'submissionTime',
  LastUpdateTime: 'lastUpdateTime',
  StartExecTime: 'startExecTime',
  EndExecTime: 'endExecTime',
  HeartBeatTime: 'heartBeatTime',
  RescheduleCounter: 'rescheduleCounter',
  RescheduleTime: 'rescheduleTime',
} as const satisfies Record<string, keyof JobRecord>;
export type JobColumn = keyof typeof jobColumns;
export const timeColumns: ReadonlySet<JobColumn> = new Set([
  'SubmissionTime',
  'LastUpdateTime',
  'StartExecTime',
  'EndExecTime',
  'HeartBeatTime',
  'RescheduleTime',
]);
export const numberColumns: ReadonlySet<JobColumn> = new Set(['JobID', 'UserPriority', 'RescheduleCounter']);

export type JobSummary = { [K in JobColumn]?: string | number };

export function toWire(
  job: Partial<JobRecord>,
  columns: readonly JobColumn[] = Object.keys(jobColumns) as JobColumn[],
) {
  const out: JobSummary = {};
  for (const column of columns) {
    const value = job[jobColumns[column]];
    if (value !== undefined) out[column] = value as string | number;
  }
  return out;
}
