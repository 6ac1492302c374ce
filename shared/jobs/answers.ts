/**
 * What the job routes answer, one schema per message and its type (DiracX's `InsertedJob`,
 * `JobStatusReturn`, `SetJobStatusReturn` and search rows). The job manager and job monitoring
 * build these values; the OpenAPI document (shared/http/openapi-jobs.ts) describes them from here.
 */
import { z } from 'zod';
import { jobColumns, jobDescriptionSchema } from '#shared/jobs/model.ts';
import { jobStatusSchema } from '#shared/jobs/status.ts';
import { heartbeatFigures } from '#shared/jobs/store/heartbeat-log.ts';

/** A job column's value on the wire: text, a number, or null when a search asked for an unset one. */
export const wireValueSchema = z.union([z.string(), z.number(), z.null()]);

/** One job a submission created (DiracX `InsertedJob`), in the order of the submission. */
export const insertedJobSchema = z.object({
  JobID: z.number().int().positive(),
  Status: z.string(),
  MinorStatus: z.string(),
  TimeStamp: z.string().meta({ description: 'ISO 8601 time of the submission.' }),
});
export type InsertedJobAnswer = z.infer<typeof insertedJobSchema>;
export const insertedJobsSchema = z.array(insertedJobSchema);

/** A job's status after a change, as the success side of a bulk answer shows it. */
export const jobStatusAnswerSchema = z.object({
  Status: jobStatusSchema,
  MinorStatus: z.string(),
  ApplicationStatus: z.string(),
  HeartBeatTime: z.string().nullable(),
  StartExecTime: z.string().nullable(),
  EndExecTime: z.string().nullable(),
  LastUpdateTime: z.string(),
});

export const jobFailureSchema = z.object({
  detail: z.string(),
  code: z.string().meta({
    description:
      'not_found, forbidden, invalid_transition, limit; not_attempted or unavailable when the request ran out of time or the job store failed (send it again).',
  }),
});

/**
 * A change asked of many jobs (status, kill, delete, reschedule): the jobs it was done to and the
 * ones it was not, each keyed by job id. 200 when any succeeded; otherwise the error of the failures.
 */
export const bulkAnswerSchema = z.object({
  success: z.record(z.string(), jobStatusAnswerSchema),
  failed: z.record(z.string(), jobFailureSchema),
});
export type BulkAnswer = z.infer<typeof bulkAnswerSchema>;

/** A command for a running job, answered to its heartbeat (DiracX `JobCommand`). */
export const jobCommandAnswerSchema = z.object({
  job_id: z.number().int().positive(),
  command: z.string().meta({ description: 'Kill: the job wrapper stops the payload.' }),
  arguments: z.string(),
});
export const heartbeatAnswerSchema = z.array(jobCommandAnswerSchema);

/** One row of the DIRAC logging info: a step of the job's history. */
export const loggingInfoSchema = z.object({
  Status: z.string(),
  MinorStatus: z.string(),
  ApplicationStatus: z.string(),
  StatusTime: z.string(),
  Source: z.string(),
});

/** A search row: the requested columns (all by default), with `LoggingInfo` when asked for. */
export const searchRowSchema = z.record(z.string(), z.union([wireValueSchema, z.array(loggingInfoSchema)]));
export const searchAnswerSchema = z.array(searchRowSchema);

/** A summary row: the grouped columns' values and how many jobs have them. */
export const summaryRowSchema = z.looseObject({ count: z.number().int().min(0) });
export const summaryAnswerSchema = z.array(summaryRowSchema);

const columns = Object.fromEntries(
  Object.keys(jobColumns).map((column) => [column, z.union([z.string(), z.number()]).optional()]),
) as Record<keyof typeof jobColumns, z.ZodOptional<z.ZodUnion<[z.ZodString, z.ZodNumber]>>>;

const nameList = z.array(z.string());

/** `GET /api/jobs/{jobId}`: the job's attributes, description, requirements and history. */
export const jobViewSchema = z.object({
  ...columns,
  Parameters: z.record(z.string(), z.union([z.string(), z.number()])),
  Description: jobDescriptionSchema,
  Requirements: z
    .object({
      vo: z.string(),
      owner: z.string(),
      ownerGroup: z.string(),
      cpuTime: z.number(),
      sites: nameList,
      bannedSites: nameList,
      platforms: nameList,
      jobTypes: nameList,
      tags: nameList,
      gridCEs: nameList,
      priority: z.number(),
    })
    .optional()
    .meta({ description: 'What a pilot must offer, once JobScheduling has run.' }),
  OptimizerChain: nameList.optional(),
  SiteCandidates: z.record(z.string(), z.object({ disk: z.number(), tape: z.number() })).optional(),
  TaskQueueID: z.string().optional(),
  PendingCommands: z.array(z.object({ command: z.literal('Kill'), issuedAt: z.string() })),
  LoggingInfo: z.array(loggingInfoSchema.extend({ Status: z.string() })),
});
export type JobView = z.infer<typeof jobViewSchema>;

/** `GET /api/jobs/{jobId}/heartbeats`: each kept beat's figures, in time order. */
export const heartbeatHistorySchema = z.array(
  z.object({
    Time: z.string(),
    ...(Object.fromEntries(heartbeatFigures.map((name) => [name, z.number().optional()])) as Record<
      (typeof heartbeatFigures)[number],
      z.ZodOptional<z.ZodNumber>
    >),
  }),
);
