/**
 * The OpenAPI description of the job routes: the job manager (functions/job-manager.ts), job
 * monitoring (functions/job-monitoring.ts): DiracX's jobs router; the sandbox store's routes are
 * in shared/http/openapi-sandboxes.ts. Request schemas are the routes' own; see shared/http/openapi-contract.ts.
 */
import { z } from 'zod';
import type { RouteDocs } from '#shared/http/openapi-contract.ts';
import { fits, ok } from '#shared/http/openapi-contract.ts';
import {
  bulkAnswerSchema,
  heartbeatAnswerSchema,
  heartbeatHistorySchema,
  insertedJobsSchema,
  jobViewSchema,
  searchAnswerSchema,
  summaryAnswerSchema,
} from '#shared/jobs/answers.ts';
import type { JobControl } from '#shared/jobs/control.ts';
import type { JobCommandView } from '#shared/jobs/heartbeat.ts';
import { heartbeatsSchema } from '#shared/jobs/heartbeat.ts';
import type { heartbeatHistory } from '#shared/jobs/heartbeat-history.ts';
import { jobIdsSchema } from '#shared/jobs/http.ts';
import { jobOutputsSchema } from '#shared/jobs/outputs.ts';
import { searchPageQuerySchema, searchParamsSchema, summaryParamsSchema } from '#shared/jobs/search/query.ts';
import type { SearchRow } from '#shared/jobs/search/search.ts';
import type { SummaryRow } from '#shared/jobs/search/summary.ts';
import { statusUpdatesSchema } from '#shared/jobs/status-request.ts';
import { cwlSubmissionSchema } from '#shared/jobs/submission/cwl-request.ts';
import { jdlSubmissionSchema } from '#shared/jobs/submission/jdl-request.ts';
import type { InsertedJob } from '#shared/jobs/submission/submit.ts';
import type { jobView } from '#shared/jobs/view.ts';
import { jobWaitQuerySchema } from '#shared/jobs/wait.ts';

const jobId = { jobId: 'The job id: a plain decimal integer.' };
const idempotency = {
  'Idempotency-Key':
    'Optional. A retried submission with the same key and the same body answers the jobs of the first one instead of making new ones; after a 202 it writes the pending jobs.',
};
const bulkIdempotency = {
  'Idempotency-Key':
    'Optional. The same job ids sent again with the same key change only the jobs without a final answer yet (never one twice) and answer for all of them.',
};
const bulk = fits<Awaited<ReturnType<JobControl['kill']>>>()(bulkAnswerSchema);
const bulkErrors = [
  {
    status: 503,
    when: 'No job was changed: the job store did not answer (`unavailable`) or the time budget ran out (`not_attempted`); send it again.',
  },
  {
    status: 409,
    when: 'The Idempotency-Key was used for other job ids, or its first request is still running.',
  },
  {
    status: 403,
    when: "None of the jobs is the caller's to change (the detail lists each job when there were several).",
  },
  { status: 404, when: 'None of the jobs exists for the caller.' },
  { status: 409, when: "None of the jobs' statuses allows it (or a limit was reached)." },
];
const bulkAnswer = ok(
  'Done to at least one job: `success` holds each changed job, `failed` each other job and why (`not_attempted`: the time budget ran out first; send those again).',
  bulk,
);
const submitted = {
  status: 201,
  description: 'The jobs made, in the order of the submission (a parametric JDL makes several).',
  schema: fits<InsertedJob[]>()(insertedJobsSchema),
};
const incomplete = {
  status: 202,
  description:
    'Stopped part-way within the time budget (docs/jobs.md, Large requests): `submitted` holds the jobs that exist, `pending` the ids kept for the others; send the same request again with the `Idempotency-Key` given (also a header) until the 201.',
  schema: z.object({
    detail: z.string(),
    submitted: insertedJobsSchema,
    pending: z.array(z.number().int()),
    idempotency_key: z.string().optional(),
  }),
};
const submitErrors = [
  { status: 503, when: 'Nothing was stored: the job store did not answer. Send it again.' },
  {
    status: 400,
    when: 'A JDL, CWL document, input or hint is invalid (the detail lists each problem), or the submission makes more jobs than allowed at once.',
  },
  { status: 409, when: 'The Idempotency-Key was used before for a different body.' },
];

