/**
 * What the production manager's routes answer, one schema per message (DIRAC's ProductionManager
 * results). The OpenAPI document (shared/http/openapi-productions.ts) describes them from here.
 */
import { z } from 'zod';

const state = z.enum(['New', 'Creating', 'Active', 'Stopped', 'Completed', 'Cleaning', 'Cleaned']);
const stepTransformation = { step: z.string(), transformationId: z.number().int().positive().optional() };

export const productionCreatedSchema = z.object({
  productionId: z.string(),
  steps: z.array(z.object(stepTransformation)),
});

/** After start, stop or clean: what was done to each step's transformation. */
export const productionActionAnswerSchema = z.object({
  productionId: z.string(),
  steps: z.array(z.object({ ...stepTransformation, done: z.boolean(), message: z.string().optional() })),
});

export const productionListSchema = z.object({
  productions: z.array(
    z.looseObject({
      productionId: z.string(),
      name: z.string(),
      owner: z.string(),
      ownerGroup: z.string(),
      workflowId: z.string(),
      requested: z.enum(['Active', 'Stopped', 'Cleaning']),
      steps: z.array(z.object({ ...stepTransformation, from: z.array(z.string()) })),
      createdAt: z.string(),
      updatedAt: z.string(),
    }),
  ),
});

/** A production's state and each step's progress: its files and tasks by status, its jobs by status. */
export const productionViewSchema = z.object({
  productionId: z.string(),
  name: z.string(),
  owner: z.string(),
  state: state.exclude(['Creating']),
  createdAt: z.string(),
  steps: z.array(
    z.object({
      ...stepTransformation,
      type: z.string(),
      state,
      files: z.object({
        Assigned: z.number(),
        Unused: z.number(),
        Processed: z.number(),
        Problematic: z.number(),
      }),
      jobs: z.record(z.string(), z.number()),
      tasks: z.number().optional(),
      taskCounts: z.record(z.string(), z.number()).optional(),
    }),
  ),
});
