/**
 * The transformation model (DIRAC's Transformation System; WMCore's WMBS subscription).
 *
 * Glossary: a *transformation* applies one CWL tool or workflow to every file its *input query*
 * matches in the file catalog (or, with no query, to nothing: a *generation* of `tasks` tasks).
 * Each matching file has a *file status* in the transformation (Unused, Assigned, Processed,
 * Problematic). A *grouping plugin* gathers Unused files into *tasks* of `groupSize` files (or
 * about `groupBytes`); each task becomes one job whose CWL input names its files, and whose
 * outputs are registered with the transformation's *output metadata*. A job's outcome sets its
 * files' status: Done → Processed; Failed, Killed or Deleted → Unused again, Problematic after
 * `maxReset` failed attempts.
 */
import { z } from 'zod';
import { type MetaQuery, type MetaValue, metaKeySchema, metaQuerySchema } from '#shared/catalog/query.ts';

export type { MetaQuery, MetaValue };

/** DIRAC's transformation states; Completed: no Unused file and no task running. */
export const transformationStates = ['New', 'Active', 'Stopped', 'Completed', 'Cleaning', 'Cleaned'] as const;
export type TransformationState = (typeof transformationStates)[number];

/** A file's status within one transformation (DIRAC's TransformationFiles.Status). */
export const fileStatuses = ['Unused', 'Assigned', 'Processed', 'Problematic'] as const;
export type FileStatus = (typeof fileStatuses)[number];

/**
 * A task's status (DIRAC's TransformationTasks.ExternalStatus, reduced): Created once its files are
 * Assigned to it, Submitted once its job exists, then the outcome of the job.
 */
export const taskStatuses = ['Created', 'Submitted', 'Done', 'Failed'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

/** DIRAC's grouping plugins: Standard groups by count, BySize by total bytes. */
export const groupingPlugins = ['Standard', 'BySize'] as const;
export type GroupingPlugin = (typeof groupingPlugins)[number];

/** An output metadata value, as the catalog keeps it (a step's and a production's alike). */
export const outputMetaValueSchema = z.union([z.number().finite(), z.string().min(1).max(256)], {
  error: 'a metadata value is a number or a string of 1 to 256 characters',
});

export const maxGenerationTasks = 100_000;
/** A task's files are one job's CWL input: a thousand LFNs keep the job item far below 400 KB. */
export const maxGroupSize = 1000;

export const transformationSpecSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(256),
    /** The CWL document already in the workflows store (sha256 of its canonical JSON)... */
    workflowId: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'expected the sha256 of a stored workflow')
      .optional(),
    /** ...or the packed CWL document itself (stored content-addressed on submission). */
    cwl: z.record(z.string(), z.unknown()).optional(),
    /** DIRAC's transformation Type (Processing, MCSimulation, Merge...); the jobs' JobType by default. */
    type: z.string().trim().min(1).max(64).default('DataProcessing'),
    /** Files whose effective metadata match join the transformation; absent: a generation. */
    inputQuery: metaQuerySchema.optional(),
    /** Generation only: how many tasks to make (`extend` adds more). */
    tasks: z.int().min(1).max(maxGenerationTasks).optional(),
    /** Files per task; 1 by default, as DIRAC's Transformation (a generation has none to group). */
    groupSize: z
      .int('the group size is a whole number of files')
      .min(1, 'the group size is at least 1')
      .max(maxGroupSize, `the group size is at most ${maxGroupSize}`)
      .default(1),
    plugin: z.enum(groupingPlugins).default('Standard'),
    /** BySize: a task closes once its files reach this many bytes (or `groupSize` files). */
    groupBytes: z.int().positive().optional(),
    /** Metadata set on every output file the tasks register (the next step's input query reads it). */
    outputMetadata: z.record(metaKeySchema, outputMetaValueSchema).default({}),
    /** The CWL input that takes the task's files; default: the task's one File or File[] input. */
    inputName: z.string().min(1).optional(),
    /** Failed attempts after which a file is Problematic (DIRAC's MaxReset). */
    maxReset: z.int().min(1).max(100).default(5),
    /** `dirac:Job` hints for every task's job (site, priority, cpuTime, platform, outputSE...). */
    hints: z.record(z.string(), z.unknown()).default({}),
    productionId: z.string().min(1).max(64).optional(),
    step: z.string().min(1).max(256).optional(),
  })
  .superRefine((spec, ctx) => {
    if ((spec.workflowId === undefined) === (spec.cwl === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['cwl'], message: 'give either "cwl" or "workflowId", not both' });
    }
    if (spec.inputQuery === undefined && spec.tasks === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tasks'],
        message: 'a transformation without an input query generates: give the number of tasks',
      });
    }
    if (spec.inputQuery !== undefined && spec.tasks !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tasks'],
        message: 'tasks is for generation; remove it or the query',
      });
    }
    if (spec.plugin === 'BySize' && spec.groupBytes === undefined) {
      ctx.addIssue({ code: 'custom', path: ['groupBytes'], message: 'the BySize plugin needs groupBytes' });
    }
  });
