/**
 * `GET /api/health`: the API answers, and says whether each service behind it does (DynamoDB, SQS,
 * S3). 200 when all do; 503 with the failing ones named when any does not, so a load balancer, a
 * script or a user sees a broken database here rather than as 500s on every other route.
 * DIRAC counterpart: the SystemAdministrator's component status.
 */
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import type { HealthAnswer } from '#shared/health/answers.ts';
import { createDependencyProbe } from '#shared/health/dependencies.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { respond, route } from '#shared/http/route.ts';
import { version } from '#shared/version.ts';

export const createHandler = (deps: Deps) => {
  const probe = createDependencyProbe(deps);
  return createHttpHandler(deps, {
    'GET /api/health': route({
      caller: 'public',
      handle: async () => {
        const dependencies = await probe();
        const healthy = Object.values(dependencies).every((d) => d.status === 'ok');
        const body: HealthAnswer = {
          status: healthy ? 'ok' : 'degraded',
          version,
          time: deps.now().toISOString(),
          dependencies,
        };
        return respond(healthy ? 200 : 503, body);
      },
    }),
  });
};

export const handler = lambdaEntry(createHandler);
