/**
 * The HTTP stack every API function uses: request logging, one error handler, body decoding,
 * identity from the authorizer's claims, zod validation, and routing by API Gateway route key.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { type Identity, identityFromClaims } from '#shared/auth/identity.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import {
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '#shared/errors.ts';
import {
  type HttpEvent,
  type HttpResponse,
  httpErrors,
  jsonResponse,
  requestLogging,
} from '#shared/http/middleware.ts';
import { isHttpResult, type Route } from '#shared/http/route.ts';
import type { Logger } from '#shared/log.ts';

export type Routes = Readonly<Record<string, Route>>;

export interface HttpDeps {
  readonly logger: Logger;
  readonly config: MuonConfig;
}

export function createHttpHandler(deps: HttpDeps, routes: Routes) {
  return middy<HttpEvent, HttpResponse, Error, Context>()
    .use(httpErrors(deps.logger))
    .use(requestLogging(deps.logger))
    .handler(async (event) => dispatch(routes, event, deps));
}

async function dispatch(routes: Routes, event: HttpEvent, deps: HttpDeps) {
  const fallback = deps.logger;
  const found = routes[event.routeKey];
  if (!found) throw new NotFoundError(`No route for ${event.routeKey}.`, 'route.not_found');
  const requestLogger = fallback.child({ requestId: event.requestContext.requestId, route: event.routeKey });
  const claims = event.requestContext.authorizer?.jwt?.claims;
  if (!found.public && !claims) throw new UnauthorizedError();
  const identity = found.public ? undefined : servedIdentity(identityFromClaims(claims), deps.config);
  const body = found.body ? parse(found.body, decodeBody(event, found.body), 'body') : undefined;
  const query = found.query ? parse(found.query, event.queryStringParameters ?? {}, 'query') : undefined;
  const result = await found.handle({
    body,
    query,
    pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
    headers: lowerCaseKeys(event.headers ?? {}),
    requestId: event.requestContext.requestId,
    logger: identity ? requestLogger.child({ vo: identity.vo, user: identity.username }) : requestLogger,
    identity: identity as never,
  });
  if (isHttpResult(result)) return jsonResponse(result.statusCode, result.body, { ...result.headers });
  return jsonResponse(200, result);
}

/** A valid token for a VO or group this deployment does not serve is refused. */
function servedIdentity(identity: Identity, config: MuonConfig): Identity {
  const vo = config.virtualOrganizations[identity.vo];
  if (!vo)
    throw new ForbiddenError(`This deployment does not serve the virtual organisation "${identity.vo}".`);
  if (!(identity.group in vo.groups)) {
    throw new ForbiddenError(`"${identity.group}" is not a group of ${identity.vo}.`);
  }
  return identity;
}

function decodeBody(event: HttpEvent, schema: z.ZodType): unknown {
  if (event.body === undefined || event.body === '') {
    if (schema.safeParse(undefined).success) return undefined;
    throw new BadRequestError('The request needs a JSON body.', { code: 'request.body_missing' });
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`The body is not valid JSON: ${(error as Error).message}.`, {
      code: 'request.malformed_json',
    });
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = [where, ...issue.path.map(String)].join('.');
    return `${path}: ${issue.message}`;
  });
  throw new ValidationError(`The request ${where} is invalid: ${problems.join('; ')}.`);
}

function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}
