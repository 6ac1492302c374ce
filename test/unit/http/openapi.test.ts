import { Validator } from '@seriousme/openapi-schema-validator';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createAwsClients } from '#shared/aws/clients.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { Deps } from '#shared/deps.ts';
import type { Routes } from '#shared/http/handler.ts';
import { openApiDocument, routeErrors } from '#shared/http/openapi.ts';
import { routeDocs } from '#shared/http/openapi-routes.ts';
import { createLogger } from '#shared/log.ts';
import { type FunctionDefinition, functions, queues, tables } from '#shared/resources.ts';

// The HTTP stack hands back the routes it is given, so that each function's own declarations
// (callers and request schemas) can be read and compared with the document.
vi.mock('#shared/http/handler.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('#shared/http/handler.ts')>()),
  createHttpHandler: (_deps: unknown, routes: Routes) => routes,
}));

const deps: Deps = {
  config: loadConfigFile('config/muon.yaml'),
  logger: createLogger({ level: 'error', write: () => undefined }),
  aws: createAwsClients({
    endpoints: { dynamodb: 'http://127.0.0.1:9', sqs: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9' },
  }),
  resources: {
    tables: Object.fromEntries(Object.keys(tables).map((t) => [t, `t-${t}`])),
    queues: Object.fromEntries(Object.keys(queues).map((q) => [q, `http://127.0.0.1:9/q/${q}`])),
    bucket: 'b',
  },
  now: () => new Date(),
  payloadKey: async () => new TextEncoder().encode('k'.repeat(48)),
};

/** The parts of an operation object the checks read. */
interface Operation {
  operationId: string;
  security?: unknown[];
  parameters?: { name: string; in: string; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, { description: string; content?: unknown }>;
}

const definitions = Object.values(functions) as FunctionDefinition[];
const declared = definitions.flatMap((fn) => [...fn.routes]);
const publicRoutes = new Set(definitions.flatMap((fn) => [...(fn.publicRoutes ?? [])]));
const asJson = (schema: z.ZodType | undefined) =>
  schema && z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });

/** Every route as its function declares it, read through the mocked HTTP stack. */
async function declaredRoutes(): Promise<Routes> {
  const all: Record<string, Routes[string]> = {};
  for (const fn of definitions.filter((f) => f.routes.length > 0 && f.entry !== 'functions/openapi.ts')) {
    const module = (await import(`../../../${fn.entry}`)) as { createHandler: (d: Deps) => unknown };
    Object.assign(all, module.createHandler(deps) as Routes);
  }
  return all;
}

describe('The OpenAPI document', () => {
  const document = openApiDocument(routeDocs, { version: 'test' });

  it('documents every route of shared/resources.ts, and no other', () => {
    expect(Object.keys(routeDocs).sort()).toEqual([...declared].sort());
  });

  it("documents each route's callers and request schemas exactly as the route declares them", async () => {
    const routes = await declaredRoutes();
    for (const [key, route] of Object.entries(routes)) {
      const doc = routeDocs[key];
      expect(doc, key).toBeDefined();
      expect(doc?.caller, `${key}: callers`).toEqual(route.caller);
      expect(asJson(doc?.body), `${key}: body`).toEqual(asJson(route.body));
      expect(asJson(doc?.query), `${key}: query`).toEqual(asJson(route.query));
    }
    expect(Object.keys(routes).length).toBe(declared.length - 2);
  });

  it('gives every route its request, its answers with their schemas, and its errors', () => {
    for (const key of declared) {
      const [method, path] = key.split(' ') as [string, string];
      const operation = document.paths[path]?.[method.toLowerCase()] as Operation;
      expect(operation, key).toBeDefined();
      const params = operation.parameters ?? [];
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
        const param = params.find((p) => p.in === 'path' && p.name === name);
        expect(param?.description, `${key}: path parameter ${name}`).toBeTruthy();
      }
      const doc = routeDocs[key];
      if (doc?.body) expect(operation.requestBody?.content?.['application/json']?.schema, key).toBeDefined();
      if (doc?.query)
        expect(
          params.some((p) => p.in === 'query'),
          `${key}: query parameters`,
        ).toBe(true);
      const statuses = Object.keys(operation.responses).map(Number);
      const successes = statuses.filter((s) => s >= 200 && s < 300);
      expect(successes.length, `${key}: answers`).toBeGreaterThan(0);
      for (const status of successes) {
        const response = operation.responses[String(status)];
        if (status !== 204) expect(response?.content, `${key} ${status}: schema`).toBeDefined();
      }
      const errors = statuses.filter((s) => s >= 400);
      expect(errors, key).toContain(500);
      if (!publicRoutes.has(key)) expect(errors, key).toEqual(expect.arrayContaining([401, 403]));
      else expect(operation.security, key).toEqual([]);
      if (doc?.body) expect(errors, key).toEqual(expect.arrayContaining([400, 422]));
      for (const status of errors) {
        expect(operation.responses[String(status)]?.description, `${key} ${status}`).toMatch(/\w/);
      }
    }
  });

  it('adds the shared refusals to a route’s own errors, once per status', () => {
    const errors = routeErrors('POST /api/jobs/kill', routeDocs['POST /api/jobs/kill'] as never);
    expect(errors.map((e) => e.status)).toEqual([400, 403, 404, 409, 413, 422, 500, 401, 503].sort());
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const ids = Object.values(document.paths).flatMap((p) =>
      Object.values(p).map((o) => (o as Operation).operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('GET /api/openapi.json and GET /api/docs', () => {
  const event = (routeKey: string) =>
    ({
      version: '2.0',
      routeKey,
      rawPath: '/',
      headers: {},
      isBase64Encoded: false,
      requestContext: { requestId: 'r', routeKey, http: { method: 'GET' } },
    }) as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
  const context = { getRemainingTimeInMillis: () => 5000 } as Context;

  it('serve the document as JSON and as a page naming every route', async () => {
    const { createHandler } = await import('#functions/openapi.ts');
    const handler = createHandler(deps);
    const json = await handler(event('GET /api/openapi.json'), context);
    expect(json.statusCode).toBe(200);
    expect(json.headers?.['content-type']).toBe('application/json');
    const served = JSON.parse(json.body ?? '') as { openapi: string; paths: Record<string, unknown> };
    expect(served.openapi).toBe('3.1.0');
    const page = await handler(event('GET /api/docs'), context);
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-type']).toMatch(/^text\/html/);
    for (const key of declared) expect(page.body, key).toContain(key.split(' ')[1]);
    expect(page.body).not.toMatch(/<script/i);
  });
});
