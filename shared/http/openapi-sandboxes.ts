/**
 * The OpenAPI description of the sandbox store's routes (functions/sandbox-store.ts): DiracX's
 * `routers/jobs/sandboxes.py`. Request schemas are the routes' own; see
 * shared/http/openapi-contract.ts.
 */
import { z } from 'zod';
import type { RouteDocs } from '#shared/http/openapi-contract.ts';
import { fits, ok } from '#shared/http/openapi-contract.ts';
import {
  jobSandboxesAnswerSchema,
  sandboxDownloadAnswerSchema,
  sandboxUploadAnswerSchema,
} from '#shared/sandboxes/answers.ts';
import { sandboxInfoSchema } from '#shared/sandboxes/model.ts';
import type { SandboxStore } from '#shared/sandboxes/service.ts';

type Store = SandboxStore;
const jobId = { jobId: 'The job id: a plain decimal integer.' };
const uploadAnswer = fits<Awaited<ReturnType<Store['initiateUpload']>>>()(sandboxUploadAnswerSchema);

export const sandboxRouteDocs: RouteDocs = {
  'POST /api/jobs/sandbox': {
    tag: 'sandboxes',
    summary: 'Register a sandbox upload; get where to PUT it',
    caller: ['user'],
    body: sandboxInfoSchema,
    answers: [ok('The reference, and where to upload unless already stored.', uploadAnswer)],
    errors: [],
  },
  'GET /api/jobs/sandbox': {
    tag: 'sandboxes',
    summary: 'Where to download a sandbox',
    caller: ['user', 'payload'],
    query: z.object({ pfn: z.string().min(1) }),
    answers: [
      ok('A presigned GET.', fits<Awaited<ReturnType<Store['downloadUrl']>>>()(sandboxDownloadAnswerSchema)),
    ],
    errors: [
      { status: 400, when: 'The pfn is not a sandbox reference.' },
      { status: 403, when: "The sandbox is not the caller's (nor its job's)." },
      { status: 404, when: 'No such sandbox.' },
    ],
  },
  'GET /api/jobs/{jobId}/sandbox': {
    tag: 'sandboxes',
    summary: "A job's input and output sandboxes",
    caller: ['user', 'payload'],
    path: jobId,
    answers: [
      ok('Their references.', fits<Awaited<ReturnType<Store['jobSandboxes']>>>()(jobSandboxesAnswerSchema)),
    ],
    errors: [
      { status: 403, when: "The job is not the caller's." },
      { status: 404, when: 'No such job.' },
    ],
  },
  'POST /api/jobs/{jobId}/sandbox/output': {
    tag: 'sandboxes',
    summary: "Register a job's output sandbox upload (its job wrapper)",
    caller: ['payload'],
    path: jobId,
    body: sandboxInfoSchema,
    answers: [ok('The reference, and where to upload unless already stored.', uploadAnswer)],
    errors: [{ status: 404, when: 'No such job.' }],
  },
  'PATCH /api/jobs/{jobId}/sandbox/output': {
    tag: 'sandboxes',
    summary: "Assign an uploaded sandbox as the job's output sandbox (its job wrapper)",
    caller: ['payload'],
    path: jobId,
    body: z.string().min(1),
    answers: [ok('Assigned.', z.null())],
    errors: [
      { status: 400, when: 'The body is not a sandbox reference.' },
      { status: 404, when: 'No such job or sandbox.' },
    ],
  },
};
