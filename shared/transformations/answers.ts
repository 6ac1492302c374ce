/**
 * What the transformation manager's routes answer, one schema per message (DIRAC's
 * TransformationManager results). The OpenAPI document (shared/http/openapi-productions.ts)
 * describes them from here.
 */
import { z } from 'zod';
import { fileStatuses, taskStatuses, transformationStates } from '#shared/transformations/model.ts';

export const transformationCreatedSchema = z.object({ transformationId: z.number().int().positive() });

/** After start, stop, extend or clean: the state the transformation is now in. */
export const transformationStateAnswerSchema = z.object({
  transformationId: z.number().int().positive(),
  state: z.enum(transformationStates),
});

const counts = (names: readonly string[]) => z.object(Object.fromEntries(names.map((n) => [n, z.number()])));

/** A transformation with its definition, its files and tasks counted by status, its jobs by status. */
export const transformationViewSchema = z.looseObject({
  transformationId: z.number().int().positive(),
  name: z.string(),
  type: z.string(),
  vo: z.string(),
  owner: z.string(),
  ownerGroup: z.string(),
  state: z.enum(transformationStates),
  workflowId: z.string(),
  groupSize: z.number(),
  plugin: z.enum(['Standard', 'BySize']),
  lastTaskId: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  files: counts(fileStatuses).meta({ description: 'How many files are in each status.' }),
  taskCounts: counts(taskStatuses).meta({ description: 'How many tasks are in each status.' }),
  jobs: z
    .record(z.string(), z.number())
    .meta({ description: 'How many of its jobs are in each job status.' }),
});

export const transformationFilesAnswerSchema = z.object({
  files: z.array(
    z.object({
      transformationId: z.number(),
      lfn: z.string(),
      status: z.enum(fileStatuses),
      taskId: z.number().optional(),
      errorCount: z.number(),
      reason: z.string().optional(),
      size: z.number().optional(),
      updatedAt: z.string(),
    }),
  ),
  next: z.string().optional().meta({ description: 'Pass back as `next` for the following page.' }),
});

export const transformationTasksAnswerSchema = z.object({
  tasks: z.array(
    z.object({
      transformationId: z.number(),
      taskId: z.number(),
      status: z.enum(taskStatuses),
      lfns: z.array(z.string()),
      claimed: z.boolean(),
      attempt: z.number(),
      idempotencyKey: z.string(),
      reason: z.string().optional(),
      jobId: z.number().optional(),
      jobStatus: z.string().optional(),
      createdAt: z.string(),
      updatedAt: z.string(),
    }),
  ),
  next: z.number().optional().meta({ description: 'Pass back as `after` for the following page.' }),
});
