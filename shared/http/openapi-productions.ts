/**
 * The OpenAPI description of the transformation and production routes (functions/transformations.ts,
 * functions/productions.ts): DIRAC's TransformationManager and ProductionManager over HTTP
 * (docs/production.md). See shared/http/openapi-contract.ts.
 */
import { z } from 'zod';
import type { RouteDoc, RouteDocs } from '#shared/http/openapi-contract.ts';
import { fits, ok } from '#shared/http/openapi-contract.ts';
import {
  productionActionAnswerSchema,
  productionCreatedSchema,
  productionListSchema,
  productionViewSchema,
} from '#shared/productions/answers.ts';
import { submitProductionSchema } from '#shared/productions/model.ts';
import type { ProductionService } from '#shared/productions/service.ts';
import {
  transformationCreatedSchema,
  transformationFilesAnswerSchema,
  transformationStateAnswerSchema,
  transformationTasksAnswerSchema,
  transformationViewSchema,
} from '#shared/transformations/answers.ts';
import { fileStatuses, maxGenerationTasks, transformationSpecSchema } from '#shared/transformations/model.ts';
import type { TransformationService } from '#shared/transformations/service.ts';

type T<K extends keyof TransformationService> = Awaited<ReturnType<TransformationService[K]>>;
type P<K extends keyof ProductionService> = Awaited<ReturnType<ProductionService[K]>>;

const transformationId = { transformationId: 'The transformation id: a positive whole number.' };
const productionId = { productionId: 'The production id: a positive whole number.' };
const notOwner = {
  status: 403,
  when: "Not the caller's (nor one a production manager or administrator may act on).",
};
const transformationMissing = { status: 404, when: "No such transformation in the caller's VO." };
const productionMissing = { status: 404, when: "No such production in the caller's VO." };
const limit = z.coerce.number().int().min(1).max(1000).optional();

const stateChange = (summary: string, extra: Partial<RouteDoc> = {}): RouteDoc => ({
  tag: 'transformations',
  summary,
  caller: ['user'],
  path: transformationId,
  answers: [ok('The state it is in now.', fits<T<'start'>>()(transformationStateAnswerSchema))],
  errors: [notOwner, transformationMissing, { status: 409, when: 'Its state does not allow it.' }],
  ...extra,
});

const productionAction = (summary: string): RouteDoc => ({
  tag: 'productions',
  summary,
  caller: ['user'],
  path: productionId,
  answers: [
    ok("What was done to each step's transformation.", fits<P<'act'>>()(productionActionAnswerSchema)),
  ],
  errors: [notOwner, productionMissing],
});

export const productionRouteDocs: RouteDocs = {
  'POST /api/transformations': {
    tag: 'transformations',
    summary: 'Submit a transformation',
    description:
      'Any JSON object is accepted here; the service reads it with the schema shown, so that every problem is answered alike (a 400 naming it).',
    caller: ['user'],
    body: z.record(z.string(), z.unknown()),
    bodyShape: transformationSpecSchema,
    answers: [
      { status: 201, description: 'Made, Active.', schema: fits<T<'submit'>>()(transformationCreatedSchema) },
    ],
    errors: [
      {
        status: 400,
        when: 'The specification, its CWL or its query is invalid; the detail says what to fix.',
      },
    ],
  },
  'GET /api/transformations/{transformationId}': {
    tag: 'transformations',
    summary: 'A transformation with its files, tasks and jobs counted by status',
    caller: ['user'],
    path: transformationId,
    answers: [ok('The transformation.', fits<T<'status'>>()(transformationViewSchema))],
    errors: [notOwner, transformationMissing],
  },
  'GET /api/transformations/{transformationId}/files': {
    tag: 'transformations',
    summary: "A transformation's files, a page at a time",
    caller: ['user'],
    path: transformationId,
    query: z.object({
      status: z.enum(fileStatuses).optional(),
      limit,
      next: z.string().max(4096).optional(),
    }),
    answers: [ok('One page.', fits<T<'files'>>()(transformationFilesAnswerSchema))],
    errors: [
      notOwner,
      transformationMissing,
      { status: 400, when: '`next` is not a page token of this listing.' },
    ],
  },
  'GET /api/transformations/{transformationId}/tasks': {
    tag: 'transformations',
    summary: "A transformation's tasks, a page at a time",
    caller: ['user'],
    path: transformationId,
    query: z.object({ after: z.coerce.number().int().min(0).optional(), limit }),
    answers: [ok('One page.', fits<T<'tasks'>>()(transformationTasksAnswerSchema))],
    errors: [notOwner, transformationMissing],
  },
  'POST /api/transformations/{transformationId}/start': stateChange('Start (or resume) a transformation'),
  'POST /api/transformations/{transformationId}/stop': stateChange('Stop a transformation: no new tasks'),
  'POST /api/transformations/{transformationId}/extend': stateChange('Add tasks to a generation', {
    body: z.strictObject({ tasks: z.int().min(1).max(maxGenerationTasks) }),
  }),
  'POST /api/transformations/{transformationId}/clean': stateChange(
    'Clean a transformation: kill its jobs, remove its outputs',
  ),
  'POST /api/productions': {
    tag: 'productions',
    summary: 'Submit a production: a multi-step CWL Workflow with its steps metadata',
    caller: ['user'],
    body: submitProductionSchema,
    headers: {
      'Idempotency-Key': 'Optional. A retried submission with the same key answers the first production.',
    },
    answers: [
      {
        status: 201,
        description: 'Made, with the transformation of each step.',
        schema: fits<P<'submit'>>()(productionCreatedSchema),
      },
    ],
    errors: [
      { status: 400, when: 'The workflow or its steps metadata is invalid; the detail says what to fix.' },
    ],
  },
  'GET /api/productions': {
    tag: 'productions',
    summary: "The caller's VO's productions",
    caller: ['user'],
    query: z.strictObject({ limit }),
    answers: [ok('Newest first.', fits<{ productions: P<'list'> }>()(productionListSchema))],
    errors: [],
  },
  'GET /api/productions/{productionId}': {
    tag: 'productions',
    summary: "A production's state and each step's progress",
    caller: ['user'],
    path: productionId,
    answers: [ok('The production.', fits<P<'status'>>()(productionViewSchema))],
    errors: [notOwner, productionMissing],
  },
  'POST /api/productions/{productionId}/start': productionAction('Start a production (makes missing steps)'),
  'POST /api/productions/{productionId}/stop': productionAction('Stop every step of a production'),
  'POST /api/productions/{productionId}/clean': productionAction('Clean every step of a production'),
};
