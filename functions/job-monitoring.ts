/**
 * Job monitoring: one job with its history, search and summary (DIRAC's JobMonitoring service,
 * DiracX's query routes).
 */
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { route } from '#shared/http/route.ts';
import { jobIdParameter } from '#shared/jobs/http.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { jobView } from '#shared/jobs/view.ts';

export function createHandler(deps: Deps) {
  const jobs = createJobRepository(deps);
  return createHttpHandler(deps, {
    'GET /api/jobs/{jobId}': route({
      handle: async ({ pathParameters, identity }) => {
        const jobId = jobIdParameter(pathParameters.jobId);
        return jobView(await jobs.get(jobId), jobId, identity);
      },
    }),
  });
}

export const handler = lambdaEntry(createHandler);