export const jobRouteDocs: RouteDocs = {
  'POST /api/jobs': {
    tag: 'jobs',
    summary: 'Submit a CWL task, one job per input object',
    description:
      'The body carries the CWL document as JSON (a CommandLineTool, ExpressionTool or a packed Workflow: every `run` inline), its input objects and `dirac:Job` scheduling hints.',
    caller: ['user'],
    body: cwlSubmissionSchema,
    headers: idempotency,
    answers: [submitted, incomplete],
    errors: submitErrors,
  },
  'POST /api/jobs/jdl': {
    tag: 'jobs',
    summary: 'Submit DIRAC JDL jobs',
    description: 'A list of JDL texts; a parametric JDL makes one job per parameter.',
    caller: ['user'],
    body: jdlSubmissionSchema,
    headers: idempotency,
    answers: [submitted, incomplete],
    errors: submitErrors,
  },
  'PATCH /api/jobs/status': {
    tag: 'jobs',
    summary: "Set jobs' statuses (the pilot holding them, their payloads, administrators)",
    caller: ['user', 'pilot', 'payload'],
    body: statusUpdatesSchema,
    query: z.object({ force: z.enum(['true', 'false']).optional() }),
    answers: [bulkAnswer],
    errors: bulkErrors,
  },
  'PATCH /api/jobs/heartbeat': {
    tag: 'jobs',
    summary: 'Heartbeats of running jobs; answers the commands for them (Kill)',
    caller: ['pilot', 'payload'],
    body: heartbeatsSchema,
    answers: [ok('The commands for the jobs that beat.', fits<JobCommandView[]>()(heartbeatAnswerSchema))],
    errors: bulkErrors,
  },
  'POST /api/jobs/kill': {
    tag: 'jobs',
    summary: 'Kill jobs',
    caller: ['user'],
    body: jobIdsSchema,
    headers: bulkIdempotency,
    answers: [bulkAnswer],
    errors: bulkErrors,
  },
  'POST /api/jobs/delete': {
    tag: 'jobs',
    summary: 'Delete jobs (not Matched or Running ones)',
    caller: ['user'],
    body: jobIdsSchema,
    headers: bulkIdempotency,
    answers: [bulkAnswer],
    errors: bulkErrors,
  },
  'POST /api/jobs/reschedule': {
    tag: 'jobs',
    summary: 'Reschedule jobs',
    caller: ['user', 'pilot', 'payload'],
    body: jobIdsSchema,
    headers: bulkIdempotency,
    answers: [bulkAnswer],
    errors: bulkErrors,
  },
  'PUT /api/jobs/{jobId}/outputs': {
    tag: 'jobs',
    summary: "Report a job's outputs (its job wrapper)",
    caller: ['payload'],
    path: jobId,
    body: jobOutputsSchema,
    answers: [{ status: 204, description: 'Recorded; replaces what was reported before.' }],
    errors: [{ status: 404, when: 'The job does not exist.' }],
  },
  'GET /api/jobs/{jobId}': {
    tag: 'jobs',
    summary: 'One job: attributes, description, requirements, history',
    description:
      'With `wait=S` a long poll: answers once the Status is no longer `status` (without it: once the job has ended), or after S seconds (at most 20) with the job as it is.',
    caller: ['user'],
    path: jobId,
    query: jobWaitQuerySchema,
    answers: [ok('The job.', fits<ReturnType<typeof jobView>>()(jobViewSchema))],
    errors: [
      { status: 403, when: "The job is not the caller's." },
      { status: 404, when: "No such job in the caller's VO." },
    ],
  },
  'GET /api/jobs/{jobId}/heartbeats': {
    tag: 'jobs',
    summary: "A job's heartbeat figures over its life (CPU, memory, wall time), in time order",
    caller: ['user'],
    path: jobId,
    answers: [
      ok(
        'Its kept beats (the newest 2000, for 30 days).',
        fits<Awaited<ReturnType<typeof heartbeatHistory>>>()(heartbeatHistorySchema),
      ),
    ],
    errors: [
      { status: 403, when: "The job is not the caller's." },
      { status: 404, when: "No such job in the caller's VO." },
    ],
  },
  'GET /api/jobs/{jobId}/outputs': {
    tag: 'jobs',
    summary: "A job's outputs: CWL output object, output data, output sandbox",
    caller: ['user'],
    path: jobId,
    answers: [ok('What its job wrapper reported.', jobOutputsSchema)],
    errors: [
      { status: 403, when: "The job is not the caller's." },
      { status: 404, when: 'No such job, or it has reported no outputs yet.' },
    ],
  },
  'POST /api/jobs/search': {
    tag: 'jobs',
    summary: 'Search jobs (DiracX search language), a page at a time',
    caller: ['user'],
    body: searchParamsSchema.optional(),
    query: searchPageQuerySchema,
    answers: [
      ok('Every matching job.', fits<SearchRow[]>()(searchAnswerSchema)),
      {
        status: 206,
        description: 'One page of the matching jobs.',
        schema: searchAnswerSchema,
        headers: {
          'Content-Range':
            '`jobs <first>-<last>/<total>`; `<total>` is `*` when it was not counted (a full page, in JobID order, of a large table)',
        },
      },
    ],
    errors: [
      { status: 400, when: 'An unknown column, operator or direction, a bad value or an invalid regex.' },
      { status: 416, when: 'The page is past the last one (Content-Range: `jobs */<total>`).' },
    ],
  },
  'POST /api/jobs/summary': {
    tag: 'jobs',
    summary: 'Count jobs grouped by columns',
    caller: ['user'],
    body: summaryParamsSchema,
    answers: [ok('One row per group: its columns and `count`.', fits<SummaryRow[]>()(summaryAnswerSchema))],
    errors: [{ status: 400, when: 'An unknown column or a bad condition.' }],
  },
};
