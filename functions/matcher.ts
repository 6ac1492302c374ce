/**
 * The Matcher service: pilots ask for a job (DIRAC's `MatcherHandler.requestJob`), and owners ask
 * why a waiting job is not matched. A pilot asks with its pilot credential; each job it gets comes
 * with the job's payload token, which the pilot renews here. The job joins the pilot's record when
 * the pilot first reports on it (the job manager, shared/pilots/started-jobs.ts), not here.
 */
import { type Deps, payloadTokensOf, tableName } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { route } from '#shared/http/route.ts';
import { jobIdParameter } from '#shared/jobs/http.ts';
import { getJob } from '#shared/jobs/store/read-jobs.ts';
import { createWorkflowCache } from '#shared/matcher/answer.ts';
import { explainMatching } from '#shared/matcher/explain.ts';
import { createMatcherPayloadTokens } from '#shared/matcher/payload-tokens.ts';
import { requestSchema } from '#shared/matcher/resource-description.ts';
import { createMatcher } from '#shared/matcher/service.ts';

export function createHandler(deps: Deps) {
  const tables = {
    jobs: tableName(deps.resources, 'jobs'),
    taskQueues: tableName(deps.resources, 'taskQueues'),
  };
  const payloadTokens = createMatcherPayloadTokens({
    tokens: payloadTokensOf(deps),
    getJob: (jobId) => getJob(deps.aws.dynamo, tables.jobs, jobId),
  });
  const matcher = createMatcher({
    config: deps.config,
    dynamo: deps.aws.dynamo,
    tables,
    workflow: createWorkflowCache(deps.aws.dynamo, tableName(deps.resources, 'workflows')),
    now: deps.now,
    logger: deps.logger,
  });
  const explain = {
    config: deps.config,
    getJob: (jobId: number) => getJob(deps.aws.dynamo, tables.jobs, jobId),
    pilots: matcher.pilots,
    limiter: matcher.limiter,
  };
  return createHttpHandler(deps, {
    'POST /api/matcher/request': route({
      caller: ['pilot'],
      body: requestSchema,
      handle: async ({ body, identity }) =>
        payloadTokens.withToken(identity, () => matcher.request(identity, body)),
    }),
    'POST /api/jobs/{jobId}/token': route({
      caller: ['pilot'],
      handle: ({ identity, pathParameters }) =>
        payloadTokens.renew(identity, jobIdParameter(pathParameters.jobId)),
    }),
    'GET /api/jobs/{jobId}/matching': route({
      caller: ['user'],
      handle: ({ pathParameters, identity }) =>
        explainMatching(explain, identity, jobIdParameter(pathParameters.jobId)),
    }),
  });
}

export const handler = lambdaEntry(createHandler);
