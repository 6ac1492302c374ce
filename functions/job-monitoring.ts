/**
 * Job monitoring: one job with its history, its heartbeats, a job's outputs, search and summary (DIRAC's
 * JobMonitoring service, DiracX's query routes).
 */
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { route } from '#shared/http/route.ts';
import { searchScope } from '#shared/jobs/access.ts';
import { heartbeatHistory } from '#shared/jobs/heartbeat-history.ts';
import { jobIdParameter } from '#shared/jobs/http.ts';
import { createJobOutputs } from '#shared/jobs/outputs.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { searchPageQuerySchema, searchParamsSchema, summaryParamsSchema } from '#shared/jobs/search/query.ts';
import { searchJobsResponse, searchTables } from '#shared/jobs/search/search.ts';
import { summarizeJobs } from '#shared/jobs/search/summary.ts';
import { jobView } from '#shared/jobs/view.ts';
import { jobWaitQuerySchema, waitForJob } from '#shared/jobs/wait.ts';

export function createHandler(deps: Deps) {
  const jobs = createJobRepository(deps);
  const tables = searchTables(deps);
  const outputs = createJobOutputs(jobs);
  return createHttpHandler(deps, {
    'POST /api/jobs/search': route({
      caller: ['user'],
      // DiracX accepts a search with no body: every job the caller may see.
      body: searchParamsSchema.optional(),
      query: searchPageQuerySchema,
      handle: ({ body, query, identity }) =>
        searchJobsResponse(tables, searchScope(identity), body, query.page, query.per_page),
    }),
    'POST /api/jobs/summary': route({
      caller: ['user'],
      body: summaryParamsSchema,
      handle: ({ body, identity }) => summarizeJobs(tables, searchScope(identity), body),
    }),
    'GET /api/jobs/{jobId}': route({
      caller: ['user'],
      // `?wait=S&status=X`: a long poll (shared/jobs/wait.ts). The job is shown to its owner only,
      // after the wait as before it: a wait on another user's job reads it and answers 403/404.
      query: jobWaitQuerySchema,
      handle: async ({ pathParameters, query, identity }) => {
        const jobId = jobIdParameter(pathParameters.jobId);
        const first = jobView(await jobs.get(jobId), jobId, identity);
        if (!query.wait) return first;
        return jobView(await waitForJob(() => jobs.get(jobId), query), jobId, identity);
      },
    }),
    'GET /api/jobs/{jobId}/heartbeats': route({
      caller: ['user'],
      handle: ({ pathParameters, identity }) =>
        heartbeatHistory(jobs, identity, jobIdParameter(pathParameters.jobId)),
    }),
    'GET /api/jobs/{jobId}/outputs': route({
      caller: ['user'],
      handle: ({ pathParameters, identity }) => outputs.get(identity, jobIdParameter(pathParameters.jobId)),
    }),
  });
}

export const handler = lambdaEntry(createHandler);