export type TransformationSpec = z.output<typeof transformationSpecSchema>;
/** A spec as callers write it (defaults optional); a query may be a readonly `MetaQuery`. */
export type TransformationSpecInput = Omit<z.input<typeof transformationSpecSchema>, 'inputQuery'> & {
  readonly inputQuery?: MetaQuery;
};

/** Files of a transformation by status, and its tasks by status. */
export type FileCounts = Record<FileStatus, number>;
export type TaskCounts = Record<TaskStatus, number>;

export interface TransformationRecord {
  readonly transformationId: number;
  readonly vo: string;
  readonly owner: string;
  readonly ownerSub: string;
  readonly ownerGroup: string;
  readonly name: string;
  readonly type: string;
  readonly state: TransformationState;
  readonly workflowId: string;
  readonly inputQuery?: MetaQuery;
  /** Generation: tasks asked for so far (`extend` raises it). */
  readonly tasks?: number;
  readonly groupSize: number;
  readonly plugin: GroupingPlugin;
  readonly groupBytes?: number;
  readonly outputMetadata: Readonly<Record<string, MetaValue>>;
  readonly inputName?: string;
  readonly maxReset: number;
  readonly hints: Readonly<Record<string, unknown>>;
  readonly productionId?: string;
  readonly step?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Tasks created so far: the last task's id. */
  readonly lastTaskId: number;
  /** Query transformations: the catalog scan's next page while one runs, and when the last ended. */
  readonly scanNext?: string;
  readonly scannedAt?: string;
}

/** A transformation with its progress, as `status` returns it. */
export interface TransformationView extends TransformationRecord {
  readonly files: FileCounts;
  readonly taskCounts: TaskCounts;
  /** Jobs of its tasks by job status (Waiting, Running, Done...), from the tasks' last known status. */
  readonly jobs: Readonly<Record<string, number>>;
}

export interface TransformationFile {
  readonly transformationId: number;
  readonly lfn: string;
  readonly status: FileStatus;
  readonly taskId?: number;
  /** Failed attempts so far (DIRAC's ErrorCount). */
  readonly errorCount: number;
  /** Why the file is Problematic, or why its last attempt failed. */
  readonly reason?: string;
  readonly size?: number;
  readonly updatedAt: string;
}

export interface TransformationTask {
  readonly transformationId: number;
  readonly taskId: number;
  readonly status: TaskStatus;
  /** The task's files; final once `claimed` (before, the candidates a recovery claims again). */
  readonly lfns: readonly string[];
  readonly claimed: boolean;
  /** Generation tasks are retried as themselves (files are retried by joining another task). */
  readonly attempt: number;
  /** The submission's idempotency key: a retry after a crash finds the same job. */
  readonly idempotencyKey: string;
  /** Why the task's job failed. */
  readonly reason?: string;
  readonly jobId?: number;
  readonly jobStatus?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const emptyFileCounts = (): FileCounts => ({ Unused: 0, Assigned: 0, Processed: 0, Problematic: 0 });
export const emptyTaskCounts = (): TaskCounts => ({ Created: 0, Submitted: 0, Done: 0, Failed: 0 });
