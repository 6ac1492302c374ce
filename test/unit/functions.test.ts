import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '#shared/aws/clients.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { Deps } from '#shared/deps.ts';
import { createLogger } from '#shared/log.ts';
import { type FunctionDefinition, functions, queues, tables } from '#shared/resources.ts';

const deps: Deps = {
  config: loadConfigFile('config/muon.yaml'),
  logger: createLogger({ level: 'error', write: () => undefined }),
  aws: createAwsClients({
    endpoints: { dynamodb: 'http://127.0.0.1:9', sqs: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9' },
  }),
  // Every name present, so that functions resolving them at start-up can start.
  resources: {
    tables: Object.fromEntries(Object.keys(tables).map((t) => [t, `t-${t}`])),
    queues: Object.fromEntries(Object.keys(queues).map((q) => [q, `http://127.0.0.1:9/q/${q}`])),
    bucket: 'b',
  },
  now: () => new Date(),
  payloadKey: async () => new TextEncoder().encode('k'.repeat(48)),
};
const context = { getRemainingTimeInMillis: () => 5000 } as Context;

const event = (routeKey: string) =>
  ({
    version: '2.0',
    routeKey,
    rawPath: '/',
    headers: {},
    isBase64Encoded: false,
    requestContext: { requestId: 'r', routeKey, http: { method: routeKey.split(' ')[0] } },
  }) as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;

const httpFunctions = (Object.entries(functions) as [string, FunctionDefinition][]).filter(
  ([, f]) => f.routes.length > 0,
);

describe('Function modules and the resource definition', () => {
  it.each(httpFunctions)(
    '%s serves exactly the routes it declares, public or not as declared',
    async (_, definition) => {
      const module = (await import(`../../${definition.entry}`)) as {
        createHandler: (
          deps: Deps,
        ) => (e: unknown, c: Context) => Promise<{ statusCode: number; body: string }>;
      };
      const handler = module.createHandler(deps);
      for (const routeKey of definition.routes) {
        const isPublic = definition.publicRoutes?.includes(routeKey) ?? false;
        const response = await handler(event(routeKey), context);
        // Without a token a protected route is refused before any work; a missing route is a 404.
        if (isPublic) expect(response.statusCode, routeKey).not.toBe(401);
        else expect(response.statusCode, `${routeKey}: ${response.body}`).toBe(401);
      }
    },
  );

  it('every function entry exports createHandler and handler', async () => {
    for (const definition of Object.values(functions) as FunctionDefinition[]) {
      const module = (await import(`../../${definition.entry}`)) as Record<string, unknown>;
      expect(typeof module.createHandler, definition.entry).toBe('function');
      expect(typeof module.handler, definition.entry).toBe('function');
    }
  });
});
