/**
 * The production model (DIRAC's Production System; WMCore's workflow of chained subscriptions).
 *
 * Glossary: a *production* is a multi-step CWL Workflow run over catalogued data. Each top-level
 * *step* becomes one *transformation* (shared/transformations/) running the step's `run` process.
 * Files flow from step to step through the file catalog: a step's *output metadata* is set on every
 * file its jobs register, and the next step's *input query* asks for exactly that metadata, so its
 * transformation takes the files as they are produced. The first step either queries catalogued
 * data or *generates* (a number of tasks without input files).
 *
 * The *steps metadata* (`steps.yaml`, dirac-cwl's `--steps-metadata`) says per step what CWL cannot:
 * group size, plugin, output metadata, an extra or first input query, the job type and hints.
 */
import { z } from 'zod';
import { type MetaValue, metaKeySchema } from '#shared/catalog/query.ts';
import {
  outputMetaValueSchema,
  type TransformationSpecInput,
  type TransformationState,
} from '#shared/transformations/model.ts';

/** Output metadata every step gets, so productions never take each other's files. */
export const productionIdKey = 'productionId';
export const productionStepKey = 'productionStep';

/**
 * One step's entry of the steps metadata, after its spellings are read as one (see
 * `normalizeStepEntry`: snake_case and dirac-cwl's `execution-hooks`/`scheduling` are accepted).
 */
export const stepMetadataSchema = z.strictObject({
  /** DIRAC's transformation type (the jobs' JobType); default MCSimulation for a generation, else DataProcessing. */
  type: z.string().trim().min(1).max(64).optional(),
  /** A first step's catalog query, or conditions added to the query derived from the step before. */
  inputQuery: z.union([z.string().trim().min(1), z.array(z.unknown()).min(1)]).optional(),
  /** Generation: how many tasks the first step runs (it then has no input query). */
  tasks: z.int({ error: 'tasks is a whole number' }).min(1, { error: 'tasks is at least 1' }).optional(),
  groupSize: z
    .int({ error: 'the group size is a whole number of files' })
    .min(1, { error: 'the group size is at least 1 (a group of 0 files makes no task)' })
    .optional(),
  plugin: z.enum(['Standard', 'BySize']).optional(),
  groupBytes: z.int().positive().optional(),
  outputMetadata: z.record(metaKeySchema, outputMetaValueSchema).optional(),
  maxReset: z.int().min(1).max(100).optional(),
  /** `dirac:Job` hints for the step's jobs (priority, sites, platform, cpuTime, outputSE...). */
  hints: z.record(z.string(), z.unknown()).optional(),
});
export type StepMetadata = z.infer<typeof stepMetadataSchema>;

/** The steps metadata: one entry per top-level step, keyed by the step's id. */
export const stepsMetadataSchema = z.record(z.string().min(1), stepMetadataSchema);
export type StepsMetadata = z.infer<typeof stepsMetadataSchema>;

export const submitProductionSchema = z.strictObject({
  name: z.string().trim().min(1).max(256).optional(),
  /** The packed CWL Workflow (`{cwlVersion, $graph}` or one Workflow document). */
  workflow: z.record(z.string(), z.unknown()),
  /** The steps metadata as read from steps.yaml (spellings are normalized by the service). */
  steps: z.record(z.string(), z.unknown()).default({}),
});
export type SubmitProductionRequest = z.infer<typeof submitProductionSchema>;

/** One step as planned: the transformation it becomes, and where its files come from. */
export interface StepPlan {
  readonly step: string;
  /** The steps whose outputs this step reads (none for a first step). */
  readonly from: readonly string[];
  /** The transformation spec, without the production's id (added on submission). */
  readonly spec: TransformationSpecInput & { readonly outputMetadata: Record<string, MetaValue> };
}

export const productionStates = [
  'New',
  'Active',
  'Stopped',
  'Completed',
  'Cleaning',
  'Cleaned',
] as const satisfies readonly TransformationState[];
export type ProductionState = (typeof productionStates)[number];

export interface ProductionStepRecord {
  readonly step: string;
  /** The steps whose outputs it reads. */
  readonly from: readonly string[];
  /** Set once the step's transformation exists; a production missing one is still being created. */
  readonly transformationId?: number;
}

/**
 * A production as stored: what was submitted (the packed Workflow in the workflows store, the
 * steps metadata as sent), so its plan can be made again to finish creating it, and its steps.
 */
export interface ProductionRecord {
  readonly productionId: string;
  readonly vo: string;
  readonly owner: string;
  readonly ownerSub: string;
  readonly ownerGroup: string;
  readonly name: string;
  readonly workflowId: string;
  readonly stepsMetadata: Record<string, unknown>;
  /** In flow order, as planned. */
  readonly steps: readonly ProductionStepRecord[];
  /** The last of stop, start, clean asked for; shown states follow the transformations. */
  readonly requested: 'Active' | 'Stopped' | 'Cleaning';
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface StepProgress {
  readonly step: string;
  readonly transformationId?: number;
  readonly type: string;
  readonly state: TransformationState | 'Creating';
  readonly files: Readonly<Record<'Unused' | 'Assigned' | 'Processed' | 'Problematic', number>>;
  readonly jobs: Readonly<Record<string, number>>;
  /** Generation: the tasks asked for. */
  readonly tasks?: number;
  readonly taskCounts?: Readonly<Record<string, number>>;
}

export interface ProductionView {
  readonly productionId: string;
  readonly name: string;
  readonly owner: string;
  readonly state: ProductionState;
  readonly createdAt: string;
  readonly steps: readonly StepProgress[];
}
