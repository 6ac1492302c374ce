import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfigFile } from '#shared/config/load.ts';
import { ConflictError, ForbiddenError } from '#shared/errors.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { respond, route } from '#shared/http/route.ts';
import { createLogger } from '#shared/log.ts';

const lines: string[] = [];
const logger = createLogger({ write: (line) => lines.push(line) });

const config = loadConfigFile('config/muon.yaml');
// No route here admits pilots or payloads, so the stack never reads a table.
const handler = createHttpHandler(
  { logger, config, aws: {} as never, resources: { tables: {}, queues: {} }, now: () => new Date() },
  {
    'POST /api/things': route({
      caller: ['user'],
      body: z.object({ name: z.string().min(1), count: z.number().int().positive() }).strict(),
      handle: ({ body, identity }) => respond(201, { ...body, owner: identity.username }),
    }),
    'GET /api/public': route({ caller: 'public', handle: () => ({ ok: true }) }),
    'GET /api/forbidden': route({
      caller: ['user'],
      handle: () => {
        throw new ForbiddenError('Only administrators may do that.');
      },
    }),
    'GET /api/conflict': route({
      caller: ['user'],
      handle: () => {
        throw new ConflictError('Job 1 is Done; it cannot become Running.', 'job.invalid_transition');
      },
    }),
    'GET /api/crash': route({
      caller: ['user'],
      handle: () => {
        throw new Error('secret database password in message');
      },
    }),
  },
);

const claims = {
  vo: 'vo.example.org',
  sub: 'vo.example.org:alice',
  preferred_username: 'alice',
  dirac_group: 'user',
  dirac_properties: '[NormalUser]',
};

function event(routeKey: string, options: { body?: string; claims?: Record<string, string> | null } = {}) {
  return {
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1],
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    ...(options.body !== undefined ? { body: options.body } : {}),
    requestContext: {
      requestId: 'req-1',
      routeKey,
      authorizer:
        options.claims === null ? undefined : { jwt: { claims: options.claims ?? claims, scopes: [] } },
      http: { method: routeKey.split(' ')[0] },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

const context = { getRemainingTimeInMillis: () => 10_000 } as Context;
const call = async (e: APIGatewayProxyEventV2WithJWTAuthorizer) => {
  const response = await handler(e, context);
  return {
    status: response.statusCode,
    body: JSON.parse(response.body ?? 'null'),
    headers: response.headers ?? {},
  };
};

describe('HTTP stack', () => {
  it('validates the body and passes the typed identity to the route', async () => {
    const response = await call(event('POST /api/things', { body: '{"name":"x","count":2}' }));
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ name: 'x', count: 2, owner: 'alice' });
    expect(response.headers['x-request-id']).toBe('req-1');
  });

  it('answers malformed JSON with 400 and says so', async () => {
    const response = await call(event('POST /api/things', { body: '{"name":' }));
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/not valid JSON/);
  });

  it('answers a missing body with 400', async () => {
    const response = await call(event('POST /api/things'));
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/needs a JSON body/);
  });

  it('answers a body that fails its schema with 422 naming each field', async () => {
    const response = await call(event('POST /api/things', { body: '{"name":"","count":-1,"extra":1}' }));
    expect(response.status).toBe(422);
    expect(response.body.detail).toMatch(/body\.name/);
    expect(response.body.detail).toMatch(/body\.count/);
    expect(response.body.detail).toMatch(/extra/);
  });

  it('refuses a protected route without claims with 401', async () => {
    const response = await call(event('POST /api/things', { body: '{}', claims: null }));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('refuses claims that lack the VO or group with 401', async () => {
    const response = await call(event('GET /api/forbidden', { claims: { sub: 'x' } }));
    expect(response.status).toBe(401);
    expect(response.body.detail).toMatch(/vo/);
  });

  it('refuses a token for a VO or group the deployment does not serve with 403', async () => {
    const otherVo = await call(event('GET /api/conflict', { claims: { ...claims, vo: 'other.org' } }));
    expect(otherVo.status).toBe(403);
    expect(otherVo.body.detail).toMatch(/other\.org/);
    const otherGroup = await call(event('GET /api/conflict', { claims: { ...claims, dirac_group: 'nope' } }));
    expect(otherGroup.status).toBe(403);
  });

  it('serves public routes without claims', async () => {
    const response = await call(event('GET /api/public', { claims: null }));
    expect(response).toMatchObject({ status: 200, body: { ok: true } });
  });

  it('turns typed errors into their status with {"detail": message}', async () => {
    expect(await call(event('GET /api/forbidden'))).toMatchObject({
      status: 403,
      body: { detail: 'Only administrators may do that.' },
    });
    expect(await call(event('GET /api/conflict'))).toMatchObject({ status: 409 });
  });

  it('answers an unknown route with 404', async () => {
    expect(await call(event('GET /api/nothing'))).toMatchObject({ status: 404 });
  });

  it('hides unexpected errors behind a plain 500 and logs them with the request id', async () => {
    const response = await call(event('GET /api/crash'));
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).not.toMatch(/secret/);
    const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.message === 'request failed');
    expect(logged).toMatchObject({ requestId: 'req-1', level: 'error' });
  });
});
